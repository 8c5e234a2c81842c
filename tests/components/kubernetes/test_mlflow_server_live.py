"""Slow (~20 s): the MLflow server exactly as ModelRegistry renders it, started for real.

The command line, environment and secret-file templates come from a planned ModelRegistry;
only values change: a sqlite backend and auth database, a local artifact root and temporary
paths stand in for Postgres, the bucket and the pod's mounts, and the server binds a free
loopback port. Secret values are generated here, rendered through the same ESO templates and
never printed. The server runs in its own session; it is stopped by process group and every
process of the session is then checked, by PID, to be gone.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Mapping

import pulumi_kubernetes as k8s
import requests

from sahab.components.kubernetes import Image, RemoteRef, WorkloadIdentityBinding
from sahab.components.kubernetes import mlflow_server
from sahab.components.kubernetes.model_registry import USERS_SECRETS_DIR, ModelRegistry, ModelRegistryArgs, RegistryUser
from sahab.testing import one_of_type, plan_resources

from mlflow_live import alive, free_port, stop, wait_healthy  # tests/mlflow_live.py (tests/ is on sys.path)

ECR = "111122223333.dkr.ecr.me-central-1.amazonaws.com"
PEM = "-----BEGIN CERTIFICATE-----\nMIIBdGVzdA==\n-----END CERTIFICATE-----\n"
MODEL = "churn-classifier"

# The subset of ESO's template engine (Go text/template + sprig) the registry's templates use.
_PLACEHOLDER = re.compile(r"\{\{ \.(\w+)((?: \| [^|}]+)*) \}\}")
_REPLACE = re.compile(r'^replace ("(?:[^"\\]|\\.)*") ("(?:[^"\\]|\\.)*")$')


def render_eso_template(template: str, values: Mapping[str, str]) -> str:
    """Render ``{{ .key | replace "a" "b" | quote }}``; fail on anything else."""
    def one(match: "re.Match[str]") -> str:
        value = values[match.group(1)]
        assert value.isascii() and value.isprintable()
        for step in filter(None, (part.strip() for part in match.group(2).split(" | "))):
            replace = _REPLACE.match(step)
            if step == "quote":  # sprig quote = Go %q; for printable ASCII only \ and " are escaped
                value = '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')
            elif replace:  # Go string literals here are JSON strings
                value = value.replace(json.loads(replace.group(1)), json.loads(replace.group(2)))
            else:
                raise AssertionError("unsupported template step %r" % step)
        return value
    rendered = _PLACEHOLDER.sub(one, template)
    assert "{{" not in rendered, "unsupported template syntax"
    return rendered


def _planned_registry():
    seen = {}

    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        seen["registry"] = ModelRegistry("mlflow", ModelRegistryArgs(
            provider=provider, image=Image(ECR, "mlflow/mlflow", tag="v3.17.2-full"), namespace="ml",
            identity=WorkloadIdentityBinding.aws_irsa("ml", "mlflow", "arn:aws:iam::111122223333:role/ml-mlflow"),
            database_host="registry.c0ffee.me-central-1.rds.amazonaws.com", database_ca_bundle=PEM,
            database_cidrs=["10.20.16.0/20"], artifacts_destination="s3://ml-artifacts-111122223333/mlflow",
            cloud_endpoint_cidrs=["10.20.0.0/24"], client_namespaces=["training"], secret_store="aws-secrets",
            database_password=RemoteRef("rds-master", "password"), admin_password=RemoteRef("mlflow-admin-password"),
            flask_secret_key=RemoteRef("mlflow-flask-secret-key"),
            users=[RegistryUser("serving", RemoteRef("mlflow-serving-password"), models=[MODEL])]))

    resources = plan_resources(program)
    (container,) = one_of_type(resources, "kubernetes:apps/v1:Deployment")["inputs"]["spec"]["template"]["spec"]["containers"]
    (job,) = one_of_type(resources, "kubernetes:batch/v1:Job")["inputs"]["spec"]["template"]["spec"]["containers"]
    return seen["registry"].server, container, job


def _write_secret_files(server: mlflow_server.MlflowServer, values: Mapping[str, str]) -> None:
    """The Secret volume: each templated key a file, group-readable as the kubelet leaves it."""
    Path(server.secrets_dir).mkdir()
    for file_name, template in mlflow_server.secret_templates(server).items():
        path = Path(server.secret_path(file_name))
        path.write_text(render_eso_template(template, values))
        path.chmod(0o440)


def _exercise_registry(base: str, server: mlflow_server.MlflowServer, admin_password: str, tmp_path: Path,
                       monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", base)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", server.admin_username)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", admin_password)
    import mlflow
    from mlflow import MlflowClient

    class PlusOneModel(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input: List[float], params=None) -> List[float]:
            return [value + 1 for value in model_input]

    with mlflow.start_run() as run:
        info = mlflow.pyfunc.log_model(name="model", python_model=PlusOneModel(), pip_requirements=[])
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")  # clients never see the storage
    version = mlflow.register_model(info.model_uri, MODEL)
    client = MlflowClient()
    client.set_registered_model_alias(MODEL, "champion", version.version)
    assert client.get_model_version_by_alias(MODEL, "champion").version == version.version
    downloaded = mlflow.artifacts.download_artifacts("models:/%s@champion" % MODEL, dst_path=str(tmp_path / "download"))
    assert mlflow.pyfunc.load_model(downloaded).predict([1.0, 2.0]) == [2.0, 3.0]


def _run_users_script(base: str, server: mlflow_server.MlflowServer, grants, passwords: Mapping[str, str],
                      folder: Path) -> subprocess.CompletedProcess:
    """The users Job's program with the Secret's files in ``folder`` and the loopback server."""
    folder.mkdir(exist_ok=True)
    for file_name, value in passwords.items():
        (folder / file_name).write_text(value)
    script = mlflow_server.users_script(base, server.admin_username, str(folder), grants)
    env = {"PATH": "%s:/usr/bin:/bin" % Path(sys.executable).parent, "HOME": server.scratch_dir,
           "MLFLOW_DISABLE_TELEMETRY": "true"}
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)


def _exercise_users_job(base: str, local: mlflow_server.MlflowServer, rendered: mlflow_server.MlflowServer,
                        users_job: Mapping, admin_password: str, tmp_path: Path) -> None:
    grants = (mlflow_server.UserGrant("serving", "READ", (MODEL,)),)
    in_cluster = "http://%s" % rendered.allowed_hosts[0]
    assert users_job["command"] == ["python", "-c", mlflow_server.users_script(
        in_cluster, rendered.admin_username, USERS_SECRETS_DIR, grants)]
    get_model = base + "/api/2.0/mlflow/registered-models/get"
    admin = (local.admin_username, admin_password)
    other = requests.post(base + "/api/2.0/mlflow/registered-models/create", json={"name": "other-model"},
                          auth=admin, timeout=10)
    assert other.status_code == 200

    first = secrets.token_urlsafe(24) + '%:"\\'
    for attempt in range(2):  # idempotent: the second run finds the user and the grant in place
        done = _run_users_script(base, local, grants, {mlflow_server.ADMIN_PASSWORD: admin_password,
                                                       grants[0].password_file: first}, tmp_path / "users")
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout == ("MLflow user serving: READ on 1 registered model(s), READ on 1 experiment(s) holding "
                               "their versions\n")
        assert first not in done.stdout + done.stderr and admin_password not in done.stdout + done.stderr
    serving = ("serving", first)
    assert requests.get(get_model, params={"name": MODEL}, auth=serving, timeout=10).status_code == 200
    assert requests.get(get_model, params={"name": "other-model"}, auth=serving, timeout=10).status_code == 403
    # What a model server does at start: resolve the alias and download the model through the proxy.
    download = subprocess.run(
        [sys.executable, "-c", "import mlflow, sys; print(mlflow.artifacts.download_artifacts(sys.argv[1], dst_path=sys.argv[2]))",
         "models:/%s@champion" % MODEL, str(tmp_path / "served")],
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "MLFLOW_TRACKING_URI": base, "MLFLOW_DISABLE_TELEMETRY": "true",
             "MLFLOW_TRACKING_USERNAME": "serving", "MLFLOW_TRACKING_PASSWORD": first},
        capture_output=True, text=True, timeout=120)
    assert download.returncode == 0, download.stderr[-2000:]
    assert (Path(download.stdout.strip()) / "MLmodel").is_file()
    renamed = requests.patch(base + "/api/2.0/mlflow/registered-models/update", auth=serving, timeout=10,
                             json={"name": MODEL, "description": "changed by a reader"})
    assert renamed.status_code == 403

    # A rotated secret takes effect on the next run: the old password stops working.
    rotated = secrets.token_urlsafe(24)
    done = _run_users_script(base, local, grants, {mlflow_server.ADMIN_PASSWORD: admin_password,
                                                   grants[0].password_file: rotated}, tmp_path / "users")
    assert done.returncode == 0, done.stderr[-2000:]
    assert requests.get(get_model, params={"name": MODEL}, auth=serving, timeout=10).status_code == 401
    assert requests.get(get_model, params={"name": MODEL}, auth=("serving", rotated), timeout=10).status_code == 200


def test_the_rendered_server_serves_the_registry_with_auth_and_stops(tmp_path, monkeypatch):
    rendered, container, users_job = _planned_registry()
    port = free_port()
    local = dataclasses.replace(
        rendered,
        backend_store_uri="sqlite:///%s" % (tmp_path / "mlflow.db"),
        auth_database_uri="sqlite:///%s" % (tmp_path / "auth.db"),
        artifacts_destination=(tmp_path / "artifacts").as_uri(),
        host="127.0.0.1", port=port,
        allowed_hosts=("127.0.0.1:%d" % port,) + rendered.allowed_hosts,
        secrets_dir=str(tmp_path / "secrets"), run_dir=str(tmp_path / "run"), scratch_dir=str(tmp_path / "scratch"))
    # The pod's command, arguments and environment are exactly what the pure rendering gives.
    assert container["command"] == mlflow_server.command(rendered)
    assert container["args"] == mlflow_server.args(rendered)
    environment: Dict[str, str] = {item["name"]: item["value"] for item in container["env"]}
    assert {k: v for k, v in environment.items() if k not in ("PGHOST", "PGPORT")} == mlflow_server.environment(rendered)

    # Characters each file format must escape: configparser's %, libpq's : and \, dotenv's " and \.
    admin_password = secrets.token_urlsafe(24) + "%:\\"
    values = {mlflow_server.ADMIN_PASSWORD: admin_password,
              mlflow_server.DATABASE_PASSWORD: secrets.token_urlsafe(24) + ":\\",
              mlflow_server.FLASK_SECRET_KEY: secrets.token_urlsafe(32) + '"\\'}
    _write_secret_files(local, values)
    for folder in (local.run_dir, local.scratch_dir):
        Path(folder).mkdir()
    env = {**environment, **mlflow_server.environment(local),
           "PATH": "%s:/usr/bin:/bin" % Path(sys.executable).parent}
    if "PYTHONPATH" in os.environ:  # an interpreter with extra site folders keeps them
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]

    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(mlflow_server.command(local) + mlflow_server.args(local), env=env, cwd=tmp_path,
                                   stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    members: List[int] = []
    try:
        base = "http://127.0.0.1:%d" % port
        wait_healthy(base, process, log, mlflow_server.HEALTH_PATH)

        copy = Path(local.pgpass_path)  # libpq's owner-only copy of the group-readable Secret file
        assert stat.S_IMODE(copy.stat().st_mode) == 0o400
        assert copy.read_text() == Path(local.secret_path(mlflow_server.PGPASS_FILE)).read_text()

        search = base + "/api/2.0/mlflow/registered-models/search"
        admin = (local.admin_username, admin_password)
        assert requests.get(search, timeout=10).status_code == 401
        assert requests.get(search, auth=(local.admin_username, "wrong-password"), timeout=10).status_code == 401
        assert requests.get(search, auth=admin, headers={"Host": "mlflow.attacker.example"}, timeout=10).status_code == 403
        assert requests.get(search, auth=admin, headers={"Host": rendered.allowed_hosts[0]}, timeout=10).status_code == 200

        _exercise_registry(base, local, admin_password, tmp_path, monkeypatch)
        # default_permission NO_PERMISSIONS: a new user sees nothing until granted.
        reader = ("reader", secrets.token_urlsafe(24))
        created = requests.post(base + "/api/2.0/mlflow/users/create", auth=admin, timeout=10,
                                json={"username": reader[0], "password": reader[1]})
        assert created.status_code == 200
        get_model = base + "/api/2.0/mlflow/registered-models/get"
        assert requests.get(get_model, params={"name": MODEL}, auth=reader, timeout=10).status_code == 403
        assert requests.get(get_model, params={"name": MODEL}, auth=admin, timeout=10).status_code == 200
        _exercise_users_job(base, local, rendered, users_job, admin_password, tmp_path)
        assert any((tmp_path / "artifacts").rglob("MLmodel"))  # proxied to the artifacts destination
        assert admin_password not in log.read_text()
    finally:
        members = stop(process)
    assert process.pid in members and len(members) > 3  # launcher/mlflow, refresh loop, uvicorn, workers
    assert [pid for pid in members if alive(pid)] == []
