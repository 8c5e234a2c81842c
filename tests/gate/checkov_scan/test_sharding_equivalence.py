"""Sharded checkov scans report exactly what one whole-directory ``checkov -d`` reports.

40 namespaces, each with a Namespace object, a Deployment and a Service; NetworkPolicies in most
of them, chosen so that checkov's namespace-blind pairing (CKV2_K8S_6) matters across shards:

- ns i % 4 == 0: a policy selecting ``tier: <ns>`` (covers its own web pods only);
- ns i % 4 == 1: a policy selecting ``app: api``, which checkov links to *every* api pod in the
  scan, whatever its namespace;
- ns i % 4 == 2 and 3: no policy (their web pods fail CKV2_K8S_6; their api pods pass only
  through the policies of other namespaces, i.e. through another shard's objects).

Plus privileged pods, a label-less Pod (checkov links it to any labelled policy), cluster-scoped
RBAC and a hostPath PersistentVolume, a RoleBinding whose Role lives in another namespace,
two objects with the same checkov id, and an image unknown before deploy. Shards are kept
small (8 objects) so that nearly every cross-resource link crosses a shard boundary.

Two checkov runs: the sharded scan (one pre-forked checkov, 2 workers) and the reference, one
``checkov -d`` CLI process over all manifests.
"""
from __future__ import annotations

from typing import Any, Dict, List

import pytest

from sahab.gate.checkov.engine import identities, scan
from sahab.gate.checkov.manifests import build_inputs
from sahab.gate.checkov.shards import plan_shards

NAMESPACES = 40
SHARD_SIZE = 8


def _plan(k8s) -> Dict[str, Any]:
    k8s_resource, deployment = k8s["resource"], k8s["deployment"]
    resources: List[Dict[str, Any]] = []
    for i in range(NAMESPACES):
        ns = "ns-%02d" % i
        resources.append(k8s_resource("Namespace", "v1", ns, {"metadata": {"name": ns}}))
        if i % 4 == 0:
            selector = {"matchLabels": {"tier": ns}}
        elif i % 4 == 1:
            selector = {"matchLabels": {"app": "api"}}
        else:
            selector = None
        if selector is not None:
            resources.append(k8s_resource("NetworkPolicy", "networking.k8s.io/v1", ns + "-policy", {
                "metadata": {"name": "allow-selected", "namespace": ns},
                "spec": {"podSelector": selector, "policyTypes": ["Ingress"]}}))
        container = {"name": "web", "image": "nginx:1.27"}
        if i % 5 == 0:
            container["securityContext"] = {"privileged": True}
        resources.append(deployment(ns + "-web", ns, {"app": "web", "tier": ns}, [container], name="web"))
        resources.append(k8s_resource("Service", "v1", ns + "-web", {
            "metadata": {"name": "web", "namespace": ns}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}))
        if i % 3 == 0:
            image = {"$unknown": True} if i == 9 else "123456789012.dkr.ecr.me-central-1.amazonaws.com/api:2.1"
            resources.append(deployment(ns + "-api", ns, {"app": "api", "tier": ns},
                                        [{"name": "api", "image": image}], name="api"))
    resources.append(k8s_resource("Pod", "v1", "debug", {
        "metadata": {"name": "debug", "namespace": "ns-07"},
        "spec": {"containers": [{"name": "sh", "image": "busybox", "securityContext": {"runAsUser": 0}}]}}))
    # the same checkov id (Deployment.ns-11.dup) from two Pulumi resources
    resources.append(deployment("dup-a", "ns-11", {"app": "dup-a"}, [{"name": "a", "image": "nginx:1.27"}], name="dup"))
    resources.append(deployment("dup-b", "ns-11", {"app": "dup-b"}, [{"name": "b", "image": "nginx"}], name="dup"))
    resources.append(k8s_resource("ClusterRole", "rbac.authorization.k8s.io/v1", "wild", {
        "metadata": {"name": "wild"}, "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}))
    resources.append(k8s_resource("ClusterRoleBinding", "rbac.authorization.k8s.io/v1", "wild", {
        "metadata": {"name": "wild"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "wild"},
        "subjects": [{"kind": "ServiceAccount", "name": "ci", "namespace": "ns-01"}]}))
    resources.append(k8s_resource("Role", "rbac.authorization.k8s.io/v1", "reader", {
        "metadata": {"name": "reader", "namespace": "ns-03"},
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]}))
    resources.append(k8s_resource("RoleBinding", "rbac.authorization.k8s.io/v1", "reader", {
        "metadata": {"name": "reader", "namespace": "ns-30"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "app", "namespace": "ns-30"}]}))
    resources.append(k8s_resource("PersistentVolume", "v1", "scratch", {
        "metadata": {"name": "scratch"}, "spec": {"capacity": {"storage": "1Gi"}, "hostPath": {"path": "/mnt"}}}))
    return {"resources": resources}


@pytest.fixture(scope="module")
def scans(checkov_available, k8s, tmp_path_factory):
    inputs = build_inputs(_plan(k8s), None)
    sharded = scan(inputs, workers=2, sharded=True, shard_size=SHARD_SIZE, use_cache=False,
                   scratch=tmp_path_factory.mktemp("sharded"))
    whole = scan(inputs, workers=1, sharded=False, use_cache=False, mode="cli",
                 scratch=tmp_path_factory.mktemp("whole"))
    return inputs, sharded, whole


def test_sharded_findings_equal_whole_directory_findings(scans):
    inputs, sharded, whole = scans
    assert sharded.shards > 10 and sharded.mode == "prefork"
    assert identities(sharded.records) == identities(whole.records)
    assert len(identities(sharded.records)) == len([r for r in sharded.records if not r.passed])


def test_the_fixture_exercises_cross_shard_links(scans):
    inputs, sharded, _ = scans
    shards = plan_shards(inputs.manifests, SHARD_SIZE)
    assert sum(1 for shard in shards if shard.context) >= 5
    failed = identities(sharded.records)
    network = {resource for check, resource, _ in failed if check == "CKV2_K8S_6"}
    for i in range(NAMESPACES):
        ns = "ns-%02d" % i
        assert (("Pod.%s.web.app-web.tier-%s" % (ns, ns)) in network) == (i % 4 != 0), ns
        if i % 3 == 0:
            assert "Pod.%s.api.app-api.tier-%s" % (ns, ns) not in network, ns  # covered from another namespace
    assert "Pod.ns-07.debug" not in network
    privileged = {resource for check, resource, _ in failed if check == "CKV_K8S_16"}
    assert privileged == {"Deployment.ns-%02d.web" % i for i in range(0, NAMESPACES, 5)}
    assert ("CKV_K8S_49", "ClusterRole.default.wild", ) in {(c, r) for c, r, _ in failed}
    assert any(check == "CKV_SAHAB_3" and resource == "PersistentVolume.default.scratch" for check, resource, _ in failed)
    dup = {path for check, resource, path in failed if resource == "Deployment.ns-11.dup" and check == "CKV_K8S_14"}
    assert len(dup) == 1  # only dup-b uses an untagged image
