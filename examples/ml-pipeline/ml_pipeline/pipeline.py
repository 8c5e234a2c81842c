"""The stages in the order pipelines/github/ml-pipeline.yml runs them, with the promotion gate between.

data validation -> train -> evaluate on the holdout -> record evidence on the version ->
``sahab.promote(..., "staging")`` -> canary (local stand-in) -> ``sahab.promote(..., "production")``.
A stage that fails stops the run: nothing after it happens, so a version denied at staging never
reaches the canary, and ``champion`` moves only after the canary passed and the gate allowed it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import mlflow
from mlflow import MlflowClient

import sahab
from sahab.promotion import load_promotion_config
from sahab.promotion.command import describe

from . import canary, data, evaluate, evidence, train

HERE = Path(__file__).resolve().parents[1]  # examples/ml-pipeline: its sahab.yaml holds `promotion:`
EXPERIMENT = "ml-pipeline-example"
ACTOR = "ml-pipeline-example"


@dataclass
class Outcome:
    """How far the run got: ``stopped_at`` names the stage that failed (None when production was reached)."""

    version: Optional[str] = None
    metrics: Dict[str, float] = dataclasses.field(default_factory=dict)
    evidence: Dict[str, str] = dataclasses.field(default_factory=dict)
    canary: Optional[canary.CanaryResult] = None
    stopped_at: Optional[str] = None

    @property
    def exit_code(self) -> int:
        return 0 if self.stopped_at is None else 1


def _experiment(client: MlflowClient, store: Path) -> str:
    found = client.get_experiment_by_name(EXPERIMENT)
    if found is not None:
        return found.experiment_id
    return client.create_experiment(EXPERIMENT, artifact_location=(store / EXPERIMENT).as_uri())


def run(tracking_uri: str, store: Path, work: Path, model_name: str, features: Sequence[str] = data.FEATURES, seed: int = 7,
        echo: Callable[[str], None] = print) -> Outcome:
    """One pipeline run. ``store`` is the local folder standing in for the platform's artifact store:
    the experiment's artifacts and the data are written there, and it is the one store the promotion
    gate admits here (added to ``sahab.yaml``'s ``allowed_stores``). The audit log goes to ``work``."""
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    client = MlflowClient(tracking_uri, tracking_uri)
    outcome = Outcome()
    store = store.resolve()
    run_name = "%s-seed%d-%s" % (model_name, seed, "-".join(f[:3] for f in features))

    try:
        split = data.prepare(store, run_name, seed)
    except data.DataValidationError as exc:
        echo("data validation: FAILED: %s" % exc)
        outcome.stopped_at = "data validation"
        return outcome
    echo("data validation: passed (%d training rows, %d holdout rows)" % (len(split.train), len(split.holdout)))

    trained = train.train(split, model_name, _experiment(client, store), features, run_name)
    outcome.version = trained.version
    echo("train: %s version %s (run %s)" % (model_name, trained.version, trained.run_id))

    outcome.metrics = evaluate.evaluate(trained, split)
    echo("evaluate: " + ", ".join("%s=%.4f" % item for item in sorted(outcome.metrics.items())))

    outcome.evidence = evidence.record(client, model_name, trained, split, outcome.metrics)
    echo("evidence: " + ", ".join("%s=%s" % (k, v) for k, v in sorted(outcome.evidence.items()) if k.endswith(".status")))

    config = load_promotion_config(HERE)
    config = dataclasses.replace(config, allowed_stores=config.allowed_stores + (store.as_uri().rstrip("/") + "/",))
    options = dict(project_dir=HERE, config=config, tracking_uri=tracking_uri, actor=ACTOR, audit_log_path=work / "promotion-audit.jsonl")

    staging = sahab.promote(model_name, trained.version, "staging", **options)
    _echo_lines("promote to staging", describe(staging), echo)
    if not staging.allowed:
        outcome.stopped_at = "promote to staging"
        return outcome

    has_champion = "champion" in client.get_registered_model(model_name).aliases
    outcome.canary = result = canary.run_canary(model_name, features, seed + 1000, has_champion=has_champion)
    echo("canary (local stand-in): %s: %d requests, error rate %.4f (max %s), p99 %.1f ms (max %d)%s" % (
        "passed" if result.passed else "FAILED", result.requests, result.error_rate, result.max_error_rate,
        result.p99_latency_ms, result.max_p99_latency_ms,
        "" if result.agreement_with_champion is None else ", agrees with champion on %.1f%%" % (100 * result.agreement_with_champion)))
    if not result.passed:
        outcome.stopped_at = "canary"
        return outcome

    production = sahab.promote(model_name, trained.version, "production", **options)
    _echo_lines("promote to production", describe(production), echo)
    if not production.allowed:
        outcome.stopped_at = "promote to production"
    return outcome


def _echo_lines(stage: str, lines: List[str], echo: Callable[[str], None]) -> None:
    echo("%s: %s" % (stage, lines[0]))
    for line in lines[1:]:
        echo("  " + line)
