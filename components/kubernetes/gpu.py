"""GPUs for the cluster: the NVIDIA GPU Operator, pinned, mirrored and in a declared exception.

* The operator chart is pinned by version (:data:`GPU_OPERATOR_CHART`) and *every* image it can
  run (:data:`NVIDIA_IMAGE_KEYS`, plus node-feature-discovery's) is pulled from the in-region
  mirror ``<registry>/<image_prefix>``: nothing is fetched from nvcr.io or registry.k8s.io.
* The node agents (device plugin, feature discovery, DCGM exporter, validators) tolerate the
  GPU pools' taint, so GPU nodes get them while ordinary pods stay off.
* DCGM exporter is on: GPU utilisation, memory and health reach Prometheus (on port 9400, opened
  to the metrics namespace only). Its ServiceMonitor needs the Prometheus CRDs, so it is opt-in.
* The operands are privileged by nature (they load kernel modules and mount host paths), so the
  namespace *cannot* enforce ``restricted``. That is a :class:`PodSecurityException` with its
  reason written on the namespace, which the gate reports (SAHAB-WKL-004); audit and warn stay
  ``restricted`` so every relaxed pod is still logged. The chart's own ``psa.enabled`` is kept
  off: with it the operator relabels its namespace ``privileged`` for audit and warn too,
  fighting the labels the namespace declares and hiding the relaxed pods from the audit log.
* Every image is referenced by tag, so every pull policy is ``Always`` (sahab's rule for tagged
  images, :func:`~.workload.secure_container`). node-feature-discovery's pods are stated as what
  they run as (uid/gid 65534, its image's ``USER``) with the RuntimeDefault seccomp profile and a
  CPU limit (``container_defaults.cpu_limit``, what the namespace's LimitRange would add anyway).
  The operator's own Deployment and its hook Jobs cannot be hardened through values: the chart
  writes no ``securityContext`` for them (docs/chart-reviews.md).
* The driver and container toolkit are off by default: EKS's NVIDIA AMIs (AL2023, Bottlerocket)
  ship both. Turn ``driver_managed`` on for node images without a driver (AKS pools created with
  ``gpu_profile.driver = None``).

Sources: NVIDIA/gpu-operator@v26.7.0 deployments/gpu-operator/values.yaml (image keys, defaults),
controllers/state_manager.go (what ``psa.enabled`` does), assets/state-dcgm-exporter (port, labels);
kubernetes-sigs/node-feature-discovery@v0.19.0 (the subchart's values, Dockerfile ``USER 65534:65534``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from ..validation import ComponentInputError, require_choice
from .base import KubernetesComponent, require_provider
from .charts import ChartRef, helm_release, registry_override
from .images import Image, require_image, require_registry_host
from .namespace import (
    DEFAULT_PSA_VERSION, Allow, NamespaceQuota, PodSecurityException, ZeroTrustNamespace, ZeroTrustNamespaceArgs,
    api_server_egress,
)
from .namespace import validate as validate_namespace
from .workload import GPU_TAINT_KEY, Resources, require_taint_key

COMPONENT = "GpuEnablement"
TYPE_TOKEN = "sahab:kubernetes:GpuEnablement"

GPU_OPERATOR_CHART = ChartRef("https://helm.ngc.nvidia.com/nvidia", "gpu-operator", "v26.7.0")
# Every values key of the chart (v26.7.0) whose ``repository`` names an image: the operator and
# each operand it may deploy, enabled or not (a later toggle must not fall back to nvcr.io).
NVIDIA_IMAGE_KEYS = (
    "operator", "validator", "driver", "driver.manager", "toolkit", "devicePlugin", "dcgm", "dcgmExporter",
    "gfd", "migManager", "nodeStatusExporter", "gds", "gdrcopy", "vgpuManager", "vgpuManager.driverManager",
    "vgpuDeviceManager", "vfioManager", "vfioManager.driverManager", "sandboxDevicePlugin",
    "kataSandboxDevicePlugin", "ccManager", "draDriver",
)
# The node-feature-discovery subchart names its image in full (registry.k8s.io/nfd/node-feature-discovery).
NFD_IMAGE = "node-feature-discovery"
# The subchart's pod templates, and the user its image runs as (node-feature-discovery@v0.19.0 Dockerfile).
NFD_PODS = ("master", "worker", "gc")
NFD_USER = 65534
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
DCGM_EXPORTER_PORT = 9400
DCGM_EXPORTER_POD_LABELS = {"app": "nvidia-dcgm-exporter"}
# The chart's NFD worker tolerates the control plane; kept when the GPU taint is added.
CONTROL_PLANE_TOLERATION = {"key": "node-role.kubernetes.io/control-plane", "operator": "Equal", "value": "",
                            "effect": "NoSchedule"}
PRIVILEGED_REASON = (
    "NVIDIA GPU Operator: the driver, container toolkit, device plugin, MIG manager and validator "
    "DaemonSets run privileged with host paths to install and expose GPUs on the node; audit and warn "
    "stay restricted so every relaxed pod is logged"
)


@dataclass(kw_only=True)
class GpuEnablementArgs:
    """``registry`` is the in-region mirror holding the chart's images under ``image_prefix``,
    with upstream's image names and tags (``nvcr.io/nvidia/k8s/container-toolkit:v1.20.0`` is
    ``<registry>/<image_prefix>/container-toolkit:v1.20.0``). ``api_server_cidrs`` are the private networks of
    the cluster's API endpoint, the one flow the operator and its agents need out of the namespace.
    ``gpu_taint_key``/``gpu_taint_effect`` must be the taint the GPU pools apply (sahab's AWS
    pools: ``nvidia.com/gpu`` NoSchedule). ``metrics_namespace`` may scrape DCGM exporter."""

    provider: k8s.Provider
    registry: str
    api_server_cidrs: Sequence[str]
    image_prefix: str = "nvidia"
    api_server_port: int = 443
    namespace: str = "gpu-operator"
    chart: ChartRef = GPU_OPERATOR_CHART
    gpu_taint_key: str = GPU_TAINT_KEY
    gpu_taint_effect: str = "NoSchedule"
    driver_managed: bool = False
    dcgm_exporter: bool = True
    service_monitor: bool = False
    metrics_namespace: Optional[str] = None
    metrics_pods: Mapping[str, str] = field(default_factory=dict)
    # The operands are per-node DaemonSets: size the quota for the cluster's node count.
    quota: NamespaceQuota = field(default_factory=lambda: NamespaceQuota(cpu="128", memory="256Gi", pods=400))
    container_defaults: Resources = field(default_factory=lambda: Resources("100m", "128Mi", "1", "1Gi"))
    pod_security_version: str = DEFAULT_PSA_VERSION


def _set(values: Dict[str, Any], path: str, value: Any) -> None:
    node = values
    *parents, leaf = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def gpu_toleration(args: GpuEnablementArgs) -> Dict[str, str]:
    return {"key": args.gpu_taint_key, "operator": "Exists", "effect": args.gpu_taint_effect}


def chart_values(args: GpuEnablementArgs) -> Dict[str, Any]:
    """The release's values: mirrored images, the pool taint tolerated, metrics on, PSA left to the namespace."""
    mirror = registry_override(args.registry, args.image_prefix)
    values: Dict[str, Any] = {}
    for key in NVIDIA_IMAGE_KEYS:
        _set(values, key + ".repository", mirror)
        _set(values, key + ".imagePullPolicy", "Always")
    _set(values, "node-feature-discovery.image", {"repository": "%s/%s" % (mirror, NFD_IMAGE), "pullPolicy": "Always"})
    nfd_user = {"runAsUser": NFD_USER, "runAsGroup": NFD_USER, "seccompProfile": {"type": "RuntimeDefault"}}
    for pod in NFD_PODS:
        _set(values, "node-feature-discovery.%s.podSecurityContext" % pod, {"runAsNonRoot": True, **nfd_user})
        _set(values, "node-feature-discovery.%s.resources.limits.cpu" % pod, args.container_defaults.cpu_limit)
    # The prune hook Job has no pod securityContext in the subchart; it takes the master's container one.
    _set(values, "node-feature-discovery.master.securityContext", dict(nfd_user))
    _set(values, "psa.enabled", False)
    _set(values, "daemonsets.tolerations", [gpu_toleration(args)])
    _set(values, "node-feature-discovery.worker.tolerations", [CONTROL_PLANE_TOLERATION, gpu_toleration(args)])
    _set(values, "driver.enabled", args.driver_managed)
    _set(values, "toolkit.enabled", args.driver_managed)
    _set(values, "dcgmExporter.enabled", args.dcgm_exporter)
    _set(values, "dcgmExporter.serviceMonitor.enabled", args.service_monitor)
    return values


