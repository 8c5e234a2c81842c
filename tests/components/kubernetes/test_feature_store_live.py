"""The feature store configuration FeatureStore renders works with Feast itself (feast 0.67.0,
the `sahab[features]` extra): the rendered feature_store.yaml, with ESO's and Feast's own
substitutions applied, is a valid Feast configuration for the production stores (SQL registry
over TLS, Redis over TLS with AUTH); and with only the three stores swapped for local stand-ins
(sqlite registry, file offline store, sqlite online store) a feature repo is applied and
materialised and a feature read back online."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from sahab.components.kubernetes import feast_config

CONFIG = feast_config.FeastConfig("ml_platform", "feast", "registry_admin", "s3://ml-artifacts/features")
PASSWORD = "p@ss:w/rd$HOME%,x"  # what URL escaping must survive (RDS-managed passwords are printable ASCII)
TOKEN = "Tok3nLettersAndDigits0nly48CharactersLongAAAAAAA"


def _as_eso_renders(template: str, values: dict) -> str:
    """ESO's Go template over the two fetched values: ``urlquery`` is Go's url.QueryEscape."""
    return (template.replace("{{ .registry_password | urlquery }}", urllib.parse.quote_plus(values["registry_password"]))
                    .replace("{{ .cache_auth_token }}", values["cache_auth_token"]))


def test_the_rendered_file_is_feasts_configuration_for_the_production_stores(tmp_path, monkeypatch):
    from feast.infra.online_stores.redis import RedisOnlineStore, RedisOnlineStoreConfig
    from feast.infra.registry.sql import SqlRegistryConfig
    from feast.repo_config import load_repo_config
    from sqlalchemy.engine import make_url

    rendered = _as_eso_renders(feast_config.feature_store_yaml_template(CONFIG),
                               {"registry_password": PASSWORD, "cache_auth_token": TOKEN})
    (tmp_path / "feature_store.yaml").write_text(rendered)
    for key, value in {"FEAST_REGISTRY_HOST": "registry.c0ffee.me-central-1.rds.amazonaws.com", "FEAST_REGISTRY_PORT": "5432",
                       "FEAST_ONLINE_STORE_HOST": "master.features.mec1.cache.amazonaws.com", "FEAST_ONLINE_STORE_PORT": "6379",
                       "HOME": "/should/not/appear"}.items():
        monkeypatch.setenv(key, value)
    config = load_repo_config(tmp_path, tmp_path / "feature_store.yaml")
    assert config.project == "ml_platform"
    registry = config.registry
    assert isinstance(registry, SqlRegistryConfig)
    url = make_url(registry.path)
    assert (url.drivername, url.username, url.password, url.host, url.port, url.database) == (
        "postgresql+psycopg", "registry_admin", PASSWORD, "registry.c0ffee.me-central-1.rds.amazonaws.com", 5432, "feast")
    assert dict(url.query) == {"sslmode": "verify-full", "sslrootcert": "system"}
    online = config.online_store
    assert isinstance(online, RedisOnlineStoreConfig)
    nodes, params = RedisOnlineStore._parse_connection_string(online.connection_string)
    assert nodes == [{"host": "master.features.mec1.cache.amazonaws.com", "port": "6379"}]
    assert params == {"ssl": True, "ssl_cert_reqs": "required", "password": TOKEN}
    assert config.offline_store.type == "file"


REPO = '''
from datetime import timedelta

from feast import Entity, FeatureView, Field, FileSource
from feast.types import Float32, Int64

customer = Entity(name="customer", join_keys=["customer_id"])
transactions = FileSource(path=%r, timestamp_field="event_timestamp")
customer_stats = FeatureView(
    name="customer_stats", entities=[customer], ttl=timedelta(days=7), source=transactions, online=True,
    schema=[Field(name="spend_7d", dtype=Float32), Field(name="orders_7d", dtype=Int64)],
)
'''

READ_BACK = '''
import json, sys
from datetime import datetime, timezone
from feast import FeatureStore
store = FeatureStore(repo_path=".")
store.materialize_incremental(end_date=datetime.now(timezone.utc))
features = store.get_online_features(features=["customer_stats:spend_7d", "customer_stats:orders_7d"],
                                     entity_rows=[{"customer_id": 1001}, {"customer_id": 1002}]).to_dict()
print(json.dumps(features))
'''


def test_apply_materialise_and_read_back_with_local_stand_ins(tmp_path):
    import pandas as pd

    repo = tmp_path / "repo"
    repo.mkdir()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    data = tmp_path / "transactions.parquet"
    pd.DataFrame({
        "customer_id": [1001, 1001, 1002],
        "spend_7d": [10.5, 42.25, 7.0],
        "orders_7d": [1, 3, 2],
        "event_timestamp": [now - timedelta(hours=5), now - timedelta(hours=1), now - timedelta(hours=2)],
    }).to_parquet(data)
    document = yaml.safe_load(feast_config.feature_store_yaml_template(CONFIG))
    # The only substitutions: the three stores. Project, provider, auth and serialisation stay as rendered.
    document["registry"] = {"registry_type": "sql", "path": "sqlite:///%s" % (tmp_path / "registry.db"),
                            "cache_ttl_seconds": document["registry"]["cache_ttl_seconds"]}
    document["online_store"] = {"type": "sqlite", "path": str(tmp_path / "online.db")}
    assert document["offline_store"] == {"type": "file"}
    (repo / "feature_store.yaml").write_text(yaml.safe_dump(document))
    (repo / "definitions.py").write_text(REPO % str(data))

    env = {**os.environ, **feast_config.environment(CONFIG), "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    feast = Path(sys.executable).with_name("feast")
    applied = subprocess.run([str(feast), "--chdir", str(repo), "apply"], capture_output=True, text=True, env=env, timeout=300)
    assert applied.returncode == 0, applied.stderr[-3000:]
    read = subprocess.run([sys.executable, "-c", READ_BACK], cwd=repo, capture_output=True, text=True, env=env, timeout=300)
    assert read.returncode == 0, read.stderr[-3000:]
    features = json.loads(read.stdout.strip().splitlines()[-1])
    assert features["customer_id"] == [1001, 1002]
    assert features["spend_7d"] == [42.25, 7.0]   # the latest row of each customer
    assert features["orders_7d"] == [3, 2]
