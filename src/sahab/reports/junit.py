"""JUnit XML for GitLab and Jenkins: one test case per rule, failing when it blocks the deploy.

A rule with no findings is a passing case; blocking findings make it fail (one line each,
starting with the finding's ``file:line``); advisory, deferred and waived findings keep it passing
and are listed in ``system-out``. A failing case carries the ``file`` and ``line`` attributes
(GitLab, Jenkins) of its first blocking finding. A rule a selection left out (``--skip-rule``,
``disabled``) is a ``skipped`` case: not evaluated, so neither passed nor failed.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Dict, List

from ..gate.findings import Finding, GateResult
from ..gate.locations import message_prefix
from .escape import plain


def render_junit(result: GateResult) -> str:
    grouped: Dict[str, List[Finding]] = {rule: [] for rule in result.rules_evaluated}
    for finding in result.sorted_findings():
        grouped.setdefault(finding.rule_id, []).append(finding)
    suite = ET.Element("testsuite", name=plain("sahab gate %s/%s" % (result.project, result.stack)))
    if result.relaxations:  # the suite's <properties> come before its test cases (JUnit XML schema)
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="sahab.project_relaxations", value=result.relaxations.line())
    failures = 0
    for rule_id in sorted(grouped):
        findings = grouped[rule_id]
        title = next((f.title for f in findings if f.title), "")
        case = ET.SubElement(suite, "testcase", classname=plain(_classname(rule_id)),
                             name=plain("%s %s" % (rule_id, title) if title else rule_id))
        failing = [f for f in findings if result.is_blocking(f)]
        if failing:
            failures += 1
            if failing[0].file:
                case.set("file", plain(failing[0].file))
                if failing[0].line:
                    case.set("line", str(failing[0].line))
            failure = ET.SubElement(case, "failure", message="%d blocking finding(s)" % len(failing), type="mandatory")
            failure.text = "\n".join(plain(message_prefix(f) + "%s: %s" % (f.urn, f.message)) for f in failing)
        others = [f for f in findings if not result.is_blocking(f)]
        if others:
            ET.SubElement(case, "system-out").text = "\n".join(
                plain("[%s/%s] " % (f.status, f.enforcement) + message_prefix(f) + "%s: %s" % (f.urn, f.message)) for f in others)
    skipped = [rule_id for rule_id in result.rules_skipped if rule_id not in grouped]
    for rule_id in skipped:
        case = ET.SubElement(suite, "testcase", classname=plain(_classname(rule_id)), name=plain(rule_id))
        ET.SubElement(case, "skipped", message="not evaluated: left out by --rule/--skip-rule or enforcement disabled")
    tests = len(grouped) + len(skipped)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(len(skipped)))
    root = ET.Element("testsuites", name="sahab", tests=str(tests), failures=str(failures))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _classname(rule_id: str) -> str:
    return "sahab.%s" % rule_id.split("-")[1].lower() if rule_id.startswith("SAHAB-") else "checkov"
