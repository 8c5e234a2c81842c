"""ModelRegistry with an Entra ID database login (Azure): no database password exists anywhere.

The launcher's token path is run for real under /bin/sh: ``python`` is this interpreter with a
stand-in ``azure.identity`` module first on its path (the real one would call Entra ID), and
``mlflow`` is a script that reports the password file libpq would read.
"""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pulumi_kubernetes as k8s
import pytest

from sahab.components.kubernetes import EntraTokenLogin, WorkloadIdentityBinding, mlflow_server
from sahab.components.kubernetes.model_registry import ModelRegistry
from sahab.testing import attempt_plan, one_of_type, plan_resources

from test_model_registry import registry_args  # pytest puts this test folder on sys.path (no __init__.py)

CLIENT_ID = "22222222-2222-2222-2222-222222222222"
LOGIN = "ml_prod_mlflow"
AZURE_IDENTITY = WorkloadIdentityBinding.azure_workload_identity("ml", "mlflow", CLIENT_ID)
BLOB = "wasbs://mlflow@mlprodartifacts.blob.core.windows.net/mlflow"
FAKE_TOKEN = "eyJhbGciOi.eyJvaWQiOi.c2lnbmF0dXJl"

# Records the scope it was asked for and returns FAKE_TOKEN, or fails when FAKE_ENTRA_FAIL is set.
_FAKE_AZURE_IDENTITY = '''
import os


class _Token:
    def __init__(self, token):
        self.token = token


class WorkloadIdentityCredential:
    def get_token(self, scope):
        if os.environ.get("FAKE_ENTRA_FAIL"):
            raise RuntimeError("AADSTS70021: No matching federated identity record found")
        with open(os.environ["FAKE_ENTRA_LOG"], "a") as log:
            log.write(scope + "\\n")
        return _Token(os.environ["FAKE_ENTRA_TOKEN"])
'''


def entra_program(seen: dict, **overrides):
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        values = dict(identity=AZURE_IDENTITY, database_host="mlprod-registry.postgres.database.azure.com",
                      database_ca_bundle=None, database_user=LOGIN, artifacts_destination=BLOB,
                      secret_store="azure-keyvault", database_password=EntraTokenLogin())
        values.update(overrides)
        seen["registry"] = ModelRegistry("mlflow", registry_args(provider, **values))
    return program


def refused(**overrides) -> str:
    """The error of a registry with ``overrides``, after checking nothing but the provider registered."""
    resources, error = attempt_plan(entra_program({}, **overrides))
    assert [resource["type"] for resource in resources] == ["pulumi:providers:kubernetes"]
    return str(error)


@pytest.fixture(scope="module")
def planned():
    seen: dict = {}
    return plan_resources(entra_program(seen)), seen["registry"]


