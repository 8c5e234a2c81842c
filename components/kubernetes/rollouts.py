"""Argo Rollouts' controller, installed pinned in its own zero-trust namespace.

Canary and blue-green releases of models are run by Argo Rollouts (chart 2.41.0, app v1.9.0),
not by a home-made controller. :class:`RolloutsController` installs it as a pinned Helm release
(:mod:`.charts`) in a restricted :class:`~.namespace.ZeroTrustNamespace`, its images pulled
from the in-region registry, with egress only to the Kubernetes API and to Prometheus (the
controller itself runs the analysis queries). The dashboard is off and no traffic-router RBAC is
granted: sahab's canaries are replica-weighted (see :class:`~.rollout_strategy.Canary`). The
chart's ClusterRole still reads Secrets in every namespace (for analyses that reference them;
sahab's reference none): that is the chart's, not a value. Chart values: argoproj/argo-helm
charts/argo-rollouts/values.yaml at 2.41.0.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from ..validation import ComponentInputError
from .base import KubernetesComponent, require_provider
from .charts import ChartRef, helm_release
from .images import Image, require_chart_image
from .namespace import Allow, NamespaceQuota, Port, ZeroTrustNamespace, ZeroTrustNamespaceArgs, api_server_egress
from .namespace import validate as validate_namespace
from .rollout_strategy import PrometheusEndpoint
from .workload import DEFAULT_RUN_AS_USER, Resources

ARGO_ROLLOUTS_CHART = ChartRef("https://argoproj.github.io/argo-helm", "argo-rollouts", "2.41.0")
# The chart's appVersion: the controller image tag it was released with.
ARGO_ROLLOUTS_VERSION = "v1.9.0"
CONTROLLER_REPOSITORY = "argoproj/argo-rollouts"
DASHBOARD_REPOSITORY = "argoproj/kubectl-argo-rollouts"
# The controller pods' name label (the chart's selectorLabels: the chart's name), for the
# Prometheus side of the analysis queries' allow.
CONTROLLER_POD_LABELS = {"app.kubernetes.io/name": "argo-rollouts"}


@dataclass(kw_only=True)
class RolloutsControllerArgs:
    """Where the controller's image is mirrored and what it may reach.

    ``image`` is the controller mirrored in-region (upstream ``quay.io/argoproj/argo-rollouts``
    at the chart's appVersion, :data:`ARGO_ROLLOUTS_VERSION`), with a tag and, to pin it, a
    digest. ``api_server_cidrs`` are the private networks of the cluster's API endpoint (port
    ``api_server_port``; on EKS the VPC, where the control plane's network interfaces live): the
    controller watches Rollouts and patches Services and ReplicaSets. ``prometheus`` is where
    the controller sends the analysis queries.
    """

    provider: k8s.Provider
    image: Image
    api_server_cidrs: Sequence[str]
    api_server_port: int = 443
    prometheus: PrometheusEndpoint = field(default_factory=PrometheusEndpoint)
    namespace: str = "argo-rollouts"
    chart: ChartRef = ARGO_ROLLOUTS_CHART
    replicas: int = 2
    resources: Resources = field(default_factory=lambda: Resources("100m", "256Mi", "1", "512Mi"))
    quota: NamespaceQuota = field(default_factory=lambda: NamespaceQuota(cpu="4", memory="4Gi", pods=10))


COMPONENT = "RolloutsController"
TYPE_TOKEN = "sahab:kubernetes:RolloutsController"


def _namespace_args(args: RolloutsControllerArgs) -> ZeroTrustNamespaceArgs:
    prometheus = args.prometheus
    return ZeroTrustNamespaceArgs(
        provider=args.provider,
        namespace=args.namespace,
        egress=[
            *api_server_egress(COMPONENT, args.api_server_cidrs, args.api_server_port),
            Allow(name="prometheus", namespace=prometheus.namespace, peer_pods=dict(prometheus.pods),
                  ports=[Port(prometheus.port)]),
        ],
        quota=args.quota,
    )


def _image_values(registry: str, repository: str, tag: str) -> Dict[str, str]:
    # A tag alone is re-resolved at every start; a digest is the content itself (as workload.secure_container).
    return {"registry": registry, "repository": repository, "tag": tag,
            "pullPolicy": "IfNotPresent" if "@sha256:" in tag else "Always"}


def _dashboard_repository(controller: str) -> str:
    """The dashboard's mirror path: beside the controller's (``.../argo-rollouts`` -> ``.../kubectl-argo-rollouts``)."""
    parent, _, _ = controller.rpartition("/")
    return "/".join(filter(None, [parent, DASHBOARD_REPOSITORY.rpartition("/")[2]]))


def chart_values(args: RolloutsControllerArgs) -> Dict[str, Any]:
    """The release's values: in-region images, hardened pods, no dashboard, no router RBAC."""
    image = args.image
    # The chart writes <registry>/<repository>:<tag>; "tag@sha256:..." pins the digest (chart _helpers.tpl).
    controller_tag = "%s@%s" % (image.tag, image.digest) if image.digest else image.tag
    resources = args.resources
    return {
        "installCRDs": True,
        "keepCRDs": True,
        "clusterInstall": True,
        "controller": {
            "replicas": args.replicas,
            "image": _image_values(image.registry, image.repository, controller_tag),
            "resources": {
                "requests": {"cpu": resources.cpu_request, "memory": resources.memory_request},
                "limits": {"cpu": resources.cpu_limit, "memory": resources.memory_limit},
            },
            "pdb": {"enabled": args.replicas > 1, "minAvailable": 1},
            "metrics": {"enabled": False},
        },
        # Off; its image is overridden all the same so no value points outside the region.
        "dashboard": {"enabled": False, "image": _image_values(image.registry, _dashboard_repository(image.repository), image.tag)},
        # The image's USER is 999 (argo-rollouts v1.9.0 Dockerfile), inside the range images
        # create users in; its static binary writes only to the chart's emptyDirs (/tmp,
        # plugin-bin), so it runs as sahab's usual high UID instead.
        "podSecurityContext": {
            "runAsNonRoot": True, "runAsUser": DEFAULT_RUN_AS_USER, "runAsGroup": DEFAULT_RUN_AS_USER,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containerSecurityContext": {
            "runAsNonRoot": True, "allowPrivilegeEscalation": False, "privileged": False,
            "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        # Replica-weighted canaries touch no mesh, ingress or Gateway API objects.
        "providerRBAC": {"enabled": False, "providers": {"gatewayAPI": False}},
    }


def _validate(args: RolloutsControllerArgs) -> None:
    require_provider(COMPONENT, args.provider)
    require_chart_image(COMPONENT, "image", args.image)
    args.chart.validate(COMPONENT, "chart")
    args.prometheus.validate(COMPONENT, "prometheus")
    if not isinstance(args.replicas, int) or isinstance(args.replicas, bool) or args.replicas < 1:
        raise ComponentInputError(
            "%s: replicas must be >= 1 (2 keeps a leader-elected standby), got %r" % (COMPONENT, args.replicas))
    args.resources.validate(COMPONENT, "resources")
    validate_namespace(args.namespace, _namespace_args(args))


class RolloutsController(KubernetesComponent):
    """Argo Rollouts, pinned, in its own zero-trust namespace, pulling from the in-region registry."""

    def __init__(self, name: str, args: RolloutsControllerArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        _validate(args)
        super().__init__(TYPE_TOKEN, name, args.provider, opts)
        self.namespace = ZeroTrustNamespace("%s-ns" % name, _namespace_args(args), pulumi.ResourceOptions(parent=self))
        self.release = helm_release(
            name, args.chart, release_name="argo-rollouts", namespace=args.namespace, values=chart_values(args),
            opts=self.child_opts(depends_on=[self.namespace]))
        self.namespace_name = args.namespace
        self.register_outputs({"namespace": args.namespace})
