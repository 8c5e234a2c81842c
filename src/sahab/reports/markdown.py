"""Markdown for a pull-request comment: the verdict, what blocks, then the rest folded away.

Each finding names its ``file:line``. A pull-request comment does not resolve relative links, so
the location is a link only with a ``link_base`` (the repository's file view at the commit, e.g.
``https://github.com/ORG/REPO/blob/SHA``; :func:`github_link_base` derives it in GitHub Actions).
"""
from __future__ import annotations

from typing import List, Mapping, Optional
from urllib.parse import quote, urlsplit

from ..errors import UsageError
from ..gate.findings import Finding, GateResult
from .escape import markdown_code, markdown_text, plain
from .findings_json import summary
from .gate_console import selection_notes


def github_link_base(env: Mapping[str, str]) -> Optional[str]:
    """``$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/$GITHUB_SHA`` inside GitHub Actions, else None."""
    parts = [env.get(name) for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA")]
    if not all(parts):
        return None
    return "%s/%s/blob/%s" % (str(parts[0]).rstrip("/"), parts[1], parts[2])


def resolve_link_base(value: Optional[str], env: Mapping[str, str]) -> Optional[str]:
    """The given link base (it must be an http(s) URL), else GitHub Actions', else None."""
    if value is None:
        return github_link_base(env)
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise UsageError("--link-base %r is not an http(s) URL" % value,
                         "pass the repository's file view at the commit, e.g. https://github.com/ORG/REPO/blob/SHA")
    return value


def _where(finding: Finding, link_base: Optional[str]) -> str:
    if not finding.location:
        return ""
    text = markdown_code(finding.location)
    if link_base is None or not finding.file:
        return text
    anchor = "#L%d" % finding.line if finding.line else ""
    return "[%s](%s/%s%s)" % (text, link_base.rstrip("/"), quote(plain(finding.file)), anchor)


def _table(findings: List[Finding], link_base: Optional[str]) -> List[str]:
    lines = ["| Rule | Status | Severity | Resource | Where | Finding |", "| --- | --- | --- | --- | --- | --- |"]
    for f in findings:
        lines.append("| %s | %s | %s | %s | %s | %s |" % (markdown_text(f.rule_id), f.status, markdown_text(f.severity),
                                                      markdown_code(f.urn), _where(f, link_base), markdown_text(f.message)))
    return lines


def render_markdown(result: GateResult, link_base: Optional[str] = None) -> str:
    counts = summary(result)
    verdict = "**FAIL**: %d mandatory finding(s) block the deploy" % counts["blocking"] if result.failed else "**PASS**: no mandatory violations"
    if result.failed and result.soft_fail:
        verdict = "**FAIL** (soft-fail, exit 0): %d mandatory finding(s) would block the deploy" % counts["blocking"]
    lines = [
        "### sahab gate: %s / %s" % (markdown_code(result.project), markdown_code(result.stack)),
        "",
        verdict,
        "",
        "%d resources, %d rules (%s): %d violations, %d deferred, %d unchecked, %d waived, %d baselined." % (
            counts["resources"], counts["rules"], ", ".join(counts["engines"]), counts["violation"],
            counts["deferred"], counts["unchecked"], counts["waived"], counts["baselined"]),
    ]
    notes = selection_notes(result)
    if notes:
        lines += [""] + ["- %s" % markdown_text(note) for note in notes]
    blocking = result.blocking
    if blocking:
        lines += ["", "#### Blocking", ""] + _table(blocking, link_base)
        lines += ["", "Remediation:"] + sorted({"- **%s**: %s" % (markdown_text(f.rule_id), markdown_text(f.remediation))
                                                for f in blocking if f.remediation})
    rest = [f for f in result.sorted_findings() if not result.is_blocking(f)]
    if rest:
        lines += ["", "<details><summary>%d other finding(s): advisory, deferred, waived, baselined</summary>" % len(rest), ""]
        lines += _table(rest, link_base) + ["", "</details>"]
    return "\n".join(lines) + "\n"
