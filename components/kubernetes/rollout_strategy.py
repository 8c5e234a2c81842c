"""The vocabulary of a progressive release with Argo Rollouts: steps, strategies, analysis.

:class:`Canary`, :class:`BlueGreen` and :class:`PrometheusAnalysis` are what
:class:`~.serving.ModelServing` takes; they validate themselves (before anything registers) and
render the Rollout's ``spec.strategy`` and the ``AnalysisTemplate``'s ``spec``, with the field
names of Argo Rollouts v1.9.0 (pkg/apis/rollouts/v1alpha1/types.go, analysis_types.go).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ..validation import ComponentInputError, DNS_LABEL, require_labels

ROLLOUTS_API_VERSION = "argoproj.io/v1alpha1"
# The AnalysisTemplate argument that carries the pod-template hash of the pods under test.
CANARY_HASH_ARG = "canary-hash"
# Pod label Argo Rollouts puts on every pod of a ReplicaSet it manages; a PodMonitor copies it
# onto the pods' metrics (Prometheus spells it with underscores).
POD_TEMPLATE_HASH_LABEL = "rollouts-pod-template-hash"
POD_TEMPLATE_HASH_METRIC_LABEL = "rollouts_pod_template_hash"

_DURATION = re.compile(r"^[1-9]\d*(s|m|h)$")
# A Kubernetes object name that must also be a DNS label (namespaces, Services).


@dataclass(frozen=True)
class PrometheusEndpoint:
    """The in-cluster Prometheus that analysis queries: a Service, and the pods behind it.

    The defaults are what the Prometheus Operator (kube-prometheus-stack) creates: the
    ``prometheus-operated`` Service on port 9090 in front of pods labelled
    ``app.kubernetes.io/name: prometheus``.
    """

    namespace: str = "monitoring"
    service: str = "prometheus-operated"
    port: int = 9090
    pods: Mapping[str, str] = field(default_factory=lambda: {"app.kubernetes.io/name": "prometheus"})

    @property
    def address(self) -> str:
        return "http://%s.%s.svc:%d" % (self.service, self.namespace, self.port)

    def validate(self, component: str, argument: str) -> "PrometheusEndpoint":
        for key in ("namespace", "service"):
            value = getattr(self, key)
            if not isinstance(value, str) or not DNS_LABEL.match(value):
                raise ComponentInputError("%s: %s.%s %r is not a Kubernetes name" % (component, argument, key, value))
        if not isinstance(self.port, int) or isinstance(self.port, bool) or not 1 <= self.port <= 65535:
            raise ComponentInputError("%s: %s.port must be 1-65535, got %r" % (component, argument, self.port))
        if not self.pods:
            raise ComponentInputError(
                "%s: %s.pods must name the Prometheus pods' labels (network policies allow exactly them)" % (component, argument))
        require_labels(component, self.pods)
        return self


# --- the steps of a canary -------------------------------------------------------------------

@dataclass(frozen=True)
class SetWeight:
    """Send ``weight`` percent of the pods (and so, without a traffic router, of the requests) to the new version."""

    weight: int


@dataclass(frozen=True)
class Pause:
    """Wait ``duration`` ("30s", "5m", "1h"), or with no duration until a person promotes the rollout."""

    duration: Optional[str] = None


@dataclass(frozen=True)
class Analysis:
    """Run the service's Prometheus analysis (error rate and p99 latency) against the canary pods."""


CanaryStep = Union[SetWeight, Pause, Analysis]


def _analysis_ref(template: str) -> Dict[str, Any]:
    """An analysis of ``template`` against the pods of the newest ReplicaSet (canary or preview)."""
    return {
        "templates": [{"templateName": template}],
        "args": [{"name": CANARY_HASH_ARG, "valueFrom": {"podTemplateHashValue": "Latest"}}],
    }


