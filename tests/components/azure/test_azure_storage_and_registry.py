"""ArtifactStore and ImageRegistry: CMK through the data class identity, Entra-only, private, in the UAE."""
from __future__ import annotations

import pytest

from azure_fixtures import component_resources, foundation
from sahab.components.azure import ArtifactStore, ArtifactStoreArgs, ImageRegistry, ImageRegistryArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

ACCOUNT = "azure-native:storage:StorageAccount"
REGISTRY = "azure-native:containerregistry:Registry"
REPLICATION = "azure-native:containerregistry:Replication"
ENDPOINT = "azure-native:network:PrivateEndpoint"


def _identity(resources, data_class):
    return next(r for r in resources if r["type"] == "azure-native:managedidentity:UserAssignedIdentity"
                and r["name"] == "keys-%s" % data_class)


def _grant(resources, data_class):
    return next(r for r in resources if r["type"] == "azure-native:authorization:RoleAssignment" and r["name"] == "keys-%s" % data_class)


def _store(location="uaenorth", **overrides):
    placement, network, keys = foundation(location)
    return ArtifactStore("ml-artifacts", ArtifactStoreArgs(key=keys.key("artifacts"), private_link=network.private_link("blob"),
                                                           **placement, **overrides))


def _registry(location="uaenorth", **overrides):
    placement, network, keys = foundation(location)
    return ImageRegistry("images", ImageRegistryArgs(key=keys.key("images"), private_link=network.private_link("registry"),
                                                     **placement, **overrides))


@pytest.fixture(scope="module")
def store_plan():
    return plan_resources(lambda: _store())


@pytest.fixture(scope="module")
def registry_plan():
    return plan_resources(lambda: _registry(replicas=["uaecentral"]))


def test_account_encrypts_with_the_artifacts_key_through_its_identity(store_plan):
    account = one_of_type(store_plan, ACCOUNT)
    encryption = account["inputs"]["encryption"]
    assert encryption["keySource"] == "Microsoft.Keyvault"
    assert encryption["requireInfrastructureEncryption"] is True
    identity = _identity(store_plan, "artifacts")["urn"]
    assert account["inputs"]["identity"]["type"] == "UserAssigned"
    assert account["propertyDependencies"]["identity"] == [identity]
    key = next(k for k in resources_of_type(store_plan, "azure-native:keyvault:Key") if k["name"] == "keys-artifacts")["urn"]
    assert set(account["propertyDependencies"]["encryption"]) == {identity, key, one_of_type(store_plan, "azure-native:keyvault:Vault")["urn"]}
    # The account waits for its identity's key role.
    assert _grant(store_plan, "artifacts")["urn"] in account["dependencies"]


def test_account_is_entra_only_private_and_tls12(store_plan):
    inputs = one_of_type(store_plan, ACCOUNT)["inputs"]
    assert inputs["allowBlobPublicAccess"] is False
    assert inputs["allowSharedKeyAccess"] is False and inputs["defaultToOAuthAuthentication"] is True
    assert inputs["minimumTlsVersion"] == "TLS1_2" and inputs["enableHttpsTrafficOnly"] is True
    assert inputs["publicNetworkAccess"] == "Disabled"
    assert inputs["networkRuleSet"] == {"defaultAction": "Deny", "bypass": "None"}
    assert inputs["allowCrossTenantReplication"] is False and inputs["allowedCopyScope"] == "PrivateLink"
    assert inputs["sku"] == {"name": "Standard_ZRS"}
    assert inputs["location"] == "uaenorth"


