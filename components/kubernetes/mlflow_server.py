"""How sahab runs the MLflow tracking server: its command line, environment and secret files.

Pure rendering, no Pulumi: :class:`~.model_registry.ModelRegistry` puts exactly these values in
its pod and its ExternalSecret, and the live test starts exactly these (with a sqlite backend,
a local artifact root and temporary paths as the only substitutions). Checked against the
installed mlflow 3.17.2:

* **No secret in any environment variable** (checkov CKV_K8S_35 is mandatory in the gate).
  The Kubernetes Secret the External Secrets Operator fills is mounted read-only as three files:

  - ``auth.ini`` at ``MLFLOW_AUTH_CONFIG_PATH`` (``mlflow/server/auth/config.py`` reads it with
    ``configparser``, so ``%`` in the admin password is escaped as ``%%``). It holds the admin
    password and ``default_permission = NO_PERMISSIONS`` (``auth/permissions.py``): a user sees
    nothing until granted. MLflow only uses ``admin_password`` to create the admin user on
    first start; rotating the secret does not change an existing admin's password.
  - ``server.env``, a dotenv file with ``MLFLOW_FLASK_SERVER_SECRET_KEY``. MLflow reads that key
    only from the environment (``auth/__init__.py`` ``get_flask_server_secret_key``), but
    ``mlflow --env-file FILE`` loads a dotenv file before the command runs and hands it to the
    uvicorn workers (``mlflow/cli/__init__.py`` ``_load_env_file``), so no shell export is needed
    and the key stays out of the pod spec. Every replica reads the same key, as CSRF needs.
  - ``pgpass``: the database password for libpq. Neither ``--backend-store-uri`` nor the auth
    ``database_uri`` carries a password (nor a host: libpq takes ``PGHOST``/``PGPORT`` from the
    environment, so the command line is a plain reviewable string while the database address
    is a deploy-time value). libpq ignores a password file that group or others can read, and
    a Secret volume in a non-root pod is always group-readable (root-owned, fsGroup; see
    kubernetes/kubernetes#57117), so a small ``/bin/sh`` launcher copies it to an owner-only
    (0400) file in a memory-backed folder, refreshes that copy every
    ``credential_refresh_seconds`` (RDS rotates a managed master password; libpq re-reads the
    file on every new connection), and ``exec``s ``mlflow`` with the arguments.

    With an Entra ID login (Azure Database for PostgreSQL, password authentication off) there is
    no database password at all: the launcher writes the same owner-only file from an access token
    for ``database_token_scope`` that the pod's workload identity obtains
    (``azure.identity.WorkloadIdentityCredential``, in the official ``-full`` image through
    ``mlflow[azure]``; it reads the webhook's ``AZURE_CLIENT_ID``/``AZURE_TENANT_ID``/
    ``AZURE_FEDERATED_TOKEN_FILE``), and rewrites it every ``credential_refresh_seconds``, well
    inside the token's lifetime. libpq sends the token as the password; the server checks it with
    Entra ID. Without a first token the launcher exits, so the pod never starts half-configured.

* Artifacts are proxied (``--serve-artifacts``): clients never hold storage credentials, the
  server reaches the bucket with its workload identity. ``--allowed-hosts`` names the Service's
  DNS names, so any other Host header is refused with 403 (``/health`` is exempt, for probes).
* ``MLFLOW_DISABLE_TELEMETRY``: no usage data leaves the UAE; ``MLFLOW_SERVER_ENABLE_JOB_EXECUTION``
  off: the job runner executes GenAI scorer code and schedules periodic tasks once per replica,
  which a model registry does not need. ``HOME``/``TMPDIR`` point at the writable scratch folder
  (the image has no user and the root filesystem is read-only; proxied uploads are buffered
  there).

* Users other than the admin (e.g. the read-only ``serving`` user model servers log in as) are
  put in place by a Job running :func:`users_script` with the server's own image: it creates
  each user (or, when it exists, sets its password to the current secret, so a rotated secret
  takes effect on the next deploy) and grants exactly the listed registered models at the listed
  permission through MLflow's auth REST API (``AuthServiceClient``: ``create_user``,
  ``update_user_password``, ``grant_user_permission`` on ``registered_model``; a grant that
  exists at another level is revoked and granted again). Reading a version's files needs more:
  the proxy judges ``<experiment>/models/<model_id>/artifacts`` by the *experiment*
  (``auth/__init__.py`` ``_authorize_artifact_proxy_resolved``: READ on the experiment, then the
  logged model's tier falling back to it), so the user also gets READ on the experiments that
  hold the models' versions at the time the Job runs (found through ``search_model_versions`` and
  each version's logged model or run). A version logged later in another experiment is readable
  after the next run of the Job. The passwords are files of their own Secret, mounted only into
  that Job.

Secret values reach the files through ESO templates (Go text/template with sprig,
``external-secrets pkg/template/v2``): ``replace`` escapes what each file format needs and
``quote`` writes a double-quoted dotenv value (both formats decode the same escapes for
printable characters).
"""
from __future__ import annotations

