"""Retraining on drift (sahab.drift.retrain): the dispatch decision, the exact request GitHub gets, one
dispatch per drifted version across pods (the version's tag), failures counted and retried, and the
token nowhere but the Authorization header.

GitHub is a loopback double (tests/github_double.py) answering as the REST API does (204; 401; 422; a
redirect); MLflow is real and local (sqlite registry, in-process), as in test_drift_job.py.
"""
from __future__ import annotations

import datetime
import logging
import socket
import subprocess
import sys

import pytest
from github_double import GithubDouble  # tests/github_double.py

from sahab.drift.__main__ import parser, retrain_config
from sahab.drift.detect import DriftVerdict
from sahab.drift.metrics import DriftMetrics
from sahab.drift.retrain import DISPATCHED_TAG, RetrainConfig, maybe_dispatch

TOKEN = "ghs_s3cr3tT0kenValue0123456789abcdefABCD"
NOW = datetime.datetime(2026, 12, 3, 6, 0, tzinfo=datetime.timezone.utc)
LATER = NOW + datetime.timedelta(hours=6)
FAILURES = "sahab_drift_retrain_dispatch_failures_total"


def _verdict(drift: bool = True) -> DriftVerdict:
    drifted = ("tenure", "plan") if drift else ()
    return DriftVerdict(drift_share=0.5, share=2 / 3 if drift else 0.0, dataset_drift=drift,
                        columns=("tenure", "spend", "plan"), drifted_columns=drifted,
                        scores={"tenure": 0.0, "spend": 0.4, "plan": 0.0}, methods={}, reference_rows=600, current_rows=600)


@pytest.fixture()
def registry(tmp_path, monkeypatch):
    """A real local MLflow registry with churn version 1."""
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(tmp_path)
    from mlflow import MlflowClient

    uri = "sqlite:///%s" % (tmp_path / "mlflow.db")
    client = MlflowClient(uri, uri)
    client.create_registered_model("churn")
    version = client.create_model_version("churn", "file:///models/churn")
    yield uri, client, str(version.version)


@pytest.fixture()
def github(tmp_path):
    double = GithubDouble().start()
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    yield double, RetrainConfig(repository="acme/models", token_file=str(token_file), api_url=double.url)
    double.stop()


def _tags(client, version):
    return {k: v for k, v in client.get_model_version("churn", version).tags.items() if k.startswith("sahab.drift.")}


def test_a_drifted_version_is_dispatched_once_with_githubs_request_and_tagged(registry, github, caplog):
    uri, client, version = registry
    double, config = github
    caplog.set_level(logging.INFO, logger="sahab.drift")
    metrics = DriftMetrics(model="churn")
    assert maybe_dispatch(config, client, "churn", version, _verdict(), metrics, NOW) is True
    (request,) = double.requests
    assert (request.method, request.path) == ("POST", "/repos/acme/models/dispatches")
    assert request.headers["authorization"] == "Bearer " + TOKEN
    assert b"".join(double.raw).count(TOKEN.encode()) == 1  # in that header only
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.headers["content-type"] == "application/json"
    assert request.body == {"event_type": "model-drift", "client_payload": {
        "model": "churn", "version": int(version), "drifted_columns": ["tenure", "plan"], "share": 2 / 3}}
    assert _tags(client, version) == {DISPATCHED_TAG: "2026-12-03T06:00:00+00:00"}
    # The next check, and another pod with its own client, find the tag: no second dispatch.
    from mlflow import MlflowClient

    assert maybe_dispatch(config, client, "churn", version, _verdict(), metrics, LATER) is False
    assert maybe_dispatch(config, MlflowClient(uri, uri), "churn", version, _verdict(), DriftMetrics(model="churn"), LATER) is False
    assert len(double.requests) == 1 and _tags(client, version) == {DISPATCHED_TAG: "2026-12-03T06:00:00+00:00"}
    assert FAILURES not in metrics.render().split("# TYPE %s counter" % FAILURES)[1]
    assert TOKEN not in caplog.text and "retraining dispatched for churn version %s to acme/models" % version in caplog.text


def test_a_version_without_drift_is_not_dispatched(registry, github):
    _, client, version = registry
    double, config = github
    assert maybe_dispatch(config, client, "churn", version, _verdict(drift=False), DriftMetrics(model="churn"), NOW) is False
    assert double.requests == [] and _tags(client, version) == {}


@pytest.mark.parametrize("status, said", [(401, "GitHub answered 401: Bad credentials"),
                                          (422, "GitHub answered 422: Validation Failed")])
