"""Checks for the ARM resource IDs a component is handed (subnets, DNS zones, identities).

A literal value is checked before anything registers; an ``Output`` (a subnet or zone made in the
same program) cannot be read then and is accepted as it is: the plan shows where it came from
(``propertyDependencies``), and the gate's rules check that.
"""
from __future__ import annotations

import re
from typing import Any

from ..validation import ComponentInputError

__all__ = ["require_resource_id"]

_RESOURCE_ID = re.compile(r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/(?P<path>.+)$")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def require_resource_id(component: str, argument: str, value: Any, provider_path: str) -> Any:
    """An ARM resource ID of the given kind, e.g. ``Microsoft.KeyVault/vaults``."""
    example = "/subscriptions/<id>/resourceGroups/<group>/providers/%s/<name>" % provider_path
    if _missing(value):
        raise ComponentInputError("%s: %s is required (%s)" % (component, argument, example))
    if isinstance(value, str):
        match = _RESOURCE_ID.match(value)
        if match is None or not match.group("path").lower().startswith(provider_path.lower() + "/"):
            raise ComponentInputError("%s: %s %r is not a resource ID of the form %s" % (component, argument, value, example))
    return value
