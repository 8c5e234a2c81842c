"""Map the JSON of a real ``pulumi preview --json`` onto the plan document.

Users who have the Pulumi CLI and credentials can gate what the real engine and providers
computed, instead of sahab's offline mock plan. The format (read from the Pulumi sources,
docs/plan-format.md "From a real preview" cites them) is ``display.PreviewDigest``:
``{"config", "steps", "diagnostics", "duration", "changeSummary", "maybeCorrupt"}``; each step is
``{"op", "urn", "provider", "oldState", "newState", ...}`` and a state is ``apitype.ResourceV3``
(``type``, ``custom``, ``external``, ``parent``, ``provider`` as ``<urn>::<id>``, ``inputs``,
``outputs``, ``dependencies``, ``propertyDependencies``, ``protect``, ...). In it:

- an unknown value is the string ``04da6b54-80e4-46f7-96ec-b56ff0331ba9`` (the engine's computed
  placeholder): it becomes the plan's unknown marker, so a rule that needs it defers;
- a secret is the string ``[secret]`` (``MassageSecrets``) or a secret envelope: it becomes the
  secret marker and its path is listed in ``secrets``; no secret value reaches the plan;
- ops ``delete``, ``delete-replaced``, ``discard``, ``discard-replaced`` and
  ``remove-pending-replace`` leave nothing behind and are not planned; every other known op
  (``same`` included: the resource exists) contributes its ``newState``; an op sahab does not
  know stops the mapping rather than being guessed;
- unchanged resources are only listed with ``--show-sames``: a preview whose ``changeSummary``
  counts more ``same`` resources than it lists is refused, never gated as if they did not exist;
- Pulumi's default providers (``pulumi:providers:<pkg>::default…``) are kept, and a resource
  using one points at it, exactly as in a plan from ``sahab plan``: its region is the one the
  engine created that provider with (the stack's ``aws:region``, ``azure-native:location``).

Regions are computed by the planner's own :func:`~.document.plan_resources`, from the provider
resources' inputs in the preview; Helm releases are expanded from the chart cache as in a plan.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..charts.cache import cache_dir
from ..charts.expand import expand_helm
from ..errors import PlannerError, UsageError
from .document import plan_document, plan_resources, stack_and_project
from .harness.wire import Redactor, secret_marker
from .saved import read_json

STACK_TYPE = "pulumi:pulumi:Stack"
SECRET_TEXT = "[secret]"  # what `pulumi preview --json` shows for a secret (display.MassageSecrets)
# Ops after which the resource exists; their newState is what the program asks for.
PLANNED_OPS = frozenset({"same", "create", "update", "replace", "create-replacement", "read", "read-replacement",
                         "import", "import-replacement", "refresh"})
# Ops after which nothing of the step's resource is left.
GONE_OPS = frozenset({"delete", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace"})
_FIX = "pass the file `pulumi preview --json --show-sames` wrote (docs/plan-format.md)"


class _PreviewRedactor(Redactor):
    """The wire redactor, plus the display's ``[secret]`` text."""

    def convert(self, value: Any, path: str = "") -> Any:
        if value == SECRET_TEXT:
            self.secrets.append(path)
            return secret_marker()
        return super().convert(value, path)


def load_preview(path: Path, *, chart_cache: Optional[Path] = None, project_dir: Optional[Path] = None) -> Dict[str, Any]:
    """Read the file ``pulumi preview --json`` wrote and return the plan document."""
    document = read_json(path, "preview file", _FIX)
    return plan_from_preview(document, where=str(path), chart_cache=chart_cache, project_dir=project_dir)


def plan_from_preview(document: Any, *, where: str = "the preview", chart_cache: Optional[Path] = None,
                      project_dir: Optional[Path] = None) -> Dict[str, Any]:
    """The plan document (docs/plan-format.md) for a parsed ``pulumi preview --json`` digest."""
    if not isinstance(document, dict) or not isinstance(document.get("steps"), list) or not document["steps"]:
        raise UsageError("%s is not the JSON of `pulumi preview --json`: it has no `steps` list" % where, _FIX)
    states = _planned_states(document["steps"], where)
    _check_sames(document, where)
    stack_urn = next((urn for urn, state in states.items() if state["type"] == STACK_TYPE), None)
    stack, project = _stack_and_project(stack_urn or next(iter(states)), where)
    records = [_record(state, where) for urn, state in states.items()
               if state["type"] != STACK_TYPE]
    resources, chart_notes = expand_helm(plan_resources(records), cache=cache_dir(chart_cache), program_dir=project_dir)
    outputs = _PreviewRedactor().convert(states[stack_urn].get("outputs") or {}) if stack_urn else {}
    diagnostics = [d for d in (_diagnostic(item) for item in document.get("diagnostics") or []) if d is not None]
    if document.get("maybeCorrupt"):
        diagnostics.append({"severity": "warning", "message": "pulumi reported that one or more resources may be corrupt"})
    diagnostics.extend(chart_notes)
    return plan_document(project=project, stack=stack, stack_urn=stack_urn, config=_config(document.get("config"), where),
                         resources=resources, outputs=outputs, diagnostics=diagnostics)


