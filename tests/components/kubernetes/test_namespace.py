"""ZeroTrustNamespace: restricted Pod Security, default deny both ways, explicit allows, quotas."""
from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from sahab.components.kubernetes import (
    Allow, NamespaceQuota, PodSecurityException, Port, Resources, ZeroTrustNamespace, ZeroTrustNamespaceArgs,
)
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _plan(**args):
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        ZeroTrustNamespace("mlflow", ZeroTrustNamespaceArgs(provider=provider, **args))
    return plan_resources(program)


def _policies(resources):
    return {r["inputs"]["metadata"]["name"]: r["inputs"]["spec"] for r in resources_of_type(resources, POLICY)}


def test_namespace_enforces_restricted_at_a_pinned_version():
    labels = one_of_type(_plan(), "kubernetes:core/v1:Namespace")["inputs"]["metadata"]["labels"]
    assert labels == {
        "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.33",
        "pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/audit-version": "v1.33",
        "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "v1.33",
    }


def test_default_deny_covers_ingress_and_egress_of_every_pod():
    deny = _policies(_plan())["default-deny"]
    assert deny == {"podSelector": {"matchLabels": {}}, "policyTypes": ["Ingress", "Egress"]}


def test_dns_is_the_only_default_allow_and_can_be_turned_off():
    policies = _policies(_plan())
    assert sorted(policies) == ["allow-out-dns", "default-deny"]
    assert policies["allow-out-dns"]["egress"] == [{
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
    }]
    assert sorted(_policies(_plan(allow_dns=False))) == ["default-deny"]


def test_allows_name_their_peers_and_ports():
    policies = _policies(_plan(
        ingress=[Allow("serving", ports=[5000], pods={"app": "mlflow"}, namespace="serving", peer_pods={"app": "model"})],
        egress=[Allow("database", ports=[Port(5432)], cidr="10.0.0.0/16")],
    ))
    assert policies["allow-in-serving"] == {
        "podSelector": {"matchLabels": {"app": "mlflow"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "serving"}},
                               "podSelector": {"matchLabels": {"app": "model"}}}],
                     "ports": [{"port": 5000, "protocol": "TCP"}]}],
    }
    assert policies["allow-out-database"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "10.0.0.0/16"}}], "ports": [{"port": 5432, "protocol": "TCP"}]}]


def test_quota_bounds_every_resource_and_grants_no_gpus_by_default():
    resources = _plan()
    assert one_of_type(resources, "kubernetes:core/v1:ResourceQuota")["inputs"]["spec"]["hard"] == {
        "pods": "50", "requests.cpu": "16", "limits.cpu": "16", "requests.memory": "64Gi", "limits.memory": "64Gi",
        "requests.nvidia.com/gpu": "0",
    }
    limits = one_of_type(resources, "kubernetes:core/v1:LimitRange")["inputs"]["spec"]["limits"]
    assert limits == [{"type": "Container", "default": {"cpu": "500m", "memory": "512Mi"},
                       "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]


def test_a_pod_security_exception_is_explicit_and_keeps_audit_restricted():
    reason = "GPU driver DaemonSets load kernel modules on the node"
    namespace = one_of_type(_plan(pod_security=PodSecurityException("privileged", reason),
                                  quota=NamespaceQuota(gpus=8)), "kubernetes:core/v1:Namespace")
    labels = namespace["inputs"]["metadata"]["labels"]
    assert (labels["pod-security.kubernetes.io/enforce"], labels["pod-security.kubernetes.io/audit"],
            labels["pod-security.kubernetes.io/warn"]) == ("privileged", "restricted", "restricted")
    assert namespace["inputs"]["metadata"]["annotations"] == {"sahab.io/pod-security-exception": reason}


def test_every_child_is_inside_the_component_on_the_cluster_provider():
    resources = _plan()
    component = one_of_type(resources, "sahab:kubernetes:ZeroTrustNamespace")
    provider = one_of_type(resources, "pulumi:providers:kubernetes")
    children = [r for r in resources if r not in (component, provider)]
    assert len(children) == 5
    assert all(r["parent"] == component["urn"] and r["provider"] == provider["urn"] for r in children)


@pytest.mark.parametrize("args, message", [
    ({"namespace": "ML_Platform"}, "ZeroTrustNamespace: namespace 'ML_Platform' must be a DNS label (lowercase letters, digits, dashes)"),
    ({"egress": [Allow("anywhere", ports=[443], cidr="0.0.0.0/0")]},
     "ZeroTrustNamespace: egress[0].cidr 0.0.0.0/0 is too wide (a /0); name the endpoint networks the workload needs"),
    ({"ingress": [Allow("any-port", ports=[], namespace="serving")]},
     "ZeroTrustNamespace: ingress[0].ports must name at least one port (zero trust allows no any-port flow)"),
    ({"ingress": [Allow("both", ports=[80], cidr="10.0.0.0/8", namespace="serving")]},
     "ZeroTrustNamespace: ingress[0] names both a cidr and pods; use one peer per Allow"),
    ({"pod_security": PodSecurityException("privileged", "")},
     "ZeroTrustNamespace: pod_security.reason must say why the namespace cannot run restricted pods"),
    ({"pod_security": PodSecurityException("restricted", "no reason needed here")},
     "ZeroTrustNamespace: pod_security.level 'restricted' must be privileged or baseline (restricted needs no exception)"),
    ({"pod_security_version": "latest"},
     "ZeroTrustNamespace: pod_security_version 'latest' must pin a Kubernetes minor version such as 'v1.33'"),
    ({"labels": {"pod-security.kubernetes.io/enforce": "privileged"}},
     "ZeroTrustNamespace: labels must not set pod-security.kubernetes.io/*; use pod_security"),
    ({"container_defaults": Resources("2", "1Gi", "1", "1Gi")},
     "ZeroTrustNamespace: container_defaults.cpu_request 2 exceeds cpu_limit 1"),
])
def test_bad_input_fails_before_anything_registers(args, message):
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        ZeroTrustNamespace("mlflow", ZeroTrustNamespaceArgs(provider=provider, **args))
    resources, error = attempt_plan(program)
    assert str(error) == message
    assert [r["type"] for r in resources] == ["pulumi:providers:kubernetes"]


def test_a_missing_cluster_provider_is_refused():
    _, error = attempt_plan(lambda: ZeroTrustNamespace("ml", ZeroTrustNamespaceArgs(provider=None)))
    assert str(error).startswith("ZeroTrustNamespace: provider must be the pulumi_kubernetes.Provider of the target cluster")


def test_deploy_time_cidrs_come_from_an_output():
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        ZeroTrustNamespace("mlflow", ZeroTrustNamespaceArgs(provider=provider, allow_dns=False, egress=[
            Allow("s3", ports=[443], cidrs=pulumi.Output.from_input(["52.95.0.0/20", "3.5.0.0/19"]))]))
    policies = _policies(plan_resources(program))
    assert policies["allow-out-s3"]["egress"][0]["to"] == [
        {"ipBlock": {"cidr": "52.95.0.0/20"}}, {"ipBlock": {"cidr": "3.5.0.0/19"}}]
