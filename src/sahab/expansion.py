"""The ``expanded`` contract: how a plan says a component's children were, or were not, put in it.

A multi-language component (``kubernetes:yaml/v2:ConfigFile``, ``kubernetes:helm.sh/v4:Chart``,
``eks:index:Cluster``…) registers its children in a provider process that does not run offline.
Each expander that can reproduce those children offline writes one field on the component:

- ``{"by": "<expander>", "objects": N, …}``: its children are in the plan (``opaque`` is false);
  the rest are the expander's facts (chart and version, files and digests, packages and versions);
- ``{"by": null, "reason": "…", …}``: the expander tried and could not; the gate reports the
  component ``unchecked`` with the reason (SAHAB-PLN-002 for a Helm release, SAHAB-PLN-001 for
  any other component), never as passed.

A component without ``expanded`` was not tried. docs/plan-format.md describes every expander's facts.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

HELM = "helm"
YAML = "yaml"
NODE_MOCKS = "node-mocks"
PLUGIN = "plugin"  # the provider plugin Pulumi installed, run as the engine runs it (planner/node_components)
EXPANDERS = (HELM, YAML, NODE_MOCKS, PLUGIN)


def expanded_by(resource: Mapping[str, Any]) -> Optional[str]:
    """The expander that put ``resource``'s children in the plan, or None."""
    expanded = resource.get("expanded")
    by = expanded.get("by") if isinstance(expanded, Mapping) else None
    return by if by in EXPANDERS else None


def not_expanded_reason(resource: Mapping[str, Any]) -> Optional[str]:
    """Why an expander could not put ``resource``'s children in the plan; None when it did or never tried."""
    expanded = resource.get("expanded")
    if not isinstance(expanded, Mapping) or expanded.get("by") is not None:
        return None
    return str(expanded.get("reason") or "the plan does not say why")


def not_expanded(reason: str, **facts: Any) -> Dict[str, Any]:
    """The ``expanded`` value of a component whose children could not be planned."""
    return {"by": None, **facts, "reason": reason}


def child_urn(parent_urn: str, type_token: str, name: str) -> str:
    """``urn:pulumi:<stack>::<project>::<parent type chain>$<type>::<name>``, as the engine builds a child's."""
    stack_part, project, type_chain, _ = parent_urn.split("::", 3)
    return "%s::%s::%s$%s::%s" % (stack_part, project, type_chain, type_token, name)
