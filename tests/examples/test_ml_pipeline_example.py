"""examples/ml-pipeline end to end against a real `mlflow server` on loopback (tests/mlflow_live.py).

The first run trains on every feature and must reach production through the promotion gate: both
aliases on its version, the three kinds of evidence and both decisions recorded on it. The second
trains a deliberately worse model (one feature fewer): above every threshold, but behind the
holder of `staging`, so the gate denies it (SAHAB-PRM-002) and the pipeline stops there, leaving
`staging` and `champion` where they were. The audit log's chain must verify. Both runs are in this
process (the example's own entry point), so MLflow and scikit-learn are imported once.
"""
from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlflow_live import alive, restore_environment, start_local_server  # tests/mlflow_live.py
from sahab.components.kubernetes.rollout_strategy import PrometheusAnalysis
from sahab.promotion import verify_promotion_log

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ml-pipeline"
MODEL = "churn-example"
STATUSES = {"validation.holdout.status": "passed", "validation.data_drift.status": "no-drift", "validation.fairness.status": "passed"}


@pytest.fixture(scope="module")
def example():
    sys.path.insert(0, str(EXAMPLE))
    try:
        from ml_pipeline import __main__ as entry, canary, data, evidence, pipeline

        yield {"main": entry.main, "canary": canary, "data": data, "evidence": evidence, "pipeline": pipeline}
    finally:
        sys.path.remove(str(EXAMPLE))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    started = start_local_server(tmp_path_factory.mktemp("mlflow"))
    yield started
    members = started.stop()
    assert started.process.pid in members and [pid for pid in members if alive(pid)] == []


@pytest.fixture(scope="module")
def runs(example, server, tmp_path_factory):
    """Run 1 in the library (its outcome), run 2 through the example's entry point (exit code, output)."""
    from mlflow import MlflowClient

    work = tmp_path_factory.mktemp("work")
    saved = {key: os.environ.get(key) for key in ("MLFLOW_TRACKING_URI", "MLFLOW_DISABLE_TELEMETRY")}
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    lines = []
    here = os.getcwd()
    os.chdir(work)  # MLflow looks for a uv project in the working directory: not the checkout's
    try:
        first = example["pipeline"].run(server.url, server.artifact_root, work, MODEL, echo=lines.append)
        second = example["main"](["--tracking-uri", server.url, "--store", str(server.artifact_root), "--work", str(work),
                                  "--model", MODEL, "--features", "tenure,monthly_spend,support_calls"])
    finally:
        os.chdir(here)
        restore_environment(saved)
    return {"first": first, "first_lines": lines, "second_exit": second, "work": work,
            "client": MlflowClient(server.url, server.url)}


def test_the_first_run_reaches_production_with_its_evidence(runs, server):
    first, client = runs["first"], runs["client"]
    assert (first.stopped_at, first.exit_code, first.version) == (None, 0, "1")
    assert [line.split(":")[0] for line in runs["first_lines"] if not line.startswith(" ")] == [
        "data validation", "train", "evaluate", "evidence", "promote to staging", "canary (local stand-in)", "promote to production"]
    tags = client.get_model_version(MODEL, "1").tags
    assert {key: tags[key] for key in STATUSES} == STATUSES
    # the holdout benchmark's numbers are the run's metrics, which the gate judged
    metrics = client.get_run(client.get_model_version(MODEL, "1").run_id).data.metrics
    assert metrics["holdout_accuracy"] > 0.9 and metrics["holdout_roc_auc"] > 0.95
    assert float(tags["validation.holdout.holdout_accuracy"]) == pytest.approx(metrics["holdout_accuracy"], abs=1e-5)
    assert tags["validation.holdout.rows"] == "1000" and tags["validation.holdout.dataset"].startswith(server.artifact_root.as_uri())
    gaps = [float(tags["validation.fairness." + name]) for name in ("demographic_parity_difference", "equal_opportunity_difference")]
    assert all(0 <= gap <= 0.1 for gap in gaps) and tags["validation.fairness.attribute"] == "group"
    assert tags["validation.data_drift.drifted_columns"] == "" and float(tags["validation.data_drift.share"]) < 0.5
    for alias in ("staging", "champion"):
        assert tags["sahab.promotion.%s.decision" % alias] == "allowed"
        assert tags["sahab.promotion.%s.actor" % alias] == "ml-pipeline-example"
    assert dict(client.get_registered_model(MODEL).aliases) == {"staging": "1", "champion": "1"}
    # both datasets were logged with their location in the store the gate admitted
    inputs = client.get_run(client.get_model_version(MODEL, "1").run_id).inputs.dataset_inputs
    contexts = {next(t.value for t in d.tags if t.key == "mlflow.data.context"): json.loads(d.dataset.source)["uri"] for d in inputs}
    assert set(contexts) == {"training", "evaluation"}
    assert all(uri.startswith(server.artifact_root.as_uri() + "/data/") for uri in contexts.values())