def test_a_refused_dispatch_is_counted_logged_without_the_token_and_retried(registry, github, caplog, capsys, status, said):
    _, client, version = registry
    double, config = github
    double.statuses = [status, 204]
    metrics = DriftMetrics(model="churn")
    caplog.set_level(logging.INFO, logger="sahab.drift")
    assert maybe_dispatch(config, client, "churn", version, _verdict(), metrics, NOW) is False
    assert _tags(client, version) == {}  # no tag: the next check retries
    assert '%s{model="churn"} 1.0' % FAILURES in metrics.render().splitlines()
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert record.getMessage() == ("retraining dispatch for churn version %s to acme/models failed: %s; retried at the next "
                                   "check" % (version, said))
    assert maybe_dispatch(config, client, "churn", version, _verdict(), metrics, LATER) is True
    assert len(double.requests) == 2 and _tags(client, version) == {DISPATCHED_TAG: "2026-12-03T12:00:00+00:00"}
    assert '%s{model="churn"} 1.0' % FAILURES in metrics.render().splitlines()
    captured = capsys.readouterr()
    for text in (caplog.text, metrics.render(), captured.out, captured.err, repr(_tags(client, version))):
        assert TOKEN not in text


def test_an_unreachable_api_and_a_missing_token_file_are_failures_not_crashes(registry, tmp_path, caplog):
    _, client, version = registry
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = "http://127.0.0.1:%d" % probe.getsockname()[1]
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    metrics = DriftMetrics(model="churn")
    unreachable = RetrainConfig(repository="acme/models", token_file=str(token_file), api_url=closed)
    assert maybe_dispatch(unreachable, client, "churn", version, _verdict(), metrics, NOW) is False
    missing = RetrainConfig(repository="acme/models", token_file=str(tmp_path / "absent"), api_url=closed)
    assert maybe_dispatch(missing, client, "churn", version, _verdict(), metrics, NOW) is False
    assert '%s{model="churn"} 2.0' % FAILURES in metrics.render().splitlines() and _tags(client, version) == {}
    assert "failed: cannot reach %s: " % closed in caplog.text
    assert "failed: cannot read the token file %s: No such file or directory" % (tmp_path / "absent") in caplog.text
    assert TOKEN not in caplog.text


def test_a_redirect_is_not_followed_so_the_token_never_reaches_another_host(registry, github):
    _, client, version = registry
    double, config = github
    elsewhere = GithubDouble().start()
    try:
        double.statuses = [307]
        double.redirect_to = elsewhere.url + "/repos/acme/models/dispatches"
        metrics = DriftMetrics(model="churn")
        assert maybe_dispatch(config, client, "churn", version, _verdict(), metrics, NOW) is False
        assert len(double.requests) == 1 and elsewhere.requests == []
        assert '%s{model="churn"} 1.0' % FAILURES in metrics.render().splitlines() and _tags(client, version) == {}
    finally:
        elsewhere.stop()


def test_the_command_line_builds_the_dispatch_settings_or_refuses_them():
    base = ["--model-uri", "models:/churn@champion", "--inputs-uri", "s3://b/p"]
    assert retrain_config(parser().parse_args(base)) is None
    config = retrain_config(parser().parse_args(base + ["--retrain-repository", "acme/models", "--retrain-token-file", "/t"]))
    assert config == RetrainConfig(repository="acme/models", token_file="/t", event_type="model-drift",
                                   api_url="https://api.github.com")
    assert config.endpoint == "https://api.github.com/repos/acme/models/dispatches"
    ghes = parser().parse_args(base + ["--retrain-repository", "acme/models", "--retrain-token-file", "/t",
                                       "--retrain-api-url", "https://github.example.ae/api/v3"])
    assert retrain_config(ghes).endpoint == "https://github.example.ae/api/v3/repos/acme/models/dispatches"


@pytest.mark.parametrize("extra, message", [
    (["--retrain-repository", "acme/models"],
     "sahab drift: --retrain-repository and --retrain-token-file go together (pass both to dispatch retraining on drift, "
     "or neither)\n"),
    (["--retrain-repository", "acme/models", "--retrain-token-file", "/t", "--retrain-api-url", "http://github.example.ae"],
     "python -m sahab.drift: error: argument --retrain-api-url: 'http://github.example.ae' must be https://api.github.com "
     "or a GitHub Enterprise Server's https://<host>/api/v3 (the token is sent in a header: never plain http)\n"),
    (["--retrain-repository", "acme", "--retrain-token-file", "/t"],
     "python -m sahab.drift: error: argument --retrain-repository: 'acme' is not a GitHub repository owner/name\n"),
])
def test_the_command_refuses_bad_dispatch_settings_in_one_line(extra, message):
    done = subprocess.run([sys.executable, "-m", "sahab.drift", "--once", "--model-uri", "models:/churn@champion",
                           "--inputs-uri", "file:///unused", *extra], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.endswith(message)
