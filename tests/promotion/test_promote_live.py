"""`sahab promote` against a real `mlflow server` (sqlite, local artifact root) on loopback.

Versions are registered through MLflow's own clients with real logged models, metrics and
dataset inputs; the server is started once for the module and stopped, with every process of
its session, by PID. The platform's stores here: the server's artifact folder (standing in for
the artifact bucket) and an S3 bucket URI for the training data (only its name is recorded).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest

from mlflow_live import alive, free_port, start_local_server  # tests/mlflow_live.py
from sahab.drift.registry import TAG_PREFIX as DRIFT_TAGS
from sahab.errors import UsageError
from sahab.promotion import load_promotion_config, promote, rollback, verify_promotion_log
from sahab.promotion.command import describe

DATA_BUCKET = "s3://ml-data-uae-111122223333/"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    started = start_local_server(tmp_path_factory.mktemp("mlflow"))
    yield started
    members = started.stop()
    assert started.process.pid in members
    assert [pid for pid in members if alive(pid)] == []


@pytest.fixture(scope="module")
def mlflow_client(server):
    import mlflow

    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    mlflow.set_tracking_uri(server.url)
    mlflow.set_registry_uri(server.url)
    yield mlflow.MlflowClient(server.url, server.url)
    mlflow.set_tracking_uri(previous)


@pytest.fixture()
def project(tmp_path, server):
    (tmp_path / "sahab.yaml").write_text("""
promotion:
  tracking_uri: %s
  metrics:
    accuracy: {direction: higher, threshold: 0.90}
    rmse: {direction: lower, threshold: 0.35, margin: 0.01}
  regression_margin: 0.005
  allowed_stores: ["%s", "%s"]
  required_evidence: {%sstatus: [no-drift]}
  audit_log: audit/promotions.jsonl
