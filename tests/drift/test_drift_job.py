"""The drift job's library (sahab.drift) on data sets generated here: exact verdicts for unshifted and
shifted samples, the inputs layout, the metric text, and checks that give no verdict never pass.

MLflow here is real and local (a sqlite tracking store and a file artifact store, in-process); the
job against a real server with authentication is tests/components/kubernetes/test_drift_live.py.
"""
from __future__ import annotations

import datetime
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sahab.drift.detect import detect_drift
from sahab.drift.errors import DriftDataError
from sahab.drift.inputs import read_inputs
from sahab.drift.job import DriftJobConfig, check_once, run_forever
from sahab.drift.metrics import DriftMetrics, serve

TODAY = datetime.date(2026, 12, 3)
NOW = datetime.datetime(2026, 12, 3, 6, 0, tzinfo=datetime.timezone.utc)


def _frame(seed: int, tenure_shift: float = 0.0, plan=(0.5, 0.3, 0.2), rows: int = 600) -> pd.DataFrame:
    """Customer features: tenure and spend (numbers), plan (a category); ``tenure_shift`` in standard deviations."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"tenure": rng.normal(24 + 12 * tenure_shift, 12, rows), "spend": rng.normal(80, 20, rows),
                         "plan": rng.choice(["basic", "plus", "pro"], rows, p=list(plan))})


REFERENCE = _frame(1)


def test_an_unshifted_sample_does_not_drift():
    verdict = detect_drift(REFERENCE, _frame(2)).verdict
    assert (verdict.share, verdict.dataset_drift, verdict.drifted_columns) == (0.0, False, ())
    assert verdict.columns == ("tenure", "spend", "plan") and (verdict.reference_rows, verdict.current_rows) == (600, 600)
    assert verdict.methods == {"tenure": "K-S p_value", "spend": "K-S p_value", "plan": "chi-square p_value"}
    assert min(verdict.scores.values()) > 0.05


def test_one_shifted_column_drifts_alone_and_below_the_dataset_threshold():
    verdict = detect_drift(REFERENCE, _frame(2, tenure_shift=1.0)).verdict
    assert (verdict.share, verdict.dataset_drift, verdict.drifted_columns) == (1 / 3, False, ("tenure",))
    assert verdict.scores["tenure"] < 1e-10 and verdict.scores["spend"] > 0.05


def test_two_shifted_columns_are_dataset_drift_and_the_threshold_decides():
    current = _frame(2, tenure_shift=1.0, plan=(0.2, 0.3, 0.5))
    verdict = detect_drift(REFERENCE, current).verdict
    assert (verdict.share, verdict.dataset_drift, verdict.drifted_columns) == (2 / 3, True, ("tenure", "plan"))
    assert detect_drift(REFERENCE, current, drift_share=0.7).verdict.dataset_drift is False


def test_extra_input_columns_are_ignored_and_the_report_is_evidentlys():
    check = detect_drift(REFERENCE, _frame(2).assign(request_id="r-1", served_at="2026-12-03"))
    assert check.verdict.columns == ("tenure", "spend", "plan")
    report = json.loads(check.json())
    assert {metric["config"]["type"] for metric in report["metrics"]} == {
        "evidently:metric_v2:DriftedColumnsCount", "evidently:metric_v2:ValueDrift"}
    assert check.html().lstrip().lower().startswith("<html") or "<html" in check.html()[:2000].lower()


@pytest.mark.parametrize("reference, current, message", [
    (REFERENCE, _frame(2).drop(columns=["plan"]),
     "the inference inputs lack the reference column(s) plan (log every feature the model takes, under the reference's column names)"),
    (REFERENCE, _frame(2, rows=99),
     "current data has 99 rows, fewer than the 100 a verdict needs (wait for more inputs or lower min_rows; until then the "
     "check reports no verdict)"),
    (REFERENCE.assign(seen=pd.date_range("2026-12-01", periods=600, freq="min")), _frame(2).assign(seen=pd.Timestamp("2026-12-01")),
     "reference column 'seen' has type datetime64[ns], which drift detection cannot judge (drop it from the reference "
     "data or convert it to a number or a category)"),
])
def test_data_that_cannot_be_judged_gives_no_verdict(reference, current, message):
    with pytest.raises(DriftDataError) as error:
        detect_drift(reference, current)
    assert error.value.one_line() == message and error.value.exit_code == 2


def _log_inputs(root: Path, day: datetime.date, frame: pd.DataFrame, name: str = "part-0.parquet",
                model: str = "churn", version: str = "3") -> None:
    folder = root / model / version / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / name, index=False)


def test_inputs_are_read_from_the_days_of_the_window_only(tmp_path):
    _log_inputs(tmp_path, TODAY, _frame(3, rows=50))
    _log_inputs(tmp_path, TODAY, _frame(4, rows=40), name="part-1.parquet")
    _log_inputs(tmp_path, TODAY - datetime.timedelta(days=1), _frame(5, rows=30))
    _log_inputs(tmp_path, TODAY - datetime.timedelta(days=2), _frame(6, rows=1000))  # outside a 2-day window
    _log_inputs(tmp_path, TODAY, _frame(7, rows=1000), version="2")                  # another version
    (tmp_path / "churn" / "3" / TODAY.isoformat() / "_SUCCESS").write_text("")
    assert len(read_inputs(tmp_path.as_uri(), "churn", "3", window_days=2, today=TODAY)) == 120
    assert len(read_inputs(tmp_path.as_uri(), "churn", "3", window_days=1, today=TODAY)) == 90


def test_no_inputs_in_the_window_is_an_error_not_an_empty_pass(tmp_path):
    _log_inputs(tmp_path, TODAY - datetime.timedelta(days=1), _frame(3))
    with pytest.raises(DriftDataError) as error:
        read_inputs(tmp_path.as_uri(), "churn", "3", window_days=1, today=TODAY)
    assert error.value.one_line() == (
        "no inference inputs for churn version 3 in the last 1 day(s) under %s (log the served model's inputs as "
        "<inputs_uri>/<model>/<version>/<YYYY-MM-DD>/*.parquet)" % tmp_path.as_uri())
    with pytest.raises(DriftDataError, match=r"^model '\.\.' cannot name a folder"):
        read_inputs(tmp_path.as_uri(), "..", "3", window_days=1, today=TODAY)


def test_the_metrics_text_holds_the_latest_verdict_and_counts_failures():
    metrics = DriftMetrics(model="churn")
    metrics.record_failure("no-verdict")
    before = metrics.render()
    assert "sahab_model_drift_share{" not in before and "sahab_model_drift_last_success_timestamp_seconds{" not in before
    assert 'sahab_model_drift_check_failures_total{model="churn",reason="no-verdict"} 1.0' in before.splitlines()
    metrics.record_verdict("3", detect_drift(REFERENCE, _frame(2, tenure_shift=1.0)).verdict, NOW.timestamp())
    metrics.record_verdict("4", detect_drift(REFERENCE, _frame(2, 1.0, (0.2, 0.3, 0.5))).verdict, NOW.timestamp() + 60)
    samples = [line for line in metrics.render().splitlines() if not line.startswith("#")]
    assert samples == [  # only the version judged last: an alias moved to 4, version 3 no longer serves
        'sahab_model_drift_share{model="churn",version="4"} %r' % (2 / 3),
        'sahab_model_drift_detected{model="churn",version="4"} 1.0',
        'sahab_model_drift_columns{model="churn",version="4"} 2.0',
        'sahab_model_drift_last_success_timestamp_seconds{model="churn"} %r' % (NOW.timestamp() + 60),
        'sahab_model_drift_check_failures_total{model="churn",reason="no-verdict"} 1.0',
    ]


def test_the_metrics_endpoint_serves_only_metrics():
    metrics = DriftMetrics(model="churn")
    server = serve(metrics, 0, host="127.0.0.1")
    try:
        base = "http://127.0.0.1:%d" % server.server_address[1]
        with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
            assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
            assert response.read().decode() == metrics.render()
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(base + "/", timeout=10)
        assert error.value.code == 404
    finally:
        server.shutdown()


@pytest.fixture()
def registry(tmp_path, monkeypatch):
    """A real local MLflow: sqlite tracking and registry store, file artifact store."""
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    # Experiments the job creates get the default artifact root, ./mlruns: keep it in tmp_path.
    monkeypatch.chdir(tmp_path)
    import mlflow
    from mlflow import MlflowClient

    from sahab.drift.registry import log_reference

    uri = "sqlite:///%s" % (tmp_path / "mlflow.db")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    experiment = mlflow.create_experiment("churn", artifact_location=(tmp_path / "artifacts").as_uri())
    with mlflow.start_run(experiment_id=experiment) as run:
        log_reference(REFERENCE)
    client = MlflowClient(uri, uri)
    client.create_registered_model("churn")
    version = client.create_model_version("churn", "runs:/%s/model" % run.info.run_id, run_id=run.info.run_id)
    client.set_registered_model_alias("churn", "champion", version.version)
    yield client, str(version.version)
    mlflow.set_tracking_uri(None)


def test_a_check_tags_the_served_version_and_keeps_the_report_and_metrics_in_a_run(registry, tmp_path):
    client, version = registry
    inputs = tmp_path / "inputs"
    _log_inputs(inputs, TODAY, _frame(2, 1.0, (0.2, 0.3, 0.5)), version=version)
    metrics = DriftMetrics(model="churn")
    published = check_once(DriftJobConfig(model_uri="models:/churn@champion", inputs_uri=inputs.as_uri()), client, metrics, NOW)
    tags = client.get_model_version("churn", version).tags
    assert {key: value for key, value in tags.items() if key.startswith("sahab.drift.")} == {
        "sahab.drift.status": "drift", "sahab.drift.share": "0.666667", "sahab.drift.drifted_columns": "tenure,plan",
        "sahab.drift.checked_at": "2026-12-03T06:00:00+00:00", "sahab.drift.run_id": published.run_id}
    run = client.get_run(published.run_id)
    assert client.get_experiment(run.info.experiment_id).name == "sahab-drift/churn"
    assert (run.data.metrics["drift_share"], run.data.metrics["drifted_columns"], run.data.metrics["dataset_drift"]) == (2 / 3, 2, 1)
    assert run.data.params["model_uri"] == "models:/churn@champion" and run.info.status == "FINISHED"
    assert sorted(a.path for a in client.list_artifacts(published.run_id, "report")) == [
        "report/report.html", "report/report.json", "report/verdict.json"]
    assert 'sahab_model_drift_detected{model="churn",version="%s"} 1.0' % version in metrics.render().splitlines()


def test_a_version_without_reference_data_gives_no_verdict(registry):
    client, _ = registry
    bare = client.create_model_version("churn", "file:///nowhere/model")  # registered without a run
    client.set_registered_model_alias("churn", "challenger", bare.version)
    with pytest.raises(DriftDataError) as error:
        check_once(DriftJobConfig(model_uri="models:/churn@challenger", inputs_uri="file:///unused"), client,
                   DriftMetrics(model="churn"), NOW)
    assert error.value.one_line() == ("churn version %s was registered without a run, so it has no reference data (log the "
                                      "model and sahab.drift.log_reference(...) in one run, then register it)" % bare.version)


def test_a_version_whose_run_logged_no_reference_gives_no_verdict(registry, tmp_path):
    client, _ = registry
    import mlflow

    with mlflow.start_run(experiment_id=mlflow.create_experiment("other", artifact_location=(tmp_path / "other").as_uri())) as run:
        mlflow.log_param("epochs", 3)
    version = client.create_model_version("churn", "runs:/%s/model" % run.info.run_id, run_id=run.info.run_id)
    with pytest.raises(DriftDataError) as error:
        check_once(DriftJobConfig(model_uri="models:/churn/%s" % version.version, inputs_uri="file:///unused"), client,
                   DriftMetrics(model="churn"), NOW)
    assert error.value.one_line() == (
        "churn version %s has no reference data (sahab-drift/reference.parquet in run %s) (log it with "
        "sahab.drift.log_reference(...) in the run that logged the model)" % (version.version, run.info.run_id))


def test_the_loop_counts_a_check_without_verdict_and_keeps_running(registry, tmp_path):
    client, _ = registry
    metrics, stop = DriftMetrics(model="churn"), threading.Event()
    config = DriftJobConfig(model_uri="models:/churn@champion", inputs_uri=(tmp_path / "empty").as_uri(), interval_seconds=1)
    loop = threading.Thread(target=run_forever, args=(config, client, metrics, stop), kwargs={"clock": lambda: NOW})
    loop.start()
    deadline = time.monotonic() + 60
    while 'reason="no-verdict"} 2.0' not in metrics.render() and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    loop.join(timeout=30)
    assert not loop.is_alive()
    rendered = metrics.render()
    assert 'reason="no-verdict"} 2.0' in rendered or 'reason="no-verdict"} 3.0' in rendered
    assert "sahab_model_drift_share{" not in rendered and "last_success_timestamp_seconds{" not in rendered


def test_the_command_refuses_a_bad_model_uri_in_one_line():
    done = subprocess.run([sys.executable, "-m", "sahab.drift", "--once", "--model-uri", "models:/churn/latest",
                           "--inputs-uri", "file:///unused"], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (
        2, "", "sahab drift: model URI 'models:/churn/latest' is not models:/<name>/<version> or models:/<name>@<alias>\n")


@pytest.mark.parametrize("status", [204, 401])
def test_a_drifted_check_dispatches_retraining_after_writing_its_verdict(registry, tmp_path, status):
    from github_double import GithubDouble  # tests/github_double.py

    from sahab.drift.retrain import DISPATCHED_TAG, RetrainConfig

    client, version = registry
    inputs = tmp_path / "inputs"
    _log_inputs(inputs, TODAY, _frame(2, 1.0, (0.2, 0.3, 0.5)), version=version)
    (tmp_path / "token").write_text("ghs_e2eToken")
    github = GithubDouble(statuses=[status]).start()
    try:
        config = DriftJobConfig(model_uri="models:/churn@champion", inputs_uri=inputs.as_uri(), retrain=RetrainConfig(
            repository="acme/models", token_file=str(tmp_path / "token"), api_url=github.url))
        metrics = DriftMetrics(model="churn")
        check_once(config, client, metrics, NOW)
    finally:
        github.stop()
    (request,) = github.requests
    assert request.body["client_payload"] == {"model": "churn", "version": int(version),
                                              "drifted_columns": ["tenure", "plan"], "share": 2 / 3}
    tags = client.get_model_version("churn", version).tags
    assert tags["sahab.drift.status"] == "drift"  # the verdict is written whatever GitHub answers
    assert (DISPATCHED_TAG in tags) is (status == 204)
    assert ('sahab_drift_retrain_dispatch_failures_total{model="churn"} 1.0' in metrics.render().splitlines()) is (status == 401)
