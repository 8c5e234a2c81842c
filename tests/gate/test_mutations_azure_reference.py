"""Mutation test on the Azure reference stack (azure-prod): break one security property at a time.

The unmutated plan has no mandatory finding (tests/test_azure_reference_stack.py), so each catch
below is caused by its mutation: the rule meant for it must report a violation on the resource the
mutation broke (or, for a relational break, on the resource that lost its guarantee).
"""
from __future__ import annotations

from typing import Iterator, Tuple

import pytest

from sahab.gate.evaluate import evaluate_rules
from test_mutations import Mutate, Plan, _drop, _move_provider, _move_region, _nth, _set, assert_caught

STACK = "azure-prod"
AZURE = "pulumi:providers:azure-native"
ACCOUNT = "azure-native:storage:StorageAccount"
VAULT = "azure-native:keyvault:Vault"
REGISTRY = "azure-native:containerregistry:Registry"
CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
DATABASE = "azure-native:dbforpostgresql:Server"
ACTIVITY_LOG = "azure-native:monitor:SubscriptionDiagnosticSetting"
# Storage accounts in plan (URN) order: the artifact store first, then the audit trail's.
ARTIFACTS, AUDIT = 0, 1


@pytest.fixture(scope="module")
def azure_plan(plan_reference_stack) -> Plan:
    return plan_reference_stack(STACK)


def _remove_activity_log(names: str, index: int) -> Mutate:
    """The program forgets its Activity Log destination; the platform resource ``names`` loses its audit trail."""
    def mutate(plan: Plan) -> str:
        setting = _nth(plan, ACTIVITY_LOG, 0)
        plan["resources"] = [r for r in plan["resources"] if r["urn"] != setting["urn"]]
        return _nth(plan, names, index)["urn"]
    return mutate


def _naming(mutate: Mutate, type_token: str, index: int) -> Mutate:
    def relational(plan: Plan) -> str:
        mutate(plan)
        return _nth(plan, type_token, index)["urn"]
    return relational


