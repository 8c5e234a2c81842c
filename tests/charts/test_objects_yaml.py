"""Rendered YAML is read as Kubernetes reads it: YAML 1.1's implicit types that Kubernetes does not
know stay strings (the Prometheus Operator's CRDs list the matcher ``=`` as an enum value)."""
from __future__ import annotations

from sahab.charts.objects import _documents


def test_yaml_1_1_value_and_timestamp_scalars_stay_strings():
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata:\n  ops: [=, '!=', =~]\n  since: 2026-01-01\n"
    [document] = list(_documents("crds/crd-alertmanagerconfigs.yaml", text))
    assert document["data"] == {"ops": ["=", "!=", "=~"], "since": "2026-01-01"}


def test_manifests_are_read_within_the_limits_by_both_loaders():
    """libyaml's event parser (when PyYAML has it) and the pure-Python one read and refuse alike."""
    import pytest

    from sahab.charts.objects import LimitedKubernetesLoader, _PureLimitedLoader
    from sahab.errors import ConfigError
    from sahab.inputs.safe_yaml import parse_yaml_documents

    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata:\n  ops: [=, '!=']\n  since: 2026-01-01\n"
    for loader in {LimitedKubernetesLoader, _PureLimitedLoader}:
        assert parse_yaml_documents(text, "app.yaml", "fix", loader_class=loader) == [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"}, "data": {"ops": ["=", "!="], "since": "2026-01-01"}}]
        with pytest.raises(ConfigError, match="^app.yaml nests deeper than 64 levels"):
            parse_yaml_documents("[" * 200 + "]" * 200, "app.yaml", "fix", loader_class=loader)
        with pytest.raises(ConfigError, match="^app.yaml has an alias to one of its own ancestors"):
            parse_yaml_documents("a: &a [*a]\n", "app.yaml", "fix", loader_class=loader)