import json
import posixpath
import shlex
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

# Keys of the mounted Secret (file names) and of the values the ExternalSecret fetches.
AUTH_INI_FILE = "auth.ini"
PGPASS_FILE = "pgpass"
SERVER_ENV_FILE = "server.env"
ADMIN_PASSWORD = "admin_password"
DATABASE_PASSWORD = "database_password"
FLASK_SECRET_KEY = "flask_secret_key"

# The registered-model names sahab accepts (a subset of MLflow's): no quotes or spaces, so a name
# is safe inside a search filter and a URI.
MODEL_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,254}"

HEALTH_PATH = "/health"
AUTH_APP = "basic-auth"
NO_PERMISSIONS = "NO_PERMISSIONS"
AUTHORIZATION_FUNCTION = "mlflow.server.auth:authenticate_request_basic_auth"
LAUNCHER_NAME = "mlflow-launcher"
# Entra ID's resource for Azure Database for PostgreSQL (learn.microsoft.com, "Connect with Microsoft
# Entra ID": the token is the password).
POSTGRES_ENTRA_SCOPE = "https://ossrdbms-aad.database.windows.net/.default"


@dataclass(frozen=True)
class PgpassEntry:
    """One libpq password-file line: the password of ``user`` on ``database``. Host and port are
    ``*``: the pod reaches one database server (PGHOST), verified by TLS ``verify-full``."""

    database: str
    user: str


@dataclass(frozen=True)
class UserGrant:
    """An MLflow user and the registered models it may use, at one permission level."""

    username: str
    permission: str
    models: Tuple[str, ...]

    @property
    def password_file(self) -> str:
        """The key (file name) of this user's password in the users' Secret."""
        return "user-%s" % self.username


@dataclass(frozen=True)
class MlflowServer:
    """Everything the server's command line, environment and secret files are made from."""

    backend_store_uri: str
    auth_database_uri: str
    artifacts_destination: str
    allowed_hosts: Tuple[str, ...]
    pgpass_entries: Tuple[PgpassEntry, ...]
    host: str = "0.0.0.0"
    port: int = 5000
    workers: int = 2
    default_permission: str = NO_PERMISSIONS
    admin_username: str = "admin"
    secrets_dir: str = "/etc/mlflow/secrets"
    run_dir: str = "/run/mlflow"
    scratch_dir: str = "/tmp"
    credential_refresh_seconds: int = 60
    database_token_scope: Optional[str] = None  # set: libpq's password is an Entra token, not a secret

    def secret_path(self, file_name: str) -> str:
        return posixpath.join(self.secrets_dir, file_name)

    @property
    def pgpass_path(self) -> str:
        """The owner-only copy libpq reads (``PGPASSFILE``)."""
        return posixpath.join(self.run_dir, PGPASS_FILE)


