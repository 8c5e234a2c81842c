"""Monitoring and alerting: kube-prometheus-stack, pinned, in its own zero-trust namespace.

:class:`Monitoring` installs kube-prometheus-stack **88.5.3** (app v0.93.1; subcharts grafana
12.11.1, kube-state-metrics 8.4.0) from https://prometheus-community.github.io/helm-charts as a
pinned ``helm.v3.Release`` (:mod:`.charts`; it runs the chart's hooks, so the operator's
admission-webhook certificate Jobs run as the chart intends) and writes the platform's own alert
rules (:mod:`.platform_alerts`) as a ``PrometheusRule``. Values keys read from
prometheus-community/helm-charts at tag ``kube-prometheus-stack-88.5.3`` (``values.yaml``,
``templates/``) and grafana-community/helm-charts at ``grafana-12.11.1``.

* **In-region images**: ``global.imageRegistry`` is the mirror (``<registry>/<image_prefix>``);
  every image of the chart and its subcharts is built from it with upstream's repository paths
  (``prometheus/prometheus``, ``grafana/grafana``, ``kiwigrid/k8s-sidecar``, ...). Tags are
  the chart's, so pull policies are ``Always``.
* **Everything is selected**: ``serviceMonitorSelectorNilUsesHelmValues``, ``podMonitor...``,
  ``rule...``, ``probe...`` and ``scrapeConfig...`` are ``false``, so Prometheus picks up the
  monitors and rules of every release and namespace: the GPU operator's DCGM ServiceMonitor, each
  ModelServing's PodMonitor and SLO rules, and the rules written here.
* **The names analyses rely on**: the operator fronts Prometheus with the ``prometheus-operated``
  Service (port 9090) and labels its pods ``app.kubernetes.io/name: prometheus``;
  :attr:`Monitoring.endpoint` is that :class:`~.rollout_strategy.PrometheusEndpoint`, so canary
  analyses, network allows and this install name one Prometheus.
* **Grafana's admin password** comes from the cloud's secret store through an ``ExternalSecret``
  in the namespace's own ``SecretStore`` (:mod:`.secrets`) and is read by Grafana from a mounted
  file (``GF_SECURITY_ADMIN_PASSWORD__FILE``), never from an environment variable: the chart's
  ``admin.existingSecret`` would put it in the environment of Grafana and its sidecars. The
  sidecars therefore do not call Grafana's reload API: datasources load at start (an init
  container), dashboards through Grafana's file provisioning. No usage data or update checks
  leave the region (``grafana.ini`` ``analytics``).
* **Alerts go somewhere**: ``alert_receiver`` (:mod:`.alert_routing`) replaces the chart's
  ``null`` receiver: one route grouped by alert name and namespace to a webhook, Slack or Teams
  receiver whose URL Alertmanager reads from a file, copied by ESO from the secret store into a
  Secret mounted into its pods; its only new egress is the receiver's networks and port.
* **Volumes from the encrypted class**: Prometheus and Alertmanager claim their volumes from
  ``storage_class``, an :class:`~.storage.EncryptedStorageClass` (customer managed key), and the
  release waits for it.
* **Not installed**: node-exporter (it needs the host's PID and network namespaces and
  ``/proc``, ``/sys`` and ``/`` mounted; node and container metrics come from the kubelet's
  cAdvisor, GPU metrics from DCGM exporter; docs/decisions.md), the Windows exporter, and
  ServiceMonitors for control-plane parts EKS and AKS do not expose (etcd, scheduler,
  controller manager, kube-proxy); their default rules are off too. kube-state-metrics does
  not collect Secrets, so its ClusterRole cannot read them.
* **Network**: the namespace denies everything; each flow is an allow (:meth:`Monitoring` builds
  them from :data:`PROMETHEUS_PODS` and friends): Prometheus scrapes the kubelets, the API
  server, CoreDNS, its own namespace's components and the ``scrape_targets``; Grafana reads
  Prometheus and Alertmanager; clients of Prometheus (``query_clients``, e.g. Argo Rollouts)
  reach port 9090 only. The chart's own NetworkPolicies are on for Prometheus, Alertmanager,
  Grafana and kube-state-metrics (ingress from Prometheus only); the operator's stays off: it
  allows all egress (``egress: [{}]``), which would lift the namespace's default deny.
* Non-root (UID 65534 except Grafana's image user 472), read-only root filesystems, all
  capabilities dropped, RuntimeDefault seccomp, requests and limits, on every pod.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from ..validation import ComponentInputError, DNS_LABEL, require_cidrs, require_labels, require_non_empty, require_port
from .base import KubernetesComponent, require_provider
from .charts import ChartRef, helm_release, registry_override
from .images import Image, require_image, require_registry_host
from .namespace import Allow, NamespaceQuota, Port, ZeroTrustNamespace, ZeroTrustNamespaceArgs, api_server_egress
from .namespace import validate as validate_namespace
from .alert_routing import RECEIVER_SECRET, RECEIVER_SECRET_KEY, AlertReceiver
from .platform_alerts import PlatformAlerts
from .rollout_strategy import PrometheusEndpoint
from .secrets import ESO_CONTROLLER, RemoteRef, SecretStoreBinding, ServiceAccountRef, external_secret, secret_store
from .storage import EncryptedStorageClass
from .workload import Resources

COMPONENT = "Monitoring"
TYPE_TOKEN = "sahab:kubernetes:Monitoring"
KPS_CHART = ChartRef("https://prometheus-community.github.io/helm-charts", "kube-prometheus-stack", "88.5.3")
RELEASE = "kube-prometheus-stack"
# What the Prometheus Operator creates for a Prometheus: the governing Service the chart's own
# Grafana datasource points at (values.yaml grafana.sidecar.datasources.prometheusServiceName) and
# the pod label the chart's Prometheus NetworkPolicy selects (templates/prometheus/networkpolicy.yaml).
PROMETHEUS_SERVICE = "prometheus-operated"
PROMETHEUS_PORT = 9090
CONFIG_RELOADER_PORT = 8080
PROMETHEUS_PODS = {"app.kubernetes.io/name": "prometheus"}
ALERTMANAGER_PORT = 9093
ALERTMANAGER_PODS = {"app.kubernetes.io/name": "alertmanager"}
OPERATOR_PORT = 10250
OPERATOR_PODS = {"app.kubernetes.io/name": "kube-prometheus-stack-prometheus-operator"}
KSM_PORTS = (8080, 8081)
KSM_PODS = {"app.kubernetes.io/name": "kube-state-metrics"}
GRAFANA_PORT = 3000
GRAFANA_PODS = {"app.kubernetes.io/name": "grafana"}
KUBELET_PORT = 10250
COREDNS_PORT = 9153
COREDNS_PODS = {"k8s-app": "kube-dns"}
# The images' own non-root users: nobody (Prometheus, Alertmanager, the operator, kube-state-
# metrics, the certgen Jobs) and grafana (472, the Grafana image's USER, which owns its folders).
NOBODY = 65534
GRAFANA_UID = 472
GRAFANA_ADMIN_SECRET = "grafana-admin"
GRAFANA_ADMIN_USER = "admin"
GRAFANA_SECRETS_DIR = "/etc/secrets/grafana-admin"
GRAFANA_PASSWORD_KEY = "admin-password"
# Default rules for what is not installed or not reachable on a managed control plane.
DISABLED_DEFAULT_RULES = ("etcd", "kubeControllerManager", "kubeProxy", "kubeSchedulerAlerting",
                          "kubeSchedulerRecording", "nodeExporterAlerting", "nodeExporterRecording", "windows")
UNREACHABLE_CONTROL_PLANE = ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy")

_SIZE = re.compile(r"^([1-9]\d*)(Gi|Ti)$")
_DURATION = re.compile(r"^[1-9]\d*(h|d|w|y)$")


@dataclass(frozen=True)
class ScrapeTarget:
    """Pods in another namespace that Prometheus scrapes on ``port``; that namespace must allow
    the scrape in (e.g. ``GpuEnablementArgs.metrics_namespace``, ``serving.metrics_scrape_allow``)."""

    name: str
    namespace: str
    pods: Mapping[str, str]
    port: int


@dataclass(frozen=True)
class QueryClient:
    """Pods in another namespace that query Prometheus (e.g. the Argo Rollouts controller)."""

    name: str
    namespace: str
    pods: Mapping[str, str]


@dataclass(kw_only=True)
class MonitoringArgs:
    """Where the images are mirrored, what Prometheus keeps, what it scrapes and who may ask it.

    ``registry``/``image_prefix``: the in-region mirror holding the chart's images under
    upstream's repository paths and tags. ``api_server_cidrs``: the private networks of the
    cluster's API endpoint; ``node_cidrs``: the nodes' networks (kubelet metrics, port 10250).
    ``storage_class`` is the :class:`~.storage.EncryptedStorageClass` the volumes come from (the
    component, not a name that could drift from it); ``storage_size`` is
    Prometheus's volume (``retention_size`` defaults to 85% of it, so the volume never fills),
    ``retention`` how long samples are kept. ``secret_store`` is the cloud side's binding for the
    namespace's ``SecretStore``; ``grafana_admin_password`` a reference into it, never a value.
    """

    provider: k8s.Provider
    registry: str
    api_server_cidrs: Sequence[str]
    node_cidrs: Sequence[str]
    storage_class: EncryptedStorageClass
    secret_store: SecretStoreBinding
    grafana_admin_password: RemoteRef
    alerts: PlatformAlerts
    alert_receiver: AlertReceiver
    scrape_targets: Sequence[ScrapeTarget] = ()
    query_clients: Sequence[QueryClient] = ()
    image_prefix: Optional[str] = None
    api_server_port: int = 443
    namespace: str = "monitoring"
    chart: ChartRef = KPS_CHART
    storage_size: str = "50Gi"
    retention: str = "15d"
    retention_size: Optional[str] = None
    alertmanager_storage_size: str = "2Gi"
    prometheus_replicas: int = 1
    prometheus_resources: Resources = field(default_factory=lambda: Resources("500m", "2Gi", "2", "4Gi"))
    grafana_resources: Resources = field(default_factory=lambda: Resources("100m", "256Mi", "500m", "512Mi"))
    component_resources: Resources = field(default_factory=lambda: Resources("50m", "64Mi", "200m", "256Mi"))
    quota: NamespaceQuota = field(default_factory=lambda: NamespaceQuota(cpu="24", memory="48Gi", pods=30))
    secret_store_name: str = "aws-secrets"
    eso_controller: ServiceAccountRef = ESO_CONTROLLER


def _gib(size: str) -> int:
    match = _SIZE.match(size)
    assert match is not None
    return int(match.group(1)) * (1024 if match.group(2) == "Ti" else 1)


def retention_size(args: MonitoringArgs) -> str:
    """``retention_size``, or 85% of the volume: Prometheus deletes old blocks before it fills."""
    return args.retention_size or "%dGB" % max(1, _gib(args.storage_size) * 85 // 100)


def endpoint(args: MonitoringArgs) -> PrometheusEndpoint:
    return PrometheusEndpoint(namespace=args.namespace, service=PROMETHEUS_SERVICE, port=PROMETHEUS_PORT,
                              pods=dict(PROMETHEUS_PODS))


def _namespace_args(args: MonitoringArgs) -> ZeroTrustNamespaceArgs:
    """Every flow in and out of the namespace: the chart's components, scrapes and queries."""
    def local(name: str, source: Mapping[str, str], peer: Mapping[str, str], ports: Sequence[int]) -> Allow:
        return Allow(name, ports=[Port(p) for p in ports], pods=dict(source), peer_pods=dict(peer))

    own = {"prometheus": (PROMETHEUS_PODS, (PROMETHEUS_PORT, CONFIG_RELOADER_PORT)),
           "alertmanager": (ALERTMANAGER_PODS, (ALERTMANAGER_PORT, CONFIG_RELOADER_PORT)),
           "operator": (OPERATOR_PODS, (OPERATOR_PORT,)), "kube-state-metrics": (KSM_PODS, KSM_PORTS),
           "grafana": (GRAFANA_PODS, (GRAFANA_PORT,))}
    egress = api_server_egress(COMPONENT, args.api_server_cidrs, args.api_server_port)
    egress += [Allow("kubelet-%d" % i, ports=[Port(KUBELET_PORT)], pods=dict(PROMETHEUS_PODS), cidr=cidr)
               for i, cidr in enumerate(args.node_cidrs)]
    egress.append(Allow("coredns-metrics", ports=[Port(COREDNS_PORT)], pods=dict(PROMETHEUS_PODS),
                        namespace="kube-system", peer_pods=dict(COREDNS_PODS)))
    egress += [local("scrape-%s" % name, PROMETHEUS_PODS, pods, ports) for name, (pods, ports) in own.items()]
    egress += [Allow("scrape-%s" % t.name, ports=[Port(t.port)], pods=dict(PROMETHEUS_PODS), namespace=t.namespace,
                     peer_pods=dict(t.pods)) for t in args.scrape_targets]
    egress += [local("grafana-to-prometheus", GRAFANA_PODS, PROMETHEUS_PODS, (PROMETHEUS_PORT,)),
               local("grafana-to-alertmanager", GRAFANA_PODS, ALERTMANAGER_PODS, (ALERTMANAGER_PORT,))]
    egress += args.alert_receiver.egress(ALERTMANAGER_PODS)
    ingress = [local("from-prometheus-to-%s" % name, pods, PROMETHEUS_PODS, ports) for name, (pods, ports) in own.items()]
    ingress += [local("from-grafana-to-prometheus", PROMETHEUS_PODS, GRAFANA_PODS, (PROMETHEUS_PORT,)),
                local("from-grafana-to-alertmanager", ALERTMANAGER_PODS, GRAFANA_PODS, (ALERTMANAGER_PORT,))]
    # The API server calls the operator's admission webhook (validating PrometheusRules).
    ingress += [Allow("webhook-from-api-server-%d" % i, ports=[Port(OPERATOR_PORT)], pods=dict(OPERATOR_PODS), cidr=cidr)
                for i, cidr in enumerate(args.api_server_cidrs)]
    ingress += [Allow("query-%s" % c.name, ports=[Port(PROMETHEUS_PORT)], pods=dict(PROMETHEUS_PODS),
                      namespace=c.namespace, peer_pods=dict(c.pods)) for c in args.query_clients]
    return ZeroTrustNamespaceArgs(provider=args.provider, namespace=args.namespace, ingress=ingress, egress=egress,
                                  quota=args.quota)


