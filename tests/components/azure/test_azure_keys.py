"""KeyVault and EncryptionKeys: RBAC vault with purge protection, private only; rotating keys per data class."""
from __future__ import annotations

import pytest

from azure_fixtures import TENANT, foundation
from sahab.components.azure import (
    ArtifactStore, ArtifactStoreArgs, EncryptionKeys, EncryptionKeysArgs, KeyVault, KeyVaultArgs, Network, PrivateLink,
)
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

VAULT = "azure-native:keyvault:Vault"
KEY = "azure-native:keyvault:Key"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
ROLE = "azure-native:authorization:RoleAssignment"
ENDPOINT = "azure-native:network:PrivateEndpoint"
LINK = PrivateLink(subnet_id="/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/e",
                   dns_zone_id="/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net")


@pytest.fixture(scope="module")
def plan():
    return plan_resources(lambda: foundation())


def test_vault_is_rbac_purge_protected_and_private(plan):
    vault = one_of_type(plan, VAULT)["inputs"]["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enablePurgeProtection"] is True and vault["enableSoftDelete"] is True
    assert vault["softDeleteRetentionInDays"] == 90
    assert vault["publicNetworkAccess"] == "Disabled"
    assert vault["networkAcls"] == {"defaultAction": "Deny", "bypass": "AzureServices"}
    assert vault["tenantId"] == TENANT and vault["sku"] == {"family": "A", "name": "premium"}
    assert not vault.get("accessPolicies")


def test_vault_has_a_private_endpoint_in_the_vault_zone(plan):
    vault = one_of_type(plan, VAULT)
    endpoint = next(e for e in resources_of_type(plan, ENDPOINT) if e["name"] == "vault-vault")
    [connection] = endpoint["inputs"]["privateLinkServiceConnections"]
    assert connection["groupIds"] == ["vault"]
    assert endpoint["propertyDependencies"]["privateLinkServiceConnections"] == [vault["urn"]]


def test_one_rotating_non_exportable_key_per_data_class(plan):
    keys = {k["name"]: k["inputs"]["properties"] for k in resources_of_type(plan, KEY)}
    assert set(keys) == {"keys-artifacts", "keys-images", "keys-database", "keys-disks", "keys-cluster-secrets", "keys-logs"}
    for name, key in keys.items():
        assert key["kty"] == "RSA-HSM" and key["keySize"] == 3072
        assert key["attributes"] == {"enabled": True, "exportable": False}
        policy = key["rotationPolicy"]
        assert policy["attributes"] == {"expiryTime": "P730D"}
        assert {"action": {"type": "rotate"}, "trigger": {"timeAfterCreate": "P365D"}} in policy["lifetimeActions"]
    assert keys["keys-artifacts"]["keyOps"] == ["wrapKey", "unwrapKey"]
    assert keys["keys-cluster-secrets"]["keyOps"] == ["encrypt", "decrypt"]


def test_each_key_is_usable_only_by_its_own_identity(plan):
    """Storage, ACR, PostgreSQL and the audit trail encrypt through the key's own identity; the disk
    encryption set and the AKS control plane bring theirs (Cluster grants them), so those two keys
    come without a spare identity that could use them."""
    keys = {k["urn"]: k for k in resources_of_type(plan, KEY)}
    identities = {i["urn"]: i for i in resources_of_type(plan, IDENTITY)}
    grants = [r for r in resources_of_type(plan, ROLE) if "EncryptionKeys" in r["urn"]]
    assert len(keys) == 6 and len(grants) == len(identities) == 4
    scoped = set()
    for grant in grants:
        [scope] = grant["propertyDependencies"]["scope"]
        [principal] = grant["propertyDependencies"]["principalId"]
        assert scope in keys and principal in identities
        assert keys[scope]["name"] == identities[principal]["name"] == grant["name"]
        assert grant["inputs"]["principalType"] == "ServicePrincipal"
        scoped.add(scope)
    assert sorted(keys[urn]["name"] for urn in scoped) == ["keys-artifacts", "keys-database", "keys-images", "keys-logs"]


def test_a_key_without_an_identity_is_refused_where_the_service_needs_one():
    def program():
        network = Network("ml")
        vault = KeyVault("mlkeys", KeyVaultArgs(tenant_id=TENANT, private_link=network.private_link("vault")))
        keys = EncryptionKeys("keys", EncryptionKeysArgs(vault=vault))
        ArtifactStore("mlartifacts", ArtifactStoreArgs(key=keys.key("disks"), private_link=network.private_link("blob")))

    _, error = attempt_plan(program)
    assert str(error) == ("ArtifactStore: key is the 'disks' key, which comes without an identity for the service to "
                          "encrypt through; pass EncryptionKeys.key('artifacts')")


