"""The evidence report for auditors: controls -> rules -> results, per stack.

Each control named in a rule's METADATA lists the rules that evidence it and what they found
on this stack: pass, fail (with the resources), deferred, waived (with approver and expiry).
With ``sahab verify``'s results (``--verify-results``), each control also lists the run-time
tests that check it on the deployed stack: a test marked with a rule id evidences that rule's
controls, a test marked with a control's own name evidences that control. A failed or errored
test fails its control and the verdict; a skipped one is shown skipped, never passed.
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Sequence

from ..gate.findings import GateResult
from ..errors import UsageError
from ..gate.rules import Rule
from ..verification.results import VerifyResults
from .escape import markdown_text

_RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*-[A-Z0-9]+-\d+$")


def evidence(result: GateResult, rules: Sequence[Rule], runtime: Optional[VerifyResults] = None) -> Dict[str, Any]:
    by_rule: Dict[str, List[Any]] = {}
    for finding in result.sorted_findings():
        by_rule.setdefault(finding.rule_id, []).append(finding)
    controls: Dict[str, List[Dict[str, Any]]] = {}
    for rule in rules:
        findings = by_rule.get(rule.rule_id, [])
        statuses = sorted({f.status for f in findings})
        outcome = "fail" if any(result.is_blocking(f) for f in findings) else ("pass" if not findings else "pass-with-findings")
        if rule.rule_id in result.rules_skipped:  # left out by a selection: no evidence either way
            outcome = "skipped"
        entry = {
            "rule": rule.rule_id, "title": rule.title, "enforcement": rule.enforcement, "result": outcome,
            "statuses": statuses,
            "findings": [{"status": f.status, "urn": f.urn, "message": f.message, **({"waiver": f.waiver} if f.waiver else {})}
                         for f in findings],
        }
        for control in rule.controls:
            controls.setdefault(control, []).append(entry)
    tests = _tests_by_control(runtime, rules, result.stack) if runtime is not None else {}
    entries = [{"control": name, "rules": controls.get(name, []), "tests": tests.get(name, []),
                "result": _control_result(controls.get(name, []), tests.get(name, []))}
               for name in sorted(set(controls) | set(tests))]
    return {
        "schemaVersion": "sahab.dev/evidence/v1",
        "project": result.project,
        "stack": result.stack,
        "verdict": "fail" if result.failed or (runtime is not None and runtime.failed) else "pass",
        "runtime": {"summary": runtime.summary()} if runtime is not None else None,
        "controls": entries,
    }


def _tests_by_control(runtime: VerifyResults, rules: Sequence[Rule], stack: str) -> Dict[str, List[Dict[str, Any]]]:
    """Each run-time test under every control its marker reaches: a rule id's controls, or a control named directly."""
    if runtime.stack != stack:
        raise UsageError("the verify results are of stack %s, the gate ran on %s" % (runtime.stack, stack),
                         "pass the result file `sahab verify --stack %s` wrote" % stack)
    by_id = {rule.rule_id: rule for rule in rules}
    tests: Dict[str, List[Dict[str, Any]]] = {}
    for test in runtime.tests:
        reached: Dict[str, List[str]] = {}
        for cited in test.controls:
            if cited in by_id:
                for control in by_id[cited].controls:
                    reached.setdefault(control, []).append(cited)
            elif _RULE_ID.match(cited):  # an unknown rule would drop the test from the report unseen
                raise UsageError("verify result %s cites rule %s, which this gate did not load" % (test.nodeid, cited),
                                 "gate with the rules the suites were written for (--policy-dir), or fix the suite's marker")
            else:
                reached.setdefault(cited, [])
        for control, cited_rules in reached.items():
            tests.setdefault(control, []).append({"test": test.nodeid, "host": test.host, "outcome": test.outcome,
                                                  "rules": cited_rules, "reason": test.reason})
    return tests


def _control_result(rules: List[Dict[str, Any]], tests: List[Dict[str, Any]]) -> str:
    if any(r["result"] == "fail" for r in rules) or any(t["outcome"] in ("failed", "error") for t in tests):
        return "fail"
    return "pass"


def render_evidence_json(result: GateResult, rules: Sequence[Rule], runtime: Optional[VerifyResults] = None) -> str:
    return json.dumps(evidence(result, rules, runtime), indent=2, sort_keys=True) + "\n"


def render_evidence_markdown(result: GateResult, rules: Sequence[Rule], runtime: Optional[VerifyResults] = None) -> str:
    report = evidence(result, rules, runtime)
    source = "the offline plan of this stack" + (" and `sahab verify` on the deployed stack" if runtime is not None else "")
    lines = ["# Compliance evidence: %s / %s" % (markdown_text(report["project"]), markdown_text(report["stack"])), "",
             "Verdict: **%s**. Generated by sahab from %s." % (report["verdict"].upper(), source), ""]
    for control in report["controls"]:
        lines += ["## %s" % markdown_text(control["control"]), "", "Result: **%s**" % control["result"], ""]
        if control["rules"]:
            lines += ["| Rule | Title | Result | Findings |", "| --- | --- | --- | --- |"]
        for rule in control["rules"]:
            lines.append("| %s | %s | %s | %d |" % (markdown_text(rule["rule"]), markdown_text(rule["title"]), rule["result"],
                                                    len(rule["findings"])))
        if control["tests"]:
            lines += ["", "| Run-time test | Host | Rules | Outcome | Detail |", "| --- | --- | --- | --- | --- |"]
        for test in control["tests"]:
            lines.append("| %s | %s | %s | %s | %s |" % (
                markdown_text(test["test"]), markdown_text(test["host"] or "verifying machine"),
                markdown_text(", ".join(test["rules"]) or "-"), test["outcome"], markdown_text(test["reason"] or "")))
        lines.append("")
    return "\n".join(lines)
