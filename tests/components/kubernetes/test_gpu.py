"""GpuEnablement: the GPU operator pinned, every image mirrored, the pool taint tolerated, DCGM on,
the privileged namespace an explicit, reported exception."""
from __future__ import annotations

import pulumi_kubernetes as k8s
import pytest

from sahab.components.kubernetes import ChartRef, Resources
from sahab.components.kubernetes.gpu import GpuEnablement, GpuEnablementArgs
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

ECR = "111122223333.dkr.ecr.me-central-1.amazonaws.com"
MIRROR = ECR + "/nvidia"
RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
# Every `repository` in NVIDIA/gpu-operator@v26.7.0 deployments/gpu-operator/values.yaml (upstream
# nvcr.io/nvidia, nvcr.io/nvidia/k8s, nvcr.io/nvidia/cloud-native), and the NFD subchart's image.
UPSTREAM_IMAGE_KEYS = {
    "operator", "validator", "driver", "driver.manager", "toolkit", "devicePlugin", "dcgm", "dcgmExporter", "gfd",
    "migManager", "nodeStatusExporter", "gds", "gdrcopy", "vgpuManager", "vgpuManager.driverManager",
    "vgpuDeviceManager", "vfioManager", "vfioManager.driverManager", "sandboxDevicePlugin", "kataSandboxDevicePlugin",
    "ccManager", "draDriver", "node-feature-discovery.image",
}


def _args(provider, **overrides):
    values = dict(provider=provider, registry=ECR, api_server_cidrs=["10.0.0.0/16"], metrics_namespace="monitoring",
                  metrics_pods={"app.kubernetes.io/name": "prometheus"})
    values.update(overrides)
    return GpuEnablementArgs(**values)


def _plan(**overrides):
    def program():
        GpuEnablement("gpu", _args(k8s.Provider("cluster", kubeconfig="{}"), **overrides))
    return plan_resources(program)


@pytest.fixture(scope="module")
def planned():
    return _plan()


def _values(resources):
    return one_of_type(resources, RELEASE)["inputs"]["values"]


def _repositories(values, path=()):
    """(values path, repository) of every image the values name, wherever it is nested."""
    for key, value in values.items():
        if key == "repository":
            yield ".".join(path), value
        elif isinstance(value, dict):
            yield from _repositories(value, path + (key,))


def test_the_chart_is_pinned_and_installed_atomically(planned):
    inputs = one_of_type(planned, RELEASE)["inputs"]
    assert (inputs["chart"], inputs["version"], inputs["repositoryOpts"]) == (
        "gpu-operator", "v26.7.0", {"repo": "https://helm.ngc.nvidia.com/nvidia"})
    assert (inputs["namespace"], inputs["atomic"], inputs["createNamespace"]) == ("gpu-operator", True, False)


def test_every_image_of_the_chart_comes_from_the_in_region_mirror(planned):
    repositories = dict(_repositories(_values(planned)))
    assert set(repositories) == UPSTREAM_IMAGE_KEYS
    for key, repository in repositories.items():
        assert repository.startswith(MIRROR), key
    assert repositories["node-feature-discovery.image"] == MIRROR + "/node-feature-discovery"


def test_tagged_images_are_pulled_every_time(planned):
    values = _values(planned)
    for key in UPSTREAM_IMAGE_KEYS - {"node-feature-discovery.image"}:
        node = values
        for part in key.split("."):
            node = node[part]
        assert node["imagePullPolicy"] == "Always", key
    assert values["node-feature-discovery"]["image"]["pullPolicy"] == "Always"


def test_node_feature_discovery_pods_run_as_their_high_uid_under_runtime_default_with_cpu_limits(planned):
    nfd = _values(planned)["node-feature-discovery"]
    user = {"runAsUser": 65534, "runAsGroup": 65534, "seccompProfile": {"type": "RuntimeDefault"}}
    for pod in ("master", "worker", "gc"):
        assert nfd[pod]["podSecurityContext"] == {"runAsNonRoot": True, **user}, pod
        assert nfd[pod]["resources"] == {"limits": {"cpu": "1"}}, pod
    # The prune hook Job takes the master's container securityContext (it has no pod-level one).
    assert nfd["master"]["securityContext"] == user
    tight = _values(_plan(container_defaults=Resources("50m", "64Mi", "250m", "256Mi")))["node-feature-discovery"]
    assert {tight[pod]["resources"]["limits"]["cpu"] for pod in ("master", "worker", "gc")} == {"250m"}


