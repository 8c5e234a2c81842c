"""Third-party operators installed from Helm charts, pinned and pointed at the in-region registry.

A chart is named by :class:`ChartRef` (repository, chart, exact version): no version ranges,
so an install is a reviewed diff. Charts are installed as ``helm.v3.Release``: it runs chart
hooks (the GPU operator and kube-prometheus-stack need them; ``helm.v4.Chart`` drops hooks) and
its chart, version and values are inputs the plan shows. The gate does not pass a release it
never saw: it renders the chart offline when the chart archive is in the chart cache, else it
reports the release ``unchecked`` naming chart and version, unless ``sahab.yaml`` lists a
review of exactly that chart, version and values (docs/charts.md).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

import pulumi
import pulumi_kubernetes as k8s

from ..validation import ComponentInputError

_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
_CHART = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class ChartRef:
    """A chart at an exact version in an HTTPS or OCI repository."""

    repository: str
    chart: str
    version: str

    def validate(self, component: str, argument: str) -> "ChartRef":
        if not isinstance(self.repository, str) or not self.repository.startswith(("https://", "oci://")):
            raise ComponentInputError(
                "%s: %s.repository %r must be an https:// or oci:// chart repository" % (component, argument, self.repository))
        if not _CHART.match(self.chart or ""):
            raise ComponentInputError("%s: %s.chart %r is not a chart name" % (component, argument, self.chart))
        if not isinstance(self.version, str) or not _VERSION.match(self.version):
            raise ComponentInputError(
                "%s: %s.version %r must be an exact chart version (e.g. 1.7.0), not a range"
                % (component, argument, self.version))
        return self


def helm_release(resource_name: str, chart: ChartRef, *, release_name: str, namespace: pulumi.Input[str],
                 values: Mapping[str, Any], opts: pulumi.ResourceOptions) -> k8s.helm.v3.Release:
    """A pinned release in an existing (zero-trust) namespace; atomic, so a failed upgrade rolls back."""
    is_oci = chart.repository.startswith("oci://")
    return k8s.helm.v3.Release(
        resource_name,
        name=release_name,
        chart=("%s/%s" % (chart.repository.rstrip("/"), chart.chart)) if is_oci else chart.chart,
        version=chart.version,
        repository_opts=None if is_oci else k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository),
        namespace=namespace,
        create_namespace=False,
        values=dict(values),
        atomic=True,
        cleanup_on_fail=True,
        skip_crds=False,
        opts=opts,
    )


def registry_override(registry: str, prefix: Optional[str]) -> str:
    """Where a chart's images are mirrored: ``<registry>/<prefix>``."""
    return "%s/%s" % (registry, prefix.strip("/")) if prefix else registry
