"""Which builtin functions a set of Rego modules calls, read from regorus's AST.

The gate checks these against the backend *before* evaluating: regorus only notices a missing
builtin when a rule reaches the call, and a rule that never reaches it must not pass silently.
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, Iterable, List, Set

_IMPORT = re.compile(r"^import\s+(data\.[\w.]+)(?:\s+as\s+(\w+))?\s*$", re.M)
_FUNCTION_HEAD = re.compile(r"^([a-z_][\w]*)\s*\(", re.M)


def builtins_called(modules: Dict[str, str]) -> Set[str]:
    """Names of builtins called anywhere in ``modules`` (user-defined functions excluded)."""
    import regorus

    from .engines.base import EngineError
    from .engines.embedded import first_error_line

    engine = regorus.Engine()
    try:
        for path, text in sorted(modules.items()):
            engine.add_policy(path, text)
        asts = json.loads(engine.get_ast_as_json())
    except Exception as exc:  # noqa: BLE001 - a parse error stops the gate
        raise EngineError("the policies do not parse: %s" % first_error_line(exc), "fix the module named in the message") from None
    defined: Set[str] = set()
    aliases: Set[str] = {"data", "input"}
    for text in modules.values():
        defined.update(_FUNCTION_HEAD.findall(text))
        for target, alias in _IMPORT.findall(text):
            aliases.add(alias or target.split(".")[-1])
    called: Set[str] = set()
    for node in _calls(asts):
        name = function_name(node.get("fcn"))
        if not name:
            continue
        head = name.split(".")[0]
        if head in aliases or ("." not in name and name in defined):
            continue
        called.add(name)
    return called


def _calls(node: Any) -> Iterable[Dict[str, Any]]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            call = current.get("Call")
            if isinstance(call, dict):
                yield call
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def function_name(fcn: Any) -> str:
    """``lower`` from ``{"Var": {"value": "lower"}}``; ``net.cidr_contains`` from a RefDot chain."""
    if not isinstance(fcn, dict):
        return ""
    if "Var" in fcn:
        return str(fcn["Var"].get("value", ""))
    if "RefDot" in fcn:
        ref = fcn["RefDot"]
        parent = function_name(ref.get("refr"))
        field = ref.get("field")
        field_name = field[1] if isinstance(field, list) and len(field) > 1 else (field.get("value") if isinstance(field, dict) else field)
        return "%s.%s" % (parent, field_name) if parent and field_name else ""
    return ""


def sorted_names(names: Iterable[str]) -> List[str]:
    return sorted(set(names))


_REGORUS_HAS: Dict[str, bool] = {}


def regorus_has_builtin(name: str) -> bool:
    """Probe regorus for one builtin: a missing one says "could not find function" when reached.

    Each probe uses a scratch engine made and dropped on the calling thread (regorus engines are
    thread-bound); results are cached for the process.
    """
    if name not in _REGORUS_HAS:
        import regorus

        scratch = regorus.Engine()
        scratch.add_policy("probe.rego", "package probe\nimport rego.v1\nr if { %s(input.a) }\n" % name)
        scratch.set_input_json("{}")
        try:
            scratch.eval_query("data.probe.r")
            _REGORUS_HAS[name] = True
        except Exception as exc:  # noqa: BLE001 - only "could not find function" means absent
            _REGORUS_HAS[name] = "could not find function" not in str(exc)
    return _REGORUS_HAS[name]
