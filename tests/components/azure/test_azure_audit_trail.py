"""AuditTrail (Azure): the Activity Log and resource audit logs into a locked immutable account and a
CMK Log Analytics workspace, both in the UAE; the audit rules (SAHAB-AUD-001/002) accept it."""
from __future__ import annotations

import pulumi
import pulumi_azure_native as azure_native
import pytest

from azure_fixtures import component_resources, foundation
from sahab.components.azure import AuditTarget, AuditTrail, AuditTrailArgs, CustomerManagedKey, PrivateLink, UaeAzureProvider
from sahab.components.validation import ComponentInputError
from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.evaluate import check_builtins, evaluate_rules
from sahab.gate.rules import load_bundle
from sahab.testing import assert_azure_pinned_and_contained, attempt_plan, one_of_type, plan_resources, resources_of_type

COMPONENT = "sahab:azure:AuditTrail"
ACCOUNT = "azure-native:storage:StorageAccount"
ACTIVITY = "azure-native:monitor:SubscriptionDiagnosticSetting"
DIAGNOSTICS = "azure-native:monitor:DiagnosticSetting"
WORKSPACE = "azure-native:operationalinsights:Workspace"
LA_CLUSTER = "azure-native:operationalinsights:Cluster"
LINK = "azure-native:operationalinsights:LinkedService"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml"
STORE_ID = SUB + "/providers/Microsoft.Storage/storageAccounts/mlartifacts"
AKS_ID = SUB + "/providers/Microsoft.ContainerService/managedClusters/ml"
PG_ID = SUB + "/providers/Microsoft.DBforPostgreSQL/flexibleServers/registry"
VAULT_ID = SUB + "/providers/Microsoft.KeyVault/vaults/mlkeys"
ALL_ACTIVITY = ["Administrative", "Security", "ServiceHealth", "Alert", "Recommendation", "Policy", "Autoscale", "ResourceHealth"]


def _targets(keys):
    return [
        AuditTarget(name="vault", kind="key_vault", resource_id=keys.key("logs").vault_id),
        AuditTarget(name="artifacts", kind="storage", resource_id=STORE_ID),
        AuditTarget(name="cluster", kind="aks", resource_id=AKS_ID),
        AuditTarget(name="registry", kind="postgresql", resource_id=PG_ID, categories=["PostgreSQLLogs", "PostgreSQLFlexSessions"]),
    ]


def _audit(location="uaenorth", platform=False, **overrides):
    placement, network, keys = foundation(location)
    if platform:  # a platform resource, so SAHAB-AUD-001 has something to judge
        azure_native.containerservice.ManagedCluster("ml", resource_group_name=placement["resource_group"].name,
                                                     location=location, opts=pulumi.ResourceOptions(provider=placement["provider"]))
    args = dict(key=keys.key("logs"), private_link=network.private_link("blob"), targets=_targets(keys), **placement)
    args.update(overrides)
    return AuditTrail("audit", AuditTrailArgs(**args))


@pytest.fixture(scope="module")
def plan():
    return plan_resources(lambda: _audit())


def _by_name(resources, type_token, name):
    (found,) = [r for r in resources_of_type(resources, type_token) if r["name"] == name]
    return found


def _logs_key(resources):
    return _by_name(resources, "azure-native:keyvault:Key", "keys-logs")["urn"]


def _logs_identity(resources):
    return _by_name(resources, "azure-native:managedidentity:UserAssignedIdentity", "keys-logs")["urn"]


def test_every_resource_is_pinned_to_the_location_and_inside_the_component(plan):
    provider = one_of_type(plan, "pulumi:providers:azure-native")
    assert_azure_pinned_and_contained(component_resources(plan, COMPONENT) + [provider], COMPONENT)


