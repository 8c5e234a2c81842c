"""Evaluate the Rego rule catalogue on a plan and turn the engine's answer into findings.

Fail closed at every step: every builtin the rules call must be supported by the backend
*before* anything is evaluated; every rule package must come back with its ``deny`` and
``deferred`` sets; every finding must have the documented shape. Anything else is an
:class:`EngineError` (exit 3), never "no findings".
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from .builtins import builtins_called, sorted_names
from .engines.base import EngineError, PolicyEngine
from .findings import Finding
from .rules import INPUT_ROOTS, PolicyBundle, Rule

RESULT_SETS = (("deny", "violation"), ("deferred", "deferred"))


def check_builtins(bundle: PolicyBundle, engine: PolicyEngine) -> None:
    """Refuse to evaluate rules that call a builtin the backend lacks."""
    missing = engine.unsupported_builtins(builtins_called(bundle.without_tests()))
    if missing:
        raise EngineError(
            "the %s engine does not support builtin(s) %s used by the rules" % (engine.name, ", ".join(sorted_names(missing))),
            "rewrite the rule without them, or use an engine that has them",
        )


def evaluate_rules(plan: Mapping[str, Any], bundle: PolicyBundle, engine: PolicyEngine,
                   enforcement: Optional[Mapping[str, str]] = None, *, loaded: bool = False) -> List[Finding]:
    """All Rego findings for ``plan``; ``enforcement`` overrides a rule's default level by id."""
    if not loaded:
        check_builtins(bundle, engine)
        engine.load(bundle.without_tests())
    # One query per rules root: sahab's root for the bundle's input (`sahab.rules` for a plan,
    # `sahab.promotion` for a model version; always asked, so an empty answer fails closed) and
    # each team's `<team>.rules`.
    answers: Dict[str, Dict[str, Any]] = {}
    for root in sorted({INPUT_ROOTS[bundle.input]} | {rule.rules_root for rule in bundle.rules}):
        answer = engine.query(root, plan)
        if not isinstance(answer, dict):
            raise EngineError("the %s engine returned no rule results for %s" % (engine.name, root),
                              "check that the policies loaded")
        answers[root] = answer
    overrides = dict(enforcement or {})
    findings: List[Finding] = []
    for rule in bundle.rules:
        node = _package_result(answers[rule.rules_root], rule)
        level = overrides.get(rule.rule_id, rule.enforcement)
        for key, status in RESULT_SETS:
            for item in node.get(key) or []:
                findings.append(_finding(rule, item, status, level, engine.name))
    return findings


def _package_result(answer: Dict[str, Any], rule: Rule) -> Dict[str, Any]:
    node: Any = answer
    for part in rule.package[len(rule.rules_root) + 1:].split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or "deny" not in node:
        raise EngineError(
            "rule %s (%s) produced no `deny` set" % (rule.rule_id, rule.package),
            "every rule must define `deny contains ...`; an undefined result would pass silently",
        )
    return node


def _finding(rule: Rule, item: Any, status: str, enforcement: str, engine: str) -> Finding:
    if not isinstance(item, dict) or not isinstance(item.get("urn"), str) or not isinstance(item.get("message"), str):
        raise EngineError(
            "rule %s returned a malformed finding %r" % (rule.rule_id, item),
            "findings are plan.finding(resource, message): {urn, type, message}",
        )
    return Finding(
        rule_id=rule.rule_id,
        engine=engine,
        severity=rule.severity,
        enforcement=enforcement,
        status=status,
        urn=item["urn"],
        resource_type=str(item.get("type", "")),
        message=item["message"],
        title=rule.title,
        remediation=rule.remediation,
        controls=rule.controls,
    )
