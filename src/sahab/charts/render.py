"""Render a chart offline with Helm's own template engine (``helm-python-sdk``, no helm binary).

``helm_python`` binds Helm's Go SDK through ctypes; it is the optional extra ``sahab[charts]``
(~244 MB installed). Without it nothing is rendered and every release is reported ``unchecked``
with :data:`INSTALL_HINT`. The library is imported here only, in sahab's own process, after the
program has run: a chart is never rendered inside the program's process.

What Helm is asked (the same as ``helm template`` for a first install): release name and
namespace as planned, ``Release.IsInstall`` true, revision 1, the chart's defaults coalesced with
the planned values and checked against its ``values.schema.json``. ``Capabilities`` are Helm's
defaults (Kubernetes v1.36.0 for Helm v4.2.3, built-in API groups only) and ``lookup`` returns
nothing: no cluster is asked anything.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

INSTALL_HINT = "install sahab[charts] to render it"
_NOTES = "NOTES.txt"


class RendererMissing(Exception):
    """``helm_python`` cannot be imported."""


class RenderFailed(Exception):
    """Helm refused the chart or the values; the message is Helm's, on one line."""


@dataclass(frozen=True)
class RenderedChart:
    """What one rendering produced: manifests by template path, and the chart's CRD files."""

    name: str
    version: str
    manifests: Dict[str, str]
    crds: Tuple[Tuple[str, str], ...]   # (file name in the chart, YAML)


def _helm() -> Any:
    try:
        import helm_python
    except ImportError as exc:  # the optional extra is not installed
        raise RendererMissing(INSTALL_HINT) from exc
    try:
        helm_python.helm_sdk_version()  # loads the native library
    except helm_python.HelmError as exc:
        raise RendererMissing("the Helm library of sahab[charts] cannot be loaded (%s); reinstall sahab[charts]"
                              % _one_line(str(exc))) from None
    return helm_python


def renderer() -> str:
    """``helm-python-sdk 0.2.2 (Helm v4.2.3)``: which renderer a plan's objects came from."""
    helm = _helm()
    return "helm-python-sdk %s (Helm %s)" % (helm.__version__, helm.helm_sdk_version())


def render(path: Path, *, release_name: str, namespace: str, values: Dict[str, Any],
           expect_name: Optional[str] = None, expect_version: Optional[str] = None) -> RenderedChart:
    """Render the chart at ``path`` (folder or ``.tgz``), which must be the pinned name and version.

    The chart is loaded afresh for every rendering: helm-python-sdk 0.2.2 prunes a loaded chart's
    subcharts whose ``condition`` is false during a render, so a loaded chart is not reusable.
    """
    helm = _helm()
    try:
        helm.validate_release_name(release_name)  # as `helm install` does: at most 53 characters, a DNS name
        with helm.Chart.load(path) as chart:
            metadata = chart.metadata
            name, version = str(metadata.get("name", "")), str(metadata.get("version", ""))
            if (expect_name or name, expect_version or version) != (name, version):
                raise RenderFailed("%s holds chart %s %s, not %s %s" % (
                    path.name, name, version, expect_name or name, expect_version or version))
            _check_dependencies(metadata, chart.dependencies)
            manifests = chart.render(values=values, name=release_name, namespace=namespace,
                                     revision=1, is_install=True, is_upgrade=False)
            # Read after rendering, as an install does: subcharts switched off by their
            # `condition` are gone by then, and so are their CRDs.
            crds = tuple(sorted((crd["filename"], crd["data"]) for crd in chart.crds))
    except helm.HelmError as exc:
        raise RenderFailed(_one_line(str(exc))) from None
    kept = {template: text for template, text in manifests.items() if not _skipped(template)}
    return RenderedChart(name, version, kept, crds)


def _check_dependencies(metadata: Dict[str, Any], loaded: List[Dict[str, Any]]) -> None:
    """Helm refuses to install a chart whose declared subcharts are not packaged in it."""
    present = {dependency.get("name") for dependency in loaded}
    missing = sorted(str(d.get("name")) for d in metadata.get("dependencies") or [] if d.get("name") not in present)
    if missing:
        raise RenderFailed("its dependencies %s are missing from the chart's charts/ folder "
                           "(`helm dependency build` before packaging)" % ", ".join(missing))


def _skipped(template: str) -> bool:
    """NOTES.txt is shown to the user, not installed; partials (``_*.tpl``) render nothing."""
    base = template.rsplit("/", 1)[-1]
    return base == _NOTES or base.startswith("_")


def _one_line(message: str) -> str:
    return "; ".join(line.strip() for line in message.splitlines() if line.strip())
