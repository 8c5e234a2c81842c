"""RegistryDatabase on Azure: private PostgreSQL Flexible Server, CMK, TLS, Entra-only, HA, UAE-only geo backup."""
from __future__ import annotations

import pytest

from azure_compute_fixtures import DB_SUBNET, DB_ZONE, TENANT, key
from sahab.components.azure.registry_database import EntraAdmin, RegistryDatabase, RegistryDatabaseArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import assert_azure_pinned_and_contained, attempt_plan, one_of_type, plan_resources, resources_of_type

SERVER = "azure-native:dbforpostgresql:Server"
CONFIGURATION = "azure-native:dbforpostgresql:Configuration"
ADMIN = "azure-native:dbforpostgresql:Administrator"
ADMIN_GROUP = EntraAdmin(object_id="55555555-5555-5555-5555-555555555555", principal_name="mlflow-db-admins")


def database(name="registry", **overrides):
    values = dict(delegated_subnet_id=DB_SUBNET, private_dns_zone_id=DB_ZONE, key=key("database"), tenant_id=TENANT,
                  entra_admin=ADMIN_GROUP)
    values.update(overrides)
    return RegistryDatabase(name, RegistryDatabaseArgs(**values))


@pytest.fixture(scope="module")
def planned():
    return plan_resources(lambda: database())


def test_private_access_only(planned):
    network = one_of_type(planned, SERVER)["inputs"]["network"]
    assert network == {"delegatedSubnetResourceId": DB_SUBNET, "privateDnsZoneArmResourceId": DB_ZONE, "publicNetworkAccess": "Disabled"}


def test_entra_authentication_only_and_no_password(planned):
    inputs = one_of_type(planned, SERVER)["inputs"]
    assert inputs["authConfig"] == {"activeDirectoryAuth": "Enabled", "passwordAuth": "Disabled", "tenantId": TENANT}
    assert "administratorLogin" not in inputs and "administratorLoginPassword" not in inputs
    admin = one_of_type(planned, ADMIN)["inputs"]
    assert (admin["objectId"], admin["principalName"], admin["principalType"], admin["tenantId"]) == (
        ADMIN_GROUP.object_id, "mlflow-db-admins", "Group", TENANT)


def test_customer_managed_key_through_the_keys_own_identity(planned):
    inputs = one_of_type(planned, SERVER)["inputs"]
    database_key = key("database")
    assert inputs["dataEncryption"] == {"type": "AzureKeyVault", "primaryKeyURI": database_key.key_uri,
                                        "primaryUserAssignedIdentityId": database_key.identity_id}
    assert inputs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {database_key.identity_id: {}}}


def test_tls_is_enforced(planned):
    settings = {r["inputs"]["configurationName"]: r["inputs"]["value"] for r in resources_of_type(planned, CONFIGURATION)}
    assert settings == {"require_secure_transport": "on", "ssl_min_protocol_version": "TLSv1.2"}


def test_zone_redundant_ha_and_local_backups_by_default(planned):
    inputs = one_of_type(planned, SERVER)["inputs"]
    assert inputs["highAvailability"]["mode"] == "ZoneRedundant"
    assert inputs["backup"] == {"backupRetentionDays": 7, "geoRedundantBackup": "Disabled"}
    assert inputs["version"] == "16"
    assert "sahab:exception" not in inputs["tags"]
    assert_azure_pinned_and_contained(planned, "sahab:azure:RegistryDatabase")


def test_uaecentral_uses_same_zone_ha():
    resources = plan_resources(lambda: database(location="uaecentral", key=key("database", "uaecentral")))
    assert one_of_type(resources, SERVER)["inputs"]["highAvailability"]["mode"] == "SameZone"
    assert_azure_pinned_and_contained(resources, "sahab:azure:RegistryDatabase", location="uaecentral")


def test_geo_backup_goes_to_the_uae_pair_with_the_pairs_key():
    pair_key = key("database", "uaecentral", vault="kvpair")
    inputs = one_of_type(plan_resources(lambda: database(geo_redundant_backup=True, geo_backup_key=pair_key)), SERVER)["inputs"]
    assert inputs["backup"]["geoRedundantBackup"] == "Enabled"
    assert inputs["dataEncryption"]["geoBackupKeyURI"] == pair_key.key_uri
    assert inputs["dataEncryption"]["geoBackupUserAssignedIdentityId"] == pair_key.identity_id
    assert set(inputs["identity"]["userAssignedIdentities"]) == {key("database").identity_id, pair_key.identity_id}


def test_non_production_may_turn_ha_off_and_the_plan_says_so():
    inputs = one_of_type(plan_resources(lambda: database(production=False, high_availability="Disabled")), SERVER)["inputs"]
    assert inputs["highAvailability"]["mode"] == "Disabled"
    assert inputs["tags"]["sahab:exception"] == "no-high-availability"


