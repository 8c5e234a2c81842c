"""The audit rules (SAHAB-AUD-001/002) on a hand-built Azure platform plan, on OPA as on regorus,
on the AuditTrail component, and through the CLI on the reference stack without its trail.

The Azure AuditTrail component does not exist yet, so the Azure platform here is a plan document
built by hand in the planner's shape (azure-native 3.x types): an AKS cluster and a PostgreSQL
server, the Activity Log sent to a storage account in UAE North with a Key Vault key and a locked
account-level immutability policy, resource diagnostic settings of the vault, account, cluster and
server to that account and to a Log Analytics workspace linked to a dedicated cluster with a Key
Vault key. The audit rules find nothing on it (it is not written to pass the other rules: its
cluster and server carry only what the audit rules read); each mutation breaks one audit property
and its rule must name the resource.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import test_mutations
from real_opa import RealOpaEngine
from sahab.components.aws.audit_trail import AuditTrail, AuditTrailArgs
from sahab.gate.evaluate import check_builtins, evaluate_rules
from sahab.testing import plan_resources
from test_mutations import Mutate, Plan, _drop, _move_region, _nth, _set, assert_caught

UNKNOWN = {"$unknown": True}
PROVIDER = "urn:pulumi:dev::platform::pulumi:providers:azure-native::uae-north"
AKS = "azure-native:containerservice:ManagedCluster"
POSTGRES = "azure-native:dbforpostgresql:Server"
ACCOUNT = "azure-native:storage:StorageAccount"
ACTIVITY = "azure-native:monitor:SubscriptionDiagnosticSetting"
DIAGNOSTICS = "azure-native:monitor:DiagnosticSetting"
WORKSPACE = "azure-native:operationalinsights:Workspace"
LA_CLUSTER = "azure-native:operationalinsights:Cluster"
LINK = "azure-native:operationalinsights:LinkedService"
LOCKED = {"enabled": True, "immutabilityPolicy": {"state": "Locked", "immutabilityPeriodSinceCreationInDays": 2557,
                                                  "allowProtectedAppendWrites": True}}


def _resource(type_token: str, name: str, inputs: Dict[str, Any], deps: Optional[Dict[str, List[str]]] = None) -> Dict[str, Any]:
    deps = deps or {}
    return {
        "urn": "urn:pulumi:dev::platform::%s::%s" % (type_token, name), "type": type_token, "name": name, "mode": "create",
        "custom": True, "opaque": False, "parent": "urn:pulumi:dev::platform::pulumi:pulumi:Stack::platform-dev",
        "provider": PROVIDER, "region": "uaenorth", "regionSource": "provider", "inputs": inputs,
        "unknowns": test_mutations._unknown_paths(inputs), "secrets": [],
        "dependencies": sorted({urn for urns in deps.values() for urn in urns}), "propertyDependencies": deps, "options": {},
    }


def _urn(type_token: str, name: str) -> str:
    return "urn:pulumi:dev::platform::%s::%s" % (type_token, name)


def azure_platform() -> Plan:
    """A compliant Azure platform and its audit destinations (see the module docstring)."""
    group = {"resourceGroupName": "sahabdev-platform", "location": "uaenorth"}
    vault = _urn("azure-native:keyvault:Vault", "vault")
    key = _urn("azure-native:keyvault:Key", "audit")
    account, workspace, cluster = _urn(ACCOUNT, "auditlogs"), _urn(WORKSPACE, "audit"), _urn(LA_CLUSTER, "audit")
    resources = [
        {"urn": PROVIDER, "type": "pulumi:providers:azure-native", "name": "uae-north", "mode": "create", "custom": True,
         "opaque": False, "parent": None, "provider": None, "region": "uaenorth", "regionSource": "resource",
         "inputs": {"location": "uaenorth"}, "unknowns": [], "secrets": [], "dependencies": [], "propertyDependencies": {}, "options": {}},
        _resource("azure-native:keyvault:Vault", "vault", dict(group, vaultName="sahabdev-vault", properties={
            "enablePurgeProtection": True, "enableSoftDelete": True, "publicNetworkAccess": "Disabled", "tenantId": "t", "sku": {"name": "premium", "family": "A"}})),
        _resource("azure-native:keyvault:Key", "audit", dict(group, vaultName=UNKNOWN, keyName="audit", properties={"kty": "RSA"}),
                  {"vaultName": [vault]}),
        _resource(AKS, "aks", dict(group, resourceName="sahabdev-aks")),
        _resource(POSTGRES, "registry", dict(group, serverName="sahabdev-registry", version="16")),
        _resource(ACCOUNT, "auditlogs", dict(group, accountName="sahabdevauditlogs", kind="StorageV2", sku={"name": "Standard_ZRS"},
                                             encryption={"keySource": "Microsoft.Keyvault", "keyVaultProperties": {"keyName": UNKNOWN, "keyVaultUri": UNKNOWN}},
                                             immutableStorageWithVersioning=LOCKED), {"encryption": [key, vault]}),
        _resource(LA_CLUSTER, "audit", dict(group, clusterName="sahabdev-audit", keyVaultProperties={"keyName": UNKNOWN, "keyVaultUri": UNKNOWN}),
                  {"keyVaultProperties": [key, vault]}),
        _resource(WORKSPACE, "audit", dict(group, workspaceName="sahabdev-audit", retentionInDays=365)),
        _resource(LINK, "audit", dict(group, workspaceName=UNKNOWN, linkedServiceName="cluster", writeAccessResourceId=UNKNOWN),
                  {"workspaceName": [workspace], "writeAccessResourceId": [cluster]}),
        _resource(ACTIVITY, "activity-log", {"name": "activity-log", "storageAccountId": UNKNOWN, "workspaceId": UNKNOWN,
                                             "logs": [{"categoryGroup": "allLogs", "enabled": True}]},
                  {"storageAccountId": [account], "workspaceId": [workspace]}),
    ]
    for target in (vault, account, _urn(AKS, "aks"), _urn(POSTGRES, "registry")):
        name = target.split("::")[-1] + "-diagnostics"
        resources.append(_resource(DIAGNOSTICS, name, {
            "name": name, "resourceUri": UNKNOWN, "storageAccountId": UNKNOWN, "workspaceId": UNKNOWN,
            "logs": [{"categoryGroup": "audit", "enabled": True}]},
            {"resourceUri": [target], "storageAccountId": [account], "workspaceId": [workspace]}))
    return {"version": 1, "project": "platform", "stack": "dev", "stackUrn": "urn:pulumi:dev::platform::pulumi:pulumi:Stack::platform-dev",
            "config": {}, "resources": resources}


def _naming(mutate: Mutate, type_token: str) -> Mutate:
    """Apply `mutate`; the rule must name the first resource of `type_token` (the platform left unaudited)."""
    def relational(plan: Plan) -> str:
        mutate(plan)
        return _nth(plan, type_token, 0)["urn"]
    return relational


def _remove(type_token: str) -> Mutate:
    def mutate(plan: Plan) -> str:
        found = _nth(plan, type_token, 0)
        plan["resources"] = [r for r in plan["resources"] if r["urn"] != found["urn"]]
        return found["urn"]
    return mutate


def _activity_log_to_the_workspace_only(plan: Plan) -> str:
    setting = _nth(plan, ACTIVITY, 0)
    setting["inputs"].pop("storageAccountId")
    setting["propertyDependencies"].pop("storageAccountId")
    return setting["urn"]


def mutations() -> Iterator[Tuple[str, str, Mutate]]:
    immutability = ("immutableStorageWithVersioning",)
    yield "no activity log setting", "SAHAB-AUD-001", _naming(_remove(ACTIVITY), AKS)
    yield "no activity log setting, the database", "SAHAB-AUD-001", _naming(_remove(ACTIVITY), POSTGRES)
    yield "immutability policy unlocked", "SAHAB-AUD-001", _naming(_set(ACCOUNT, 0, immutability + ("immutabilityPolicy", "state"), "Unlocked"), AKS)
    yield "immutability disabled", "SAHAB-AUD-001", _naming(_set(ACCOUNT, 0, immutability + ("enabled",), False), AKS)
    yield "no immutability", "SAHAB-AUD-001", _naming(_drop(ACCOUNT, 0, immutability), AKS)
    yield "audit account on microsoft-managed keys", "SAHAB-AUD-001", _naming(_set(ACCOUNT, 0, ("encryption", "keySource"), "Microsoft.Storage"), AKS)
    yield "activity log to the workspace only", "SAHAB-AUD-001", _naming(_activity_log_to_the_workspace_only, AKS)
    yield "activity log categories disabled", "SAHAB-AUD-001", _naming(_set(ACTIVITY, 0, ("logs", "0", "enabled"), False), AKS)
    yield "workspace not linked to its keyed cluster", "SAHAB-AUD-001", _naming(_remove(LINK), AKS)
    yield "log analytics cluster without a key", "SAHAB-AUD-001", _naming(_set(LA_CLUSTER, 0, ("keyVaultProperties",), {"keyName": ""}), AKS)
    yield "audit account in westeurope", "SAHAB-AUD-002", _naming(_move_region(ACCOUNT, 0, "westeurope", key="location"), ACTIVITY)
    yield "workspace in West Europe", "SAHAB-AUD-002", _naming(_move_region(WORKSPACE, 0, "West Europe", key="location"), DIAGNOSTICS)
    yield "resource logs to a marketplace partner", "SAHAB-AUD-002", _set(DIAGNOSTICS, 0, ("marketplacePartnerId",),
                                                                           "/subscriptions/0/resourceGroups/p/providers/Microsoft.Datadog/monitors/dd")


MUTATIONS = list(mutations())


@pytest.fixture(scope="module")
def opa_rules(rules):
    bundle, _ = rules
    engine = RealOpaEngine()
    check_builtins(bundle, engine)
    engine.load(bundle.without_tests())
    yield bundle, engine
    engine.close()


def _findings(plan: Plan, rules: Any) -> List[Tuple[str, str, str, str]]:
    bundle, engine = rules
    return sorted((f.rule_id, f.status, f.urn, f.message) for f in evaluate_rules(plan, bundle, engine, loaded=True))


def test_the_audit_rules_find_nothing_on_the_hand_built_azure_platform(rules):
    assert [(rule_id, status, urn) for rule_id, status, urn, _ in _findings(azure_platform(), rules) if rule_id.startswith("SAHAB-AUD")] == []


@pytest.mark.parametrize("label, rule_id, mutate", MUTATIONS, ids=[label for label, _, _ in MUTATIONS])
def test_mutation_is_caught_by_its_rule(rules, label, rule_id, mutate):
    assert_caught(azure_platform(), rules, label, rule_id, mutate)


def test_regorus_and_opa_find_the_same_on_the_azure_platform_and_its_mutations(rules, opa_rules):
    """The Azure plan joins the regorus-vs-OPA equality set (test_real_opa.py compares the others)."""
    plans = [("unmutated", azure_platform())]
    for label, _, mutate in MUTATIONS:
        plan = azure_platform()
        mutate(plan)
        plans.append((label, plan))
    differing = [label for label, plan in plans if _findings(plan, rules) != _findings(plan, opa_rules)]
    assert differing == []
    assert sum(1 for _, plan in plans for f in _findings(plan, opa_rules) if f[0].startswith("SAHAB-AUD")) >= len(MUTATIONS)


def test_the_audit_trail_component_gives_the_audit_rules_nothing_to_refuse(rules):
    """AuditTrail's own resources next to an EKS cluster: the platform is audited, its records stay in the UAE."""
    resources = plan_resources(lambda: AuditTrail("audit", AuditTrailArgs(
        kms_key_arn="arn:aws:kms:me-central-1:123456789012:key/7d1e2f3a-1111-2222-3333-444455556666",
        vpc_endpoint_id="vpce-0a1b2c3d4e5f60718", admin_principal_arns=["arn:aws:iam::123456789012:role/sahab-admin"])))
    cluster = test_mutations._new_resource({"stack": "test", "project": "test", "stackUrn": "", "resources": resources},
                                           "aws:eks/cluster:Cluster", "ml", {"name": "ml"})
    plan = {"project": "test", "stack": "test", "resources": resources + [cluster]}
    assert [f for f in _findings(plan, rules) if f[0].startswith("SAHAB-AUD")] == []
    without = dict(plan, resources=[r for r in plan["resources"] if r["type"] != "aws:cloudtrail/trail:Trail"])
    assert [(f[0], f[1], f[2]) for f in _findings(without, rules) if f[0].startswith("SAHAB-AUD")] == [
        ("SAHAB-AUD-001", "violation", cluster["urn"])]


def test_the_reference_stack_without_its_trail_fails_the_gate_with_exit_1(sahab_cli, plan_reference_stack, tmp_path: Path):
    plan = plan_reference_stack("prod")
    plan["resources"] = [r for r in plan["resources"] if r["type"] != "aws:cloudtrail/trail:Trail"]
    saved = tmp_path / "prod-without-trail.json"
    saved.write_text(json.dumps(plan))
    result = sahab_cli(["gate", "--plan", str(saved), "--no-checkov", "--format", "json"])
    assert result.returncode == 1, result.stderr
    blocking = {(f["rule_id"], f["urn"].split("::")[-1]) for f in json.loads(result.stdout)["findings"]
                if f["status"] == "violation" and f["enforcement"] == "mandatory"}
    assert blocking == {("SAHAB-AUD-001", "ml-prod"), ("SAHAB-AUD-001", "ml-prod-registry")}