def _resources(resources: Resources) -> Dict[str, Dict[str, str]]:
    return {"requests": {"cpu": resources.cpu_request, "memory": resources.memory_request},
            "limits": {"cpu": resources.cpu_limit, "memory": resources.memory_limit}}


def _pod_security(user: int) -> Dict[str, Any]:
    return {"runAsNonRoot": True, "runAsUser": user, "runAsGroup": user, "fsGroup": user,
            "seccompProfile": {"type": "RuntimeDefault"}}


def _container_security(user: int) -> Dict[str, Any]:
    return {"runAsNonRoot": True, "runAsUser": user, "runAsGroup": user, "allowPrivilegeEscalation": False,
            "privileged": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}}


def _volume(storage_class: EncryptedStorageClass, size: str) -> Dict[str, Any]:
    return {"volumeClaimTemplate": {"spec": {"storageClassName": storage_class.class_name, "accessModes": ["ReadWriteOnce"],
                                             "resources": {"requests": {"storage": size}}}}}


def _prometheus_values(args: MonitoringArgs) -> Dict[str, Any]:
    selected = {"%sSelectorNilUsesHelmValues" % kind: False
                for kind in ("serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig")}
    return {
        "networkPolicy": {"enabled": True, "flavor": "kubernetes"},
        "prometheusSpec": {
            **selected,
            "image": {"pullPolicy": "Always"},
            "replicas": args.prometheus_replicas,
            "retention": args.retention,
            "retentionSize": retention_size(args),
            "storageSpec": _volume(args.storage_class, args.storage_size),
            "resources": _resources(args.prometheus_resources),
            "securityContext": _pod_security(NOBODY),
            "enableAdminAPI": False,
            "enableRemoteWriteReceiver": False,
        },
    }


