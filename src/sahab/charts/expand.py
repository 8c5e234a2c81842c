"""Put the objects a Helm release's chart renders into the plan, as children of the release.

Runs in sahab's process after the program has run (never in the program's). For each
``kubernetes:helm.sh/v3:Release`` and ``kubernetes:helm.sh/v4:Chart`` of the plan:

- its chart is found (:mod:`.cache`) and rendered twice (:mod:`.render`) with the planned release
  name, namespace and values; unknown and secret values go through placeholders
  (:mod:`.placeholders`), and a value that differs between the two renderings (``randAlphaNum``,
  a generated certificate) is unknown, so the plan stays the same from run to run;
- every object becomes a plan resource: type ``kubernetes:<group>/<version>:<Kind>`` (``core``
  for ``v1``), URN and name as pulumi-kubernetes names a chart's objects (``<release resource
  name>:<namespace>/<name>``, a v4 Chart's ``resourcePrefix`` instead of its name when set) under
  the release's URN, the release's provider and region, and ``rendered`` saying where it came from
  (:mod:`.children`, shared with the yaml/v2 expansion). A ``v1`` Secret's ``data`` and ``stringData`` are secret
  as a whole, as pulumi-kubernetes marks them. CRDs are included unless ``skipCrds``; a Release
  keeps its hooks (Helm runs them), a v4 Chart drops them (Pulumi does); test hooks never run on
  an install and are listed as omitted;
- the release gets ``expanded``: ``{"by": "helm", chart, version, …, "objects": N}``, or
  ``{"by": null, …, "reason": …}`` when it was not rendered, which the gate reports (SAHAB-PLN-002).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

from ..expansion import HELM, not_expanded
from .cache import ChartMissing, ChartSource, find_chart
from .children import display, object_resource
from .objects import RenderedObject, parse_objects
from .placeholders import UNKNOWN_TOKEN, placeholder_for, to_placeholders
from .releases import CHART_TYPE, HelmInstall, helm_install, is_helm
from .render import RendererMissing, RenderFailed, render, renderer

RENDERED_BY = HELM


class NotRenderable(Exception):
    """The release's inputs make an offline rendering impossible."""


def expand_helm(resources: List[Dict[str, Any]], *, cache: Path,
                program_dir: Optional[Path] = None) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """``resources`` (plan form) with every renderable chart's objects added, sorted by URN; and
    a warning diagnostic for each release that was not rendered. Releases are annotated in place."""
    releases = [resource for resource in resources if is_helm(resource)]
    if not releases:
        return resources, []
    by_urn = {resource["urn"]: resource for resource in resources}
    taken = set(by_urn)
    children: List[Dict[str, Any]] = []
    diagnostics: List[Dict[str, Any]] = []
    for release in releases:
        provider = by_urn.get(release.get("provider") or "")
        install = helm_install(release, ((provider or {}).get("inputs") or {}).get("namespace"))
        try:
            objects, expanded = _expand(release, install, cache, program_dir, taken)
        except (NotRenderable, RendererMissing, ChartMissing, RenderFailed) as exc:
            release["expanded"] = helm_not_expanded(install, str(exc))
            diagnostics.append({"severity": "warning", "urn": release["urn"], "message": (
                "helm %s %s (%s) was not rendered: %s; its objects are not in the plan and are not checked"
                % (install.kind, release["name"], install.describe(), exc))})
            continue
        release["expanded"] = expanded
        if release["type"] == CHART_TYPE:
            release["opaque"] = False  # its objects are in the plan now
        taken.update(child["urn"] for child in objects)
        children.extend(objects)
    return sorted(resources + children, key=lambda r: r["urn"]), diagnostics


def helm_not_expanded(install: HelmInstall, reason: str) -> Dict[str, Any]:
    return not_expanded(reason, chart=install.chart, version=install.version, repository=install.repository,
                        valuesDigest=install.values_digest)


