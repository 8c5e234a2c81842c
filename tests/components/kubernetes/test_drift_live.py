"""Slow (~40 s): the drift job against a real MLflow server, as the DriftMonitor pod runs it.

The server is the one ModelRegistry renders (started as test_mlflow_server_live starts it, with
its helpers); the drift user is created and granted by the registry's own users Job program with
what the reference stack gives it (EDIT on the served model, READ on the experiments holding its
versions). The job runs as ``python -m sahab.drift --once`` in a subprocess with only its
credentials file (never a password in the environment), against inputs in a local ``file://``
store laid out as the serving side must log them. Secrets are generated here and never printed.
"""
from __future__ import annotations

import dataclasses
import datetime
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import numpy as np
import pandas as pd
import requests

from sahab.components.kubernetes import mlflow_server
from sahab.drift.registry import REFERENCE_ARTIFACT, log_reference

from github_double import GithubDouble  # tests/github_double.py
from mlflow_live import free_port, stop, wait_healthy  # tests/mlflow_live.py
from test_mlflow_server_live import (  # noqa: E402 (pytest puts this folder on sys.path)
    _planned_registry, _run_users_script, _write_secret_files, render_eso_template,
)

MODEL = "churn-classifier"  # the model the planned registry grants


def _frame(seed: int, shift: float, rows: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"tenure": rng.normal(24 + shift * 12, 12, rows), "spend": rng.normal(80, 20, rows),
                         "plan": rng.choice(["basic", "plus", "pro"], rows, p=[0.5, 0.3, 0.2])})


def _register_model(base: str, admin: tuple, reference: pd.DataFrame, monkeypatch) -> str:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", base)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", admin[0])
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", admin[1])
    import mlflow

    class Churn(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return [0] * len(model_input)

    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="model", python_model=Churn(), pip_requirements=[])
        log_reference(reference)
    version = mlflow.register_model(info.model_uri, MODEL)
    mlflow.MlflowClient().set_registered_model_alias(MODEL, "champion", version.version)
    return str(version.version)


def _write_inputs(root: Path, version: str, day: datetime.date, frame: pd.DataFrame) -> None:
    folder = root / MODEL / version / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    frame.assign(request_id=["r%d" % i for i in range(len(frame))]).to_parquet(folder / "part-0.parquet", index=False)


