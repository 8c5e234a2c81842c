"""The readable console report of a gate run: blocking findings first, then the rest, then the verdict.

Two lines per finding rather than a table: CI logs are often 80 columns wide, and URNs and
messages are long. The second line starts with the finding's ``file:line``, the form terminals
and editors turn into a link. Lines are never wrapped (``soft_wrap``): a CI log is not a terminal,
and rich would otherwise break them at 80 columns. Names are shown escaped (:func:`.escape.plain`):
a newline or an ANSI escape in a name is printed as ``\x0a`` / ``\x1b``, so a finding is always
exactly two lines and nothing in it can start a line of its own (a forged ``PASS``) or recolour the log.
"""
from __future__ import annotations

from typing import List

from rich.console import Console
from rich.markup import escape

from ..gate.findings import GateResult
from ..gate.locations import message_prefix
from .escape import plain
from .findings_json import summary

_ORDER = {"violation": 0, "unchecked": 1, "deferred": 2, "waived": 3, "baselined": 4}
_LABEL = {"violation": "FAIL", "unchecked": "UNCHECKED", "deferred": "DEFERRED", "waived": "WAIVED",
          "baselined": "BASELINED"}


def deferred_note(result: GateResult) -> str:
    """One line on the mandatory rules whose findings wait for deploy-time values, or "".

    A deferred finding is not a pass: it blocks with ``--strict``; otherwise the CrossGuard pack
    checks the same Rego rules at ``pulumi up``, when the values are known. checkov is not part of
    the pack, so its deferred checks are named apart.
    """
    rules = result.deferred_mandatory_rules()
    if not rules:
        return ""
    line = "%d mandatory rule(s) deferred (%s): " % (len(rules), ", ".join(rules))
    if result.fail_on_deferred:
        return line + "blocking (--strict / gate.fail_on_deferred)"
    line += "values only known at deploy; enforced at deploy by the CrossGuard pack (docs/crossguard.md), or now with --strict"
    checkov = [rule for rule in rules if not rule.startswith("SAHAB-")]
    if checkov:
        line += "; %s not in the pack: only --strict blocks on them" % ", ".join(checkov)
    return line


def render_console(result: GateResult, console: Console) -> None:
    findings = sorted(result.sorted_findings(), key=lambda f: (not result.is_blocking(f), _ORDER[f.status], f.rule_id, f.urn))
    console.print(plain("sahab gate: %s/%s" % (result.project, result.stack)), style="bold", markup=False, highlight=False, emoji=False,
                  soft_wrap=True)  # never wrapped: a name cut at the terminal's width could start a line "PASS"
    for finding in findings:
        label = _LABEL[finding.status] if result.is_blocking(finding) or finding.status != "violation" else "ADVISORY"
        style = "red" if result.is_blocking(finding) else ("yellow" if finding.status in ("deferred", "unchecked") else "dim")
        where = finding.urn.split("::")[-1] + (" (%s)" % finding.resource_type if finding.resource_type else "")
        console.print("[%s]%-9s[/] %s" % (style, label, escape(plain("%s  %s/%s  %s" % (
            finding.rule_id, finding.enforcement, finding.severity, where)))), highlight=False, emoji=False, soft_wrap=True)
        console.print("          " + plain(message_prefix(finding) + finding.message), markup=False, highlight=False, emoji=False,
                      soft_wrap=True)
    counts = summary(result)
    console.print(
        "%d resources, %d rules (%s): %d blocking, %d violations, %d deferred, %d unchecked, %d waived, %d baselined"
        % (counts["resources"], counts["rules"], ", ".join(counts["engines"]), counts["blocking"],
           counts["violation"], counts["deferred"], counts["unchecked"], counts["waived"], counts["baselined"]),
        markup=False, highlight=False, emoji=False, soft_wrap=True,
    )
    deferred = deferred_note(result)
    if deferred:
        console.print(plain(deferred), style="yellow", markup=False, highlight=False, emoji=False, soft_wrap=True)
    for note in selection_notes(result):
        console.print(plain(note), markup=False, highlight=False, emoji=False, soft_wrap=True)
    if result.failed and result.soft_fail:
        console.print("FAIL (soft-fail, exit 0): %d mandatory finding(s) would block the deploy" % counts["blocking"],
                      style="bold red")
    elif result.failed:
        console.print("FAIL: %d mandatory finding(s) block the deploy" % counts["blocking"], style="bold red")
    else:
        console.print("PASS: no mandatory violations", style="green")


def selection_notes(result: GateResult) -> List[str]:
    """One line each on what narrowed this run: the project's own relaxations, skipped rules, the
    severity threshold, the baseline."""
    notes = [result.relaxations.line()] if result.relaxations else []
    if result.rules_skipped:
        notes.append("skipped %d rule(s), not evaluated: %s" % (len(result.rules_skipped), ", ".join(result.rules_skipped)))
    if result.severity_threshold:
        notes.append("severity threshold %s: findings below it are reported, not blocking" % result.severity_threshold)
    if result.count("baselined") or result.baseline_fixed:
        notes.append("baseline: %d finding(s) baselined, %d baseline entr%s fixed (no longer found)" % (
            result.count("baselined"), len(result.baseline_fixed), "y" if len(result.baseline_fixed) == 1 else "ies"))
    return notes