@dataclass(frozen=True)
class Canary:
    """A replica-weighted canary: ``steps`` must end with ``SetWeight(100)``, the full promotion.

    There is no traffic router (no mesh or ingress controller is part of the platform): clients
    call the service's main ClusterIP Service, which selects stable and canary pods alike, so a
    weight is the share of *pods* Argo Rollouts gives the new version, and requests follow it
    only approximately (per connection, not per request). Argo Rollouts picks the closest pod
    counts it can: ``SetWeight(10)`` on 4 replicas runs 1 canary pod beside 4 stable ones (20%);
    any weight from 1 to 99 runs at least one canary pod. Argo Rollouts documents this mode as
    basic canary (argoproj.github.io/argo-rollouts/features/canary).

    The stable and canary Services (``<name>-stable``, ``<name>-canary``) select exactly one
    version each, for smoke tests and dashboards.
    """

    steps: Sequence[CanaryStep]

    def validate(self, component: str) -> "Canary":
        steps = list(self.steps) if isinstance(self.steps, (list, tuple)) else None
        if not steps:
            raise ComponentInputError(
                "%s: strategy.steps must list the canary steps and end with SetWeight(100), the full promotion" % component)
        weight = 0
        for index, step in enumerate(steps):
            where = "%s: strategy.steps[%d]" % (component, index)
            if isinstance(step, SetWeight):
                if not isinstance(step.weight, int) or isinstance(step.weight, bool) or not 1 <= step.weight <= 100:
                    raise ComponentInputError("%s SetWeight(%r) must be a whole percentage from 1 to 100" % (where, step.weight))
                if step.weight < weight:
                    raise ComponentInputError(
                        "%s SetWeight(%d) lowers the weight after SetWeight(%d); weights must not decrease "
                        "(a failed analysis aborts the rollout and sends every pod back to the stable version)"
                        % (where, step.weight, weight))
                weight = step.weight
            elif isinstance(step, Pause):
                if step.duration is not None and (not isinstance(step.duration, str) or not _DURATION.match(step.duration)):
                    raise ComponentInputError(
                        "%s Pause(%r) needs a duration such as '30s', '5m' or '1h', or none to wait for a manual promotion"
                        % (where, step.duration))
            elif isinstance(step, Analysis):
                if weight == 0:
                    raise ComponentInputError(
                        "%s Analysis() comes before any SetWeight: the canary has no pods to measure yet" % where)
            else:
                raise ComponentInputError("%s must be SetWeight, Pause or Analysis; got %r" % (where, step))
        if steps[-1] != SetWeight(100):
            raise ComponentInputError(
                "%s: strategy.steps must end with SetWeight(100), the full promotion; the last step is %r"
                % (component, steps[-1]))
        if not any(isinstance(step, Analysis) for step in steps):
            raise ComponentInputError(
                "%s: strategy.steps run no Analysis(); add one before SetWeight(100) so the canary is "
                "measured against the error-rate and latency thresholds" % component)
        return self

    def render(self, template: str, service: str) -> Dict[str, Any]:
        """The Rollout's ``spec.strategy``: stable and canary Services, steps, capacity kept."""
        steps: List[Dict[str, Any]] = []
        for step in self.steps:
            if isinstance(step, SetWeight):
                steps.append({"setWeight": step.weight})
            elif isinstance(step, Pause):
                steps.append({"pause": {"duration": step.duration} if step.duration else {}})
            else:
                steps.append({"analysis": _analysis_ref(template)})
        return {"canary": {
            "stableService": "%s-stable" % service,
            "canaryService": "%s-canary" % service,
            # Never below the current capacity: canary pods are added before stable ones go.
            "maxUnavailable": 0,
            "maxSurge": "25%",
            "steps": steps,
        }}

    def service_roles(self) -> Sequence[str]:
        return ("stable", "canary")


