"""How sahab runs Feast: the ``feature_store.yaml`` the feature server and the materialisation
job read, their command lines and plain environment.

Pure rendering, no Pulumi: :class:`~.feature_store.FeatureStore` puts exactly these values in its
pods and its ExternalSecret, and the live test applies and materialises a feature repo with
exactly this configuration (local stand-ins for the registry database, the bucket and the cache
are its only substitutions). Checked against the installed feast 0.67.0:

* **No secret in the pod spec.** ``feature_store.yaml`` holds the registry database password and
  the cache's AUTH token, so it is a file of a Secret the External Secrets Operator renders from
  the cloud's store (ESO template engine v2), mounted read-only; Feast reads it with ``feast -f``.
  Deploy-time addresses (the database, the cache endpoint) are *not* in the template: Feast
  expands ``${VAR}`` in the file before parsing it (``repo_config.load_repo_config``:
  ``os.path.expandvars``), so they come from plain environment variables and the template stays a
  reviewable string in the plan.
* **Registry**: Feast's SQL registry (``registry_type: sql``, SQLAlchemy with psycopg 3) in a
  database of its own on the registry's PostgreSQL server, TLS ``verify-full`` against the
  image's trust store (``sslrootcert=system``, libpq 16+; the image must trust the database's CA,
  as ``images/mlflow`` does for RDS). The password is URL-escaped (Go's ``urlquery``): every
  character but letters, digits and ``-_.~`` becomes ``%XX``, which SQLAlchemy decodes and which
  ``os.path.expandvars`` leaves alone (a ``$`` in the password would otherwise be expanded).
  ``schema_mode: auto`` lets the first ``feast apply`` create the tables.
* **Offline store**: ``file`` (Dask over Parquet). The data lives where the feature views'
  ``FileSource`` paths say: under :attr:`FeastConfig.offline_store_uri` in the artifact bucket,
  read with the pod's workload identity (no key in the file).
* **Online store**: ``redis`` against the cache's primary endpoint with ``ssl=true`` and
  ``ssl_cert_reqs=required`` (redis-py verifies the server certificate and host name) and the AUTH
  token as ``password=``. Feast splits ``connection_string`` on ``,`` and ``=``, so the token must
  be letters and digits (as :class:`~sahab.components.aws.OnlineStoreCache` generates it).
* Feast's usage telemetry is off (``FEAST_USAGE=False``): nothing leaves the UAE.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Dict, List

import yaml

CONFIG_FILE = "feature_store.yaml"
# Keys of the values the ExternalSecret fetches.
REGISTRY_PASSWORD = "registry_password"
CACHE_AUTH_TOKEN = "cache_auth_token"
# Plain environment variables Feast substitutes into the file.
REGISTRY_HOST_ENV = "FEAST_REGISTRY_HOST"
REGISTRY_PORT_ENV = "FEAST_REGISTRY_PORT"
CACHE_HOST_ENV = "FEAST_ONLINE_STORE_HOST"
CACHE_PORT_ENV = "FEAST_ONLINE_STORE_PORT"
SYSTEM_TRUST_STORE = "system"
HEALTH_PATH = "/health"
ENTITY_KEY_SERIALIZATION_VERSION = 3

PROJECT = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class FeastConfig:
    """Everything the feature store's configuration, command lines and environment are made from."""

    project: str
    registry_database: str
    registry_user: str
    offline_store_uri: str
    registry_ttl_seconds: int = 60
    host: str = "0.0.0.0"
    port: int = 6566
    workers: int = 2
    config_dir: str = "/etc/feast"
    scratch_dir: str = "/tmp"

    @property
    def config_path(self) -> str:
        return posixpath.join(self.config_dir, CONFIG_FILE)


def _placeholder(key: str, *filters: str) -> str:
    return "{{ .%s }}" % " | ".join((key,) + filters)