def test_no_database_password_is_fetched_or_mounted(planned):
    resources, registry = planned
    external = one_of_type(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")["inputs"]["spec"]
    assert [item["secretKey"] for item in external["data"]] == ["admin_password", "flask_secret_key"]
    assert sorted(external["target"]["template"]["data"]) == [mlflow_server.AUTH_INI_FILE, mlflow_server.SERVER_ENV_FILE]
    assert registry.server.database_token_scope == "https://ossrdbms-aad.database.windows.net/.default"
    assert registry.server.credential_refresh_seconds == 300


def test_the_pod_uses_its_workload_identity_and_the_entra_login(planned):
    resources, registry = planned
    template = one_of_type(resources, "kubernetes:apps/v1:Deployment")["inputs"]["spec"]["template"]
    assert template["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    (container,) = template["spec"]["containers"]
    assert container["command"] == mlflow_server.command(registry.server)
    assert "--backend-store-uri" in container["args"]
    backend = container["args"][container["args"].index("--backend-store-uri") + 1]
    assert backend == "postgresql://%s@/mlflow?sslmode=verify-full&sslrootcert=system" % LOGIN
    assert container["args"][container["args"].index("--artifacts-destination") + 1] == BLOB
    account = one_of_type(resources, "kubernetes:core/v1:ServiceAccount")["inputs"]
    assert account["metadata"]["annotations"] == {"azure.workload.identity/client-id": CLIENT_ID}


def test_an_entra_login_needs_an_azure_identity():
    error = refused(identity=WorkloadIdentityBinding.aws_irsa("ml", "mlflow", "arn:aws:iam::111122223333:role/ml-mlflow"))
    assert error == (
        "ModelRegistry: database_password=EntraTokenLogin() needs an Azure workload identity (the token is the pod's); "
        "identity is a aws binding: pass RemoteRef to the database password instead")


@pytest.mark.parametrize("seconds", [30, 3600])
def test_a_refresh_outside_the_token_lifetime_is_refused(seconds):
    error = refused(database_password=EntraTokenLogin(refresh_seconds=seconds))
    assert error == (
        "ModelRegistry: EntraTokenLogin.refresh_seconds must be between 60 and 1800 (tokens live at least an hour), got %d"
        % seconds)


def test_a_literal_database_password_is_still_refused():
    error = refused(database_password="hunter2-literal")
    assert error == ("ModelRegistry: database_password must be a RemoteRef to the secret in the cloud's secret "
                          "store (never the value) or EntraTokenLogin(); got a str")
    assert "hunter2" not in error


def _launcher_environment(tmp_path: Path, server: mlflow_server.MlflowServer) -> dict:
    """PATH with ``python`` (this interpreter) and a reporting ``mlflow``; the stand-in azure.identity."""
    bin_dir, modules = tmp_path / "bin", tmp_path / "modules" / "azure"
    bin_dir.mkdir()
    modules.mkdir(parents=True)
    (modules / "__init__.py").write_text("")
    (modules / "identity.py").write_text(_FAKE_AZURE_IDENTITY)
    (bin_dir / "python").symlink_to(sys.executable)
    report = tmp_path / "report"
    mlflow = bin_dir / "mlflow"
    mlflow.write_text('#!/bin/sh\nstat -c %%a "$PGPASSFILE" > %s\ncat "$PGPASSFILE" >> %s\n' % (report, report))
    mlflow.chmod(0o755)
    return {"PATH": "%s:/usr/bin:/bin" % bin_dir, "PYTHONPATH": str(tmp_path / "modules"),
            "PGPASSFILE": str(tmp_path / "run" / "pgpass"), "FAKE_ENTRA_LOG": str(tmp_path / "scopes"),
            "FAKE_ENTRA_TOKEN": FAKE_TOKEN}


def _run_launcher(server: mlflow_server.MlflowServer, environment: dict, logs: Path) -> subprocess.CompletedProcess:
    """Run the launcher until the exec'd ``mlflow`` exits; output goes to files, since the refresh
    loop (which outlives ``mlflow``) keeps any pipe open. The session is then stopped by its group."""
    with open(logs / "stdout", "w") as stdout, open(logs / "stderr", "w") as stderr:
        process = subprocess.Popen(mlflow_server.command(server) + mlflow_server.args(server), env=environment,
                                   stdout=stdout, stderr=stderr, start_new_session=True)
        try:
            returncode = process.wait(timeout=60)
        finally:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    return subprocess.CompletedProcess(process.args, returncode, (logs / "stdout").read_text(), (logs / "stderr").read_text())


def test_the_launcher_writes_an_owner_only_token_pgpass_before_mlflow_starts(planned, tmp_path):
    server = planned[1].server
    environment = _launcher_environment(tmp_path, server)
    (tmp_path / "run").mkdir()
    result = _run_launcher(server, environment, tmp_path)
    assert result.returncode == 0, result.stderr
    mode, line = (tmp_path / "report").read_text().splitlines()
    assert stat.S_IMODE(int(mode, 8)) == 0o600  # umask 077: libpq refuses a group-readable file
    assert line == "*:*:mlflow:%s:%s" % (LOGIN, FAKE_TOKEN)
    assert (tmp_path / "scopes").read_text() == "https://ossrdbms-aad.database.windows.net/.default\n"
    assert FAKE_TOKEN not in result.stdout + result.stderr


def test_without_a_token_the_launcher_stops_and_mlflow_never_runs(planned, tmp_path):
    server = planned[1].server
    environment = {**_launcher_environment(tmp_path, server), "FAKE_ENTRA_FAIL": "1"}
    (tmp_path / "run").mkdir()
    result = _run_launcher(server, environment, tmp_path)
    assert result.returncode != 0
    assert "AADSTS70021" in result.stderr
    assert not (tmp_path / "report").exists()
    assert not Path(environment["PGPASSFILE"]).exists()


def test_the_password_login_still_copies_the_mounted_file():
    server = mlflow_server.MlflowServer(
        backend_store_uri="postgresql://registry_admin@/mlflow", auth_database_uri="postgresql://registry_admin@/mlflow",
        artifacts_destination="s3://bucket/mlflow", allowed_hosts=("mlflow.ml.svc:5000",),
        pgpass_entries=(mlflow_server.PgpassEntry("mlflow", "registry_admin"),))
    assert 'cp /etc/mlflow/secrets/pgpass "$PGPASSFILE.new"' in mlflow_server.launcher_script(server)
    assert "azure" not in mlflow_server.launcher_script(server)
    assert mlflow_server.PGPASS_FILE in mlflow_server.secret_templates(server)