def postgres_uri(user: str, database: str, ca_file: str) -> str:
    """A SQLAlchemy URI with neither password nor host: libpq takes the host and port from
    ``PGHOST``/``PGPORT`` and the password from ``PGPASSFILE``; TLS verifies the server against
    ``ca_file`` and its host name."""
    return "postgresql://%s@/%s?sslmode=verify-full&sslrootcert=%s" % (user, database, ca_file)


_TOKEN_PGPASS_SCRIPT = r"""
import json, sys
from azure.identity import WorkloadIdentityCredential


def field(value):
    return value.replace("\\", "\\\\").replace(":", "\\:")


scope, entries = json.loads(sys.argv[1])
token = WorkloadIdentityCredential().get_token(scope).token
sys.stdout.write("".join("*:*:%s:%s:%s\n" % (field(database), field(user), field(token)) for database, user in entries))
"""


def _pgpass_writer(server: MlflowServer) -> str:
    """The shell command that writes a fresh pgpass to ``$PGPASSFILE.new``: a copy of the mounted
    Secret's file, or (Entra login) one line per database with a new access token."""
    if server.database_token_scope is None:
        return 'cp %s "$PGPASSFILE.new"' % shlex.quote(server.secret_path(PGPASS_FILE))
    entries = json.dumps([server.database_token_scope, [[entry.database, entry.user] for entry in server.pgpass_entries]])
    return 'python -c %s %s > "$PGPASSFILE.new"' % (shlex.quote(_TOKEN_PGPASS_SCRIPT), shlex.quote(entries))


def launcher_script(server: MlflowServer) -> str:
    """The ``/bin/sh -c`` script: owner-only pgpass, kept fresh, then ``exec mlflow "$@"``."""
    return "\n".join([
        "set -eu",
        "umask 077",
        'refresh_pgpass() { %s && mv -f "$PGPASSFILE.new" "$PGPASSFILE"; }' % _pgpass_writer(server),
        "refresh_pgpass",
        "while sleep %d; do refresh_pgpass || :; done &" % server.credential_refresh_seconds,
        'exec mlflow "$@"',
    ])


def command(server: MlflowServer) -> List[str]:
    return ["/bin/sh", "-c", launcher_script(server), LAUNCHER_NAME]


def args(server: MlflowServer) -> List[str]:
    """``mlflow`` arguments (after the launcher): dotenv secrets, then ``server`` and its flags."""
    return [
        "--env-file", server.secret_path(SERVER_ENV_FILE),
        "server",
        "--backend-store-uri", server.backend_store_uri,
        "--artifacts-destination", server.artifacts_destination,
        "--serve-artifacts",
        "--host", server.host,
        "--port", str(server.port),
        "--workers", str(server.workers),
        "--allowed-hosts", ",".join(server.allowed_hosts),
        "--app-name", AUTH_APP,
    ]


