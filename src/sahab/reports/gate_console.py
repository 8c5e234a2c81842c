"""The readable console report of a gate run: blocking findings first, then the rest, then the verdict.

Two lines per finding rather than a table: CI logs are often 80 columns wide, and URNs and
messages are long.
"""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from ..gate.findings import GateResult
from .findings_json import summary

_ORDER = {"violation": 0, "unchecked": 1, "deferred": 2, "waived": 3}
_LABEL = {"violation": "FAIL", "unchecked": "UNCHECKED", "deferred": "DEFERRED", "waived": "WAIVED"}


def render_console(result: GateResult, console: Console) -> None:
    findings = sorted(result.sorted_findings(), key=lambda f: (not result.is_blocking(f), _ORDER[f.status], f.rule_id, f.urn))
    console.print("sahab gate: %s/%s" % (result.project, result.stack), style="bold", markup=False)
    for finding in findings:
        label = _LABEL[finding.status] if result.is_blocking(finding) or finding.status != "violation" else "ADVISORY"
        style = "red" if result.is_blocking(finding) else ("yellow" if finding.status in ("deferred", "unchecked") else "dim")
        where = finding.urn.split("::")[-1] + (" (%s)" % finding.resource_type if finding.resource_type else "")
        console.print("[%s]%-9s[/] %s  %s/%s  %s" % (style, label, finding.rule_id, finding.enforcement, finding.severity, escape(where)),
                      highlight=False)
        console.print("          " + finding.message, markup=False, highlight=False)
    counts = summary(result)
    console.print(
        "%d resources, %d rules (%s): %d blocking, %d violations, %d deferred, %d unchecked, %d waived"
        % (counts["resources"], counts["rules"], ", ".join(counts["engines"]), counts["blocking"],
           counts["violation"], counts["deferred"], counts["unchecked"], counts["waived"]),
        markup=False, highlight=False,
    )
    if result.exit_code:
        console.print("FAIL: %d mandatory finding(s) block the deploy" % counts["blocking"], style="bold red")
    else:
        console.print("PASS: no mandatory violations", style="green")
