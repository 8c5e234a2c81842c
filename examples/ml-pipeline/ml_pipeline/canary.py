"""Stage 6: a local stand-in for ModelServing's canary, judged by the Argo analysis's thresholds.

What it is, honestly: not a rollout. On the platform the new version serves a share of live
traffic through Argo Rollouts and Prometheus measures its pods' HTTP 5xx rate and p99 latency
(``PrometheusAnalysis``); a failed analysis aborts the rollout. Here the version holding
``staging`` is loaded from the registry by alias (as a serving pod loads it) and scores a fresh
sample, never seen in training or evaluation, in small requests; a request that raises or returns
a malformed prediction counts as an error, its wall time as its latency. The same thresholds
decide: ``PrometheusAnalysis``'s defaults (``max_error_rate``, ``max_p99_latency_ms``), read from
sahab's component, not copied. The ``champion`` (the stable version, when there is one) scores
the same requests, and the share of predictions both agree on is reported, not judged.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import List, Optional, Sequence

import mlflow
import numpy as np
import pandas as pd

from sahab.components.kubernetes.rollout_strategy import PrometheusAnalysis

from .data import generate

REQUEST_ROWS = 25


@dataclass(frozen=True)
class CanaryResult:
    requests: int
    errors: int
    error_rate: float
    p99_latency_ms: float
    max_error_rate: float
    max_p99_latency_ms: int
    agreement_with_champion: Optional[float]

    @property
    def passed(self) -> bool:
        return self.error_rate <= self.max_error_rate and self.p99_latency_ms <= self.max_p99_latency_ms


def _score(model: "mlflow.pyfunc.PyFuncModel", requests: Sequence[pd.DataFrame]) -> "tuple[List[Optional[np.ndarray]], List[float]]":
    answers: List[Optional[np.ndarray]] = []
    latencies: List[float] = []
    for request in requests:
        started = time.perf_counter()
        try:
            answer = np.asarray(model.predict(request)).ravel()
            ok = len(answer) == len(request) and set(np.unique(answer)) <= {0, 1}
        except Exception:  # a failed request is an error the analysis counts, not a crash of the stage
            answer, ok = None, False
        latencies.append((time.perf_counter() - started) * 1000)
        answers.append(answer if ok else None)
    return answers, latencies


def run_canary(model_name: str, features: Sequence[str], seed: int, rows: int = 500, has_champion: bool = False) -> CanaryResult:
    analysis = PrometheusAnalysis()
    sample = generate(rows, seed, first_id=10_000_000)[list(features)]
    requests = [sample.iloc[start:start + REQUEST_ROWS] for start in range(0, rows, REQUEST_ROWS)]
    canary, latencies = _score(mlflow.pyfunc.load_model("models:/%s@staging" % model_name), requests)
    errors = sum(answer is None for answer in canary)
    agreement = None
    if has_champion:
        stable, _ = _score(mlflow.pyfunc.load_model("models:/%s@champion" % model_name), requests)
        pairs = [(a, b) for a, b in zip(canary, stable) if a is not None and b is not None]
        agreement = float(np.mean(np.concatenate([a == b for a, b in pairs]))) if pairs else 0.0
    return CanaryResult(requests=len(requests), errors=errors, error_rate=errors / len(requests),
                        p99_latency_ms=float(np.percentile(latencies, 99)), max_error_rate=analysis.max_error_rate,
                        max_p99_latency_ms=analysis.max_p99_latency_ms, agreement_with_champion=agreement)