def _grafana_values(args: MonitoringArgs) -> Dict[str, Any]:
    component = _resources(args.component_resources)
    sidecar_security = _container_security(GRAFANA_UID)
    return {
        "enabled": True,
        "image": {"pullPolicy": "Always"},
        "admin": {"existingSecret": GRAFANA_ADMIN_SECRET, "passwordKey": GRAFANA_PASSWORD_KEY},
        # Set here, the chart writes no secretKeyRef variables (grafana chart templates/_pod.tpl).
        "env": {"GF_SECURITY_ADMIN_USER": GRAFANA_ADMIN_USER,
                "GF_SECURITY_ADMIN_PASSWORD__FILE": "%s/%s" % (GRAFANA_SECRETS_DIR, GRAFANA_PASSWORD_KEY)},
        "extraSecretMounts": [{"name": "admin", "secretName": GRAFANA_ADMIN_SECRET, "mountPath": GRAFANA_SECRETS_DIR,
                               "readOnly": True, "defaultMode": 0o440}],
        "grafana.ini": {"analytics": {"reporting_enabled": False, "check_for_updates": False,
                                      "check_for_plugin_updates": False, "feedback_links_enabled": False},
                        "users": {"allow_sign_up": False}},
        "resources": _resources(args.grafana_resources),
        "securityContext": _pod_security(GRAFANA_UID),
        "containerSecurityContext": _container_security(GRAFANA_UID),
        "initChownData": {"enabled": False},
        "testFramework": {"enabled": False},
        "networkPolicy": {"enabled": True, "ingress": True, "allowExternal": False},
        # The sidecars' rule reads ConfigMaps *and Secrets* (grafana templates/clusterrole.yaml):
        # a Role in this namespace instead of a ClusterRole over every namespace's Secrets.
        "rbac": {"namespaced": True},
        "sidecar": {
            "imagePullPolicy": "Always",
            "resources": component,
            "securityContext": sidecar_security,
            "dashboards": {"skipReload": True, "searchNamespace": args.namespace},
            "datasources": {"skipReload": True, "initDatasources": True, "searchNamespace": args.namespace},
        },
    }