def _expand(release: Dict[str, Any], install: HelmInstall, cache: Path, program_dir: Optional[Path],
            taken: Set[str]) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    if install.blocker:
        raise NotRenderable(install.blocker)
    which = renderer()
    source = find_chart(install, cache, program_dir)
    values, placeholders = to_placeholders(install.values or {}, "values")
    name, namespace = placeholder_for(install.release_name), placeholder_for(install.namespace)
    if not isinstance(name, str) or not isinstance(namespace, str):
        raise NotRenderable("its release name or namespace is not a string")
    local = source.origin.startswith("program:")
    objects, chart = _render_stable(source, name, namespace, values, install,
                                    expect_name=None if local else install.chart)
    kept, omitted = _installed(objects, install.runs_hooks)
    children = [_child(release, install, obj, namespace, chart) for obj in kept]
    urns = [child["urn"] for child in children]
    clash = next((u for u in urns if u in taken or urns.count(u) > 1), None)
    if clash is not None:
        raise RenderFailed("the chart renders %s more than once (or it is already in the plan)" % clash.rsplit("::", 1)[-1])
    return children, {
        "by": RENDERED_BY, "chart": chart[0], "version": chart[1], "repository": install.repository,
        "source": source.origin, "chartDigest": source.digest, "renderer": which,
        "valuesDigest": install.values_digest, "objects": len(children),
        "placeholders": sorted(placeholders), "omitted": omitted,
    }


def _render_stable(source: ChartSource, name: str, namespace: str, values: Dict[str, Any], install: HelmInstall,
                   expect_name: Optional[str]) -> Tuple[List[RenderedObject], Tuple[str, str]]:
    """Render twice; what differs between the two renderings is random, so unknown before deploy."""
    renderings = [render(source.path, release_name=name, namespace=namespace, values=values,
                         expect_name=expect_name, expect_version=install.version) for _ in range(2)]
    first, second = (parse_objects(r, namespace, include_crds=not install.skip_crds) for r in renderings)
    if [o.template for o in first] != [o.template for o in second]:
        raise RenderFailed("the chart renders different objects each time it is rendered")
    for one, other in zip(first, second):
        one.body = _same_or_unknown(one.body, other.body)
    return first, (renderings[0].name, renderings[0].version)


def _same_or_unknown(one: Any, other: Any) -> Any:
    if one == other:
        return one
    if isinstance(one, dict) and isinstance(other, dict) and one.keys() == other.keys():
        return {key: _same_or_unknown(one[key], other[key]) for key in one}
    if isinstance(one, list) and isinstance(other, list) and len(one) == len(other):
        return [_same_or_unknown(a, b) for a, b in zip(one, other)]
    return UNKNOWN_TOKEN


def _installed(objects: List[RenderedObject], runs_hooks: bool) -> Tuple[List[RenderedObject], List[str]]:
    """What an install creates; the rest, described, for ``expanded.omitted``."""
    kept, omitted = [], []
    for obj in objects:
        if obj.is_test_hook or (obj.hook and not runs_hooks):
            why = "a helm test hook, run only by `helm test`" if obj.is_test_hook else "a hook, which helm.v4.Chart does not install"
            omitted.append("%s %s from %s: %s" % (obj.body["kind"], display(str(obj.body["metadata"]["name"])), obj.template, why))
        else:
            kept.append(obj)
    return kept, sorted(omitted)


def _child(release: Dict[str, Any], install: HelmInstall, obj: RenderedObject, namespace: str,
           chart: Tuple[str, str]) -> Dict[str, Any]:
    """A v4 Chart's objects are named with its ``resourcePrefix`` (default: its resource name), as
    pulumi-kubernetes does; a Release's with its resource name."""
    in_release_namespace = obj.body["metadata"].get("namespace") == namespace
    namespace_sources = sorted((release.get("propertyDependencies") or {}).get("namespace", [])) if in_release_namespace else []
    rendered: Dict[str, Any] = {"by": RENDERED_BY, "release": release["urn"], "chart": chart[0], "version": chart[1],
                                "template": obj.template}
    if obj.hook:
        rendered["hook"] = obj.hook
    return object_resource(release, obj.body, prefix=install.resource_prefix, origin=obj.template, rendered=rendered,
                           dependencies=namespace_sources, skip_await=install.skip_await)
