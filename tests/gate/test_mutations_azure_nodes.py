"""Mutation test, AKS node pools: break the node bootstrap of the Azure reference stack one setting at a time.

The Azure reference stack (`--stack azure-prod`: stacks/azure_platform.py) has an AKS cluster whose
system pool is an agentPoolProfiles entry, and two AgentPools (GPU training, inference), all with the
node bootstrap's AKS settings (sahab.components.node_bootstrap.aks_node_configuration). Each mutation
changes one of those settings, drops one, or adds a pool without them, and SAHAB-NOD-002 must report a
violation on the resource it broke; the unmutated plan gives SAHAB-NOD-002 nothing to report.
"""
from __future__ import annotations

from typing import Any, Dict, Iterator, Tuple

import pytest

from sahab.components.node_bootstrap import NodeBootstrap, aks_plan_properties
from sahab.gate.evaluate import evaluate_rules
from test_mutations import Mutate, Plan, _add_resource, _drop, _named, _nth, _set, assert_caught

RULE = "SAHAB-NOD-002"
AZURE = "pulumi:providers:azure-native"
CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
GPU, SERVING = (POOL, "gpu"), (POOL, "serving")
SYSTEM = ("agentPoolProfiles", "0")


@pytest.fixture(scope="module")
def azure_plan(plan_reference_stack) -> Plan:
    return plan_reference_stack("azure-prod")


def _pool_profile(plan: Plan) -> Dict[str, Any]:
    """A second pool in the cluster's own list, like the system pool but without the bootstrap."""
    profile = {k: v for k, v in _nth(plan, CLUSTER, 0)["inputs"]["agentPoolProfiles"][0].items()
               if k not in aks_plan_properties(NodeBootstrap())}
    return dict(profile, name="batch", mode="User", nodeTaints=[])


def _second_profile(plan: Plan) -> str:
    cluster = _nth(plan, CLUSTER, 0)
    cluster["inputs"]["agentPoolProfiles"].append(_pool_profile(plan))
    return cluster["urn"]


def mutations() -> Iterator[Tuple[str, str, Mutate]]:
    # The user pools (AgentPool resources).
    yield "aks gpu pool with SSH enabled", RULE, _named(lambda t, i: _set(t, i, ("securityProfile", "sshAccess"), "Enabled"), GPU)
    yield "aks gpu pool without securityProfile", RULE, _named(lambda t, i: _drop(t, i, ("securityProfile",)), GPU)
    yield "aks serving pool allows unsafe sysctls", RULE, _named(lambda t, i: _set(t, i, ("kubeletConfig", "allowedUnsafeSysctls"), ["net.*"]), SERVING)
    yield "aks serving pool without kubeletConfig", RULE, _named(lambda t, i: _drop(t, i, ("kubeletConfig",)), SERVING)
    yield "aks serving pool kubelet runs with swap", RULE, _named(lambda t, i: _set(t, i, ("kubeletConfig", "failSwapOn"), False), SERVING)
    yield "aks gpu pool with a swap file", RULE, _named(lambda t, i: _set(t, i, ("linuxOSConfig", "swapFileSizeMB"), 2048), GPU)
    yield "aks gpu pool adds a node sysctl", RULE, _named(lambda t, i: _set(t, i, ("linuxOSConfig", "sysctls"), {"kernelThreadsMax": 99999}), GPU)
    yield "aks gpu pool without linuxOSConfig", RULE, _named(lambda t, i: _drop(t, i, ("linuxOSConfig",)), GPU)
    # The system pool (the cluster's agentPoolProfiles).
    yield "aks system pool with SSH enabled", RULE, _set(CLUSTER, 0, SYSTEM + ("securityProfile", "sshAccess"), "Enabled")
    yield "aks system pool without linuxOSConfig", RULE, _drop(CLUSTER, 0, SYSTEM + ("linuxOSConfig",))
    yield "aks system pool allows unsafe sysctls", RULE, _set(CLUSTER, 0, SYSTEM + ("kubeletConfig", "allowedUnsafeSysctls"), ["kernel.msg*"])
    yield "aks cluster gets a second pool without the bootstrap", RULE, _second_profile
    # A pool written by hand, on a versioned type token.
    yield "aks pool of another API version without the bootstrap", RULE, _add_resource(
        "azure-native:containerservice/v20240801:AgentPool", "batch", {
            "agentPoolName": "batch", "resourceName": "ml-prod", "resourceGroupName": "ml-prod", "mode": "User",
            "vmSize": "Standard_D8ds_v5", "enableNodePublicIP": False, "enableEncryptionAtHost": True},
        provider_type=AZURE)


MUTATIONS = list(mutations())


def test_the_azure_plan_has_the_pools_the_mutations_break(azure_plan):
    assert sorted(r["name"] for r in azure_plan["resources"] if r["type"] == POOL) == ["gpu", "serving"]
    [cluster] = [r for r in azure_plan["resources"] if r["type"] == CLUSTER]
    assert [p["name"] for p in cluster["inputs"]["agentPoolProfiles"]] == ["system"]


def test_the_unmutated_azure_plan_gives_the_rule_nothing_to_report(azure_plan, rules):
    bundle, engine = rules
    assert RULE in {rule.rule_id for rule in bundle.rules}
    findings = evaluate_rules(azure_plan, bundle, engine, loaded=True)
    assert [(f.status, f.urn, f.message) for f in findings if f.rule_id == RULE] == []


def test_there_is_a_mutation_for_each_property_of_each_kind_of_pool():
    labels = [label for label, _, _ in MUTATIONS]
    assert len(set(labels)) == len(labels)
    for where in ("gpu pool", "serving pool", "system pool"):
        assert sum(where in label for label in labels) >= 3, where


@pytest.mark.parametrize("label, rule_id, mutate", MUTATIONS, ids=[label for label, _, _ in MUTATIONS])
def test_mutation_is_caught_by_its_rule(azure_plan, rules, label, rule_id, mutate):
    assert_caught(azure_plan, rules, label, rule_id, mutate)