def _operator_values(args: MonitoringArgs) -> Dict[str, Any]:
    component = _resources(args.component_resources)
    return {
        "image": {"pullPolicy": "Always"},
        "resources": component,
        "securityContext": _pod_security(NOBODY),
        "containerSecurityContext": _container_security(NOBODY),
        "prometheusConfigReloader": {"resources": component},
        # Its only policy allows all egress (templates/prometheus-operator/networkpolicy.yaml).
        "networkPolicy": {"enabled": False},
        "admissionWebhooks": {
            "failurePolicy": "Fail",
            "patch": {"enabled": True, "image": {"pullPolicy": "Always"}, "resources": component,
                      "securityContext": _pod_security(NOBODY)},
            "createSecretJob": {"securityContext": _container_security(NOBODY)},
            "patchWebhookJob": {"securityContext": _container_security(NOBODY)},
        },
    }


def chart_values(args: MonitoringArgs) -> Dict[str, Any]:
    """The release's values (a plain dict: the plan shows it and the tests read it)."""
    component = _resources(args.component_resources)
    prometheus_ingress = [{"from": [{"podSelector": {"matchLabels": dict(PROMETHEUS_PODS)}}],
                           "ports": [{"port": port, "protocol": "TCP"} for port in KSM_PORTS]}]
    values: Dict[str, Any] = {
        "global": {"imageRegistry": registry_override(args.registry, args.image_prefix)},
        "crds": {"enabled": True, "upgradeJob": {"enabled": False}},
        "defaultRules": {"rules": {rule: False for rule in DISABLED_DEFAULT_RULES}},
        "windowsMonitoring": {"enabled": False},
        "nodeExporter": {"enabled": False},
        **{part: {"enabled": False} for part in UNREACHABLE_CONTROL_PLANE},
        "prometheusOperator": _operator_values(args),
        "prometheus": _prometheus_values(args),
        "alertmanager": {
            "networkPolicy": {"enabled": True},
            "alertmanagerSpec": {
                "image": {"pullPolicy": "Always"},
                "storage": _volume(args.storage_class, args.alertmanager_storage_size),
                "resources": component,
                "securityContext": _pod_security(NOBODY),
                # Mounted at /etc/alertmanager/secrets/<name>/: the receiver's URL file.
                "secrets": [RECEIVER_SECRET],
            },
            "config": args.alert_receiver.config(),
        },
        "grafana": _grafana_values(args),
        "kube-state-metrics": {
            "image": {"pullPolicy": "Always"},
            "resources": component,
            "securityContext": {"enabled": True, **_pod_security(NOBODY)},
            "containerSecurityContext": _container_security(NOBODY),
            # Secrets are not collected, so the ClusterRole grants no read on them.
            "collectorsExclude": ["secrets"],
            "networkPolicy": {"enabled": True, "ingress": prometheus_ingress},
        },
    }
    return values