def test_blobs_are_versioned_soft_deleted_and_never_public(store_plan):
    service = one_of_type(store_plan, "azure-native:storage:BlobServiceProperties")["inputs"]
    assert service["isVersioningEnabled"] is True
    assert service["deleteRetentionPolicy"] == {"enabled": True, "days": 30}
    assert service["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 30}
    containers = resources_of_type(store_plan, "azure-native:storage:BlobContainer")
    assert sorted(c["inputs"]["containerName"] for c in containers) == ["datasets", "models"]
    assert all(c["inputs"]["publicAccess"] == "None" for c in containers)


def test_account_is_reached_through_a_blob_private_endpoint(store_plan):
    inside = component_resources(store_plan, "sahab:azure:ArtifactStore")
    [endpoint] = [r for r in inside if r["type"] == ENDPOINT]
    assert endpoint["inputs"]["privateLinkServiceConnections"][0]["groupIds"] == ["blob"]
    assert endpoint["propertyDependencies"]["privateLinkServiceConnections"] == [one_of_type(store_plan, ACCOUNT)["urn"]]


def test_uaecentral_defaults_to_locally_redundant_storage():
    resources = plan_resources(lambda: _store(location="uaecentral"))
    account = one_of_type(resources, ACCOUNT)
    assert account["inputs"]["sku"] == {"name": "Standard_LRS"} and account["region"] == "uaecentral"


def test_geo_redundant_storage_copies_only_to_the_uae_pair():
    resources = plan_resources(lambda: _store(sku="Standard_RAGZRS"))
    assert one_of_type(resources, ACCOUNT)["inputs"]["sku"] == {"name": "Standard_RAGZRS"}


def test_registry_is_premium_cmk_private_without_admin_or_export(registry_plan):
    registry = one_of_type(registry_plan, REGISTRY)
    inputs = registry["inputs"]
    assert inputs["sku"] == {"name": "Premium"}
    assert inputs["adminUserEnabled"] is False and inputs["anonymousPullEnabled"] is False
    assert inputs["publicNetworkAccess"] == "Disabled" and inputs["networkRuleBypassOptions"] == "None"
    assert inputs["policies"]["exportPolicy"] == {"status": "disabled"}
    assert inputs["encryption"]["status"] == "enabled"
    assert inputs["zoneRedundancy"] == "Enabled" and inputs["dataEndpointEnabled"] is True
    identity = _identity(registry_plan, "images")["urn"]
    assert registry["propertyDependencies"]["identity"] == [identity]
    assert identity in registry["propertyDependencies"]["encryption"]
    assert _grant(registry_plan, "images")["urn"] in registry["dependencies"]
    [endpoint] = [r for r in component_resources(registry_plan, "sahab:azure:ImageRegistry") if r["type"] == ENDPOINT]
    assert endpoint["inputs"]["privateLinkServiceConnections"][0]["groupIds"] == ["registry"]


def test_registry_replica_goes_to_the_pair_without_zones(registry_plan):
    replica = one_of_type(registry_plan, REPLICATION)
    assert replica["inputs"]["location"] == "uaecentral" and replica["region"] == "uaecentral"
    assert replica["inputs"]["zoneRedundancy"] == "Disabled"


def test_registry_in_uaecentral_is_not_zone_redundant():
    resources = plan_resources(lambda: _registry(location="uaecentral"))
    assert one_of_type(resources, REGISTRY)["inputs"]["zoneRedundancy"] == "Disabled"
    assert resources_of_type(resources, REPLICATION) == []


def _refused(program, component_type):
    resources, error = attempt_plan(program)
    assert isinstance(error, ComponentInputError)
    assert not [r for r in resources if r["type"] == component_type or r["type"] in (ACCOUNT, REGISTRY)]
    return str(error)


@pytest.mark.parametrize("overrides, message", [
    ({"sku": "Standard_GZRS", "location": "uaecentral"},
     "ArtifactStore: sku Standard_GZRS needs availability zones, which uaecentral does not have; turn it off or use uaenorth"),
    ({"sku": "Standard_ZRS_westeurope"}, "ArtifactStore: sku 'Standard_ZRS_westeurope' is not a storage SKU; choose one of: "
     "Premium_LRS, Premium_ZRS, Standard_GRS, Standard_GZRS, Standard_LRS, Standard_RAGRS, Standard_RAGZRS, Standard_ZRS"),
    ({"containers": []}, "ArtifactStore: containers must not be empty"),
    ({"containers": ["Models"]}, "ArtifactStore: container name 'Models' must be 3-63 lowercase letters, digits or single dashes, "
     "starting and ending with a letter or digit"),
    ({"soft_delete_days": 0}, "ArtifactStore: soft_delete_days must be a whole number from 1 to 365, got 0"),
])
def test_bad_store_input_is_refused_before_the_account(overrides, message):
    location = overrides.pop("location", "uaenorth")
    assert _refused(lambda: _store(location=location, **overrides), "sahab:azure:ArtifactStore") == message


def test_store_refuses_a_key_from_the_other_location():
    def program():
        _, _, central_keys = foundation("uaecentral")
        placement, network, _ = _north()
        ArtifactStore("store", ArtifactStoreArgs(key=central_keys.key("artifacts"), private_link=network.private_link("blob"), **placement))

    assert _refused(program, "sahab:azure:ArtifactStore") == (
        "ArtifactStore: key is a key in uaecentral but the component is in uaenorth; use a key vault in uaenorth")


def _north():
    from sahab.components.azure import Network, NetworkArgs, UaeAzureProvider, UaeResourceGroup
    provider = UaeAzureProvider("north")
    placement = dict(provider=provider, resource_group=UaeResourceGroup("north", provider=provider))
    return placement, Network("north", NetworkArgs(**placement)), None


def test_store_requires_a_customer_managed_key():
    def program():
        placement, network, _ = foundation()
        ArtifactStore("store", ArtifactStoreArgs(key="https://vault.vault.azure.net/keys/k", private_link=network.private_link("blob"), **placement))

    assert _refused(program, "sahab:azure:ArtifactStore") == (
        "ArtifactStore: key is required (a CustomerManagedKey, e.g. EncryptionKeys.key('artifacts')), "
        "got 'https://vault.vault.azure.net/keys/k'")


@pytest.mark.parametrize("replicas, message", [
    (["westeurope"], "ImageRegistry: replicas entry 'westeurope' is not allowed; replicas of uaenorth stay in its UAE pair, uaecentral"),
    (["uaenorth"], "ImageRegistry: replicas entry 'uaenorth' is not allowed; replicas of uaenorth stay in its UAE pair, uaecentral"),
])
def test_registry_replicas_outside_the_pair_are_refused(replicas, message):
    assert _refused(lambda: _registry(replicas=replicas), "sahab:azure:ImageRegistry") == message


def test_registry_name_must_start_with_a_letter():
    def program():
        placement, network, keys = foundation()
        ImageRegistry("1images", ImageRegistryArgs(key=keys.key("images"), private_link=network.private_link("registry"), **placement))

    assert _refused(program, "sahab:azure:ImageRegistry") == (
        "ImageRegistry: name '1images' must start with a letter (the Azure resource name is built from it)")


def test_registry_name_fixes_the_login_server_images_name():
    """A program whose images name `<registry_name>.azurecr.io` gets exactly that registry (SAHAB-RES-006 matches it)."""
    registry = one_of_type(plan_resources(lambda: _registry(registry_name="sahabmlprod")), REGISTRY)
    assert registry["inputs"]["registryName"] == "sahabmlprod"


@pytest.mark.parametrize("registry_name", ["SahabML", "ml-images", "abc", ""])
def test_a_registry_name_azure_would_refuse_is_refused(registry_name):
    assert _refused(lambda: _registry(registry_name=registry_name), "sahab:azure:ImageRegistry") == (
        "ImageRegistry: registry_name %r must be 5-50 lowercase letters and digits (its login server is <name>.azurecr.io)"
        % registry_name)
