"""The platform's own alert rules: GPUs, training and the model registry, as PrometheusRule groups.

Pure rendering, no Pulumi: :class:`~.monitoring.Monitoring` writes these groups as one
``monitoring.coreos.com/v1`` ``PrometheusRule``; a test reads the exact expressions. Thresholds
are typed arguments (:class:`PlatformAlerts`), checked before anything registers.

Serving is not here: every :class:`~.serving.ModelServing` ships its own SLO alerts, built from
the very queries and thresholds its canary analysis uses (``PrometheusAnalysis.alert_rules``).

Metric names and what they mean, from their sources:

* ``DCGM_FI_DEV_GPU_UTIL`` (gauge, "GPU utilization (in %)") and ``DCGM_FI_DEV_XID_ERRORS``
  (gauge, "Value of the last XID error encountered"): NVIDIA/dcgm-exporter
  ``etc/default-counters.csv``, the counters the GPU operator's DCGM exporter exports by
  default. Each series carries the GPU's ``Hostname``, ``gpu`` (index) and ``UUID`` labels.
* ``kube_pod_container_status_restarts_total`` (counter, per ``namespace``/``pod``/``container``)
  and ``kube_deployment_status_replicas_available`` (gauge, per ``namespace``/``deployment``):
  kube-state-metrics ``docs/metrics/workload/pod-metrics.md`` and ``deployment-metrics.md``.

A signal whose metric is missing must not read as healthy where that is knowable: the MLflow
rule also fires when the Deployment's series is absent (kube-state-metrics down, the Deployment
deleted). The GPU rules cannot do that, since a GPU pool scaled to zero has no series at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..validation import ComponentInputError, DNS_LABEL

GPU_UTILIZATION = "DCGM_FI_DEV_GPU_UTIL"
GPU_XID_ERRORS = "DCGM_FI_DEV_XID_ERRORS"
CONTAINER_RESTARTS = "kube_pod_container_status_restarts_total"
DEPLOYMENT_AVAILABLE = "kube_deployment_status_replicas_available"
# The labels that name one GPU node in DCGM exporter's series.
GPU_NODE = "Hostname"
GROUP_NAME = "sahab-platform"

_DURATION = re.compile(r"^[1-9]\d*(s|m|h)$")


@dataclass(frozen=True)
class PlatformAlerts:
    """When the platform pages someone, and about what.

    * ``gpu_idle_percent``/``gpu_idle_for``: a GPU node whose GPUs average below this
      utilisation for that long is paid for and unused (a stuck job, a pool that did not scale in).
    * ``gpu_saturated_percent``/``gpu_saturated_for``: a node whose GPUs average above this for
      that long has no headroom: queued jobs wait, or the pool is too small.
    * ``xid_for``: how long a GPU must report a non-zero last XID error before paging (XIDs are
      driver-reported GPU faults; most need the node drained).
    * ``training_namespaces``/``training_restarts``/``training_restart_window``: a container in
      a training queue restarting more than ``training_restarts`` times in the window is crash-looping.
    * ``mlflow_namespace``/``mlflow_deployment``/``mlflow_down_for``: the model registry with no
      available replica (or no series at all) for that long; ``mlflow_namespace=None`` where the
      platform runs no registry (no ``MlflowDown`` alert: it would page for a service that is not there).
    """

    training_namespaces: Sequence[str]
    mlflow_namespace: Optional[str]
    mlflow_deployment: str = "mlflow"
    gpu_idle_percent: int = 10
    gpu_idle_for: str = "1h"
    gpu_saturated_percent: int = 95
    gpu_saturated_for: str = "30m"
    xid_for: str = "1m"
    training_restarts: int = 3
    training_restart_window: str = "30m"
    mlflow_down_for: str = "5m"

    def validate(self, component: str, argument: str = "alerts") -> "PlatformAlerts":
        where = "%s: %s" % (component, argument)
        namespaces = list(self.training_namespaces) if not isinstance(self.training_namespaces, str) else []
        if not namespaces or any(not isinstance(n, str) or not DNS_LABEL.match(n) for n in namespaces):
            raise ComponentInputError(
                "%s.training_namespaces must list the training queues' namespaces (DNS labels), got %r"
                % (where, self.training_namespaces))
        for key in ("mlflow_namespace", "mlflow_deployment"):
            value = getattr(self, key)
            if key == "mlflow_namespace" and value is None:
                continue
            if not isinstance(value, str) or not DNS_LABEL.match(value):
                raise ComponentInputError("%s.%s %r is not a Kubernetes name" % (where, key, value))
        for key in ("gpu_idle_percent", "gpu_saturated_percent"):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 99:
                raise ComponentInputError("%s.%s must be a whole percentage from 1 to 99, got %r" % (where, key, value))
        if self.gpu_idle_percent >= self.gpu_saturated_percent:
            raise ComponentInputError(
                "%s.gpu_idle_percent (%d) must be below gpu_saturated_percent (%d)"
                % (where, self.gpu_idle_percent, self.gpu_saturated_percent))
        restarts = self.training_restarts
        if not isinstance(restarts, int) or isinstance(restarts, bool) or restarts < 1:
            raise ComponentInputError("%s.training_restarts must be a whole number >= 1, got %r" % (where, restarts))
        for key in ("gpu_idle_for", "gpu_saturated_for", "xid_for", "training_restart_window", "mlflow_down_for"):
            value = getattr(self, key)
            if not isinstance(value, str) or not _DURATION.match(value):
                raise ComponentInputError("%s.%s %r must be a duration such as '30s', '5m' or '1h'" % (where, key, value))
        return self

    def expressions(self) -> Dict[str, str]:
        """Each alert's PromQL, by alert name (what a test compares exactly)."""
        training = "|".join(sorted(self.training_namespaces))
        mlflow = 'namespace="%s",deployment="%s"' % (self.mlflow_namespace, self.mlflow_deployment)
        utilization = "avg by (%s) (%s)" % (GPU_NODE, GPU_UTILIZATION)
        expressions = {
            "GpuNodeIdle": "%s < %d" % (utilization, self.gpu_idle_percent),
            "GpuNodeSaturated": "%s > %d" % (utilization, self.gpu_saturated_percent),
            "GpuXidError": "max by (%s, gpu, UUID) (%s) > 0" % (GPU_NODE, GPU_XID_ERRORS),
            "TrainingPodRestarting": 'increase(%s{namespace=~"%s"}[%s]) > %d' % (
                CONTAINER_RESTARTS, training, self.training_restart_window, self.training_restarts),
        }
        if self.mlflow_namespace is not None:
            expressions["MlflowDown"] = "(%s{%s} < 1) or absent(%s{%s})" % (DEPLOYMENT_AVAILABLE, mlflow, DEPLOYMENT_AVAILABLE, mlflow)
        return expressions

    def rule_group(self) -> Dict[str, Any]:
        """The ``PrometheusRule`` group: one alert per signal, with its ``for``, severity and summary."""
        expressions = self.expressions()
        alerts: List[Tuple[str, Optional[str], str, str]] = [
            ("GpuNodeIdle", self.gpu_idle_for, "warning",
             "GPUs on {{ $labels.Hostname }} averaged below %d%% utilisation for %s" % (self.gpu_idle_percent, self.gpu_idle_for)),
            ("GpuNodeSaturated", self.gpu_saturated_for, "warning",
             "GPUs on {{ $labels.Hostname }} averaged above %d%% utilisation for %s"
             % (self.gpu_saturated_percent, self.gpu_saturated_for)),
            ("GpuXidError", self.xid_for, "critical",
             "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported XID {{ $value }}; drain the node and check the driver"),
            ("TrainingPodRestarting", None, "warning",
             "{{ $labels.namespace }}/{{ $labels.pod }} container {{ $labels.container }} restarted more than %d times in %s"
             % (self.training_restarts, self.training_restart_window)),
            ("MlflowDown", self.mlflow_down_for, "critical",
             "the model registry %s/%s has no available replica (or no metrics) for %s"
             % (self.mlflow_namespace, self.mlflow_deployment, self.mlflow_down_for)),
        ]
        rules: List[Dict[str, Any]] = []
        for alert, for_duration, severity, summary in alerts:
            if alert not in expressions:  # no registry, no MlflowDown
                continue
            rule: Dict[str, Any] = {"alert": alert, "expr": expressions[alert]}
            if for_duration is not None:  # an increase over a window needs no second wait
                rule["for"] = for_duration
            rule["labels"] = {"severity": severity}
            rule["annotations"] = {"summary": summary}
            rules.append(rule)
        return {"name": GROUP_NAME, "rules": rules}