def _require_size(argument: str, value: object) -> None:
    if not isinstance(value, str) or not _SIZE.match(value):
        raise ComponentInputError("%s: %s %r must be a volume size in Gi or Ti, such as '50Gi'" % (COMPONENT, argument, value))


def _validate_peers(args: MonitoringArgs) -> None:
    for index, target in enumerate(args.scrape_targets):
        where = "scrape_targets[%d]" % index
        if not isinstance(target, ScrapeTarget):
            raise ComponentInputError("%s: %s must be a ScrapeTarget, got %r" % (COMPONENT, where, target))
        if not DNS_LABEL.match(target.name or "") or not DNS_LABEL.match(target.namespace or "") or not target.pods:
            raise ComponentInputError(
                "%s: %s must have a name and a namespace (DNS labels) and the pods' labels (Prometheus may scrape exactly them)" % (COMPONENT, where))
        require_labels(COMPONENT, target.pods)
        require_port(COMPONENT, where + ".port", target.port)
    for index, client in enumerate(args.query_clients):
        where = "query_clients[%d]" % index
        if not isinstance(client, QueryClient):
            raise ComponentInputError("%s: %s must be a QueryClient, got %r" % (COMPONENT, where, client))
        if not DNS_LABEL.match(client.name or "") or not DNS_LABEL.match(client.namespace or "") or not client.pods:
            raise ComponentInputError(
                "%s: %s must have a name and a namespace (DNS labels) and the pods' labels (only they may query Prometheus)" % (COMPONENT, where))
        require_labels(COMPONENT, client.pods)