@dataclass(frozen=True)
class BlueGreen:
    """The new version starts beside the old one behind the preview Service; clients (the main
    Service, the ``activeService``) switch only when it is promoted.

    ``pre_promotion_analysis`` measures the *preview* pods before the switch, so it sees only
    requests someone sends to ``<name>-preview`` (smoke tests, a replay job); with none it fails
    and the active version stays. ``post_promotion_analysis`` measures real traffic after the
    switch; a failure switches the active Service back to the old pods, which Argo Rollouts
    keeps until that analysis completes (so ``scale_down_delay_seconds``, which would cancel it,
    must stay unset). Automatic promotion without a pre-promotion analysis would switch with no
    check at all and is refused. Source: argo-rollouts v1.9.0 docs/features/bluegreen.md.
    """

    auto_promotion: bool = False
    pre_promotion_analysis: bool = True
    post_promotion_analysis: bool = False
    scale_down_delay_seconds: Optional[int] = None

    def validate(self, component: str) -> "BlueGreen":
        if self.auto_promotion and not self.pre_promotion_analysis:
            raise ComponentInputError(
                "%s: strategy BlueGreen(auto_promotion=True) needs pre_promotion_analysis=True; otherwise the new "
                "version takes all traffic unchecked" % component)
        delay = self.scale_down_delay_seconds
        if delay is None:
            return self
        if self.post_promotion_analysis:
            raise ComponentInputError(
                "%s: strategy.scale_down_delay_seconds would cancel the post-promotion analysis after %r s; leave it "
                "unset so the old pods stay until the analysis completes" % (component, delay))
        if not isinstance(delay, int) or isinstance(delay, bool) or delay < 30:
            raise ComponentInputError(
                "%s: strategy.scale_down_delay_seconds must be >= 30 (time for every node to see the Service "
                "switch), got %r" % (component, delay))
        return self

    def render(self, template: str, service: str) -> Dict[str, Any]:
        strategy: Dict[str, Any] = {
            "activeService": service,
            "previewService": "%s-preview" % service,
            "autoPromotionEnabled": self.auto_promotion,
        }
        if self.scale_down_delay_seconds is not None:
            strategy["scaleDownDelaySeconds"] = self.scale_down_delay_seconds
        if self.pre_promotion_analysis:
            strategy["prePromotionAnalysis"] = _analysis_ref(template)
        if self.post_promotion_analysis:
            strategy["postPromotionAnalysis"] = _analysis_ref(template)
        return {"blueGreen": strategy}

    def service_roles(self) -> Sequence[str]:
        return ("preview",)


Strategy = Union[Canary, BlueGreen]


def require_strategy(component: str, strategy: object) -> Strategy:
    if not isinstance(strategy, (Canary, BlueGreen)):
        raise ComponentInputError(
            "%s: strategy must be Canary(steps=[...]) or BlueGreen(...); got %r" % (component, strategy))
    return strategy.validate(component)


# --- the analysis ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ServiceMetrics:
    """The names of a server's HTTP metrics: a request counter with a status label, and a latency histogram."""

    requests: str
    latency: str
    status_label: str