def test_the_canary_stand_in_applies_the_argo_analysis_thresholds(runs):
    result, analysis = runs["first"].canary, PrometheusAnalysis()
    assert (result.max_error_rate, result.max_p99_latency_ms) == (analysis.max_error_rate, analysis.max_p99_latency_ms)
    assert result.passed and result.requests == 20 and result.errors == 0 and result.agreement_with_champion is None


def test_a_worse_model_is_denied_at_staging_and_champion_stays(runs):
    client = runs["client"]
    assert runs["second_exit"] == 1
    assert dict(client.get_registered_model(MODEL).aliases) == {"staging": "1", "champion": "1"}
    tags = client.get_model_version(MODEL, "2").tags
    assert {key: tags[key] for key in STATUSES} == STATUSES  # the evidence passed: the regression alone denies it
    assert tags["sahab.promotion.staging.decision"] == "denied" and tags["sahab.promotion.staging.findings"] == "SAHAB-PRM-002"
    assert not any(key.startswith("sahab.promotion.champion.") for key in tags)  # it never reached production
    assert 0.8 < client.get_run(client.get_model_version(MODEL, "2").run_id).data.metrics["holdout_accuracy"] < 0.9


def test_the_audit_log_chain_verifies_and_names_every_decision(runs):
    log = runs["work"] / "promotion-audit.jsonl"
    check = verify_promotion_log(log)
    assert check.intact and check.entries == 3
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["version"], e["alias"], e["decision"], e["to_version"]) for e in entries] == [
        ("1", "staging", "allowed", "1"), ("1", "champion", "allowed", "1"), ("2", "staging", "denied", "1")]
    assert [f["rule"] for f in entries[2]["findings"]] == ["SAHAB-PRM-002", "SAHAB-PRM-002"]
    assert runs["client"].get_model_version(MODEL, "2").tags["sahab.promotion.staging.entry"] == check.head


def test_data_validation_refuses_a_holdout_that_overlaps_training(example):
    data = example["data"]
    frame = data.generate(1600, seed=1)
    with pytest.raises(data.DataValidationError, match="^the holdout shares 200 row\\(s\\) with the training data$"):
        data.validate_split(frame.iloc[:1000], frame.iloc[800:])
    broken = frame.copy()
    broken.loc[5, "usage_hours"] = math.nan
    with pytest.raises(data.DataValidationError, match="^training data: missing values in usage_hours$"):
        data.validate(broken, "training data")


def test_fairness_audit_computes_both_gaps(example):
    evidence = example["evidence"]
    labels = pd.Series([1, 1, 0, 0, 1, 1, 0, 0])
    predictions = pd.Series([1, 1, 1, 0, 1, 0, 0, 0])
    groups = pd.Series(["a"] * 4 + ["b"] * 4)
    audit = evidence.fairness_audit(labels, predictions, groups)
    # selection rates 3/4 vs 1/4; true-positive rates 2/2 vs 1/2
    assert (audit.demographic_parity_difference, audit.equal_opportunity_difference, audit.passed) == (0.5, 0.5, False)


def test_a_failing_canary_request_counts_as_an_error(example):
    class Broken:
        def predict(self, frame):
            raise RuntimeError("model server 500")

    class Malformed:
        def predict(self, frame):
            return np.full(len(frame), 2)

    requests = [pd.DataFrame({"x": [1.0, 2.0]})] * 4
    for model in (Broken(), Malformed()):
        answers, latencies = example["canary"]._score(model, requests)
        assert answers == [None] * 4 and len(latencies) == 4