def validate(args: MonitoringArgs) -> ZeroTrustNamespaceArgs:
    """Every check before anything registers; returns the namespace's arguments."""
    require_provider(COMPONENT, args.provider)
    require_registry_host(COMPONENT, "registry", args.registry)
    if not isinstance(args.chart, ChartRef):
        raise ComponentInputError("%s: chart must be a ChartRef, got %r" % (COMPONENT, args.chart))
    args.chart.validate(COMPONENT, "chart")
    if args.image_prefix is not None:
        require_image(COMPONENT, "image_prefix", Image(args.registry, "%s/prometheus/prometheus" % args.image_prefix.strip("/"),
                                                       tag="v3.14.0"))
    if not isinstance(args.storage_class, EncryptedStorageClass):
        raise ComponentInputError(
            "%s: storage_class must be the EncryptedStorageClass the volumes are provisioned from (not a class name); got %s"
            % (COMPONENT, type(args.storage_class).__name__))
    _require_size("storage_size", args.storage_size)
    _require_size("alertmanager_storage_size", args.alertmanager_storage_size)
    if not isinstance(args.retention, str) or not _DURATION.match(args.retention):
        raise ComponentInputError("%s: retention %r must be a duration such as '15d' or '4w'" % (COMPONENT, args.retention))
    if args.retention_size is not None and (
            not isinstance(args.retention_size, str) or not re.match(r"^[1-9]\d*(MB|GB|TB)$", args.retention_size)):
        raise ComponentInputError("%s: retention_size %r must be a size such as '40GB'" % (COMPONENT, args.retention_size))
    replicas = args.prometheus_replicas
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 1:
        raise ComponentInputError("%s: prometheus_replicas must be a whole number >= 1, got %r" % (COMPONENT, replicas))
    for argument in ("prometheus_resources", "grafana_resources", "component_resources"):
        resources = getattr(args, argument)
        if not isinstance(resources, Resources):
            raise ComponentInputError("%s: %s must be a Resources, got %r" % (COMPONENT, argument, resources))
        resources.validate(COMPONENT, argument)
    if not isinstance(args.grafana_admin_password, RemoteRef):
        # The type, never the value: a literal password passed here must not reach the logs.
        raise ComponentInputError(
            "%s: grafana_admin_password must be a RemoteRef to the secret in the cloud's secret store (never the value); "
            "got a %s" % (COMPONENT, type(args.grafana_admin_password).__name__))
    store = args.secret_store
    if not isinstance(store, SecretStoreBinding) or store.identity.namespace != args.namespace:
        raise ComponentInputError(
            "%s: secret_store must be the SecretStoreBinding made for namespace %r (e.g. SecretsManagerStore(...).binding)"
            % (COMPONENT, args.namespace))
    if not DNS_LABEL.match(args.secret_store_name or ""):
        raise ComponentInputError("%s: secret_store_name %r is not a Kubernetes name" % (COMPONENT, args.secret_store_name))
    if not isinstance(args.alerts, PlatformAlerts):
        raise ComponentInputError("%s: alerts must be a PlatformAlerts, got %r" % (COMPONENT, args.alerts))
    args.alerts.validate(COMPONENT)
    if not isinstance(args.alert_receiver, AlertReceiver):
        raise ComponentInputError(
            "%s: alert_receiver must be an AlertReceiver (where alerts go); got %s" % (COMPONENT, type(args.alert_receiver).__name__))
    args.alert_receiver.validate(COMPONENT)
    require_non_empty(COMPONENT, "node_cidrs", list(args.node_cidrs))
    require_cidrs(COMPONENT, "node_cidrs", list(args.node_cidrs), private_only=True)
    _validate_peers(args)
    namespace_args = _namespace_args(args)
    validate_namespace(args.namespace, namespace_args)
    return namespace_args