def environment(server: MlflowServer) -> Dict[str, str]:
    """The plain environment: paths and switches, never a secret value."""
    return {
        "HOME": server.scratch_dir,
        "TMPDIR": server.scratch_dir,
        "MLFLOW_AUTH_CONFIG_PATH": server.secret_path(AUTH_INI_FILE),
        "PGPASSFILE": server.pgpass_path,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _placeholder(key: str, *filters: str) -> str:
    return "{{ .%s }}" % " | ".join((key,) + filters)


def auth_ini_template(server: MlflowServer) -> str:
    """basic-auth's ini; ``%`` is configparser's interpolation sign, so it is doubled."""
    return "\n".join([
        "[mlflow]",
        "default_permission = %s" % server.default_permission,
        "database_uri = %s" % server.auth_database_uri.replace("%", "%%"),
        "admin_username = %s" % server.admin_username,
        "admin_password = %s" % _placeholder(ADMIN_PASSWORD, 'replace "%" "%%"'),
        "authorization_function = %s" % AUTHORIZATION_FUNCTION,
        "grant_default_workspace_access = false",
        "",
    ])


def _pgpass_field(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def pgpass_template(entries: Sequence[PgpassEntry]) -> str:
    """``*:*:database:user:password`` lines; ``\\`` and ``:`` are escaped as libpq requires."""
    password = _placeholder(DATABASE_PASSWORD, r'replace "\\" "\\\\"', r'replace ":" "\\:"')
    return "".join("*:*:%s:%s:%s\n" % (_pgpass_field(entry.database), _pgpass_field(entry.user), password)
                   for entry in entries)


def server_env_template() -> str:
    return "MLFLOW_FLASK_SERVER_SECRET_KEY=%s\n" % _placeholder(FLASK_SECRET_KEY, "quote")


def credentials_template(username: str, password_key: str = "password") -> str:
    """A client's ``~/.mlflow/credentials`` file (what model servers and the drift job mount) as an
    ESO template over the fetched ``password_key``; MLflow reads it with ``configparser``
    (``mlflow/utils/credentials.py``), so ``%`` is doubled."""
    return "[mlflow]\nmlflow_tracking_username = %s\nmlflow_tracking_password = %s\n" % (
        username, _placeholder(password_key, 'replace "%" "%%"'))


def secret_templates(server: MlflowServer) -> Dict[str, str]:
    """The mounted Secret's files as ESO (engine v2) templates over the fetched values."""
    templates = {AUTH_INI_FILE: auth_ini_template(server), SERVER_ENV_FILE: server_env_template()}
    if server.database_token_scope is None:
        templates[PGPASS_FILE] = pgpass_template(server.pgpass_entries)
    return templates


_USERS_SCRIPT = """\
import json, os
from pathlib import Path
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.server.auth.client import AuthServiceClient

settings = json.loads(%s)
secrets = Path(settings["secrets_dir"])
os.environ["MLFLOW_TRACKING_USERNAME"] = settings["admin_username"]
os.environ["MLFLOW_TRACKING_PASSWORD"] = (secrets / settings["admin_password_file"]).read_text()
client = AuthServiceClient(settings["tracking_uri"])
registry = MlflowClient(settings["tracking_uri"])


def grant(name, kind, resource, level):
    try:
        client.grant_user_permission(name, kind, resource, level)
    except MlflowException as error:
        if error.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        if client.get_user_permission(name, kind, resource).permission != level:
            client.revoke_user_permission(name, kind, resource)
            client.grant_user_permission(name, kind, resource, level)


def experiments_of(model):
    found = set()
    for version in registry.search_model_versions("name='%%s'" %% model):
        if version.model_id:
            found.add(registry.get_logged_model(version.model_id).experiment_id)
        elif version.run_id:
            found.add(registry.get_run(version.run_id).info.experiment_id)
    return found


for user in settings["users"]:
    name, level = user["username"], user["permission"]
    password = (secrets / user["password_file"]).read_text()
    try:
        client.create_user(name, password)
    except MlflowException as error:
        if error.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        client.update_user_password(name, password)
    experiments = set()
    for model in user["models"]:
        grant(name, "registered_model", model, level)
        experiments |= experiments_of(model)
    for experiment in sorted(experiments):
        grant(name, "experiment", experiment, "READ")
    print("MLflow user %%s: %%s on %%d registered model(s), READ on %%d experiment(s) holding their versions"
          %% (name, level, len(user["models"]), len(experiments)))
"""


def users_script(tracking_uri: str, admin_username: str, secrets_dir: str, users: Sequence[UserGrant]) -> str:
    """The Python program the users Job runs (``python -c``): idempotent, so every deploy may rerun it.

    Passwords are read from ``secrets_dir`` (the admin's as ``admin_password``, each user's as
    :attr:`UserGrant.password_file`) and never printed; names travel as JSON, never as code.
    """
    settings = {"tracking_uri": tracking_uri, "admin_username": admin_username, "secrets_dir": secrets_dir,
                "admin_password_file": ADMIN_PASSWORD,
                "users": [{"username": user.username, "permission": user.permission, "models": list(user.models),
                           "password_file": user.password_file} for user in users]}
    return _USERS_SCRIPT % repr(json.dumps(settings, sort_keys=True))
