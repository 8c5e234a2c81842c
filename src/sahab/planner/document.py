"""Build the plan document: the versioned contract between the planner and the gate.

The format is described in docs/plan-format.md and src/sahab/planner/plan.schema.json. It is
deterministic: resources are sorted by URN (registration order varies between runs), keys are
sorted, numbers that are whole are written as integers, and nothing time-dependent is included,
so the same program and config give byte-identical output.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from .. import __version__
from ..charts.cache import cache_dir
from ..charts.expand import expand_helm
from ..charts.manifests import expand_yaml
from ..errors import ProgramError
from ..expansion import expanded_by
from .harness.wire import SECRET_MARKER_KEY, UNKNOWN_MARKER_KEY, secret_marker
from .project import PulumiProject
from .sources import relative_posix, source_root

SCHEMA_VERSION = "sahab.dev/plan/v1"
UNKNOWN_REGION = "unknown"
REGION_KEYS = ("region", "location")


def build_document(project: PulumiProject, capture: Dict[str, Any], *, chart_cache: Optional[Path] = None,
                   root: Optional[Path] = None) -> Dict[str, Any]:
    """Turn a harness capture into the plan document.

    Helm releases and v4 charts are expanded here, in sahab's process, into the objects their
    charts render (``chart_cache``: see :func:`sahab.charts.cache.cache_dir`; docs/charts.md), and
    yaml/v2 ConfigFiles and ConfigGroups into their manifests' objects (read inside ``root``).
    ``root``: the source root as found before the program ran (a program can create a ``.git``
    marker and move every path the gate reports); by default it is looked up now.
    """
    refuse_duplicate_urns(capture.get("resources", []))
    root = root or source_root(project.root)
    resources, chart_notes = expand_helm(plan_resources(capture.get("resources", [])),
                                         cache=cache_dir(chart_cache), program_dir=project.program_dir)
    resources, yaml_notes = expand_yaml(resources, program_dir=project.program_dir, root=root)
    diagnostics = [dict(d) for d in capture.get("diagnostics", [])]
    diagnostics.extend({"severity": "warning", "message": w} for w in project.warnings)
    diagnostics.extend(chart_notes + yaml_notes)
    for resource in resources:
        if resource["opaque"]:
            diagnostics.append({
                "severity": "warning",
                "urn": resource["urn"],
                "message": "multi-language component %s registers its children in another process; "
                "they are not visible to the planner and are not checked" % resource["type"],
            })
    return plan_document(project=project.name, stack=project.stack, stack_urn=capture.get("stackUrn"),
                         config=_config(project), resources=resources, outputs=capture.get("outputs") or {},
                         diagnostics=diagnostics, project_dir=relative_posix(project.root, root))


def plan_document(*, project: str, stack: str, stack_urn: Optional[str], config: Dict[str, Any],
                  resources: List[Dict[str, Any]], outputs: Dict[str, Any], diagnostics: List[Dict[str, Any]],
                  project_dir: Optional[str] = None) -> Dict[str, Any]:
    """The document's envelope, the one shape every producer (planner, preview import, CrossGuard) writes."""
    document = {
        "schemaVersion": SCHEMA_VERSION,
        "generator": {"name": "sahab", "version": __version__},
        "project": project,
        "stack": stack,
        "stackUrn": stack_urn,
        "config": config,
        "resources": resources,
        "outputs": outputs,
        "diagnostics": sorted(diagnostics, key=lambda d: (d.get("urn", ""), d["severity"], d["message"])),
    }
    if project_dir is not None:
        document["projectDir"] = project_dir
    return document


def stack_and_project(urn: str) -> Optional[Tuple[str, str]]:
    """``urn:pulumi:<stack>::<project>::<type>::<name>`` -> (stack, project); None if not a URN."""
    parts = urn.split("::")
    if not urn.startswith("urn:pulumi:") or len(parts) < 4 or not parts[0][len("urn:pulumi:"):] or not parts[1]:
        return None
    return parts[0][len("urn:pulumi:"):], parts[1]


