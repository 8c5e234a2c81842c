"""The platform's Kubernetes services in the reference stacks: zero trust, in-region, no secrets."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from sahab.planner import plan_project

ENVIRONMENTS = ("dev", "staging", "prod")
REGISTRY = "111122223333.dkr.ecr.me-central-1.amazonaws.com/"
POD_SPECS = {
    "kubernetes:apps/v1:Deployment": [("spec", "template", "spec")],
    "kubernetes:argoproj.io/v1alpha1:Rollout": [("spec", "template", "spec")],
}


@pytest.fixture(scope="module")
def plans(repo_root: Path) -> Dict[str, Dict[str, Any]]:
    return {env: plan_project(repo_root, env) for env in ENVIRONMENTS}


@pytest.fixture(params=ENVIRONMENTS)
def resources(request, plans) -> List[Dict[str, Any]]:
    return plans[request.param]["resources"]


def _of(resources, type_token):
    return [r for r in resources if r["type"] == type_token]


def _containers(resources) -> Iterator[Dict[str, Any]]:
    for type_token, paths in POD_SPECS.items():
        for resource in _of(resources, type_token):
            for path in paths:
                spec = resource["inputs"]
                for key in path:
                    spec = spec[key]
                yield from spec["containers"] + spec.get("initContainers", [])


def test_the_platform_services_are_installed(resources):
    releases = {r["inputs"]["chart"]: r["inputs"]["version"] for r in _of(resources, "kubernetes:helm.sh/v3:Release")}
    assert releases == {"gpu-operator": "v26.7.0", "kuberay-operator": "1.7.0", "argo-rollouts": "2.41.0",
                        "external-secrets": "2.9.0"}
    assert [r["name"] for r in _of(resources, "sahab:kubernetes:ModelRegistry")] == ["mlflow"]
    assert [r["name"] for r in _of(resources, "sahab:kubernetes:ModelServing")] == ["fraud-scorer"]


def test_every_namespace_enforces_restricted_but_the_declared_gpu_exception(resources):
    levels = {}
    for namespace in _of(resources, "kubernetes:core/v1:Namespace"):
        metadata = namespace["inputs"]["metadata"]
        levels[metadata["name"]] = (metadata["labels"]["pod-security.kubernetes.io/enforce"],
                                    "sahab.io/pod-security-exception" in (metadata.get("annotations") or {}))
    assert levels.pop("gpu-operator") == ("privileged", True)
    assert set(levels) == {"external-secrets", "kuberay-system", "training", "mlflow", "argo-rollouts", "serving"}
    assert set(levels.values()) == {("restricted", False)}


def test_every_namespace_denies_both_ways_by_default(resources):
    namespaces = {n["inputs"]["metadata"]["name"] for n in _of(resources, "kubernetes:core/v1:Namespace")}
    denied = {p["inputs"]["metadata"]["namespace"] for p in _of(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
              if p["inputs"]["spec"] == {"podSelector": {"matchLabels": {}}, "policyTypes": ["Ingress", "Egress"]}}
    assert denied == namespaces


def test_workloads_run_pinned_in_region_images_with_limits_and_no_secret_env(resources):
    containers = list(_containers(resources))
    assert len(containers) >= 2
    for container in containers:
        assert container["image"].startswith(REGISTRY) and not container["image"].endswith(":latest"), container["image"]
        assert set(container["resources"]["limits"]) >= {"cpu", "memory"}, container["name"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        for variable in container.get("env", []):
            assert "valueFrom" not in variable, variable
            assert not variable["name"].startswith(("AWS_ACCESS_KEY", "AWS_SECRET")), variable


def test_services_are_internal(resources):
    services = _of(resources, "kubernetes:core/v1:Service")
    assert services and {s["inputs"]["spec"].get("type", "ClusterIP") for s in services} == {"ClusterIP"}


def test_no_static_cloud_credentials_anywhere(resources):
    assert _of(resources, "aws:iam/accessKey:AccessKey") == []
    accounts = _of(resources, "kubernetes:core/v1:ServiceAccount")
    irsa = {a["inputs"]["metadata"]["name"] for a in accounts
            if "eks.amazonaws.com/role-arn" in (a["inputs"]["metadata"].get("annotations") or {})}
    assert {"mlflow", "fraud-scorer", "external-secrets-store"} <= irsa


def test_generated_platform_secrets_never_appear_in_the_clear(resources):
    versions = _of(resources, "aws:secretsmanager/secretVersion:SecretVersion")
    assert len(versions) == 3
    assert all(v["inputs"]["secretString"] == {"$secret": True} for v in versions)


def test_mlflow_sizes_differ_by_environment_security_does_not(plans):
    autoscalers = {env: next(r for r in plan["resources"] if r["type"] == "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
                             and r["inputs"]["metadata"]["namespace"] == "mlflow")["inputs"]["spec"]["minReplicas"]
                   for env, plan in plans.items()}
    assert autoscalers == {"dev": 1, "staging": 2, "prod": 3}
    contexts = {env: [c["securityContext"] for c in _containers(plan["resources"])] for env, plan in plans.items()}
    assert contexts["dev"] == contexts["staging"] == contexts["prod"]