def test_agents_tolerate_the_gpu_pools_taint(planned):
    values = _values(planned)
    taint = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    assert values["daemonsets"]["tolerations"] == [taint]
    assert taint in values["node-feature-discovery"]["worker"]["tolerations"]


def test_another_taint_reaches_every_agent():
    values = _values(_plan(gpu_taint_key="example.com/accelerator", gpu_taint_effect="NoExecute"))
    taint = {"key": "example.com/accelerator", "operator": "Exists", "effect": "NoExecute"}
    assert values["daemonsets"]["tolerations"] == [taint]
    assert taint in values["node-feature-discovery"]["worker"]["tolerations"]


def test_dcgm_metrics_are_exported_and_the_service_monitor_is_opt_in(planned):
    assert _values(planned)["dcgmExporter"] == {"enabled": True, "serviceMonitor": {"enabled": False},
                                                "repository": MIRROR, "imagePullPolicy": "Always"}
    assert _values(_plan(service_monitor=True))["dcgmExporter"]["serviceMonitor"] == {"enabled": True}


def test_the_node_images_driver_is_used_unless_the_operator_manages_it(planned):
    values = _values(planned)
    assert (values["driver"]["enabled"], values["toolkit"]["enabled"]) == (False, False)
    managed = _values(_plan(driver_managed=True))
    assert (managed["driver"]["enabled"], managed["toolkit"]["enabled"]) == (True, True)


def test_the_privileged_namespace_is_a_declared_exception_that_keeps_auditing(planned):
    namespace = one_of_type(planned, NAMESPACE)["inputs"]["metadata"]
    labels = namespace["labels"]
    assert namespace["name"] == "gpu-operator"
    assert (labels["pod-security.kubernetes.io/enforce"], labels["pod-security.kubernetes.io/audit"],
            labels["pod-security.kubernetes.io/warn"]) == ("privileged", "restricted", "restricted")
    reason = namespace["annotations"]["sahab.io/pod-security-exception"]
    assert reason.startswith("NVIDIA GPU Operator: the driver, container toolkit, device plugin")
    # The chart must not relabel the namespace privileged for audit and warn behind the plan's back.
    assert _values(planned)["psa"] == {"enabled": False}


def test_traffic_is_only_the_api_server_out_and_metrics_in(planned):
    policies = {r["inputs"]["metadata"]["name"]: r["inputs"]["spec"] for r in resources_of_type(planned, POLICY)}
    assert sorted(policies) == ["allow-in-dcgm-metrics", "allow-out-api-server-0", "allow-out-dns", "default-deny"]
    assert policies["allow-out-api-server-0"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "10.0.0.0/16"}}], "ports": [{"port": 443, "protocol": "TCP"}]}]
    assert policies["allow-in-dcgm-metrics"] == {
        "podSelector": {"matchLabels": {"app": "nvidia-dcgm-exporter"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                               "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}],
                     "ports": [{"port": 9400, "protocol": "TCP"}]}],
    }


def test_no_metrics_ingress_without_a_metrics_namespace():
    policies = [r["inputs"]["metadata"]["name"] for r in resources_of_type(_plan(metrics_namespace=None), POLICY)]
    assert "allow-in-dcgm-metrics" not in policies