""" % (server.url, (server.artifact_root / "platform").as_uri(), DATA_BUCKET, DRIFT_TAGS))
    return tmp_path


def _experiment(client, name: str, location: Path) -> str:
    found = client.get_experiment_by_name(name)
    return found.experiment_id if found is not None else client.create_experiment(name, artifact_location=location.as_uri())


@pytest.fixture(scope="module")
def logged_models(server, mlflow_client):
    """One real pyfunc model logged into each store (the platform's, and one outside it), by store name."""
    import mlflow

    class Constant(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return [0] * len(model_input)

    models, here = {}, os.getcwd()
    os.chdir(server.artifact_root)  # not the checkout: MLflow would copy its uv.lock into the model
    try:
        for store in ("platform", "team-laptop"):
            with mlflow.start_run(experiment_id=_experiment(mlflow_client, store, server.artifact_root / store)):
                models[store] = mlflow.pyfunc.log_model(name="model", python_model=Constant(), pip_requirements=[])
    finally:
        os.chdir(here)
    return models


def register(server, client, logged_models, model: str, accuracy: float, rmse: Optional[float] = 0.30, store: str = "platform",
             data: str = DATA_BUCKET + "churn/train.parquet", drift: Optional[str] = "no-drift") -> str:
    """A training run (metrics, training data as a dataset input) whose model is the store's logged model,
    registered as a new version of ``model``, with the drift verdict tag DriftMonitor writes."""
    import mlflow
    import pandas as pd

    with mlflow.start_run(experiment_id=_experiment(client, store, server.artifact_root / store)) as run:
        metrics: Dict[str, float] = {"accuracy": accuracy}
        if rmse is not None:
            metrics["rmse"] = rmse
        mlflow.log_metrics(metrics)
        # MLflow keeps one dataset per (name, digest) in an experiment, with the source it was first logged
        # with: the frame names its source so each location is a dataset of its own.
        frame = pd.DataFrame({"tenure": [1.0, 2.0], "source": [data, data]})
        mlflow.log_input(mlflow.data.from_pandas(frame, source=data, name="churn-train"), context="training")
    if client.search_registered_models("name = '%s'" % model) == []:
        client.create_registered_model(model)
    logged = logged_models[store]
    version = str(client.create_model_version(model, logged.model_uri, run_id=run.info.run_id, model_id=logged.model_id,
                                              await_creation_for=0).version)
    if drift is not None:
        client.set_model_version_tag(model, version, DRIFT_TAGS + "status", drift)
    return version


def _aliases(client, model: str) -> Dict[str, str]:
    return dict(client.get_registered_model(model).aliases)


def _sahab(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sahab.cli", "promote", *args], cwd=project, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "MLFLOW_TRACKING_URI": ""})


def test_promote_then_roll_back_moves_champion_and_records_every_decision(server, mlflow_client, logged_models, project):
    client = mlflow_client
    first = register(server, client, logged_models, "churn", accuracy=0.92)
    allowed = _sahab(project, "churn", "--version", first, "--to", "production", "--actor", "release-bot")
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.splitlines()[0] == "allowed: promote churn version %s -> champion (no version held it)" % first
    assert _aliases(client, "churn") == {"champion": first}

    second = register(server, client, logged_models, "churn", accuracy=0.95, rmse=0.25)
    config = load_promotion_config(project)
    result = promote("churn", second, "production", project_dir=project, actor="release-bot")
    assert (result.allowed, result.previous, result.findings) == (True, first, [])
    assert _aliases(client, "churn") == {"champion": second}
    tags = client.get_model_version("churn", second).tags
    assert tags["sahab.promotion.champion.decision"] == "allowed"
    assert tags["sahab.promotion.champion.previous"] == first
    assert tags["sahab.promotion.champion.actor"] == "release-bot"
    assert tags["sahab.promotion.champion.entry"] == result.entry_hash

    back = rollback("churn", "production", project_dir=project, actor="oncall")
    assert (back.allowed, back.version, back.previous) == (True, first, second)
    assert _aliases(client, "churn") == {"champion": first}
    assert client.get_model_version("churn", first).tags["sahab.promotion.champion.action"] == "rollback"

    check = verify_promotion_log(config.audit_log)
    assert check.intact and check.entries == 3 and check.head == back.entry_hash
    entries = [json.loads(line) for line in config.audit_log.read_text().splitlines()]
    assert [(e["action"], e["version"], e["from_version"], e["to_version"], e["decision"], e["actor"]) for e in entries] == [
        ("promote", first, None, first, "allowed", "release-bot"), ("promote", second, first, second, "allowed", "release-bot"),
        ("rollback", first, second, first, "allowed", "oncall")]
    assert {e["policy_bundle"] for e in entries} == {entries[0]["policy_bundle"]} and entries[0]["policy_bundle"].startswith("sha256:")
    assert all(e["tracking_uri"] == server.url and e["alias"] == "champion" for e in entries)

    verified = _sahab(project, "--verify-log")
    assert verified.returncode == 0
    assert verified.stdout.strip() == "audit log audit/promotions.jsonl: 3 entries, chain intact, head %s" % back.entry_hash


def test_staging_moves_only_the_staging_alias(server, mlflow_client, logged_models, project):
    version = register(server, mlflow_client, logged_models, "churn-staging", accuracy=0.91)
    assert promote("churn-staging", version, "staging", project_dir=project).allowed
    assert _aliases(mlflow_client, "churn-staging") == {"staging": version}


def _denied(project, client, model: str, version: str, cli: bool = False) -> str:
    """Promote to production, expect a denial that leaves the aliases as they were and is recorded on the
    version and in the log; return the findings' lines as `sahab promote` prints them."""
    before = _aliases(client, model)
    if cli:
        completed = _sahab(project, model, "--version", version, "--to", "production")
        assert completed.returncode == 1, completed.stdout + completed.stderr
        lines = completed.stdout.splitlines()
    else:
        result = promote(model, version, "production", project_dir=project)
        assert (result.allowed, result.exit_code) == (False, 1)
        lines = describe(result)
    assert lines[0] == "denied: promote %s version %s -> champion; champion unchanged (%s)" % (
        model, version, "was version %s" % before["champion"] if before else "no version held it")
    assert _aliases(client, model) == before
    tags = client.get_model_version(model, version).tags
    assert tags["sahab.promotion.champion.decision"] == "denied"
    log = project / "audit" / "promotions.jsonl"
    entry = json.loads(log.read_text().splitlines()[-1])
    assert (entry["decision"], entry["version"], entry["to_version"]) == ("denied", version, before.get("champion"))
    assert tags["sahab.promotion.champion.findings"] == ",".join(sorted({f["rule"] for f in entry["findings"]}))
    assert tags["sahab.promotion.champion.entry"] == lines[-1].rsplit(" ", 1)[1] and verify_promotion_log(log).intact
    return "\n".join(lines[1:-1])


def test_a_metric_below_its_threshold_is_denied(server, mlflow_client, logged_models, project):
    version = register(server, mlflow_client, logged_models, "churn-weak", accuracy=0.85)
    assert _denied(project, mlflow_client, "churn-weak", version, cli=True) == (
        "  SAHAB-PRM-001 [high] metric accuracy of models:/churn-weak/%s is 0.85, below the threshold 0.9 (higher is better)" % version)


def test_a_regression_against_the_champion_is_denied(server, mlflow_client, logged_models, project):
    champion = register(server, mlflow_client, logged_models, "churn-regress", accuracy=0.96)
    assert promote("churn-regress", champion, "production", project_dir=project).allowed
    worse = register(server, mlflow_client, logged_models, "churn-regress", accuracy=0.94)  # above 0.90, but 0.02 behind
    assert _denied(project, mlflow_client, "churn-regress", worse) == (
        "  SAHAB-PRM-002 [high] metric accuracy of models:/churn-regress/%s is 0.94, worse than 0.96 of the current champion "
        "version %s by more than the margin 0.005" % (worse, champion))


def test_artifacts_outside_the_platform_stores_are_denied(server, mlflow_client, logged_models, project):
    version = register(server, mlflow_client, logged_models, "churn-elsewhere", accuracy=0.93, store="team-laptop")
    lines = _denied(project, mlflow_client, "churn-elsewhere", version).splitlines()
    outside = (server.artifact_root / "team-laptop").as_uri()
    assert len(lines) == 2 and all(line.startswith("  SAHAB-PRM-003 [critical] artifacts of models:/churn-elsewhere/%s are at %s/"
                                                   % (version, outside)) for line in lines)


def test_training_data_outside_the_platform_stores_is_denied(server, mlflow_client, logged_models, project):
    version = register(server, mlflow_client, logged_models, "churn-eu-data", accuracy=0.93, data="s3://ml-data-eu-west-1/churn/train.parquet")
    assert _denied(project, mlflow_client, "churn-eu-data", version) == (
        "  SAHAB-PRM-004 [critical] dataset churn-train of models:/churn-eu-data/%s was read from "
        "s3://ml-data-eu-west-1/churn/train.parquet, outside the platform's stores (%s/, %s)"
        % (version, (server.artifact_root / "platform").as_uri(), DATA_BUCKET))


def test_missing_evidence_is_denied(server, mlflow_client, logged_models, project):
    version = register(server, mlflow_client, logged_models, "churn-unchecked", accuracy=0.93, drift=None)
    assert _denied(project, mlflow_client, "churn-unchecked", version) == (
        "  SAHAB-PRM-005 [high] evidence sahab.drift.status is not recorded on models:/churn-unchecked/%s" % version)


def test_an_unreachable_server_is_exit_3_and_nothing_is_recorded(project):
    completed = _sahab(project, "churn", "--version", "1", "--to", "production", "--tracking-uri", "http://127.0.0.1:%d" % free_port())
    assert completed.returncode == 3
    assert completed.stderr.strip().startswith("error: the tracking server http://127.0.0.1:")
    assert "unreachable" in completed.stderr and completed.stdout == ""
    assert not (project / "audit" / "promotions.jsonl").exists()


def test_a_missing_version_is_exit_2_in_one_line(server, mlflow_client, logged_models, project):
    register(server, mlflow_client, logged_models, "churn-one", accuracy=0.93)
    completed = _sahab(project, "churn-one", "--version", "99", "--to", "production")
    assert completed.returncode == 2
    assert completed.stderr == "error: model churn-one version 99: not found in the registry (check the model name and version)\n"
    with pytest.raises(UsageError, match="no version of churn-one holds the alias champion, so there is nothing to roll back"):
        rollback("churn-one", project_dir=project)
    with pytest.raises(UsageError, match="^model churn-none version 1: not found in the registry$"):
        promote("churn-none", "1", "production", project_dir=project)


def test_a_tampered_log_is_detected_and_never_extended(server, mlflow_client, logged_models, project):
    version = register(server, mlflow_client, logged_models, "churn-audit", accuracy=0.93)
    for _ in range(2):
        assert promote("churn-audit", version, "staging", project_dir=project).allowed
    log = project / "audit" / "promotions.jsonl"
    lines = log.read_text().splitlines()
    forged = json.loads(lines[0])
    forged["actor"] = "someone-else"
    log.write_text(json.dumps(forged, sort_keys=True, separators=(",", ":")) + "\n" + "\n".join(lines[1:]) + "\n")
    completed = _sahab(project, "--verify-log")
    assert completed.returncode == 1
    assert completed.stdout.strip().startswith("audit log audit/promotions.jsonl: BROKEN at line 2: prev is sha256:")
    with pytest.raises(UsageError, match="audit log .* is broken at line 2"):
        promote("churn-audit", version, "production", project_dir=project)
    assert _aliases(mlflow_client, "churn-audit") == {"staging": version}
