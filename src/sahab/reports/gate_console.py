"""The readable console report of a gate run: blocking findings first, then the rest, then the verdict."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..gate.findings import GateResult
from .findings_json import summary

_ORDER = {"violation": 0, "unchecked": 1, "deferred": 2, "waived": 3}


def render_console(result: GateResult, console: Console) -> None:
    findings = sorted(result.sorted_findings(), key=lambda f: (not f in result.blocking, _ORDER[f.status], f.rule_id, f.urn))
    if findings:
        table = Table(title="sahab gate: %s/%s" % (result.project, result.stack), title_justify="left")
        for column in ("Rule", "Status", "Enforcement", "Severity", "Resource", "Message"):
            table.add_column(column, overflow="fold")
        for finding in findings:
            style = "red" if finding in result.blocking else ("yellow" if finding.status in ("deferred", "unchecked") else None)
            table.add_row(finding.rule_id, finding.status, finding.enforcement, finding.severity,
                          finding.urn.split("::")[-1] + " (" + (finding.resource_type.split(":")[-1] or "file") + ")",
                          finding.message, style=style)
        console.print(table)
    counts = summary(result)
    console.print(
        "%d resources, %d rules (%s): %d blocking, %d violations, %d deferred, %d unchecked, %d waived"
        % (counts["resources"], counts["rules"], ", ".join(counts["engines"]), counts["blocking"],
           counts["violation"], counts["deferred"], counts["unchecked"], counts["waived"]),
        markup=False, highlight=False,
    )
    console.print("PASS: no mandatory violations" if not result.exit_code else "FAIL: %d mandatory finding(s) block the deploy" % counts["blocking"],
                  style="green" if not result.exit_code else "bold red")
