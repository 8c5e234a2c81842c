"""The `promotion:` section of sahab.yaml: its shape is checked, one line naming the setting."""
from __future__ import annotations

import pytest

from sahab.errors import ConfigError
from sahab.promotion.config import Threshold, load_promotion_config


def _load(tmp_path, body: str):
    (tmp_path / "sahab.yaml").write_text(body)
    return load_promotion_config(tmp_path)


def test_a_full_section_is_read(tmp_path):
    config = _load(tmp_path, """
promotion:
  tracking_uri: https://mlflow.example.ae
  metrics:
    accuracy: {direction: higher, threshold: 0.9}
    rmse: {direction: lower, threshold: 0.35, margin: 0.02}
  regression_margin: 0.005
  allowed_stores: [s3://ml-artifacts-111122223333, "abfss://models@mlartifactsuae.dfs.core.windows.net/"]
  required_evidence: {sahab.drift.status: no-drift, bias_review: [approved, waived]}
  audit_log: logs/audit.jsonl
""")
    assert config.metrics == {"accuracy": Threshold("higher", 0.9, 0.005), "rmse": Threshold("lower", 0.35, 0.02)}
    assert config.allowed_stores == ("s3://ml-artifacts-111122223333/", "abfss://models@mlartifactsuae.dfs.core.windows.net/")
    assert config.required_evidence == {"sahab.drift.status": ("no-drift",), "bias_review": ("approved", "waived")}
    assert config.audit_log == tmp_path / "logs" / "audit.jsonl"
    assert config.tracking_uri == "https://mlflow.example.ae"


def test_no_section_configures_nothing_which_the_rules_refuse(tmp_path):
    config = _load(tmp_path, "gate: {}\n")
    assert config.to_input() == {"metrics": {}, "allowed_stores": [], "required_evidence": {}}


@pytest.mark.parametrize("body, message", [
    ("promotion: {metric: {}}", "unknown promotion setting(s) metric"),
    ("promotion: {metrics: {accuracy: {direction: up, threshold: 0.9}}}", "promotion.metrics.accuracy.direction 'up' is not higher or lower"),
    ("promotion: {metrics: {accuracy: {direction: higher}}}", "promotion.metrics.accuracy needs `direction` and `threshold`"),
    ("promotion: {metrics: {accuracy: {direction: higher, threshold: '0.9'}}}", "promotion.metrics.accuracy.threshold must be a number"),
    ("promotion: {regression_margin: -1}", "promotion.regression_margin must be at least 0"),
    ("promotion: {allowed_stores: [ml-artifacts]}", "promotion.allowed_stores must list store URIs"),
    ("promotion: {allowed_stores: ['s3://']}", "promotion.allowed_stores must list store URIs"),
    ("promotion: {allowed_stores: ['mlflow-artifacts:']}", "promotion.allowed_stores must list store URIs"),
    ("promotion: {required_evidence: {sahab.drift.status: []}}", "promotion.required_evidence.sahab.drift.status must list"),
])
def test_a_malformed_setting_is_one_line_naming_it(tmp_path, body, message):
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, body + "\n")
    assert message in error.value.message and str(tmp_path / "sahab.yaml") in error.value.message


def test_the_mlflow_artifact_proxy_is_a_store_of_its_own(tmp_path):
    # Proxied locations (mlflow-artifacts:/<experiment>/<run>/...) have no bucket: the prefix alone names the proxy.
    config = _load(tmp_path, "promotion:\n  allowed_stores: ['mlflow-artifacts:/', s3://ml-artifacts-111122223333]\n")
    assert config.allowed_stores == ("mlflow-artifacts:/", "s3://ml-artifacts-111122223333/")