def _run_job(base: str, home: Path, inputs: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {"PATH": "%s:/usr/bin:/bin" % Path(sys.executable).parent, "HOME": str(home), "MLFLOW_TRACKING_URI": base,
           "MLFLOW_DISABLE_TELEMETRY": "true", "TMPDIR": str(home)}
    return subprocess.run([sys.executable, "-m", "sahab.drift", "--once", "--model-uri", "models:/%s@champion" % MODEL,
                           "--inputs-uri", inputs.as_uri(), "--min-rows", "200", *extra],
                          env=env, capture_output=True, text=True, timeout=300)


def test_the_drift_job_judges_the_served_version_and_writes_the_verdict_to_mlflow(tmp_path, monkeypatch):
    rendered, _, _ = _planned_registry()
    port = free_port()
    local = dataclasses.replace(
        rendered, backend_store_uri="sqlite:///%s" % (tmp_path / "mlflow.db"),
        auth_database_uri="sqlite:///%s" % (tmp_path / "auth.db"), artifacts_destination=(tmp_path / "artifacts").as_uri(),
        host="127.0.0.1", port=port, allowed_hosts=("127.0.0.1:%d" % port,),
        secrets_dir=str(tmp_path / "secrets"), run_dir=str(tmp_path / "run"), scratch_dir=str(tmp_path / "scratch"))
    admin_password = secrets.token_urlsafe(24)
    _write_secret_files(local, {mlflow_server.ADMIN_PASSWORD: admin_password,
                                mlflow_server.DATABASE_PASSWORD: secrets.token_urlsafe(24),
                                mlflow_server.FLASK_SECRET_KEY: secrets.token_urlsafe(32)})
    for folder in (local.run_dir, local.scratch_dir):
        Path(folder).mkdir()
    env = {**mlflow_server.environment(local), "PATH": "%s:/usr/bin:/bin" % Path(sys.executable).parent}
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(mlflow_server.command(local) + mlflow_server.args(local), env=env, cwd=tmp_path,
                                   stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    members: List[int] = []
    drift_password = secrets.token_urlsafe(24) + "%:"
    try:
        base = "http://127.0.0.1:%d" % port
        wait_healthy(base, process, log, mlflow_server.HEALTH_PATH)
        admin = (local.admin_username, admin_password)
        version = _register_model(base, admin, _frame(1, 0.0), monkeypatch)
        grants = (mlflow_server.UserGrant("drift", "EDIT", (MODEL,)),)
        done = _run_users_script(base, local, grants, {mlflow_server.ADMIN_PASSWORD: admin_password,
                                                       grants[0].password_file: drift_password}, tmp_path / "users")
        assert done.returncode == 0, done.stderr[-2000:]

        # The job's only MLflow credential: the file the pod mounts at ~/.mlflow/credentials.
        home = tmp_path / "home"
        (home / ".mlflow").mkdir(parents=True)
        (home / ".mlflow" / "credentials").write_text(
            render_eso_template(mlflow_server.credentials_template("drift"), {"password": drift_password}))
        inputs = tmp_path / "inference-inputs"
        today = datetime.datetime.now(datetime.timezone.utc).date()

        # No inputs logged yet: no verdict (exit 2, one line), nothing written to the version.
        empty = _run_job(base, home, inputs)
        assert empty.returncode == 2, empty.stderr[-2000:]
        assert empty.stderr.strip().splitlines()[-1] == (
            "sahab drift: no inference inputs for %s version %s in the last 1 day(s) under %s (log the served model's "
            "inputs as <inputs_uri>/<model>/<version>/<YYYY-MM-DD>/*.parquet)" % (MODEL, version, inputs.as_uri()))

        # Inputs whose tenure moved by one standard deviation: drift in exactly that column.
        _write_inputs(inputs, version, today, _frame(2, 1.0, rows=300))
        _write_inputs(inputs, version, today - datetime.timedelta(days=1), _frame(3, 0.0, rows=300))  # outside the window
        shifted = _run_job(base, home, inputs)
        assert shifted.returncode == 0, shifted.stderr[-3000:]
        for output in (shifted.stdout, shifted.stderr, empty.stdout, empty.stderr, log.read_text()):
            assert drift_password not in output and admin_password not in output

        tags = requests.get(base + "/api/2.0/mlflow/model-versions/get", params={"name": MODEL, "version": version},
                            auth=admin, timeout=10).json()["model_version"]["tags"]
        tags = {tag["key"]: tag["value"] for tag in tags}
        assert tags["sahab.drift.status"] == "no-drift"  # 1 of 3 columns drifted: below the 0.5 share
        assert tags["sahab.drift.drifted_columns"] == "tenure"
        assert tags["sahab.drift.share"] == "%.6g" % (1 / 3)
        run_id = tags["sahab.drift.run_id"]
        assert shifted.stdout.strip().splitlines()[-1] == "%s version %s: report in run %s" % (MODEL, version, run_id)
        run = requests.get(base + "/api/2.0/mlflow/runs/get", params={"run_id": run_id}, auth=admin, timeout=10).json()["run"]
        metrics: Dict[str, float] = {m["key"]: m["value"] for m in run["data"]["metrics"]}
        assert metrics["drifted_columns"] == 1 and metrics["dataset_drift"] == 0 and metrics["current_rows"] == 300
        assert metrics["drift_score/tenure"] < 0.05 < metrics["drift_score/spend"]
        reports = sorted(p.name for p in (tmp_path / "artifacts").rglob("report*.*"))
        assert reports == ["report.html", "report.json"]  # in the artifact store, through the proxy

        # The drift user may tag the served model's versions, nothing else: another model stays closed.
        assert requests.post(base + "/api/2.0/mlflow/registered-models/create", json={"name": "other"}, auth=admin,
                             timeout=10).status_code == 200
        assert requests.get(base + "/api/2.0/mlflow/registered-models/get", params={"name": "other"},
                            auth=("drift", drift_password), timeout=10).status_code == 403
        assert any(p.name == Path(REFERENCE_ARTIFACT).name for p in (tmp_path / "artifacts").rglob("*.parquet"))

        # Retraining on drift: tenure and spend shifted (2 of 3 columns). Two runs, as a restarted pod
        # would make them, with the drift user's own grants: one dispatch, recorded on the version.
        _write_inputs(inputs, version, today, _frame(4, 1.0, rows=300).assign(spend=lambda f: f["spend"] + 40))
        github_token = "ghs_" + secrets.token_urlsafe(30)
        (home / "github-token").write_text(github_token)
        github = GithubDouble().start()
        try:
            retrain = ("--retrain-repository", "acme/models", "--retrain-token-file", str(home / "github-token"),
                       "--retrain-api-url", github.url)
            runs = [_run_job(base, home, inputs, *retrain) for _ in range(2)]
        finally:
            github.stop()
        assert [run.returncode for run in runs] == [0, 0], runs[-1].stderr[-3000:]
        (request,) = github.requests
        assert request.body == {"event_type": "model-drift", "client_payload": {
            "model": MODEL, "version": int(version), "drifted_columns": ["tenure", "spend"], "share": 2 / 3}}
        tags = requests.get(base + "/api/2.0/mlflow/model-versions/get", params={"name": MODEL, "version": version},
                            auth=admin, timeout=10).json()["model_version"]["tags"]
        tags = {tag["key"]: tag["value"] for tag in tags}
        assert tags["sahab.drift.status"] == "drift" and "sahab.drift.retrain_dispatched" in tags
        for output in [run.stdout + run.stderr for run in runs] + [log.read_text(), repr(tags)]:
            assert github_token not in output and drift_password not in output
    finally:
        members = stop(process)
    assert process.pid in members
    assert not [pid for pid in members if os.path.exists("/proc/%d" % pid) and
                Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0] != "Z"]