def test_account_encrypts_with_the_logs_key_and_is_private_and_entra_only(plan):
    account = one_of_type(component_resources(plan, COMPONENT), ACCOUNT)
    inputs = account["inputs"]
    assert inputs["encryption"]["keySource"] == "Microsoft.Keyvault"
    assert inputs["encryption"]["requireInfrastructureEncryption"] is True
    assert inputs["identity"]["type"] == "UserAssigned"
    assert account["propertyDependencies"]["identity"] == [_logs_identity(plan)]
    assert _logs_key(plan) in account["propertyDependencies"]["encryption"]
    assert _by_name(plan, "azure-native:authorization:RoleAssignment", "keys-logs")["urn"] in account["dependencies"]
    assert inputs["allowSharedKeyAccess"] is False and inputs["allowBlobPublicAccess"] is False
    assert inputs["minimumTlsVersion"] == "TLS1_2" and inputs["enableHttpsTrafficOnly"] is True
    assert inputs["publicNetworkAccess"] == "Disabled"
    # Deny-all firewall; only Azure's trusted services (Azure Monitor delivering logs) pass it.
    assert inputs["networkRuleSet"] == {"defaultAction": "Deny", "bypass": "AzureServices"}
    assert inputs["sku"] == {"name": "Standard_ZRS"}
    [endpoint] = [r for r in component_resources(plan, COMPONENT) if r["type"] == "azure-native:network:PrivateEndpoint"]
    assert endpoint["inputs"]["privateLinkServiceConnections"][0]["groupIds"] == ["blob"]
    assert endpoint["propertyDependencies"]["privateLinkServiceConnections"] == [account["urn"]]


def test_account_has_a_locked_time_based_immutability_policy_for_every_container(plan):
    account = one_of_type(component_resources(plan, COMPONENT), ACCOUNT)
    assert account["inputs"]["immutableStorageWithVersioning"] == {
        "enabled": True,
        "immutabilityPolicy": {"immutabilityPeriodSinceCreationInDays": 365, "state": "Locked", "allowProtectedAppendWrites": True},
    }
    blob_service = one_of_type(component_resources(plan, COMPONENT), "azure-native:storage:BlobServiceProperties")
    assert blob_service["inputs"]["isVersioningEnabled"] is True


def test_workspace_is_on_a_dedicated_cluster_encrypted_with_the_logs_key(plan):
    cluster = one_of_type(plan, LA_CLUSTER)
    assert cluster["inputs"]["identity"]["type"] == "UserAssigned"
    assert cluster["propertyDependencies"]["identity"] == [_logs_identity(plan)]
    assert set(cluster["inputs"]["keyVaultProperties"]) == {"keyName", "keyVaultUri"}
    assert _logs_key(plan) in cluster["propertyDependencies"]["keyVaultProperties"]
    assert cluster["inputs"]["sku"] == {"name": "CapacityReservation", "capacity": 100}
    workspace = one_of_type(plan, WORKSPACE)
    assert workspace["inputs"]["features"] == {"disableLocalAuth": True, "enableLogAccessUsingOnlyResourcePermissions": True}
    assert workspace["inputs"]["publicNetworkAccessForIngestion"] == "Disabled"
    assert workspace["inputs"]["publicNetworkAccessForQuery"] == "Disabled"
    assert workspace["inputs"]["retentionInDays"] == 365
    link = one_of_type(plan, LINK)
    assert link["inputs"]["linkedServiceName"] == "cluster"
    assert link["propertyDependencies"]["workspaceName"] == [workspace["urn"]]
    assert link["propertyDependencies"]["writeAccessResourceId"] == [cluster["urn"]]


def test_activity_log_goes_to_both_destinations_once_the_workspace_is_keyed(plan):
    setting = one_of_type(plan, ACTIVITY)
    assert setting["inputs"]["logs"] == [{"category": c, "enabled": True} for c in ALL_ACTIVITY]
    assert setting["propertyDependencies"]["storageAccountId"] == [_audit_account(plan)["urn"]]
    assert setting["propertyDependencies"]["workspaceId"] == [one_of_type(plan, WORKSPACE)["urn"]]
    assert one_of_type(plan, LINK)["urn"] in setting["dependencies"]


def _audit_account(resources):
    return one_of_type(component_resources(resources, COMPONENT), ACCOUNT)


def test_each_target_sends_its_audit_categories_to_both_destinations(plan):
    settings = {s["name"]: s for s in resources_of_type(plan, DIAGNOSTICS)}
    assert set(settings) == {"audit-vault", "audit-artifacts", "audit-cluster", "audit-registry"}
    expected = {"audit-vault": ["AuditEvent"], "audit-artifacts": ["StorageRead", "StorageWrite", "StorageDelete"],
                "audit-cluster": ["kube-audit"], "audit-registry": ["PostgreSQLLogs", "PostgreSQLFlexSessions"]}
    for name, setting in settings.items():
        assert setting["inputs"]["logs"] == [{"category": c, "enabled": True} for c in expected[name]]
        assert setting["propertyDependencies"]["storageAccountId"] == [_audit_account(plan)["urn"]]
        assert setting["propertyDependencies"]["workspaceId"] == [one_of_type(plan, WORKSPACE)["urn"]]
    # Blob logs come from the account's blobServices sub-resource.
    assert settings["audit-artifacts"]["inputs"]["resourceUri"] == STORE_ID + "/blobServices/default"
    assert settings["audit-cluster"]["inputs"]["resourceUri"] == AKS_ID
    vault = one_of_type(plan, "azure-native:keyvault:Vault")["urn"]
    assert settings["audit-vault"]["propertyDependencies"]["resourceUri"] == [vault]