@pytest.mark.parametrize("overrides, message", [
    (dict(location="westeurope"), "region 'westeurope' is outside the UAE"),
    (dict(high_availability="Disabled"), "a production database keeps high availability"),
    (dict(location="uaecentral", key=key("database", "uaecentral"), high_availability="ZoneRedundant"),
     "high_availability ZoneRedundant needs availability zones, which uaecentral does not have"),
    (dict(geo_redundant_backup=True), "geo_backup_key is required (a CustomerManagedKey"),
    (dict(geo_redundant_backup=True, geo_backup_key=key("database")),
     "geo_backup_key is a key in uaenorth; geo-backups of a server in uaenorth go to uaecentral, so their key must be in a vault in uaecentral"),
    (dict(geo_backup_key=key("database", "uaecentral")), "geo_backup_key is set but geo_redundant_backup is off"),
    (dict(key=key("database", "uaecentral")), "key is a key in uaecentral but the component is in uaenorth"),
    (dict(key=None), "key is required (a CustomerManagedKey"),
    (dict(tenant_id="contoso"), "tenant_id 'contoso' is not an Entra ID"),
    (dict(entra_admin=EntraAdmin(object_id="x", principal_name="admins")), "entra_admin.object_id 'x' is not an Entra ID"),
    (dict(entra_admin=EntraAdmin(object_id=ADMIN_GROUP.object_id, principal_name=" ")), "entra_admin.principal_name must not be empty"),
    (dict(version="12"), "version '12' is not allowed"),
    (dict(sku_tier="Burstable"), "sku_tier 'Burstable' is not allowed"),
    (dict(backup_retention_days=3), "backup_retention_days must be between 7 and 35, got 3"),
    (dict(delegated_subnet_id=""), "delegated_subnet_id is required"),
    (dict(private_dns_zone_id=DB_SUBNET), "private_dns_zone_id '%s' is not a resource ID of the form" % DB_SUBNET),
])
def test_bad_input_is_refused_before_any_resource(overrides, message):
    resources, error = attempt_plan(lambda: database(**overrides))
    assert isinstance(error, ComponentInputError) and message in str(error), error
    assert resources == []


def test_empty_name_is_refused():
    _, error = attempt_plan(lambda: database(""))
    assert str(error) == "RegistryDatabase: name must be a non-empty string"


def test_the_registrys_database_is_created_on_the_server(planned):
    database = one_of_type(planned, "azure-native:dbforpostgresql:Database")
    assert database["inputs"]["databaseName"] == "mlflow" and database["inputs"]["charset"] == "UTF8"
    assert database["propertyDependencies"]["serverName"] == [one_of_type(planned, SERVER)["urn"]]


def test_an_application_logs_in_as_its_managed_identity_after_the_entra_admin():
    def program():
        registry = database()
        registry.add_entra_login("ml_prod_mlflow", "66666666-6666-6666-6666-666666666666")
        registry.add_entra_login("ml_prod_feast", "77777777-7777-7777-7777-777777777777")

    resources = plan_resources(program)
    admins = {r["name"]: r for r in resources_of_type(resources, ADMIN)}
    login = admins["registry-login-ml-prod-mlflow"]
    assert (login["inputs"]["objectId"], login["inputs"]["principalName"], login["inputs"]["principalType"],
            login["inputs"]["tenantId"]) == ("66666666-6666-6666-6666-666666666666", "ml_prod_mlflow", "ServicePrincipal", TENANT)
    # One administrator change at a time: each waits for the one before.
    assert admins["registry-entra-admin"]["urn"] in login["dependencies"]
    assert login["urn"] in admins["registry-login-ml-prod-feast"]["dependencies"]
    assert one_of_type(resources, SERVER)["inputs"]["authConfig"]["passwordAuth"] == "Disabled"


@pytest.mark.parametrize("login", ["ML-Prod", "ml", "1mlflow", "ml prod"])
def test_a_login_that_is_not_a_plain_role_name_is_refused(login):
    _, error = attempt_plan(lambda: database().add_entra_login(login, "66666666-6666-6666-6666-666666666666"))
    assert str(error) == ("RegistryDatabase: login %r must be the managed identity's name, 3-63 lowercase letters, digits or "
                          "underscores starting with a letter (it is also the PostgreSQL role name)" % login)


def test_a_database_name_that_is_not_an_identifier_is_refused():
    resources, error = attempt_plan(lambda: database(database_name="ML-flow"))
    assert str(error) == ("RegistryDatabase: database_name 'ML-flow' must start with a lowercase letter and use lowercase "
                          "letters, digits or underscores (up to 63)")
    assert resources == []
