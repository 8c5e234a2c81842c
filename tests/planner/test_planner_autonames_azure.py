"""azure-native auto-names from the provider's own rule and paths (issue 10, class 2): exact names for
types beyond the first three (network, Key Vault), the non-random strategies (copy, uuid), a type the
table does not cover, and the data file's recorded source (the whole versions/v3.yaml, reduced)."""
from __future__ import annotations

import hashlib
import importlib.util
import json
from importlib.metadata import version
from pathlib import Path

import pytest

from planner_helpers import assert_valid, plan, resource, urn

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "src" / "sahab" / "planner" / "harness" / "azure_autonames.json"
PATHS = ROOT / "scripts" / "data" / "azure-native-v3-resourceuris.yaml"
SOURCE_COMMIT = "044ea3599ce5c376ba87322a4dee25f6d2d5e6bd"


def digest(document, qualified_type: str, name: str) -> str:
    return hashlib.sha256(urn(document, qualified_type, name).encode()).hexdigest()


@pytest.fixture(scope="module")
def doc():
    return plan("autonames_azure")


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("gen_azure_autonames", ROOT / "scripts" / "gen_azure_autonames.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_document_is_valid_and_deterministic(doc):
    assert_valid(doc)
    assert plan("autonames_azure") == doc


@pytest.mark.parametrize("type_, name, prop", [
    ("azure-native:containerregistry:Registry", "images", "registryName"),
    ("azure-native:cosmosdb:DatabaseAccount", "docs", "accountName"),
    ("azure-native:resources:ResourceGroup", "rg", "resourceGroupName"),
    ("azure-native:keyvault:Vault", "kv", "vaultName"),
    ("azure-native:network:VirtualNetwork", "vnet", "virtualNetworkName"),
])
def test_random_strategy_is_logical_name_and_eight_hex(doc, type_, name, prop):
    found = resource(doc, type_, name)
    assert found["inputs"][prop] == name + digest(doc, type_, name)[:8]
    assert found["autonamed"] == [prop]


@pytest.mark.parametrize("type_, name, prop", [
    ("azure-native:storage:BlobContainer", "models", "containerName"),
    ("azure-native:containerregistry:Replication", "dubai", "replicationName"),
    ("azure-native:network:Subnet", "apps", "subnetName"),
])
def test_child_resources_copy_the_logical_name(doc, type_, name, prop):
    """One path parameter more after the namespace: the provider's strategy is ``copy``."""
    found = resource(doc, type_, name)
    assert found["inputs"][prop] == name
    assert found["autonamed"] == [prop]


@pytest.mark.parametrize("type_, name, prop", [
    ("azure-native:cosmosdb:CassandraResourceCassandraRoleDefinition", "reader", "roleDefinitionId"),
    ("azure-native:authorization:RoleAssignment", "vault-reader", "roleAssignmentName"),
])
def test_role_names_are_uuids(doc, type_, name, prop):
    found = resource(doc, type_, name)
    hexits = digest(doc, type_, name)
    assert found["inputs"][prop] == "-".join(
        (hexits[:8], hexits[8:12], hexits[12:16], hexits[16:20], hexits[20:32]))
    assert found["autonamed"] == [prop]


def test_a_type_outside_the_table_keeps_its_name_unknown(doc):
    """{roleAssignmentId} may be uuid-formatted (v3.yaml does not say): no name rather than a wrong one."""
    assignment = resource(doc, "azure-native:cosmosdb:SqlResourceSqlRoleAssignment", "writer")
    assert "roleAssignmentId" not in assignment["inputs"] and "autonamed" not in assignment


def test_a_copied_logical_name_is_not_marked_elsewhere(doc):
    """``models`` is a copy of a logical name, not unique: a tag the program sets to ``models`` is its own choice."""
    registry = resource(doc, "azure-native:containerregistry:Registry", "images")
    assert registry["inputs"]["tags"] == {"holds": "models"}
    assert registry["autonamed"] == ["registryName"]


def test_data_file_records_its_source_and_the_pinned_sdk():
    source = json.loads(DATA.read_text())["source"]
    assert source["repository"] == "pulumi/pulumi-azure-native"
    assert source["commit"] == SOURCE_COMMIT and source["file"] == "versions/v3.yaml"
    assert source["sdk"] == "pulumi-azure-native " + version("pulumi-azure-native")
    assert 'name = "pulumi-azure-native"\nversion = "%s"' % version("pulumi-azure-native") in (ROOT / "uv.lock").read_text()
    assert SOURCE_COMMIT in PATHS.read_text().splitlines()[0]


def test_input_is_the_whole_file_as_its_header_says():
    """The header's counts are the file's: every resource entry of versions/v3.yaml, not an excerpt."""
    import re

    import yaml

    text = PATHS.read_text()
    resources, modules = map(int, re.search(r"entry \((\d+) in (\d+) modules\)", text).groups())
    tree = yaml.safe_load(text)
    assert (sum(map(len, tree.values())), len(tree)) == (resources, modules)
    assert {"Network", "KeyVault", "Web", "Sql", "Authorization", "Compute"} <= set(tree)


def test_data_file_is_what_the_generator_makes_from_its_input(generator):
    import yaml

    types, _ = generator.generate(yaml.safe_load(PATHS.read_text()))
    assert json.loads(DATA.read_text())["types"] == types


@pytest.mark.parametrize("token, rule", [
    ("azure-native:web:WebApp", ["name", "random"]),
    ("azure-native:sql:Server", ["serverName", "random"]),
    ("azure-native:sql:Database", ["databaseName", "copy"]),
    ("azure-native:network:NetworkSecurityGroup", ["networkSecurityGroupName", "random"]),
    ("azure-native:network:SecurityRule", ["securityRuleName", "copy"]),
    ("azure-native:authorization:RoleAssignment", ["roleAssignmentName", "uuid"]),
])
def test_table_covers_the_common_types(token, rule):
    assert json.loads(DATA.read_text())["types"][token] == rule


def test_the_resources_own_args_class_is_read(generator):
    """network's ``VirtualNetworkArgs`` is a nested input type; the resource's args are ``VirtualNetworkInitArgs``."""
    inputs = generator.sdk_inputs("network", "VirtualNetwork")
    assert inputs["resourceGroupName"] is True and inputs["virtualNetworkName"] is False


def test_a_path_the_sdk_does_not_have_is_left_out(generator):
    """v3.yaml's Migration path names the server {targetDbServerName}; the SDK's API version calls it serverName."""
    tree = {"DBforPostgreSQL": {"Migration": "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
            "/providers/Microsoft.DBforPostgreSQL/flexibleServers/{targetDbServerName}/migrations/{migrationName}"}}
    types, dropped = generator.generate(tree)
    assert types == {} and dropped == [
        "azure-native:dbforpostgresql:Migration: the SDK's path differs (no input targetDbServerName)"]


@pytest.mark.parametrize("path, param, kind", [
    ("/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}", "resourceGroupName", "random"),
    ("/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Storage/storageAccounts/{accountName}", "accountName", "random"),
    ("/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Network/virtualNetworks/{v}/subnets/{subnetName}", "subnetName", "copy"),
    ("/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Cdn/profiles/{p}/endpoints/{endpointName}", "endpointName", "random"),
    ("/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}", "roleAssignmentName", "uuid"),
    ("/{resourceUri}/providers/Microsoft.Insights/diagnosticSettings/{name}", "name", "random"),
    ("/{scope}/providers/Microsoft.Resources/tags/default", "default", None),
])
def test_strategy_is_the_providers_auto_namer(generator, path, param, kind):
    assert generator.strategy(path, param) == kind


def test_parameters_that_may_be_uuid_formatted_are_left_out(generator):
    tree = {"Storage": {"ObjectReplicationPolicy": {"ResourceUri":
            "/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Storage/storageAccounts/{accountName}"
            "/objectReplicationPolicies/{objectReplicationPolicyId}"}}}
    types, dropped = generator.generate(tree)
    assert types == {} and "may be formatted uuid" in dropped[0]