def _planned_states(steps: List[Any], where: str) -> Dict[str, Dict[str, Any]]:
    """URN -> the newState of its last planned step (a refresh is followed by the program's step)."""
    states: Dict[str, Dict[str, Any]] = {}
    for index, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("op"), str) or not isinstance(step.get("urn"), str):
            raise UsageError("%s: step #%d has no `op` and `urn`" % (where, index), _FIX)
        op, urn = step["op"], step["urn"]
        if op in GONE_OPS:
            continue
        if op not in PLANNED_OPS:
            raise PlannerError("%s: step #%d (%s) has op %r, which sahab does not know how to plan" % (where, index, urn, op),
                               "report it with the Pulumi version; known ops: %s" % ", ".join(sorted(PLANNED_OPS | GONE_OPS)))
        state = step.get("newState")
        if not isinstance(state, dict) or not isinstance(state.get("type"), str) or state.get("urn", urn) != urn:
            raise UsageError("%s: %s step #%d (%s) has no valid `newState`" % (where, op, index, urn), _FIX)
        states[urn] = dict(state, urn=urn)
    if not states:
        raise UsageError("%s plans no resource: every step deletes or discards one" % where, _FIX)
    return states


def _check_sames(document: Mapping[str, Any], where: str) -> None:
    """Without ``--show-sames`` unchanged resources are left out; gating the rest would pass them unseen."""
    summary = document.get("changeSummary") or {}
    counted = summary.get("same", 0) if isinstance(summary, dict) else 0
    listed = sum(1 for step in document["steps"] if step.get("op") == "same")
    if isinstance(counted, int) and counted > listed:
        raise UsageError("%s lists %d of the %d unchanged resources its changeSummary counts" % (where, listed, counted),
                         "rerun `pulumi preview --json --show-sames`, so every resource the stack keeps is gated")


def _stack_and_project(urn: str, where: str) -> Tuple[str, str]:
    names = stack_and_project(urn)
    if names is None:
        raise UsageError("%s: %r is not a Pulumi URN" % (where, urn), _FIX)
    return names


def _record(state: Dict[str, Any], where: str) -> Dict[str, Any]:
    """A planner record (what the harness captures) for one resource state of the preview."""
    urn = state["urn"]
    inputs = state.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise UsageError("%s: the inputs of %s are not an object" % (where, urn), _FIX)
    redactor = _PreviewRedactor()
    converted = redactor.convert(inputs)
    provider = state.get("provider") or None  # `<urn>::<id>`, as the planner records it
    external = bool(state.get("external"))
    options: Dict[str, Any] = {}
    for field in ("protect", "retainOnDelete"):
        if state.get(field):
            options[field] = True
    for field in ("ignoreChanges", "additionalSecretOutputs", "replaceOnChanges"):
        if state.get(field):
            options[field] = sorted(state[field])
    if state.get("importID"):
        options["importId"] = state["importID"]
    if external and state.get("id"):
        options["id"] = _PreviewRedactor().convert(state["id"])
    return {
        "urn": urn,
        "type": state["type"],
        "name": urn.split("::", 3)[-1],
        "mode": "read" if external else "create",
        "custom": bool(state.get("custom")),
        "remote": False,  # a real preview registers a component's children itself: they are steps too
        "parent": state.get("parent") or None,
        "provider": provider,
        "inputs": converted,
        "unknowns": redactor.unknowns,
        "secrets": redactor.secrets,
        "dependencies": sorted(set(state.get("dependencies") or [])),
        "propertyDependencies": {key: sorted(set(value or []))
                                 for key, value in sorted((state.get("propertyDependencies") or {}).items())},
        "options": options,
    }


def _config(config: Any, where: str) -> Dict[str, Any]:
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise UsageError("%s: `config` is not an object" % where, _FIX)
    return {str(key): (secret_marker() if value == SECRET_TEXT else str(value)) for key, value in sorted(config.items())}


def _diagnostic(item: Any) -> Optional[Dict[str, Any]]:
    """Warnings and errors the engine reported; informational lines (program output) are not kept."""
    if not isinstance(item, dict) or item.get("severity") not in ("warning", "error"):
        return None
    entry: Dict[str, Any] = {"severity": item["severity"], "message": str(item.get("message") or "").strip()}
    if item.get("urn"):
        entry["urn"] = str(item["urn"])
    return entry