def mutations() -> Iterator[Tuple[str, str, Mutate]]:
    # SAHAB-RES-001: the UAE only.
    yield "azure provider moved to westeurope", "SAHAB-RES-001", _move_provider("westeurope", AZURE, "location")
    # A node pool sets no location of its own: it is where the provider is.
    yield "gpu pool inherits the moved provider", "SAHAB-RES-001", _naming(_move_provider("westeurope", AZURE, "location"), POOL, 0)
    yield "database moved to westeurope", "SAHAB-RES-001", _move_region(DATABASE, 0, "westeurope", key="location")
    yield "artifact store moved to West Europe", "SAHAB-RES-001", _move_region(ACCOUNT, ARTIFACTS, "West Europe", key="location")
    # SAHAB-NET-005: no public network access.
    yield "artifact store public", "SAHAB-NET-005", _set(ACCOUNT, ARTIFACTS, ("publicNetworkAccess",), "Enabled")
    yield "vault public", "SAHAB-NET-005", _set(VAULT, 0, ("properties", "publicNetworkAccess"), "Enabled")
    yield "registry public", "SAHAB-NET-005", _set(REGISTRY, 0, ("publicNetworkAccess",), "Enabled")
    yield "database public", "SAHAB-NET-005", _set(DATABASE, 0, ("network", "publicNetworkAccess"), "Enabled")
    # SAHAB-NET-002: the AKS API is private.
    yield "cluster API public", "SAHAB-NET-002", _set(CLUSTER, 0, ("apiServerAccessProfile", "enablePrivateCluster"), False)
    yield "cluster without its private-cluster setting", "SAHAB-NET-002", _drop(CLUSTER, 0, ("apiServerAccessProfile", "enablePrivateCluster"))
    # SAHAB-NET-003: no public IPs on nodes.
    yield "system pool nodes get public IPs", "SAHAB-NET-003", _set(CLUSTER, 0, ("agentPoolProfiles", "0", "enableNodePublicIP"), True)
    yield "gpu pool nodes get public IPs", "SAHAB-NET-003", _set(POOL, 0, ("enableNodePublicIP",), True)
    # SAHAB-ENC-004: the registry database under the customer's key.
    yield "database on a service-managed key", "SAHAB-ENC-004", _set(DATABASE, 0, ("dataEncryption", "type"), "SystemManaged")
    yield "database without encryption settings", "SAHAB-ENC-004", _drop(DATABASE, 0, ("dataEncryption",))
    # SAHAB-ENC-008 / SAHAB-ENC-012: TLS 1.2 and HTTPS only.
    yield "artifact store accepts TLS 1.0", "SAHAB-ENC-008", _set(ACCOUNT, ARTIFACTS, ("minimumTlsVersion",), "TLS1_0")
    yield "audit account accepts TLS 1.1", "SAHAB-ENC-008", _set(ACCOUNT, AUDIT, ("minimumTlsVersion",), "TLS1_1")
    yield "artifact store accepts plain HTTP", "SAHAB-ENC-012", _set(ACCOUNT, ARTIFACTS, ("enableHttpsTrafficOnly",), False)
    yield "audit account accepts plain HTTP", "SAHAB-ENC-012", _set(ACCOUNT, AUDIT, ("enableHttpsTrafficOnly",), False)
    # SAHAB-ENC-009: keys stay recoverable.
    yield "vault purge protection off", "SAHAB-ENC-009", _set(VAULT, 0, ("properties", "enablePurgeProtection"), False)
    yield "vault soft delete off", "SAHAB-ENC-009", _set(VAULT, 0, ("properties", "enableSoftDelete"), False)
    # SAHAB-ENC-010: customer managed keys on storage and the registry.
    yield "artifact store on Microsoft-managed keys", "SAHAB-ENC-010", _set(ACCOUNT, ARTIFACTS, ("encryption", "keySource"), "Microsoft.Storage")
    yield "registry encryption disabled", "SAHAB-ENC-010", _set(REGISTRY, 0, ("encryption", "status"), "disabled")
    # SAHAB-AUD-001: the platform's Activity Log goes to a locked, CMK-encrypted account in the UAE.
    yield "activity log destination removed (cluster)", "SAHAB-AUD-001", _remove_activity_log(CLUSTER, 0)
    yield "activity log destination removed (database)", "SAHAB-AUD-001", _remove_activity_log(DATABASE, 0)
    yield "audit account immutability unlocked", "SAHAB-AUD-001", _naming(_set(
        ACCOUNT, AUDIT, ("immutableStorageWithVersioning", "immutabilityPolicy", "state"), "Unlocked"), CLUSTER, 0)


MUTATIONS = list(mutations())


def test_every_azure_rule_has_at_least_two_mutations():
    meant = [rule_id for _, rule_id, _ in MUTATIONS]
    for rule_id in ("SAHAB-RES-001", "SAHAB-NET-005", "SAHAB-NET-002", "SAHAB-NET-003", "SAHAB-ENC-004", "SAHAB-ENC-008",
                    "SAHAB-ENC-012", "SAHAB-ENC-009", "SAHAB-ENC-010", "SAHAB-AUD-001"):
        assert meant.count(rule_id) >= 2, rule_id
    assert len({label for label, _, _ in MUTATIONS}) == len(MUTATIONS)


def test_the_plan_declares_what_the_mutations_index(azure_plan):
    accounts = [r["name"] for r in azure_plan["resources"] if r["type"] == ACCOUNT]
    assert accounts == ["mlprodartifacts", "mlprodaudit"]
    assert [r["name"] for r in azure_plan["resources"] if r["type"] == POOL][0] == "gpu"


def test_the_unmutated_azure_plan_has_no_violation_of_a_mutated_rule(azure_plan, rules):
    bundle, engine = rules
    meant = {rule_id for _, rule_id, _ in MUTATIONS}
    findings = evaluate_rules(azure_plan, bundle, engine, loaded=True)
    assert [(f.rule_id, f.urn) for f in findings if f.status == "violation" and f.rule_id in meant] == []


@pytest.mark.parametrize("label, rule_id, mutate", MUTATIONS, ids=[label for label, _, _ in MUTATIONS])
def test_mutation_is_caught_by_its_rule(azure_plan, rules, label, rule_id, mutate):
    assert_caught(azure_plan, rules, label, rule_id, mutate)