def refuse_duplicate_urns(records: List[Dict[str, Any]]) -> None:
    """ProgramError (exit 2) naming both registrations of a URN, as ``pulumi preview`` refuses them.

    Two resources with one URN (same type, name and parent) would be one plan entry read twice: a
    rule or a waiver keyed by URN would judge one of them for both, and the deploy would fail anyway.
    """
    first: Dict[str, Dict[str, Any]] = {}
    for record in records:
        earlier = first.setdefault(record["urn"], record)
        if earlier is not record:
            # Registrations arrive in the order their inputs resolve: name the two in program order.
            one, other = sorted((_registered_at(earlier), _registered_at(record)), key=_program_order)
            raise ProgramError("duplicate resource URN %s: registered at %s and again at %s" % (record["urn"], one, other),
                               "give each resource a unique name (or a different parent), as `pulumi preview` requires")


def _program_order(place: str) -> tuple:
    """``file:line`` sorted by file, then line as a number."""
    file, _, line = place.rpartition(":")
    return (file, int(line)) if line.isdigit() else (place, 0)


def _registered_at(record: Dict[str, Any]) -> str:
    source = record.get("source") or {}
    if not source.get("file"):
        return "an unknown line"
    return "%s:%d" % (source["file"], source["line"]) if source.get("line") else source["file"]


def plan_resources(records: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Harness records -> plan resources, sorted by URN, with effective regions."""
    ordered = sorted(records, key=lambda r: r["urn"])
    by_urn = {record["urn"]: record for record in ordered}
    return [_resource(record, by_urn) for record in ordered]


def dumps(document: Dict[str, Any]) -> str:
    """The canonical serialisation: sorted keys, two-space indent, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _config(project: PulumiProject) -> Dict[str, Any]:
    secret = set(project.secret_keys)
    return {key: (secret_marker() if key in secret else value) for key, value in sorted(project.config.items())}


def _resource(record: Dict[str, Any], by_urn: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    provider_urn = provider_urn_of(record.get("provider"))
    providers = [by_urn.get(provider_urn)] if provider_urn else [
        by_urn.get(provider_urn_of(ref)) for ref in sorted(record.get("providers", {}).values())
    ]
    region, region_source = effective_region(record, [p for p in providers if p is not None])
    resource = {
        "urn": record["urn"],
        "type": record["type"],
        "name": record["name"],
        "mode": record["mode"],
        "custom": record["custom"],
        "opaque": bool(record.get("remote")) and expanded_by(record) is None,
        "parent": record.get("parent"),
        "provider": provider_urn,
        "region": region,
        "regionSource": region_source,
        "inputs": record["inputs"],
        "unknowns": sorted(record.get("unknowns", [])),
        "secrets": sorted(record.get("secrets", [])),
        "dependencies": record.get("dependencies", []),
        "propertyDependencies": record.get("propertyDependencies", {}),
        "options": record.get("options", {}),
    }
    if record.get("partials"):
        resource["partials"] = sorted(record["partials"])
    if record.get("speculative"):
        resource["speculative"] = True
    if record.get("source"):
        resource["source"] = record["source"]
    if record.get("autonamed"):
        resource["autonamed"] = sorted(record["autonamed"])
    if record.get("expanded"):  # a multi-language component constructed by its Node.js implementation, or why not
        resource["expanded"] = record["expanded"]
    return resource


def provider_urn_of(reference: Optional[str]) -> Optional[str]:
    """A provider reference is ``<urn>::<id>``; the URN itself contains ``::``."""
    if not reference:
        return None
    return reference.rsplit("::", 1)[0]


def effective_region(record: Dict[str, Any], providers: List[Dict[str, Any]]) -> Tuple[str, str]:
    """The resource's own region/location input, else its provider's (explicit, or the default
    provider the engine builds from the stack's config), else unknown.

    A component has no provider of its own; when every provider it hands its children (the
    ``providers`` resource option) pins the same region, that region is the component's.
    """
    own = _region_input(record.get("inputs", {}))
    if own is not None:
        return own, "resource"
    inherited = {_region_input(provider.get("inputs", {})) for provider in providers}
    if len(inherited) == 1 and None not in inherited:
        return inherited.pop(), "provider"
    return UNKNOWN_REGION, "none"


def _region_input(inputs: Dict[str, Any]) -> Optional[str]:
    for key in REGION_KEYS:
        if key not in inputs:
            continue
        value = inputs[key]
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict) and (UNKNOWN_MARKER_KEY in value or SECRET_MARKER_KEY in value):
            return UNKNOWN_REGION  # set, but not readable: never fall back to the provider's
    return None