class Monitoring(KubernetesComponent):
    """kube-prometheus-stack and the platform's alert rules in a zero-trust ``monitoring`` namespace."""

    namespace: ZeroTrustNamespace
    release: k8s.helm.v3.Release
    endpoint: PrometheusEndpoint

    def __init__(self, name: str, args: MonitoringArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        namespace_args = validate(args)
        super().__init__(TYPE_TOKEN, name, args.provider, opts)
        self.namespace = ZeroTrustNamespace("%s-ns" % name, namespace_args, opts=pulumi.ResourceOptions(parent=self))
        self.endpoint = endpoint(args)
        in_namespace = self.child_opts(depends_on=[self.namespace])
        store = secret_store("%s-store" % name, args.secret_store_name, args.secret_store, in_namespace,
                             controller=args.eso_controller)
        admin = external_secret(
            "%s-grafana-admin" % name, namespace=args.namespace, store=args.secret_store_name, target=GRAFANA_ADMIN_SECRET,
            data={"password": args.grafana_admin_password},
            template={"admin-user": GRAFANA_ADMIN_USER, GRAFANA_PASSWORD_KEY: "{{ .password }}"},
            opts=self.child_opts(depends_on=[self.namespace, store]))
        receiver = external_secret(
            "%s-alert-receiver" % name, namespace=args.namespace, store=args.secret_store_name, target=RECEIVER_SECRET,
            data={RECEIVER_SECRET_KEY: args.alert_receiver.url}, opts=self.child_opts(depends_on=[self.namespace, store]))
        self.release = helm_release(
            name, args.chart, release_name=RELEASE, namespace=args.namespace, values=chart_values(args),
            opts=self.child_opts(depends_on=[self.namespace, admin, receiver, args.storage_class]))
        # The PrometheusRule kind exists once the chart installed its CRDs.
        k8s.apiextensions.CustomResource(
            "%s-platform-alerts" % name,
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="sahab-platform-alerts", namespace=args.namespace,
                                                labels={"app.kubernetes.io/managed-by": "sahab"}),
            spec={"groups": [args.alerts.rule_group()]},
            opts=self.child_opts(depends_on=[self.release]))
        self.register_outputs({"namespace": args.namespace, "prometheus": self.endpoint.address})

