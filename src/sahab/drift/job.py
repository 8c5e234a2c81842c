"""One drift check of a served model, and the loop the DriftMonitor pod runs.

A check resolves the served model URI to a version (an alias is followed, as the model server
follows it), reads that version's reference data and its recent inputs, runs Evidently, and
publishes the verdict to MLflow and to ``/metrics``. A check that cannot give a verdict (no
inputs, too few rows, no reference, the registry unreachable) publishes nothing to MLflow and
counts a failure; the last verdict's timestamp then ages, and the stale-check alert fires: no
evidence is never reported as "no drift".

Credentials: MLflow's from ``MLFLOW_TRACKING_URI`` and the mounted ``~/.mlflow/credentials``
file (never an environment variable); the artifact store's from the pod's workload identity;
with retraining on (:mod:`.retrain`), GitHub's token from a mounted file as well.
"""
from __future__ import annotations

import datetime
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

from ..errors import SahabError
from .detect import DEFAULT_DRIFT_SHARE, DEFAULT_MIN_ROWS, detect_drift
from .errors import DriftDataError
from .inputs import read_inputs
from .metrics import DriftMetrics
from .registry import Published, load_reference, publish, resolve_version
from .retrain import RetrainConfig, maybe_dispatch

if TYPE_CHECKING:
    from mlflow import MlflowClient

LOG = logging.getLogger("sahab.drift")
DEFAULT_INTERVAL_SECONDS = 6 * 3600
DEFAULT_PORT = 8000
NO_VERDICT = "no-verdict"
ERROR = "error"


@dataclass(frozen=True)
class DriftJobConfig:
    """What the pod checks and how often (the DriftMonitor component renders these as arguments)."""

    model_uri: str
    inputs_uri: str
    window_days: int = 1
    drift_share: float = DEFAULT_DRIFT_SHARE
    min_rows: int = DEFAULT_MIN_ROWS
    interval_seconds: int = DEFAULT_INTERVAL_SECONDS
    port: int = DEFAULT_PORT
    retrain: Optional[RetrainConfig] = None


def check_once(config: DriftJobConfig, client: "MlflowClient", metrics: DriftMetrics,
               now: datetime.datetime) -> Published:
    """One check at ``now`` (UTC): the verdict goes to MLflow, then to the metrics, then (drift,
    and ``retrain`` set) a retraining dispatch for a version not dispatched yet."""
    version = resolve_version(client, config.model_uri)
    reference = load_reference(client, version)
    current = read_inputs(config.inputs_uri, version.name, str(version.version), window_days=config.window_days,
                          today=now.date())
    check = detect_drift(reference, current, drift_share=config.drift_share, min_rows=config.min_rows)
    published = publish(client, version, check, checked_at=now, settings={
        "model_uri": config.model_uri, "drift_share": config.drift_share, "min_rows": config.min_rows,
        "window_days": config.window_days})
    metrics.record_verdict(str(version.version), check.verdict, now.timestamp())
    if config.retrain is not None:
        maybe_dispatch(config.retrain, client, version.name, str(version.version), check.verdict, metrics, now)
    return published


def run_forever(config: DriftJobConfig, client: "MlflowClient", metrics: DriftMetrics, stop: threading.Event,
                clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.timezone.utc)) -> None:
    """Check now, then every ``interval_seconds`` until ``stop`` is set; a failed check is counted
    and logged in one line, and the loop goes on (the next check may find the data it lacked)."""
    while not stop.is_set():
        try:
            published = check_once(config, client, metrics, clock())
            LOG.info("drift check of %s version %s done: run %s", published.model, published.version, published.run_id)
        except DriftDataError as error:
            metrics.record_failure(NO_VERDICT)
            LOG.warning("drift check of %s gave no verdict: %s", config.model_uri, error.one_line())
        except SahabError as error:
            metrics.record_failure(ERROR)
            LOG.error("drift check of %s failed: %s", config.model_uri, error.one_line())
        except Exception as error:  # noqa: BLE001 (the registry or the store failed; retry at the next interval)
            metrics.record_failure(ERROR)
            LOG.error("drift check of %s failed: %s: %s", config.model_uri, type(error).__name__,
                      str(error).splitlines()[0] if str(error) else "")
        stop.wait(config.interval_seconds)