def test_every_operand_container_gets_limits_and_no_gpus_by_quota(planned):
    limits = one_of_type(planned, "kubernetes:core/v1:LimitRange")["inputs"]["spec"]["limits"]
    assert limits == [{"type": "Container", "default": {"cpu": "1", "memory": "1Gi"},
                       "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]
    hard = one_of_type(planned, "kubernetes:core/v1:ResourceQuota")["inputs"]["spec"]["hard"]
    assert hard["requests.nvidia.com/gpu"] == "0"


def test_everything_is_inside_the_component_on_the_cluster_provider(planned):
    component = one_of_type(planned, "sahab:kubernetes:GpuEnablement")
    provider = one_of_type(planned, "pulumi:providers:kubernetes")
    by_urn = {r["urn"]: r for r in planned}
    for resource in planned:
        if resource in (component, provider):
            continue
        parent = resource["parent"]
        while parent != component["urn"]:
            parent = by_urn[parent]["parent"]
        if not resource["type"].startswith("sahab:"):
            assert resource["provider"] == provider["urn"], resource["urn"]


@pytest.mark.parametrize("overrides, message", [
    ({"registry": "nvcr.io"},
     "GpuEnablement: registry 'nvcr.io' is not an in-region registry; mirror the image into ECR in me-central-1 "
     "(<account>.dkr.ecr.me-central-1.amazonaws.com) or a UAE Azure Container Registry (<name>.azurecr.io)"),
    ({"registry": "111122223333.dkr.ecr.eu-west-1.amazonaws.com"},
     "GpuEnablement: registry '111122223333.dkr.ecr.eu-west-1.amazonaws.com' is not an in-region registry; mirror the "
     "image into ECR in me-central-1 (<account>.dkr.ecr.me-central-1.amazonaws.com) or a UAE Azure Container Registry "
     "(<name>.azurecr.io)"),
    ({"chart": ChartRef("https://helm.ngc.nvidia.com/nvidia", "gpu-operator", ">=v26.0.0")},
     "GpuEnablement: chart.version '>=v26.0.0' must be an exact chart version (e.g. 1.7.0), not a range"),
    ({"image_prefix": "NVIDIA//Mirror"},
     "GpuEnablement: image_prefix.repository 'NVIDIA//Mirror/gpu-operator' is not a valid repository path"),
    ({"gpu_taint_key": "nvidia gpu"},
     "GpuEnablement: gpu_taint_key 'nvidia gpu' is not a taint key (label-key syntax, e.g. nvidia.com/gpu)"),
    ({"gpu_taint_effect": "NO_SCHEDULE"},
     "GpuEnablement: gpu_taint_effect 'NO_SCHEDULE' is not allowed; choose one of: NoExecute, NoSchedule, "
     "PreferNoSchedule"),
    ({"api_server_cidrs": ["0.0.0.0/0"]},
     "GpuEnablement: api_server_cidrs must not contain 0.0.0.0/0 (the whole internet); list the networks that need "
     "access"),
    ({"api_server_cidrs": ["52.95.0.0/20"]},
     "GpuEnablement: api_server_cidrs entry 52.95.0.0/20 is not a private range; only addresses inside the VPC may "
     "connect"),
    ({"service_monitor": True, "metrics_namespace": None},
     "GpuEnablement: service_monitor needs metrics_namespace (where Prometheus runs); the namespace's default-deny "
     "policy would drop its scrapes"),
    ({"service_monitor": True, "dcgm_exporter": False},
     "GpuEnablement: service_monitor scrapes DCGM exporter; turn dcgm_exporter on or the monitor off"),
    ({"container_defaults": Resources("2", "1Gi", "1", "1Gi")},
     "GpuEnablement: container_defaults.cpu_request 2 exceeds cpu_limit 1"),
])
def test_bad_input_fails_before_anything_registers(overrides, message):
    def program():
        GpuEnablement("gpu", _args(k8s.Provider("cluster", kubeconfig="{}"), **overrides))
    resources, error = attempt_plan(program)
    assert str(error) == message
    assert [r["type"] for r in resources] == ["pulumi:providers:kubernetes"]


def test_a_missing_cluster_provider_is_refused():
    resources, error = attempt_plan(lambda: GpuEnablement("gpu", _args(None)))
    assert str(error).startswith("GpuEnablement: provider must be the pulumi_kubernetes.Provider of the target cluster")
    assert resources == []
