"""Read a plan document written earlier (``sahab plan --out``), for ``sahab gate --plan``.

A saved plan is input from outside this process, so it is checked before any rule sees it: the
``schemaVersion`` must be one this sahab reads (a newer major version is refused, never read as
if it were v1), and every field the schema requires must be there with its type. regorus can
drop a rule's other findings when a resource lacks a field the rule reads, so a hand-edited plan
missing ``custom`` or ``region`` must stop the gate, not pass it. The required fields and their
types are read from ``plan.schema.json`` itself, the one description of the format.
"""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any, Dict, Mapping

from ..errors import UsageError
from ..inputs.files import read_input_text
from ..inputs.safe_yaml import parse_json
from .document import SCHEMA_VERSION, refuse_duplicate_urns

# A plan of thousands of resources is megabytes; Kubernetes schemas (CRDs) nest deeply.
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
MAX_DOCUMENT_DEPTH = 256

SUPPORTED_MAJOR = int(SCHEMA_VERSION.rsplit("/v", 1)[1])
_VERSION = re.compile(r"^sahab\.dev/plan/v(\d+)$")
_JSON_TYPES = {"string": (str,), "boolean": (bool,), "object": (dict,), "array": (list,), "null": (type(None),),
               "integer": (int,), "number": (int, float)}
_FIX = "write it with `sahab plan --out FILE` (docs/plan-format.md)"


@functools.lru_cache(maxsize=1)
def plan_schema() -> Dict[str, Any]:
    """The published JSON Schema of the plan document."""
    return json.loads(Path(__file__).with_name("plan.schema.json").read_text(encoding="utf-8"))


def read_json(path: Path, what: str, fix: str) -> Any:
    """The JSON document in ``path``; one usage error naming ``what`` it should be otherwise."""
    text = read_input_text(Path(path), what, fix, MAX_DOCUMENT_BYTES)
    return parse_json(text, "%s %s" % (what, path), fix, MAX_DOCUMENT_DEPTH)


def load_plan(path: Path) -> Dict[str, Any]:
    """The plan document in ``path``, checked (:func:`check_plan_document`)."""
    document = read_json(path, "plan file", _FIX)
    check_plan_document(document, str(path))
    return document


def check_plan_document(document: Any, where: str) -> None:
    """Refuse anything that is not a plan document this sahab reads."""
    if not isinstance(document, dict):
        raise UsageError("%s is not a sahab plan document (not a JSON object)" % where, _FIX)
    version = document.get("schemaVersion")
    match = _VERSION.match(version) if isinstance(version, str) else None
    if match is None:
        raise UsageError("%s is not a sahab plan document (schemaVersion %r)" % (where, version), _FIX)
    if int(match.group(1)) != SUPPORTED_MAJOR:
        raise UsageError("%s is a %s document; this sahab reads %s" % (where, version, SCHEMA_VERSION),
                         "gate it with the sahab version that wrote it, or plan again with this one")
    schema = plan_schema()
    _check_fields(document, schema, where)
    resource_schema = schema["$defs"]["resource"]
    for index, resource in enumerate(document["resources"]):
        if not isinstance(resource, dict):
            raise UsageError("%s: resource #%d is not an object" % (where, index), _FIX)
        _check_fields(resource, resource_schema, "%s: resource #%d (%s)" % (where, index, resource.get("urn", "?")))
    refuse_duplicate_urns(document["resources"])


def _check_fields(value: Mapping[str, Any], schema: Mapping[str, Any], where: str) -> None:
    properties = schema.get("properties", {})
    for field in schema.get("required", []):
        if field not in value:
            raise UsageError("%s lacks `%s`" % (where, field), _FIX)
        rule = properties.get(field, {})
        if not _conforms(value[field], rule):
            raise UsageError("%s: `%s` is %s, not %s" % (where, field, json.dumps(value[field])[:60], _expected(rule)), _FIX)


def _conforms(item: Any, rule: Mapping[str, Any]) -> bool:
    if "const" in rule:
        return item == rule["const"]
    if "enum" in rule:
        return item in rule["enum"]
    kinds = rule.get("type")
    if kinds is None:
        return True
    kinds = [kinds] if isinstance(kinds, str) else kinds
    return any(isinstance(item, _JSON_TYPES[kind]) and not (kind in ("integer", "number") and isinstance(item, bool))
               for kind in kinds)


def _expected(rule: Mapping[str, Any]) -> str:
    if "const" in rule:
        return json.dumps(rule["const"])
    if "enum" in rule:
        return "one of " + ", ".join(json.dumps(v) for v in rule["enum"])
    kinds = rule.get("type")
    return " or ".join([kinds] if isinstance(kinds, str) else kinds)
