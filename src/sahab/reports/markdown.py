"""Markdown for a pull-request comment: the verdict, what blocks, then the rest folded away."""
from __future__ import annotations

from typing import List

from ..gate.findings import Finding, GateResult
from .findings_json import summary


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(findings: List[Finding]) -> List[str]:
    lines = ["| Rule | Status | Severity | Resource | Finding |", "| --- | --- | --- | --- | --- |"]
    for f in findings:
        lines.append("| %s | %s | %s | `%s` | %s |" % (f.rule_id, f.status, f.severity, _cell(f.urn), _cell(f.message)))
    return lines


def render_markdown(result: GateResult) -> str:
    counts = summary(result)
    verdict = "**FAIL**: %d mandatory finding(s) block the deploy" % counts["blocking"] if result.exit_code else "**PASS**: no mandatory violations"
    lines = [
        "### sahab gate: `%s` / `%s`" % (result.project, result.stack),
        "",
        verdict,
        "",
        "%d resources, %d rules (%s): %d violations, %d deferred, %d unchecked, %d waived." % (
            counts["resources"], counts["rules"], ", ".join(counts["engines"]), counts["violation"],
            counts["deferred"], counts["unchecked"], counts["waived"]),
    ]
    blocking = result.blocking
    if blocking:
        lines += ["", "#### Blocking", ""] + _table(blocking)
        lines += ["", "Remediation:"] + sorted({"- **%s**: %s" % (f.rule_id, _cell(f.remediation)) for f in blocking if f.remediation})
    rest = [f for f in result.sorted_findings() if not result.is_blocking(f)]
    if rest:
        lines += ["", "<details><summary>%d other finding(s): advisory, deferred, waived</summary>" % len(rest), ""]
        lines += _table(rest) + ["", "</details>"]
    return "\n".join(lines) + "\n"