def test_without_log_analytics_only_the_immutable_account_receives_logs():
    resources = plan_resources(lambda: _audit(log_analytics=False))
    assert resources_of_type(resources, WORKSPACE) == resources_of_type(resources, LA_CLUSTER) == []
    for setting in resources_of_type(resources, ACTIVITY) + resources_of_type(resources, DIAGNOSTICS):
        assert "workspaceId" not in setting["inputs"]
        assert setting["propertyDependencies"]["storageAccountId"] == [_audit_account(resources)["urn"]]


def test_uaecentral_gets_locally_redundant_storage():
    resources = plan_resources(lambda: _audit(location="uaecentral"))
    assert _audit_account(resources)["inputs"]["sku"] == {"name": "Standard_LRS"}
    assert {r["region"] for r in component_resources(resources, COMPONENT)} == {"uaecentral"}


# --- the audit rules on the component's plan -----------------------------------------------------

@pytest.fixture(scope="module")
def rules():
    bundle = load_bundle()
    engine = EmbeddedEngine()
    check_builtins(bundle, engine)
    engine.load(bundle.without_tests())
    yield bundle, engine
    engine.close()


def _audit_findings(resources, rules):
    bundle, engine = rules
    plan = {"project": "test", "stack": "test", "resources": resources}
    return sorted((f.rule_id, f.status, f.urn.split("::")[-1]) for f in evaluate_rules(plan, bundle, engine, loaded=True)
                  if f.rule_id.startswith("SAHAB-AUD"))


@pytest.mark.parametrize("overrides", [{}, {"log_analytics": False}], ids=["with-log-analytics", "storage-only"])
def test_the_audit_rules_accept_a_platform_with_the_trail(rules, overrides):
    assert _audit_findings(plan_resources(lambda: _audit(platform=True, **overrides)), rules) == []


def test_an_unlocked_policy_leaves_the_platform_unaudited(rules):
    resources = plan_resources(lambda: _audit(platform=True, immutability_state="Unlocked"))
    assert _audit_findings(resources, rules) == [("SAHAB-AUD-001", "violation", "ml")]


# --- bad input: one line, nothing registered -----------------------------------------------------

KEY = CustomerManagedKey(
    data_class="logs", key_id=VAULT_ID + "/keys/logs", key_name="logs", key_uri="https://mlkeys.vault.azure.net/keys/logs",
    key_uri_with_version="https://mlkeys.vault.azure.net/keys/logs/1", vault_id=VAULT_ID, vault_uri="https://mlkeys.vault.azure.net/",
    identity_id=SUB + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/logs", identity_client_id="c",
    identity_principal_id="p", location="uaenorth")
BLOB = PrivateLink(subnet_id=SUB + "/providers/Microsoft.Network/virtualNetworks/v/subnets/endpoints",
                   dns_zone_id=SUB + "/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net")


