"""Rendered YAML is read as Kubernetes reads it: YAML 1.1's implicit types that Kubernetes does not
know stay strings (the Prometheus Operator's CRDs list the matcher ``=`` as an enum value)."""
from __future__ import annotations

from sahab.charts.objects import _documents


def test_yaml_1_1_value_and_timestamp_scalars_stay_strings():
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata:\n  ops: [=, '!=', =~]\n  since: 2026-01-01\n"
    [document] = list(_documents("crds/crd-alertmanagerconfigs.yaml", text))
    assert document["data"] == {"ops": ["=", "!=", "=~"], "since": "2026-01-01"}
