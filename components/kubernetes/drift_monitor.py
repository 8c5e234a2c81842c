"""Watch a served model for data drift: a scheduled check per model, its metric, and an alert on it.

One :class:`DriftMonitor` per served model, in an existing :class:`~.namespace.ZeroTrustNamespace`.
The check is sahab's own job (:mod:`sahab.drift`, run as ``python -m sahab.drift`` from an image
with ``sahab[drift]``): it compares the served version's recent inference inputs with the
reference data registered with it in MLflow using Evidently's ``DataDriftPreset``, writes the
report and verdict to MLflow (and so to the artifact store) and serves the drift metric on
``/metrics``. What it writes:

* a ServiceAccount bound to the cloud identity that reads the inputs prefix of the artifact store
  (no static keys; no API token mounted);
* a Deployment of one pod that checks at start and then every ``interval`` (there is no
  Pushgateway, so the pod keeps the latest verdict for Prometheus to scrape; docs/decisions.md),
  ``Recreate``: never two checkers at once. Non-root, read-only root filesystem, all capabilities
  dropped, RuntimeDefault seccomp, limits (:mod:`.workload`); the MLflow credentials file mounted
  read-only from a Secret (``tracking_credentials_secret``), never an environment variable;
* a ``PodMonitor`` and a ``PrometheusRule``: ``ModelDriftDetected`` when the share of drifted
  columns reaches ``drift_share`` (the very threshold the job judges with), labelled
  ``action: retrain`` so Alertmanager can route it to the retraining pipeline; and
  ``ModelDriftCheckStale`` when no check has given a verdict for two intervals, or none ever has
  (no inputs, no reference data, the registry unreachable): no evidence never reads as no drift;
* NetworkPolicies on the pod, on top of the namespace's default deny: egress exactly to the MLflow
  server's pods and port, and on 443 to the object store (``storage_cidrs``) and the identity
  endpoint (``identity_endpoint_cidrs``, private, e.g. the STS VPC endpoint; or
  ``identity_provider_cidrs``, the public networks of one with no private endpoint, such as
  Entra ID's token endpoint for Azure workload identity); ingress only from
  Prometheus to the metrics port. DNS is the namespace's own allow.

With ``retrain=RetrainTrigger(...)`` the job also asks GitHub to retrain a version it finds
drifted (``repository_dispatch``, once per version: :mod:`sahab.drift.retrain`): the token is a
Secret mounted read-only as a file, and egress gains exactly the API's networks on its port.

The MLflow user needs ``EDIT`` on the model (tags on its versions) and ``READ`` on the experiments
holding its versions: a :class:`~.model_registry.RegistryUser` with ``permission="EDIT"`` gets
exactly that from the registry's users Job.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union
from urllib.parse import urlsplit

import pulumi
import pulumi_kubernetes as k8s

from sahab.drift import metrics as drift_metrics
from sahab.drift import retrain as drift_retrain

from ..validation import ComponentInputError, DNS_LABEL, is_whole, require_cidrs, require_labels, require_name, require_non_empty, require_port
from .base import KubernetesComponent, require_provider
from .identity import WorkloadIdentityBinding, require_binding
from .images import Image, require_image
from .input_logging import require_inputs_uri
from .namespace import NAMESPACE_NAME_LABEL
from .rollout_strategy import PrometheusEndpoint
from .serving import require_model_uri
from .workload import Resources, http_probe, scratch_volume, secret_volume, secure_container, secure_pod_spec

COMPONENT = "DriftMonitor"
TYPE_TOKEN = "sahab:kubernetes:DriftMonitor"
NAME_LABEL = "app.kubernetes.io/name"
COMPONENT_LABEL = "app.kubernetes.io/component"
METRICS_PORT = 8000
HTTPS_PORT = 443
HOME = "/tmp"
SCRATCH_SIZE = "2Gi"
# Two missed checks before the stale alert; the alert then waits this long, which also covers
# the first check after a deploy.
STALE_INTERVALS = 2
STALE_FOR = "30m"

_DURATION = re.compile(r"^([1-9]\d*)([mhd])$")
_SECONDS = {"m": 60, "h": 3600, "d": 86400}
_SECRET_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
TOKEN_FOLDER = HOME + "/.github-dispatch"


@dataclass(frozen=True)
class RegistryEndpoint:
    """The MLflow server the check talks to: its Service, port and pods (the network allow names them)."""

    namespace: str = "mlflow"
    service: str = "mlflow"
    port: int = 5000
    pods: Mapping[str, str] = field(default_factory=lambda: {"app.kubernetes.io/name": "mlflow"})

    @property
    def tracking_uri(self) -> str:
        return "http://%s.%s.svc:%d" % (self.service, self.namespace, self.port)

    def validate(self, component: str, argument: str) -> "RegistryEndpoint":
        for key in ("namespace", "service"):
            if not isinstance(getattr(self, key), str) or not DNS_LABEL.match(getattr(self, key)):
                raise ComponentInputError("%s: %s.%s %r is not a Kubernetes name" % (component, argument, key, getattr(self, key)))
        require_port(component, argument + ".port", self.port)
        if not self.pods:
            raise ComponentInputError(
                "%s: %s.pods must name the MLflow pods' labels (the egress allow names exactly them)" % (component, argument))
        require_labels(component, self.pods)
        return self


@dataclass(frozen=True)
class RetrainTrigger:
    """Dispatch retraining to a GitHub repository when a served version drifts.

    ``repository`` is ``owner/repo`` (its workflow listens to ``repository_dispatch`` of
    ``event_type``). ``token_secret`` names a Secret in the monitor's namespace whose
    ``token_key`` holds a token that may create dispatches there (a GitHub App installation token
    or a fine-grained token with contents: write on that repository only); it is mounted as a
    file, never an environment variable. ``api_url`` is https://api.github.com or a GitHub
    Enterprise Server's ``https://<host>/api/v3``; ``api_cidrs`` are its networks, the only ones
    the pod may reach on the API's port (GitHub.com's are the ``api`` list of
    ``https://api.github.com/meta``).
    """

    repository: str
    token_secret: str
    api_cidrs: Sequence[str]
    token_key: str = "token"
    event_type: str = drift_retrain.DEFAULT_EVENT_TYPE
    api_url: str = drift_retrain.DEFAULT_API_URL

    @property
    def api_port(self) -> int:
        return urlsplit(self.api_url).port or HTTPS_PORT

    def validate(self, component: str) -> "RetrainTrigger":
        if not isinstance(self.repository, str) or not drift_retrain.REPOSITORY.match(self.repository):
            raise ComponentInputError("%s: retrain.repository %r must be a GitHub repository as owner/name, e.g. acme/models"
                                      % (component, self.repository))
        if not isinstance(self.token_secret, str) or not _SECRET_NAME.match(self.token_secret):
            raise ComponentInputError(
                "%s: retrain.token_secret must name the Secret holding the GitHub token (never the token itself)" % component)
        if not isinstance(self.token_key, str) or not _SECRET_KEY.match(self.token_key):
            raise ComponentInputError("%s: retrain.token_key %r must be a key of the Secret (letters, digits, - _ .)"
                                      % (component, self.token_key))
        if not isinstance(self.event_type, str) or not drift_retrain.EVENT_TYPE.match(self.event_type):
            raise ComponentInputError("%s: retrain.event_type %r must be 1-100 letters, digits, _ . or -, e.g. model-drift"
                                      % (component, self.event_type))
        if not isinstance(self.api_url, str) or not drift_retrain.API_URL.match(self.api_url):
            raise ComponentInputError("%s: retrain.api_url %r %s" % (component, self.api_url, drift_retrain.API_URL_HINT))
        require_non_empty(component, "retrain.api_cidrs", list(self.api_cidrs))
        require_cidrs(component, "retrain.api_cidrs", list(self.api_cidrs), private_only=False)
        return self

    def job_arguments(self) -> List[str]:
        return ["--retrain-repository", self.repository, "--retrain-token-file", "%s/%s" % (TOKEN_FOLDER, self.token_key),
                "--retrain-event-type", self.event_type, "--retrain-api-url", self.api_url]


@dataclass(kw_only=True)
class DriftMonitorArgs:
    """Which served model to watch, where its inputs are, and when to alert.

    ``model_uri`` is the URI the model is served from (an alias is followed at every check).
    ``identity`` must be bound to the service account ``<name>`` in ``namespace`` and may read
    ``inputs_uri`` (the root of the inputs layout, :mod:`sahab.drift.inputs`; a deploy-time value
    is allowed). ``tracking_credentials_secret`` names a Secret whose ``credentials`` key is an
    MLflow credentials file (``mlflow_server.credentials_template``). ``interval`` is how often
    the check runs (``30m``..``7d``), ``window_days`` how many days of inputs it reads,
    ``drift_share`` the share of drifted columns that is dataset drift (the job's verdict and the
    alert's threshold), ``min_rows`` the fewest inputs (and reference rows) a verdict needs.
    ``retrain`` (off by default) dispatches retraining to GitHub once per drifted version.
    """

    provider: k8s.Provider
    namespace: str
    model_uri: str
    image: Image
    identity: WorkloadIdentityBinding
    tracking_credentials_secret: str
    inputs_uri: pulumi.Input[str]
    storage_cidrs: Union[Sequence[str], pulumi.Output]
    identity_endpoint_cidrs: Sequence[str] = ()
    identity_provider_cidrs: Sequence[str] = ()
    registry: RegistryEndpoint = field(default_factory=RegistryEndpoint)
    prometheus: PrometheusEndpoint = field(default_factory=PrometheusEndpoint)
    interval: str = "6h"
    window_days: int = 1
    drift_share: float = 0.5
    min_rows: int = 100
    resources: Resources = field(default_factory=lambda: Resources("250m", "1Gi", "1", "2Gi"))
    retrain: Optional[RetrainTrigger] = None


def interval_seconds(interval: str) -> int:
    match = _DURATION.match(interval)
    assert match is not None
    return int(match.group(1)) * _SECONDS[match.group(2)]


def validate(name: str, args: DriftMonitorArgs) -> str:
    """Every check, before anything registers; returns the model's name."""
    require_provider(COMPONENT, args.provider)
    require_name(COMPONENT, name)
    if not name[0].isalpha() or len(name) > 63:
        raise ComponentInputError("%s: name %r must start with a letter and be at most 63 characters (it names the pods' objects)"
                                  % (COMPONENT, name))
    if not isinstance(args.namespace, str) or not DNS_LABEL.match(args.namespace):
        raise ComponentInputError("%s: namespace %r must be the name of the monitor's ZeroTrustNamespace" % (COMPONENT, args.namespace))
    model = require_model_uri(COMPONENT, args.model_uri).group("name")
    require_image(COMPONENT, "image", args.image)
    require_binding(COMPONENT, "identity", args.identity, args.namespace, name)
    secret = args.tracking_credentials_secret
    if not isinstance(secret, str) or not _SECRET_NAME.match(secret):
        raise ComponentInputError(
            "%s: tracking_credentials_secret %r must name the Secret holding the MLflow credentials file of a registry "
            "user with EDIT on the model (never the password itself)" % (COMPONENT, "<not a name>" if not isinstance(secret, str) else secret))
    require_inputs_uri(COMPONENT, args.inputs_uri)
    if not isinstance(args.storage_cidrs, pulumi.Output):
        require_non_empty(COMPONENT, "storage_cidrs", list(args.storage_cidrs))
        require_cidrs(COMPONENT, "storage_cidrs", list(args.storage_cidrs), private_only=False)
    if not list(args.identity_endpoint_cidrs) and not list(args.identity_provider_cidrs):
        raise ComponentInputError(
            "%s: identity_endpoint_cidrs (a private token endpoint, e.g. the STS VPC endpoint) or identity_provider_cidrs "
            "(a public one, e.g. Entra ID's) must name where the pod exchanges its identity token" % COMPONENT)
    require_cidrs(COMPONENT, "identity_endpoint_cidrs", list(args.identity_endpoint_cidrs), private_only=True)
    require_cidrs(COMPONENT, "identity_provider_cidrs", list(args.identity_provider_cidrs), private_only=False)
    if not isinstance(args.registry, RegistryEndpoint):
        raise ComponentInputError("%s: registry must be a RegistryEndpoint, got %r" % (COMPONENT, args.registry))
    args.registry.validate(COMPONENT, "registry")
    if not isinstance(args.prometheus, PrometheusEndpoint):
        raise ComponentInputError("%s: prometheus must be a PrometheusEndpoint, got %r" % (COMPONENT, args.prometheus))
    args.prometheus.validate(COMPONENT, "prometheus")
    if not isinstance(args.interval, str) or not _DURATION.match(args.interval) \
            or not 1800 <= interval_seconds(args.interval) <= 7 * 86400:
        raise ComponentInputError("%s: interval %r must be a duration from 30m to 7d, such as '6h' or '1d'" % (COMPONENT, args.interval))
    if not is_whole(args.window_days) or not 1 <= args.window_days <= 90:
        raise ComponentInputError("%s: window_days must be a whole number of days from 1 to 90, got %r" % (COMPONENT, args.window_days))
    share = args.drift_share
    if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 < share <= 1:
        raise ComponentInputError(
            "%s: drift_share is the share of drifted columns that counts as drift, above 0 and at most 1 (0.5 = half); got %r"
            % (COMPONENT, share))
    if not is_whole(args.min_rows) or args.min_rows < 30:
        raise ComponentInputError(
            "%s: min_rows must be a whole number >= 30 (fewer rows give the statistical tests no power), got %r" % (COMPONENT, args.min_rows))
    if not isinstance(args.resources, Resources):
        raise ComponentInputError("%s: resources must be a Resources, got %r" % (COMPONENT, args.resources))
    args.resources.validate(COMPONENT, "resources")
    if args.retrain is not None:
        if not isinstance(args.retrain, RetrainTrigger):
            raise ComponentInputError("%s: retrain must be a RetrainTrigger, got %s" % (COMPONENT, type(args.retrain).__name__))
        args.retrain.validate(COMPONENT)
    return model


def pod_labels(name: str) -> Dict[str, str]:
    return {NAME_LABEL: name, COMPONENT_LABEL: "drift-monitor"}


JOB_COMMAND = ("python", "-m", "sahab.drift")


def job_arguments(args: DriftMonitorArgs) -> List[pulumi.Input[str]]:
    """The arguments of ``python -m sahab.drift`` (:data:`JOB_COMMAND`) in the pod."""
    return ["--model-uri", args.model_uri, "--inputs-uri", args.inputs_uri,
            "--window-days", str(args.window_days), "--drift-share", repr(float(args.drift_share)),
            "--min-rows", str(args.min_rows), "--interval", args.interval, "--port", str(METRICS_PORT),
            *(args.retrain.job_arguments() if args.retrain is not None else [])]


def alert_rules(name: str, namespace: str, model: str, args: DriftMonitorArgs) -> Dict[str, Any]:
    """The ``PrometheusRule`` group: drift over the threshold, and no verdict for too long."""
    selector = 'namespace="%s",model="%s"' % (namespace, model)
    stale = STALE_INTERVALS * interval_seconds(args.interval)
    last = "%s{%s}" % (drift_metrics.LAST_SUCCESS, selector)
    return {"name": "%s-drift" % name, "rules": [
        {"alert": "ModelDriftDetected",
         "expr": "max by (model, version) (%s{%s}) >= %r" % (drift_metrics.SHARE, selector, float(args.drift_share)),
         "labels": {"severity": "warning", "model": model, "action": "retrain"},
         "annotations": {"summary": "%s version {{ $labels.version }}: {{ $value | humanizePercentage }} of its input "
                                    "columns drifted from the reference data (threshold %s); see the sahab.drift.* tags "
                                    "of the version in MLflow" % (model, args.drift_share)}},
        {"alert": "ModelDriftCheckStale",
         "expr": "(time() - max(%s) > %d) or absent(%s)" % (last, stale, last),
         "for": STALE_FOR,
         "labels": {"severity": "warning", "model": model},
         "annotations": {"summary": "%s: no drift check gave a verdict for %d intervals of %s (no inputs, no reference "
                                    "data or the registry unreachable); see the %s pod's log" % (model, STALE_INTERVALS, args.interval, name)}},
    ]}


class DriftMonitor(KubernetesComponent):
    """A served model's drift check, its metric and its alerts, in the model's zero-trust namespace."""

    def __init__(self, name: str, args: DriftMonitorArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        model = validate(name, args)
        super().__init__(TYPE_TOKEN, name, args.provider, opts)
        self.namespace_name = namespace = args.namespace
        labels = pod_labels(name)
        account = k8s.core.v1.ServiceAccount(
            "%s-sa" % name,
            metadata=self._metadata(name, labels, annotations=dict(args.identity.service_account_annotations) or None),
            automount_service_account_token=False,
            opts=self.child_opts())
        mounts = [k8s.core.v1.VolumeMountArgs(name="scratch", mount_path=HOME),
                  # MLflow reads ~/.mlflow/credentials (mlflow/utils/credentials.py).
                  k8s.core.v1.VolumeMountArgs(name="mlflow-credentials", mount_path=HOME + "/.mlflow", read_only=True)]
        volumes = [scratch_volume("scratch", SCRATCH_SIZE), secret_volume("mlflow-credentials", args.tracking_credentials_secret)]
        if args.retrain is not None:  # the job reads the token file at each dispatch (--retrain-token-file)
            mounts.append(k8s.core.v1.VolumeMountArgs(name="github-token", mount_path=TOKEN_FOLDER, read_only=True))
            volumes.append(secret_volume("github-token", args.retrain.token_secret))
        container = secure_container(
            "drift", args.image.reference, args.resources,
            command=JOB_COMMAND, args=job_arguments(args),
            env={"MLFLOW_TRACKING_URI": args.registry.tracking_uri, "HOME": HOME, "TMPDIR": HOME,
                 "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONDONTWRITEBYTECODE": "1"},
            ports={"metrics": METRICS_PORT},
            volume_mounts=mounts,
            liveness=http_probe("/metrics", "metrics", initial_delay=30, period=30),
            readiness=http_probe("/metrics", "metrics", initial_delay=10, period=10))
        k8s.apps.v1.Deployment(
            "%s-deployment" % name,
            metadata=self._metadata(name, labels),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                strategy=k8s.apps.v1.DeploymentStrategyArgs(type="Recreate"),
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels={**labels, **args.identity.pod_labels}),
                    spec=secure_pod_spec([container], service_account=name, volumes=volumes))),
            opts=self.child_opts(depends_on=[account]))
        k8s.apiextensions.CustomResource(
            "%s-metrics" % name,
            api_version="monitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata=self._metadata(name, labels),
            spec={"selector": {"matchLabels": labels},
                  "podMetricsEndpoints": [{"port": "metrics", "path": "/metrics", "interval": "1m"}]},
            opts=self.child_opts())
        k8s.apiextensions.CustomResource(
            "%s-alerts" % name,
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata=self._metadata("%s-drift" % name, labels),
            spec={"groups": [alert_rules(name, namespace, model, args)]},
            opts=self.child_opts())
        self._network_policies(name, labels, args)
        self.register_outputs({"model": model})

    def _metadata(self, name: str, labels: Mapping[str, str], **extra: object) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=self.namespace_name, labels=dict(labels), **extra)

    def _network_policies(self, name: str, labels: Mapping[str, str], args: DriftMonitorArgs) -> None:
        net = k8s.networking.v1
        pods = k8s.meta.v1.LabelSelectorArgs(match_labels=dict(labels))

        def networks(cidrs: Sequence[str]) -> List[Any]:
            return [net.NetworkPolicyPeerArgs(ip_block=net.IPBlockArgs(cidr=cidr)) for cidr in cidrs]

        def https(peers: Any) -> Any:
            return net.NetworkPolicyEgressRuleArgs(to=peers, ports=[net.NetworkPolicyPortArgs(port=HTTPS_PORT, protocol="TCP")])

        def in_namespace(namespace: str, peer_pods: Mapping[str, str]) -> Any:
            return net.NetworkPolicyPeerArgs(
                namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_NAME_LABEL: namespace}),
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(peer_pods)))

        storage = args.storage_cidrs
        registry = args.registry
        egress = [
            net.NetworkPolicyEgressRuleArgs(
                to=[in_namespace(registry.namespace, registry.pods)],
                ports=[net.NetworkPolicyPortArgs(port=registry.port, protocol="TCP")]),
            https(storage.apply(networks) if isinstance(storage, pulumi.Output) else networks(storage)),
            https(networks([*args.identity_endpoint_cidrs, *args.identity_provider_cidrs])),
        ]
        if args.retrain is not None:  # the GitHub API, exactly its networks and port
            egress.append(net.NetworkPolicyEgressRuleArgs(
                to=networks(args.retrain.api_cidrs),
                ports=[net.NetworkPolicyPortArgs(port=args.retrain.api_port, protocol="TCP")]))
        net.NetworkPolicy(
            "%s-allow-out" % name,
            metadata=self._metadata("%s-allow-out" % name, labels),
            spec=net.NetworkPolicySpecArgs(pod_selector=pods, policy_types=["Egress"], egress=egress),
            opts=self.child_opts())
        net.NetworkPolicy(
            "%s-allow-in-metrics" % name,
            metadata=self._metadata("%s-allow-in-metrics" % name, labels),
            spec=net.NetworkPolicySpecArgs(pod_selector=pods, policy_types=["Ingress"], ingress=[
                net.NetworkPolicyIngressRuleArgs(
                    from_=[in_namespace(args.prometheus.namespace, args.prometheus.pods)],
                    ports=[net.NetworkPolicyPortArgs(port=METRICS_PORT, protocol="TCP")])]),
            opts=self.child_opts())