def test_standard_vault_gets_software_keys():
    def program():
        network = Network("ml")
        vault = KeyVault("vault", KeyVaultArgs(tenant_id=TENANT, private_link=network.private_link("vault"), sku="standard"))
        EncryptionKeys("keys", EncryptionKeysArgs(vault=vault, data_classes=["artifacts"]))

    resources = plan_resources(program)
    assert one_of_type(resources, KEY)["inputs"]["properties"]["kty"] == "RSA"


def test_key_officers_get_crypto_officer_on_the_vault_only():
    officer = "99999999-8888-7777-6666-555555555555"
    resources = plan_resources(lambda: KeyVault("vault", KeyVaultArgs(tenant_id=TENANT, private_link=LINK, key_officer_object_ids=[officer])))
    grant = one_of_type(resources, ROLE)
    assert grant["inputs"]["principalId"] == officer and grant["inputs"]["principalType"] == "Group"
    assert grant["propertyDependencies"]["scope"] == [one_of_type(resources, VAULT)["urn"]]


@pytest.mark.parametrize("name, overrides, message", [
    ("vault", {"tenant_id": "not-a-tenant"},
     "KeyVault: tenant_id 'not-a-tenant' is not an Entra ID (a UUID such as 00000000-0000-0000-0000-000000000000)"),
    ("vault", {"private_link": None},
     "KeyVault: private_link is required (a PrivateLink; use network.private_link(...) of a sahab azure Network), got None"),
    ("vault", {"soft_delete_retention_days": 3}, "KeyVault: soft_delete_retention_days must be a whole number from 7 to 90, got 3"),
    ("vault", {"sku": "free"}, "KeyVault: sku 'free' is not allowed; choose one of: premium, standard"),
    ("vault", {"location": "Qatar Central"},
     "KeyVault: region 'Qatar Central' is outside the UAE; sahab pins Azure resources to uaenorth, uaecentral"),
    ("1vault", {}, "KeyVault: name '1vault' must start with a letter (the Azure resource name is built from it)"),
    ("", {}, "KeyVault: name must be a non-empty string"),
])
def test_bad_vault_input_is_refused_before_any_resource(name, overrides, message):
    args = {"tenant_id": TENANT, "private_link": LINK, **overrides}
    resources, error = attempt_plan(lambda: KeyVault(name, KeyVaultArgs(**args)))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []


@pytest.mark.parametrize("overrides, message", [
    ({"data_classes": []}, "EncryptionKeys: data_classes must not be empty"),
    ({"data_classes": ["backups"]},
     "EncryptionKeys: data class 'backups' is unknown; choose from: artifacts, images, database, disks, cluster-secrets, logs"),
    ({"rotation_days": 400}, "EncryptionKeys: rotation_days must be a whole number from 28 to 365, got 400"),
    ({"rotation_days": 365, "expiry_days": 360},
     "EncryptionKeys: rotation_days (365) must be at least 7 days shorter than expiry_days (360), so a new version exists before the old one expires"),
])
def test_bad_keys_input_is_refused_before_any_key(overrides, message):
    def program():
        vault = KeyVault("vault", KeyVaultArgs(tenant_id=TENANT, private_link=LINK))
        EncryptionKeys("keys", EncryptionKeysArgs(vault=vault, **overrides))

    resources, error = attempt_plan(program)
    assert str(error) == message
    assert not [r for r in resources if r["type"] in (KEY, IDENTITY, "sahab:azure:EncryptionKeys")]


def test_keys_need_a_sahab_vault():
    resources, error = attempt_plan(lambda: EncryptionKeys("keys", EncryptionKeysArgs(vault="my-vault")))
    assert str(error) == "EncryptionKeys: vault must be a sahab azure KeyVault, got str"
    assert resources == []


def test_asking_for_a_key_the_component_does_not_have_is_refused():
    def program():
        vault = KeyVault("vault", KeyVaultArgs(tenant_id=TENANT, private_link=LINK))
        EncryptionKeys("keys", EncryptionKeysArgs(vault=vault, data_classes=["images"])).key("artifacts")

    _, error = attempt_plan(program)
    assert str(error) == "EncryptionKeys: no key for data class 'artifacts'; this component has: images"
