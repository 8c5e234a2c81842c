"""azure-native: locations from config, from another resource's output, and from a provider."""
from __future__ import annotations

import hashlib

import pytest

from planner_helpers import SECRET, UNKNOWN, assert_valid, default_provider_urn, plan, resource, unknown_of, warnings

TENANT = "00000000-0000-0000-0000-00000000a001"


@pytest.fixture(scope="module")
def doc():
    return plan("azure")


def test_document_is_valid(doc):
    assert_valid(doc)
    assert len(doc["resources"]) == 8  # 6 of the program, its provider and the default provider


@pytest.mark.parametrize("type_, name, region, source", [
    ("azure-native:resources:ResourceGroup", "data-rg", "uaenorth", "resource"),
    # location=resource_group.location: echoed by the group, so known in a preview
    ("azure-native:storage:StorageAccount", "datasa", "uaenorth", "resource"),
    ("azure-native:keyvault:Vault", "vault", "uaenorth", "resource"),
    ("azure-native:resources:ResourceGroup", "backup-rg", "uaecentral", "provider"),
    ("azure-native:storage:StorageAccount", "backupsa", "uaecentral", "provider"),
    ("pulumi:providers:azure-native", "uae-central", "uaecentral", "resource"),
    # on the default provider, created from the stack's azure-native:location
    ("azure-native:storage:BlobContainer", "raw", "uaenorth", "provider"),
])
def test_locations(doc, type_, name, region, source):
    found = resource(doc, type_, name)
    assert (found["region"], found["regionSource"]) == (region, source)


def test_storage_account_inputs(doc):
    account = resource(doc, "azure-native:storage:StorageAccount", "datasa")
    assert account["inputs"] == {
        "allowBlobPublicAccess": False,
        "enableHttpsTrafficOnly": True,
        "kind": "StorageV2",
        "location": "uaenorth",
        "minimumTlsVersion": "TLS1_2",
        "resourceGroupName": UNKNOWN,
        "sku": {"name": "Standard_ZRS"},
        # auto-named as azure-native's check does: <name> + 8 hex (here of sha256(URN)), no separator
        "accountName": "datasa" + hashlib.sha256(account["urn"].encode()).hexdigest()[:8],
    }
    assert account["autonamed"] == ["accountName"]
    assert account["unknowns"] == ["resourceGroupName"]
    assert account["propertyDependencies"] == {
        "location": [resource(doc, "azure-native:resources:ResourceGroup", "data-rg")["urn"]],
        "resourceGroupName": [resource(doc, "azure-native:resources:ResourceGroup", "data-rg")["urn"]],
    }


def test_client_config_feeds_the_key_vault(doc):
    vault = resource(doc, "azure-native:keyvault:Vault", "vault")
    properties = vault["inputs"]["properties"]
    assert properties["tenantId"] == TENANT
    assert properties["sku"] == {"family": "A", "name": "standard"}
    assert vault["inputs"]["vaultName"] == "sahabdev-kv"
    assert doc["outputs"]["tenantId"] == TENANT
    assert doc["outputs"]["subscriptionId"] == "00000000-0000-0000-0000-00000000a002"


def test_explicit_provider(doc):
    provider = resource(doc, "pulumi:providers:azure-native", "uae-central")
    assert provider["inputs"]["location"] == "uaecentral"
    assert resource(doc, "azure-native:storage:StorageAccount", "backupsa")["provider"] == provider["urn"]
    assert resource(doc, "azure-native:storage:StorageAccount", "datasa")["provider"] == default_provider_urn(doc, "azure-native")


def test_outputs(doc):
    # stack outputs as the SDK registers them: an unknown names the output it stands for
    assert doc["outputs"]["accountName"] == unknown_of(doc, "azure-native:storage:StorageAccount", "datasa", "name")
    assert doc["outputs"]["resourceGroup"] == unknown_of(doc, "azure-native:resources:ResourceGroup", "data-rg", "name")
    # list_storage_account_keys_output with unknown arguments is not invoked in a preview
    assert doc["outputs"]["primaryKey"] == SECRET
    assert doc["outputs"]["vaultUri"] == UNKNOWN
    assert warnings(doc) == [  # the tenant id in the vault is made up: the plan says so
        "invoke azure-native:authorization:getClientConfig answered with invented values that look real "
        "(clientId, objectId, subscriptionId, tenantId): nothing in the plan may rely on them"
    ]