@dataclass(frozen=True)
class PrometheusAnalysis:
    """Thresholds the new version must meet, measured from Prometheus every ``interval``,
    ``count`` times; more than ``failure_limit`` failed measurements abort the rollout.

    A measurement with no requests to measure fails too: no evidence is not a pass.
    """

    prometheus: PrometheusEndpoint = field(default_factory=PrometheusEndpoint)
    max_error_rate: float = 0.01
    max_p99_latency_ms: int = 500
    interval: str = "1m"
    count: int = 5
    failure_limit: int = 1
    window: str = "2m"

    def validate(self, component: str) -> "PrometheusAnalysis":
        self.prometheus.validate(component, "analysis.prometheus")
        rate = self.max_error_rate
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 < rate < 1:
            raise ComponentInputError(
                "%s: analysis.max_error_rate is a fraction of requests (0.01 = 1%%) above 0 and below 1, got %r"
                % (component, rate))
        latency = self.max_p99_latency_ms
        if not isinstance(latency, int) or isinstance(latency, bool) or latency < 1:
            raise ComponentInputError("%s: analysis.max_p99_latency_ms must be a whole number of milliseconds >= 1, got %r"
                                      % (component, latency))
        for key in ("interval", "window"):
            value = getattr(self, key)
            if not isinstance(value, str) or not _DURATION.match(value):
                raise ComponentInputError(
                    "%s: analysis.%s %r must be a duration such as '30s', '1m' or '1h'" % (component, key, value))
        for key, floor in (("count", 1), ("failure_limit", 0)):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < floor:
                raise ComponentInputError("%s: analysis.%s must be a whole number >= %d, got %r" % (component, key, floor, value))
        if self.failure_limit >= self.count:
            raise ComponentInputError(
                "%s: analysis.failure_limit (%d) must be below count (%d), or the analysis can never fail"
                % (component, self.failure_limit, self.count))
        return self

    def signals(self, selector: str, metrics: "ServiceMetrics") -> Dict[str, Tuple[str, Union[int, float]]]:
        """Each signal's PromQL over the series ``selector`` picks, with its threshold: the one
        definition both the canary analysis and the SLO alerts use."""
        requests = "sum(rate(%s{%s}[%s]))" % (metrics.requests, selector, self.window)
        # No 5xx series at all is a zero error rate, not a missing one; no requests stays empty.
        errors = '(sum(rate(%s{%s,%s=~"5.."}[%s])) or vector(0))' % (metrics.requests, selector, metrics.status_label, self.window)
        latency = "histogram_quantile(0.99, sum by (le) (rate(%s_bucket{%s}[%s]))) * 1000" % (
            metrics.latency, selector, self.window)
        return {"error-rate": ("%s / %s" % (errors, requests), self.max_error_rate),
                "p99-latency-ms": (latency, self.max_p99_latency_ms)}

    def render(self, *, namespace: str, metrics: "ServiceMetrics") -> Dict[str, Any]:
        """The ``AnalysisTemplate`` spec: error rate and p99 latency of the pods under test."""
        selector = 'namespace="%s",%s="{{args.%s}}"' % (namespace, POD_TEMPLATE_HASH_METRIC_LABEL, CANARY_HASH_ARG)
        return {
            "args": [{"name": CANARY_HASH_ARG}],
            "metrics": [self._metric(name, query, threshold)
                        for name, (query, threshold) in self.signals(selector, metrics).items()],
        }

    def alert_rules(self, service: str, selector: str, metrics: "ServiceMetrics", *, for_duration: str = "10m") -> Dict[str, Any]:
        """A ``PrometheusRule`` group: the service over its analysis thresholds for ``for_duration``,
        every version together (what users see, not only a canary)."""
        alerts = {"error-rate": ("ModelServingErrorRateHigh", "error rate above %s" % self.max_error_rate),
                  "p99-latency-ms": ("ModelServingLatencyHigh", "p99 latency above %d ms" % self.max_p99_latency_ms)}
        rules = []
        for signal, (query, threshold) in self.signals(selector, metrics).items():
            alert, summary = alerts[signal]
            rules.append({"alert": alert, "expr": "(%s) > %r" % (query, threshold), "for": for_duration,
                          "labels": {"severity": "critical", "service": service},
                          "annotations": {"summary": "%s: %s for %s" % (service, summary, for_duration)}})
        return {"name": "%s-slo" % service, "rules": rules}

    def _metric(self, name: str, query: str, threshold: Union[int, float]) -> Dict[str, Any]:
        return {
            "name": name,
            "interval": self.interval,
            "count": self.count,
            "failureLimit": self.failure_limit,
            "successCondition": "len(result) > 0 && !isNaN(result[0]) && result[0] <= %r" % threshold,
            "provider": {"prometheus": {"address": self.prometheus.address, "query": query}},
        }