@pytest.mark.parametrize("name, overrides, message", [
    ("audit", {"location": "westeurope"},
     "AuditTrail: region 'westeurope' is outside the UAE; sahab pins Azure resources to uaenorth, uaecentral"),
    ("audit", {"location": "uaecentral"},
     "AuditTrail: key is a key in uaenorth but the component is in uaecentral; use a key vault in uaecentral"),
    ("audit", {"key": KEY.__class__(**{**KEY.__dict__, "data_class": "artifacts"})},
     "AuditTrail: key is the 'artifacts' key; audit records use their own data class, EncryptionKeys.key('logs')"),
    ("audit", {"key": None}, "AuditTrail: key is required (a CustomerManagedKey, e.g. EncryptionKeys.key('logs')), got None"),
    ("audit", {"private_link": None},
     "AuditTrail: private_link is required (a PrivateLink; use network.private_link(...) of a sahab azure Network), got None"),
    ("audit", {"sku": "Standard_ZRS", "location": "uaecentral", "key": KEY.__class__(**{**KEY.__dict__, "location": "uaecentral"})},
     "AuditTrail: sku Standard_ZRS needs availability zones, which uaecentral does not have; turn it off or use uaenorth"),
    ("audit", {"sku": "Standard_GRS_westeurope"}, "AuditTrail: sku 'Standard_GRS_westeurope' is not a storage SKU; choose one of: "
     "Premium_LRS, Premium_ZRS, Standard_GRS, Standard_GZRS, Standard_LRS, Standard_RAGRS, Standard_RAGZRS, Standard_ZRS"),
    ("audit", {"retention_days": 0}, "AuditTrail: retention_days must be a whole number of days from 1 to 146000, got 0"),
    ("audit", {"retention_days": True}, "AuditTrail: retention_days must be a whole number of days from 1 to 146000, got True"),
    ("audit", {"immutability_state": "Disabled"},
     "AuditTrail: immutability_state 'Disabled' is not allowed; choose Locked (the default) or Unlocked"),
    ("audit", {"activity_log_categories": []},
     "AuditTrail: activity_log_categories must be a non-empty list of log categories, got []"),
    ("audit", {"activity_log_categories": ["Administrative", "Audit"]},
     "AuditTrail: activity_log_categories entry 'Audit' is not allowed; choose one of: Administrative, Alert, Autoscale, Policy, "
     "Recommendation, ResourceHealth, Security, ServiceHealth"),
    ("audit", {"cluster_capacity_gb": 50},
     "AuditTrail: cluster_capacity_gb must be a dedicated cluster commitment tier, a whole number of GB per day of at least 100, got 50"),
    ("audit", {"workspace_retention_days": 7}, "AuditTrail: workspace_retention_days must be a whole number of days from 30 to 730, got 7"),
    ("audit", {"log_analytics": "yes"}, "AuditTrail: log_analytics must be True or False, got 'yes'"),
    ("audit", {"targets": [AuditTarget(name="vault", kind="cosmosdb", resource_id=VAULT_ID)]},
     "AuditTrail: target 'vault' kind 'cosmosdb' is not one sahab audits; choose one of: key_vault, storage, aks, postgresql"),
    ("audit", {"targets": [AuditTarget(name="cluster", kind="aks", resource_id=PG_ID)]},
     "AuditTrail: target 'cluster' resource_id %r is not a resource ID of the form "
     "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerService/managedClusters/<name>" % PG_ID),
    ("audit", {"targets": [AuditTarget(name="vault", kind="key_vault", resource_id="")]},
     "AuditTrail: target 'vault' resource_id is required (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>)"),
    ("audit", {"targets": [AuditTarget(name="db", kind="postgresql", resource_id=PG_ID),
                           AuditTarget(name="db", kind="aks", resource_id=AKS_ID)]},
     "AuditTrail: target name 'db' is used twice; give each target its own name"),
    ("audit", {"targets": [AuditTarget(name="Vault", kind="key_vault", resource_id=VAULT_ID)]},
     "AuditTrail: target name 'Vault' must be 1-40 lowercase letters, digits or dashes, starting and ending with a letter or digit"),
    ("audit", {"targets": [AuditTarget(name="cluster", kind="aks", resource_id=AKS_ID, categories=["kube-audit", "kube-audit"])]},
     "AuditTrail: target 'cluster' categories ['kube-audit', 'kube-audit'] lists a category twice"),
    ("audit", {"targets": [AuditTarget(name="cluster", kind="aks", resource_id=AKS_ID, categories="kube-audit")]},
     "AuditTrail: target 'cluster' categories must be a non-empty list of log categories, got 'kube-audit'"),
    ("audit", {"targets": [AKS_ID]}, "AuditTrail: targets entries must be AuditTarget(name, kind, resource_id), got %r" % AKS_ID),
    ("", {}, "AuditTrail: name must be a non-empty string"),
    ("1audit", {}, "AuditTrail: name '1audit' must start with a letter (the Azure resource name is built from it)"),
])
def test_bad_input_is_refused_before_anything_registers(name, overrides, message):
    args = {"key": KEY, "private_link": BLOB, **overrides}
    resources, error = attempt_plan(lambda: AuditTrail(name, AuditTrailArgs(**args)))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []


def test_a_provider_pinned_elsewhere_is_refused():
    def program():
        AuditTrail("audit", AuditTrailArgs(key=KEY, private_link=BLOB, provider=UaeAzureProvider("central", location="uaecentral")))

    resources, error = attempt_plan(program)
    assert str(error) == "AuditTrail: provider is pinned to uaecentral but location=uaenorth was requested"
    assert [r["type"] for r in resources] == ["pulumi:providers:azure-native"]