def registry_path(config: FeastConfig, password: str) -> str:
    """The SQLAlchemy URL of the SQL registry: host and port from the environment, TLS verify-full."""
    return "postgresql+psycopg://%s:%s@${%s}:${%s}/%s?sslmode=verify-full&sslrootcert=%s" % (
        config.registry_user, password, REGISTRY_HOST_ENV, REGISTRY_PORT_ENV, config.registry_database, SYSTEM_TRUST_STORE)


def connection_string(token: str) -> str:
    """Feast's Redis connection string: TLS with certificate and host-name checks, AUTH token."""
    return "${%s}:${%s},ssl=true,ssl_cert_reqs=required,password=%s" % (CACHE_HOST_ENV, CACHE_PORT_ENV, token)


def settings(config: FeastConfig, registry_password: str, cache_auth_token: str) -> Dict[str, object]:
    """The ``feature_store.yaml`` document with the two secret values given (placeholders in the
    template, stand-ins in tests)."""
    return {
        "project": config.project,
        "provider": "local",
        "registry": {
            "registry_type": "sql",
            "path": registry_path(config, registry_password),
            "cache_ttl_seconds": config.registry_ttl_seconds,
            "schema_mode": "auto",
            "sqlalchemy_config_kwargs": {"echo": False, "pool_pre_ping": True},
        },
        "offline_store": {"type": "file"},
        "online_store": {"type": "redis", "redis_type": "redis", "connection_string": connection_string(cache_auth_token)},
        "auth": {"type": "no_auth"},
        "entity_key_serialization_version": ENTITY_KEY_SERIALIZATION_VERSION,
    }


def feature_store_yaml_template(config: FeastConfig) -> str:
    """The mounted file as an ESO (engine v2) template over the fetched values."""
    return yaml.safe_dump(settings(config, _placeholder(REGISTRY_PASSWORD, "urlquery"), _placeholder(CACHE_AUTH_TOKEN)),
                          sort_keys=False, width=1000)


def environment(config: FeastConfig) -> Dict[str, str]:
    """The plain environment (the deploy-time addresses are added by the component): never a secret."""
    return {
        "HOME": config.scratch_dir,
        "TMPDIR": config.scratch_dir,
        "FEAST_USAGE": "False",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _feast(config: FeastConfig) -> List[str]:
    return ["feast", "--chdir", config.scratch_dir, "--feature-store-yaml", config.config_path]


def serve_command(config: FeastConfig) -> List[str]:
    """The HTTP feature server, on all interfaces of the pod (the Service and NetworkPolicies decide who reaches it)."""
    return _feast(config) + ["serve", "--host", config.host, "--port", str(config.port), "--type", "http",
                             "--workers", str(config.workers), "--registry_ttl_sec", str(config.registry_ttl_seconds),
                             "--no-access-log"]


def materialize_command(config: FeastConfig) -> List[str]:
    """Incremental materialisation up to now (UTC): offline store -> online store."""
    return ["/bin/sh", "-c", 'exec "$@" "$(date -u +%Y-%m-%dT%H:%M:%S)"', "feast-materialize"] + \
        _feast(config) + ["materialize-incremental"]


_ENSURE_DATABASE = """\
import os
import psycopg
import yaml
from psycopg import sql
from sqlalchemy.engine import make_url

with open(%r) as handle:
    url = make_url(yaml.safe_load(os.path.expandvars(handle.read()))["registry"]["path"])
server = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
with psycopg.connect(server, autocommit=True) as connection:
    if connection.execute("SELECT 1 FROM pg_database WHERE datname = %%s", (url.database,)).fetchone() is None:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database)))
        print("created the Feast registry database %%s" %% url.database)
    else:
        print("the Feast registry database %%s exists" %% url.database)
"""


def ensure_database_command(config: FeastConfig) -> List[str]:
    """The init step: create the registry's own database on the server if it is missing (as the
    registry user, through the server's ``postgres`` database, with the same TLS settings);
    idempotent, and it prints no secret."""
    return ["python", "-c", _ENSURE_DATABASE % config.config_path]