def _validate(args: GpuEnablementArgs) -> ZeroTrustNamespaceArgs:
    require_provider(COMPONENT, args.provider)
    require_registry_host(COMPONENT, "registry", args.registry)
    if not isinstance(args.chart, ChartRef):
        raise ComponentInputError("%s: chart must be a ChartRef, got %r" % (COMPONENT, args.chart))
    args.chart.validate(COMPONENT, "chart")
    if not isinstance(args.image_prefix, str) or not args.image_prefix.strip("/"):
        raise ComponentInputError(
            "%s: image_prefix must name the mirror's path for NVIDIA images, e.g. 'nvidia'" % COMPONENT)
    # The operator's mirrored reference: checks the prefix is a repository path.
    require_image(COMPONENT, "image_prefix",
                  Image(args.registry, "%s/gpu-operator" % args.image_prefix.strip("/"), tag=args.chart.version))
    require_taint_key(COMPONENT, "gpu_taint_key", args.gpu_taint_key)
    require_choice(COMPONENT, "gpu_taint_effect", args.gpu_taint_effect, TAINT_EFFECTS)
    api_server = api_server_egress(COMPONENT, args.api_server_cidrs, args.api_server_port)
    if args.service_monitor and not args.dcgm_exporter:
        raise ComponentInputError(
            "%s: service_monitor scrapes DCGM exporter; turn dcgm_exporter on or the monitor off" % COMPONENT)
    if args.service_monitor and args.metrics_namespace is None:
        raise ComponentInputError(
            "%s: service_monitor needs metrics_namespace (where Prometheus runs); the namespace's default-deny "
            "policy would drop its scrapes" % COMPONENT)
    args.container_defaults.validate(COMPONENT, "container_defaults")
    namespace_args = ZeroTrustNamespaceArgs(
        provider=args.provider,
        namespace=args.namespace,
        ingress=[Allow("dcgm-metrics", ports=[DCGM_EXPORTER_PORT], pods=DCGM_EXPORTER_POD_LABELS,
                       namespace=args.metrics_namespace, peer_pods=dict(args.metrics_pods))]
        if args.dcgm_exporter and args.metrics_namespace is not None else [],
        egress=api_server,
        quota=args.quota,
        container_defaults=args.container_defaults,
        pod_security=PodSecurityException(level="privileged", reason=PRIVILEGED_REASON),
        pod_security_version=args.pod_security_version,
    )
    validate_namespace(args.namespace, namespace_args)
    return namespace_args


class GpuEnablement(KubernetesComponent):
    """The NVIDIA GPU Operator in its own declared-privileged namespace, images from the UAE mirror."""

    namespace: str
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: GpuEnablementArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        namespace_args = _validate(args)
        super().__init__(TYPE_TOKEN, name, args.provider, opts)
        home = ZeroTrustNamespace("%s-ns" % name, namespace_args, opts=pulumi.ResourceOptions(parent=self))
        self.namespace = home.name
        self.release = helm_release(
            name, args.chart, release_name="gpu-operator", namespace=home.name, values=chart_values(args),
            opts=self.child_opts(depends_on=[home]))
        self.register_outputs({"namespace": home.name, "release": self.release.name})
