"""Serve a registered model: MLServer pods, released by Argo Rollouts as a canary or blue-green.

One :class:`ModelServing` per model. What it writes, in the model's zero-trust namespace:

* a ServiceAccount bound to the cloud identity that reads the model's artifacts (no token
  mounted; IRSA / Azure workload identity project their own);
* an Argo Rollouts ``Rollout`` of MLServer pods (the ``mlserver_mlflow`` runtime; ``image`` is
  an MLServer image that includes it, e.g. ``seldonio/mlserver:1.7.1`` mirrored in-region) that load
  the model from the MLflow registry by URI (``models:/<name>/<version>`` or
  ``models:/<name>@<alias>``), built by :mod:`.workload`'s secure defaults: non-root, read-only
  root filesystem (scratch in a size-limited ``emptyDir``), no capabilities, probes, limits;
* ClusterIP Services only (internal): ``<name>`` is what clients call, plus ``<name>-stable``
  and ``<name>-canary`` (canary) or ``<name>-preview`` (blue-green), whose selectors Argo
  Rollouts pins to one version;
* an ``AnalysisTemplate`` (error rate and p99 latency from Prometheus, thresholds from
  :class:`~.rollouts.PrometheusAnalysis`) and a ``PodMonitor`` that labels the pods' metrics
  with their ``rollouts-pod-template-hash``, so the analysis measures the new version alone;
* an ``autoscaling/v2`` HorizontalPodAutoscaler on the Rollout and a PodDisruptionBudget;
* with ``input_logging`` (:class:`~.input_logging.InputLogging`), a sidecar in every pod that
  proxies the serving port to MLServer (moved to :data:`~.input_logging.UPSTREAM_HTTP_PORT`) and
  writes the V2 inference requests' inputs to the drift job's layout under ``inputs_uri``: the
  Services then reach the proxy, and the PodMonitor scrapes its counters too. The proxy speaks
  REST only, so with input logging the model is served over REST alone: MLServer's gRPC port is
  neither declared on the pod nor published by any Service, and no inference bypasses the log
  (a drift check judging only part of the traffic would look healthy while blind). Off by default:
  it stores request payloads (a data-protection decision) and needs a write grant on the inputs
  prefix, which only the caller can give; a model a DriftMonitor watches needs it on.

The Rollout sets no ``spec.replicas``: the autoscaler owns the count (starting from
``replicas``), so a re-deploy never resets it (kubernetes.io/docs/tasks/run-application/
horizontal-pod-autoscale, "Migrating Deployments and StatefulSets to horizontal autoscaling").

An alias is resolved each time a pod starts: after the alias moves, a pod started by a scale-up
loads the new version outside any rollout. Pin a version to release through the rollout only.

The namespace's policies must allow: ingress from clients to :data:`HTTP_PORT` (and
:data:`GRPC_PORT` without input logging; never with it), ingress from Prometheus to :data:`METRICS_PORT` (:func:`metrics_scrape_allow`,
with ``logs_inputs=True`` also the sidecar's port), egress to the MLflow server and to the
artifact store (with input logging, writes to it). The Prometheus Operator's CRDs must be
installed and Prometheus must select PodMonitors in every namespace (kube-prometheus-stack:
``podMonitorSelectorNilUsesHelmValues: false``); without the metrics every analysis fails, and
so does every release, never the other way round.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional

import pulumi
import pulumi_kubernetes as k8s

from sahab.inference_log import metrics as inference_log_metrics

from ..validation import ComponentInputError, require_labels, require_name
from .base import KubernetesComponent, require_provider
from .identity import WorkloadIdentityBinding, require_binding
from .images import Image, require_image
from .input_logging import METRICS_PORT as INPUTS_METRICS_PORT
from .input_logging import METRICS_PORT_NAME as INPUTS_METRICS_PORT_NAME
from .input_logging import UPSTREAM_HTTP_PORT, UPSTREAM_PORT_NAME, InputLogging
from .mlflow_server import MODEL_NAME
from .namespace import Allow, Port
from .rollout_strategy import (
    DNS_LABEL, POD_TEMPLATE_HASH_LABEL, ROLLOUTS_API_VERSION, PrometheusAnalysis, PrometheusEndpoint, ServiceMetrics, Strategy,
    require_strategy,
)
from .rollouts import RolloutsController
from .workload import (
    Resources, autoscale_and_protect, gpu_tolerations, http_probe, scratch_volume, secret_volume, secure_container,
    secure_pod_spec,
)

COMPONENT = "ModelServing"
TYPE_TOKEN = "sahab:kubernetes:ModelServing"
NAME_LABEL = "app.kubernetes.io/name"
COMPONENT_LABEL = "app.kubernetes.io/component"
HTTP_PORT = 8080
GRPC_PORT = 8081
METRICS_PORT = 8082
# MLServer's REST metrics (starlette_exporter, prefix "rest_server"; MLServer settings.py).
MLSERVER_METRICS = ServiceMetrics(requests="rest_server_requests_total", latency="rest_server_request_duration_seconds",
                                  status_label="status_code")
# The PodMonitor copies the pods' name label onto their series, as Prometheus spells label names.
NAME_METRIC_LABEL = "app_kubernetes_io_name"
MLFLOW_RUNTIME = "mlserver_mlflow.MLflowRuntime"
# MLServer's image runs as UID 1000 and its working directory /opt/mlserver (mode 776) is
# searchable only by that user and group 0 (MLServer Dockerfile), so the pods run as 1000.
MLSERVER_UID = 1000
# The one writable folder (the root filesystem is read-only): the downloaded model, MLServer's
# metrics and environments folders (default: under the read-only working directory), caches.
HOME = "/tmp"
SCRATCH_SIZE = "4Gi"

_MODEL_URI = re.compile(r"^models:/(?P<name>%s)(/(?P<version>[1-9]\d*)|@(?P<alias>[A-Za-z0-9_-]{1,255}))$" % MODEL_NAME)
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")
_TRACKING_URI = re.compile(r"^https?://[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?(/\S*)?$")
_SECRET_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


@dataclass(kw_only=True)
class ModelServingArgs:
    """A model, where it runs, how it is released and what it must prove before promotion.

    ``identity`` must be bound to the service account ``<name>`` in ``namespace``.
    ``tracking_uri`` is the in-cluster MLflow server that resolves ``model_uri``; if it asks for
    credentials, ``tracking_credentials_secret`` names a Secret (e.g. from an ExternalSecret)
    whose ``credentials`` key is an MLflow credentials file, mounted read-only, never an env var.
    ``replicas`` is the autoscaler's minimum: at least 2 in production, never 0.
    ``input_logging`` logs the served inputs for drift checks (off by default; see the module).
    """

    provider: k8s.Provider
    namespace: str
    model_uri: str
    image: Image
    identity: WorkloadIdentityBinding
    tracking_uri: str
    strategy: Strategy
    analysis: PrometheusAnalysis = field(default_factory=PrometheusAnalysis)
    resources: Resources = field(default_factory=lambda: Resources("500m", "1Gi", "2", "4Gi"))
    replicas: int = 2
    max_replicas: int = 6
    target_cpu_utilization: int = 70
    production: bool = True
    tracking_credentials_secret: Optional[str] = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    rollouts_controller: Optional[RolloutsController] = None
    input_logging: Optional[InputLogging] = None


def require_model_uri(component: str, uri: object) -> re.Match:
    """``models:/<name>/<version>`` or ``models:/<name>@<alias>``: never ``latest`` or a stage."""
    match = _MODEL_URI.match(uri) if isinstance(uri, str) else None
    alias = match.group("alias") if match else None
    if match is None or (alias is not None and (alias.lower() == "latest" or _VERSION_ALIAS.match(alias))):
        raise ComponentInputError(
            "%s: model_uri %r must be models:/<name>/<version> (e.g. models:/fraud/7) or models:/<name>@<alias> "
            "(e.g. models:/fraud@champion); 'latest' and stages change the model without a rollout" % (component, uri))
    return match


def _require_count(argument: str, value: object, floor: int, why: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < floor:
        raise ComponentInputError("%s: %s must be >= %d %s; got %r" % (COMPONENT, argument, floor, why, value))
    return value


def _validate(name: str, args: ModelServingArgs) -> re.Match:
    """Every check, before anything registers; returns the parsed model URI."""
    require_provider(COMPONENT, args.provider)
    require_name(COMPONENT, name)
    if not name[0].isalpha():
        raise ComponentInputError(
            "%s: name %r must start with a letter (it names Services, DNS-1035 labels)" % (COMPONENT, name))
    if not isinstance(args.namespace, str) or not DNS_LABEL.match(args.namespace):
        raise ComponentInputError(
            "%s: namespace %r must be the name of the model's ZeroTrustNamespace" % (COMPONENT, args.namespace))
    model = require_model_uri(COMPONENT, args.model_uri)
    require_image(COMPONENT, "image", args.image)
    require_binding(COMPONENT, "identity", args.identity, args.namespace, name)
    if not isinstance(args.tracking_uri, str) or not _TRACKING_URI.match(args.tracking_uri):
        raise ComponentInputError(
            "%s: tracking_uri %r must be the MLflow server's http(s) URL, e.g. http://mlflow.mlflow.svc:5000"
            % (COMPONENT, args.tracking_uri))
    secret = args.tracking_credentials_secret
    if secret is not None and (not isinstance(secret, str) or not _SECRET_NAME.match(secret)):
        raise ComponentInputError("%s: tracking_credentials_secret %r is not a Secret name" % (COMPONENT, secret))
    require_strategy(COMPONENT, args.strategy)
    if not isinstance(args.analysis, PrometheusAnalysis):
        raise ComponentInputError("%s: analysis must be a PrometheusAnalysis; got %r" % (COMPONENT, args.analysis))
    args.analysis.validate(COMPONENT)
    args.resources.validate(COMPONENT, "resources")
    if args.production:
        _require_count("replicas", args.replicas, 2,
                       "in production, so losing a node or a pod never stops the service (production=False allows 1)")
    _require_count("replicas", args.replicas, 1, "(a model with no pods serves nothing)")
    _require_count("max_replicas", args.max_replicas, args.replicas, "(replicas, the autoscaler's minimum)")
    cpu = args.target_cpu_utilization
    if not isinstance(cpu, int) or isinstance(cpu, bool) or not 1 <= cpu <= 100:
        raise ComponentInputError("%s: target_cpu_utilization must be a percentage from 1 to 100, got %r" % (COMPONENT, cpu))
    require_labels(COMPONENT, args.node_selector)
    if args.rollouts_controller is not None and not isinstance(args.rollouts_controller, RolloutsController):
        raise ComponentInputError("%s: rollouts_controller must be the RolloutsController that runs the Rollout" % COMPONENT)
    if args.input_logging is not None:
        if not isinstance(args.input_logging, InputLogging):
            raise ComponentInputError(
                "%s: input_logging must be an InputLogging(inputs_uri=..., image=...) or None; got %r" % (COMPONENT, args.input_logging))
        args.input_logging.validate(COMPONENT, "input_logging")
    return model


def client_ports(logs_inputs: bool) -> Dict[str, int]:
    """The ports a model's clients may call: REST and gRPC, or REST alone when every request must
    pass the input logger (it proxies REST only)."""
    return {"http": HTTP_PORT} if logs_inputs else {"http": HTTP_PORT, "grpc": GRPC_PORT}


def pod_labels(name: str) -> Dict[str, str]:
    """The labels every pod of the service carries (and its selectors use)."""
    return {NAME_LABEL: name, COMPONENT_LABEL: "model-serving"}


def metrics_scrape_allow(name: str, prometheus: PrometheusEndpoint, logs_inputs: bool = False) -> Allow:
    """The ingress a model's namespace needs so Prometheus can scrape the service's metrics (and,
    when it logs its inputs, the sidecar's counters)."""
    ports = [Port(METRICS_PORT)] + ([Port(INPUTS_METRICS_PORT)] if logs_inputs else [])
    return Allow(name="%s-metrics" % name, ports=ports, pods=pod_labels(name),
                 namespace=prometheus.namespace, peer_pods=dict(prometheus.pods))


def input_logging_alerts(name: str, selector: str) -> Dict[str, object]:
    """Inputs the sidecar lost (buffer full) or could not write: the drift checks then judge less
    than was served, or nothing (their stale alert covers nothing at all)."""
    lost = "sum(increase(%s{%s}[30m])) > 0" % (inference_log_metrics.ROWS_DROPPED, selector)
    failing = 'sum(increase(%s{%s,reason="store"}[30m])) > 0' % (inference_log_metrics.FLUSH_FAILURES, selector)
    return {"name": "%s-inputs" % name, "rules": [
        {"alert": "ModelInputsDropped", "expr": lost, "for": "10m", "labels": {"severity": "warning"},
         "annotations": {"summary": "%s: the input logger's buffer is full and drops inputs (the store is slow or "
                                    "down, or traffic outgrew max_rows)" % name}},
        {"alert": "ModelInputsNotWritten", "expr": failing, "for": "10m", "labels": {"severity": "warning"},
         "annotations": {"summary": "%s: the input logger cannot write to the artifact store (see the inputs-log "
                                    "container's log; check the identity's write grant on the inputs prefix)" % name}},
    ]}


class ModelServing(KubernetesComponent):
    """An internal, autoscaled inference service whose releases are canaries or blue-greens."""

    def __init__(self, name: str, args: ModelServingArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        model = _validate(name, args)
        super().__init__(TYPE_TOKEN, name, args.provider, opts)
        self.namespace_name = namespace = args.namespace
        labels = pod_labels(name)
        # The Rollout and AnalysisTemplate kinds exist once the controller's chart installed its CRDs.
        crds = [args.rollouts_controller] if args.rollouts_controller is not None else []
        identity = args.identity
        account = k8s.core.v1.ServiceAccount(
            "%s-sa" % name,
            metadata=self._metadata(name, labels, annotations=dict(identity.service_account_annotations) or None),
            automount_service_account_token=False,
            opts=self.child_opts())
        ports = client_ports(logs_inputs=args.input_logging is not None)
        services = [self._service(name, labels, ports)]
        services += [self._service("%s-%s" % (name, role), labels, ports) for role in args.strategy.service_roles()]
        template = k8s.apiextensions.CustomResource(
            "%s-analysis" % name,
            api_version=ROLLOUTS_API_VERSION,
            kind="AnalysisTemplate",
            metadata=self._metadata(name, labels),
            spec=args.analysis.render(namespace=namespace, metrics=MLSERVER_METRICS),
            opts=self.child_opts(depends_on=crds))
        rollout = k8s.apiextensions.CustomResource(
            "%s-rollout" % name,
            api_version=ROLLOUTS_API_VERSION,
            kind="Rollout",
            metadata=self._metadata(name, labels),
            spec={
                "selector": {"matchLabels": labels},
                "template": self._pod_template(name, model.group("name"), args, labels),
                "strategy": args.strategy.render(name, name),
                "revisionHistoryLimit": 3,
                # A version whose pods never become ready is aborted, not left half-rolled.
                "progressDeadlineSeconds": 600,
                "progressDeadlineAbort": True,
            },
            opts=self.child_opts(depends_on=[account, template, *services, *crds]))
        autoscale_and_protect(
            name, self._metadata(name, labels), target_api_version=ROLLOUTS_API_VERSION, target_kind="Rollout",
            target_name=name, selector=labels, min_replicas=args.replicas, max_replicas=args.max_replicas,
            cpu_utilization=args.target_cpu_utilization, opts=self.child_opts(depends_on=[rollout]))
        k8s.apiextensions.CustomResource(
            "%s-metrics" % name,
            api_version="monitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata=self._metadata(name, labels),
            spec={
                "selector": {"matchLabels": labels},
                "podMetricsEndpoints": [{"port": "metrics", "path": "/metrics"}] + (
                    [{"port": INPUTS_METRICS_PORT_NAME, "path": "/metrics"}] if args.input_logging is not None else []),
                "podTargetLabels": [POD_TEMPLATE_HASH_LABEL, NAME_LABEL],
            },
            opts=self.child_opts())
        # The canary analysis's signals and thresholds, alerting on the whole service.
        selector = 'namespace="%s",%s="%s"' % (namespace, NAME_METRIC_LABEL, name)
        k8s.apiextensions.CustomResource(
            "%s-slo" % name,
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata=self._metadata("%s-slo" % name, labels),
            spec={"groups": [args.analysis.alert_rules(name, selector, MLSERVER_METRICS)] + (
                [input_logging_alerts(name, selector)] if args.input_logging is not None else [])},
            opts=self.child_opts())
        self.service_name = name
        self.url = "http://%s.%s.svc:%d" % (name, namespace, HTTP_PORT)
        self.register_outputs({"service": name, "url": self.url})

    def _metadata(self, name: str, labels: Mapping[str, str], **extra: object) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=self.namespace_name, labels=dict(labels), **extra)

    def _service(self, service_name: str, labels: Mapping[str, str], ports: Mapping[str, int]) -> k8s.core.v1.Service:
        """An internal Service over the model's pods; Argo Rollouts narrows role Services to one version."""
        return k8s.core.v1.Service(
            "%s-svc" % service_name,
            metadata=self._metadata(service_name, labels),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=dict(labels),
                ports=[k8s.core.v1.ServicePortArgs(name=port, port=number, target_port=port, protocol="TCP")
                       for port, number in ports.items()],
            ),
            opts=self.child_opts())

    def _pod_template(self, name: str, model_name: str, args: ModelServingArgs,
                      labels: Mapping[str, str]) -> k8s.core.v1.PodTemplateSpecArgs:
        logging = args.input_logging
        # With input logging the proxy takes the serving port and MLServer listens behind it.
        http_name, http_port = (UPSTREAM_PORT_NAME, UPSTREAM_HTTP_PORT) if logging is not None else ("http", HTTP_PORT)
        env: Dict[str, pulumi.Input[str]] = {
            "MLSERVER_MODEL_NAME": model_name,
            "MLSERVER_MODEL_IMPLEMENTATION": MLFLOW_RUNTIME,
            "MLSERVER_MODEL_URI": args.model_uri,
            "MLSERVER_HTTP_PORT": str(http_port),
            "MLSERVER_GRPC_PORT": str(GRPC_PORT),
            "MLSERVER_METRICS_PORT": str(METRICS_PORT),
            "MLSERVER_METRICS_DIR": HOME + "/.metrics",
            "MLSERVER_ENVIRONMENTS_DIR": HOME + "/.envs",
            "MLFLOW_TRACKING_URI": args.tracking_uri,
            "HOME": HOME,
            "HF_HOME": HOME + "/.cache/huggingface",
            "NUMBA_CACHE_DIR": HOME + "/.cache/numba",
        }
        mounts = [k8s.core.v1.VolumeMountArgs(name="scratch", mount_path=HOME)]
        volumes = [scratch_volume("scratch", SCRATCH_SIZE)]
        if args.tracking_credentials_secret is not None:
            # MLflow reads ~/.mlflow/credentials (mlflow/utils/credentials.py).
            mounts.append(k8s.core.v1.VolumeMountArgs(name="mlflow-credentials", mount_path=HOME + "/.mlflow", read_only=True))
            volumes.append(secret_volume("mlflow-credentials", args.tracking_credentials_secret))
        container = secure_container(
            "mlserver", args.image.reference, args.resources,
            env=env, ports={http_name: http_port, **({} if logging is not None else {"grpc": GRPC_PORT}),
                            "metrics": METRICS_PORT}, volume_mounts=mounts,
            # Loading a model from the registry can take minutes: liveness waits, readiness gates traffic.
            liveness=http_probe("/v2/health/live", http_name, initial_delay=60, failure_threshold=6),
            readiness=http_probe("/v2/health/ready", http_name, initial_delay=10, period=5),
            run_as_user=MLSERVER_UID)
        containers = [container]
        if logging is not None:
            sidecar, scratch = logging.sidecar(
                model_uri=args.model_uri, listen_port=HTTP_PORT, listen_port_name="http", tracking_uri=args.tracking_uri,
                credentials_volume="mlflow-credentials" if args.tracking_credentials_secret is not None else None)
            containers.append(sidecar)
            volumes.append(scratch)
        spec = secure_pod_spec(
            containers, service_account=name, volumes=volumes, run_as_user=MLSERVER_UID,
            tolerations=gpu_tolerations() if args.resources.gpus else (),
            node_selector=args.node_selector or None)
        return k8s.core.v1.PodTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(labels={**labels, **args.identity.pod_labels}), spec=spec)
