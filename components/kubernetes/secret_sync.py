"""The External Secrets Operator, pinned, in its own zero-trust namespace, namespaced stores only.

Why: secrets reach pods through an operator that copies them from the cloud's secret store
(:mod:`.secrets`), so no value passes through the program, the plan or the Pulumi state. The
operator holds the most sensitive rights in the cluster, so this install takes the least it can:

* Chart ``external-secrets`` **2.9.0** (appVersion v2.9.0) from https://charts.external-secrets.io,
  pinned. Values keys read from external-secrets/external-secrets at tag ``helm-chart-2.9.0``
  (commit cc5bfbc2, 2026-08-08), ``deploy/charts/external-secrets/values.yaml`` and
  ``templates/_helpers.tpl``; read 2026-12 from a snapshot of the repository.
* Images: the controller, webhook and cert-controller (one image, ``image``,
  ``webhook.image`` and ``certController.image``) come from the in-region registry; mirror
  ``ghcr.io/external-secrets/external-secrets:v2.9.0`` there. The chart writes
  ``<repository>:<tag>``, so a digest is appended to the tag (``v2.9.0@sha256:...``).
* Namespaced ``SecretStore`` only: ``processClusterStore``, ``processClusterExternalSecret``,
  ``processClusterPushSecret``, ``processPushSecret`` and ``processClusterGenerator`` are off
  (the chart then drops their RBAC, and ExternalSecrets naming a ClusterSecretStore are ignored);
  a namespace reads only what its own store's identity may read, and nothing is pushed out.
* ``rbac.serviceAccountTokenCreate: false``: the controller cannot mint a token for any
  ServiceAccount in the cluster (which would let it assume every workload's cloud role);
  :func:`.secrets.secret_store` grants it exactly its store's account. The ``edit`` and
  ``admin`` roles do not get the right to create stores or ExternalSecrets (only ``view``).
* Non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp, requests and
  limits and liveness and readiness probes on all three deployments (the chart leaves the
  controller's probes and the webhook's and cert-controller's liveness off: a hung controller
  would stop syncing unnoticed); metrics and ServiceMonitor off (no ingress for them).
* Network: default deny; egress to the Kubernetes API server (``api_server_cidrs``) for all
  three, and to the secret store's and STS's private endpoints (``cloud_endpoint_cidrs``, port
  443) for the controller only; ingress to the webhook (10250) from the API server only. Where
  the cloud's token service has no private endpoint (Entra ID, ``login.microsoftonline.com``, for
  an Azure workload-identity store), ``identity_provider_cidrs`` names its public networks, on
  443, for the controller only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from ..validation import ComponentInputError, require_cidrs, require_non_empty
from .base import KubernetesComponent, require_provider
from .charts import ChartRef, helm_release
from .images import Image, require_chart_image
from .namespace import Allow, NamespaceQuota, Port, ZeroTrustNamespace, ZeroTrustNamespaceArgs, api_server_egress
from .namespace import validate as validate_namespace
from .secrets import ESO_CONTROLLER, ServiceAccountRef
from .workload import DEFAULT_RUN_AS_USER, Resources, cpu_quantity, memory_quantity

COMPONENT = "SecretSync"
TYPE_TOKEN = "sahab:kubernetes:SecretSync"
ESO_CHART = ChartRef("https://charts.external-secrets.io", "external-secrets", "2.9.0")
RELEASE = "external-secrets"
WEBHOOK_PORT = 10250
CLOUD_API_PORT = 443
CONTROLLER_POD_LABELS = {"app.kubernetes.io/name": "external-secrets", "app.kubernetes.io/instance": RELEASE}
WEBHOOK_POD_LABELS = {"app.kubernetes.io/name": "external-secrets-webhook", "app.kubernetes.io/instance": RELEASE}
# During a rolling update the old and the new pod of each deployment run side by side.
QUOTA_HEADROOM = 2


@dataclass(kw_only=True)
class SecretSyncArgs:
    """``image`` is the operator's image mirrored in-region; ``api_server_cidrs`` are where the
    cluster's API server endpoints live (on EKS the control-plane ENIs in the cluster subnets),
    ``cloud_endpoint_cidrs`` the networks of the Secrets Manager and STS interface endpoints (on
    Azure the Key Vault private endpoint's subnet); ``identity_provider_cidrs`` the public
    networks of a token service without a private endpoint (Entra ID; empty on AWS)."""

    provider: k8s.Provider
    image: Image
    api_server_cidrs: Sequence[str]
    cloud_endpoint_cidrs: Sequence[str]
    identity_provider_cidrs: Sequence[str] = ()
    api_server_port: int = 443
    namespace: str = ESO_CONTROLLER.namespace
    chart: ChartRef = ESO_CHART
    controller_resources: Resources = field(default_factory=lambda: Resources("50m", "128Mi", "500m", "512Mi"))
    webhook_resources: Resources = field(default_factory=lambda: Resources("20m", "64Mi", "200m", "256Mi"))
    cert_controller_resources: Resources = field(default_factory=lambda: Resources("20m", "64Mi", "200m", "256Mi"))


def _namespace_args(args: SecretSyncArgs) -> ZeroTrustNamespaceArgs:
    ingress = [Allow("webhook-from-api-server-%d" % i, ports=[Port(WEBHOOK_PORT)], pods=WEBHOOK_POD_LABELS, cidr=cidr)
               for i, cidr in enumerate(args.api_server_cidrs)]
    egress = api_server_egress(COMPONENT, args.api_server_cidrs, args.api_server_port)
    egress += [Allow("cloud-endpoints-%d" % i, ports=[Port(CLOUD_API_PORT)], pods=CONTROLLER_POD_LABELS, cidr=cidr)
               for i, cidr in enumerate(args.cloud_endpoint_cidrs)]
    egress += [Allow("identity-provider-%d" % i, ports=[Port(CLOUD_API_PORT)], pods=CONTROLLER_POD_LABELS, cidr=cidr)
               for i, cidr in enumerate(args.identity_provider_cidrs)]
    parts = (args.controller_resources, args.webhook_resources, args.cert_controller_resources)
    cpu = sum(cpu_quantity(r.cpu_limit) for r in parts) * QUOTA_HEADROOM
    memory = sum(memory_quantity(r.memory_limit) for r in parts) * QUOTA_HEADROOM
    return ZeroTrustNamespaceArgs(
        provider=args.provider, namespace=args.namespace, ingress=ingress, egress=egress,
        quota=NamespaceQuota(cpu="%dm" % (cpu * 1000), memory=str(memory), pods=len(parts) * QUOTA_HEADROOM))


def validate(name: str, args: SecretSyncArgs) -> ZeroTrustNamespaceArgs:
    """Every check before anything registers; returns the namespace's arguments."""
    require_provider(COMPONENT, args.provider)
    require_chart_image(COMPONENT, "image", args.image)
    args.chart.validate(COMPONENT, "chart")
    api_server_egress(COMPONENT, args.api_server_cidrs, args.api_server_port)
    require_non_empty(COMPONENT, "cloud_endpoint_cidrs", args.cloud_endpoint_cidrs)
    require_cidrs(COMPONENT, "cloud_endpoint_cidrs", list(args.cloud_endpoint_cidrs), private_only=True)
    require_cidrs(COMPONENT, "identity_provider_cidrs", list(args.identity_provider_cidrs), private_only=False)
    for argument in ("controller_resources", "webhook_resources", "cert_controller_resources"):
        resources = getattr(args, argument)
        if not isinstance(resources, Resources):
            raise ComponentInputError("%s: %s must be a Resources, got %r" % (COMPONENT, argument, resources))
        resources.validate(COMPONENT, argument)
        if resources.gpus:
            raise ComponentInputError("%s: %s.gpus must be 0; the operator uses no GPU" % (COMPONENT, argument))
    namespace_args = _namespace_args(args)
    validate_namespace(name, namespace_args)
    return namespace_args


def _image_values(image: Image) -> Dict[str, str]:
    tag = "%s@%s" % (image.tag, image.digest) if image.digest else str(image.tag)
    return {"repository": "%s/%s" % (image.registry, image.repository), "tag": tag, "flavour": "",
            "pullPolicy": "IfNotPresent" if image.digest else "Always"}


def _resource_values(resources: Resources) -> Dict[str, Dict[str, str]]:
    return {"requests": {"cpu": resources.cpu_request, "memory": resources.memory_request},
            "limits": {"cpu": resources.cpu_limit, "memory": resources.memory_limit}}


def _deployment_values(image: Image, resources: Resources) -> Dict[str, Any]:
    """Image, resources and the restricted security contexts of one of the chart's deployments."""
    user = DEFAULT_RUN_AS_USER
    return {
        "image": _image_values(image),
        "resources": _resource_values(resources),
        "podSecurityContext": {"enabled": True, "runAsNonRoot": True, "runAsUser": user, "runAsGroup": user,
                               "fsGroup": user, "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": {"enabled": True, "runAsNonRoot": True, "runAsUser": user, "runAsGroup": user,
                            "allowPrivilegeEscalation": False, "privileged": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
    }


def chart_values(args: SecretSyncArgs, controller: ServiceAccountRef) -> Dict[str, Any]:
    """The release's values (a plain dict: the plan shows it and the tests read it)."""
    return {
        "installCRDs": True,
        **_deployment_values(args.image, args.controller_resources),
        "serviceAccount": {"create": True, "name": controller.name},
        # Only the platform (Pulumi) creates stores and ExternalSecrets: namespace editors and
        # admins do not inherit the right to (view stays, for status), nor servicebinding.io.
        "rbac": {"create": True, "serviceAccountTokenCreate": False, "aggregateToView": True,
                 "aggregateToEdit": False, "aggregateToAdmin": False, "servicebindings": {"create": False}},
        # The kubelet restarts a hung controller; readiness also starts its health server (:8082).
        "livenessProbe": {"enabled": True},
        "readinessProbe": {"enabled": True},
        "processSecretStore": True,
        "processClusterStore": False,
        "processClusterExternalSecret": False,
        "processPushSecret": False,
        "processClusterPushSecret": False,
        "processClusterGenerator": False,
        "bitwarden-sdk-server": {"enabled": False},
        "serviceMonitor": {"enabled": False},
        "metrics": {"service": {"enabled": False}},
        # Their readiness probes are on by default; liveness (same health server, :8081) is not.
        "webhook": {"create": True, "failurePolicy": "Fail", "port": WEBHOOK_PORT, "livenessProbe": {"enabled": True},
                    **_deployment_values(args.image, args.webhook_resources)},
        "certController": {"create": True, "livenessProbe": {"enabled": True},
                           **_deployment_values(args.image, args.cert_controller_resources)},
    }


class SecretSync(KubernetesComponent):
    """External Secrets Operator in its own ZeroTrustNamespace; ``controller`` is its ServiceAccount
    (pass it to :func:`.secrets.secret_store` when ``namespace`` is not the default)."""

    namespace: str
    controller: ServiceAccountRef
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: SecretSyncArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        namespace_args = validate(name, args)
        super().__init__(TYPE_TOKEN, name, args.provider, opts)
        self.namespace = args.namespace
        self.controller = ServiceAccountRef(args.namespace, ESO_CONTROLLER.name)
        home = ZeroTrustNamespace(name, namespace_args, opts=pulumi.ResourceOptions(parent=self))
        self.release = helm_release(
            name, args.chart, release_name=RELEASE, namespace=args.namespace,
            values=chart_values(args, self.controller), opts=self.child_opts(depends_on=[home]))
        self.register_outputs({"namespace": self.namespace, "controller_service_account": self.controller.name})
