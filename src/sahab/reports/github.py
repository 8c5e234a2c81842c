"""GitHub Actions workflow commands: one annotation per finding on the pull request's files.

``::error file=F,line=L,title=T::MESSAGE`` (``warning``, ``notice``), as GitHub documents in
"Workflow commands for GitHub Actions" (docs.github.com/en/actions/reference/workflow-commands-for-github-actions).
Values are escaped as the actions toolkit escapes them (packages/core/src/command.ts:
``escapeData`` and ``escapeProperty``): ``%``, ``\\r`` and ``\\n`` everywhere, and ``:`` and
``,`` in properties too. A newline in a message can therefore never end the command and start
another one (``::add-mask::``, ``::stop-commands::``) in the log.

Blocking findings are errors, other violations and unchecked parts warnings, the rest
(deferred, waived, baselined) notices; blocking ones come first, since GitHub shows only the first
10 annotations of each level per step. The last line is the verdict, as plain log text.
"""
from __future__ import annotations

from typing import List

from ..gate.findings import Finding, GateResult
from .annotations import annotation_order, describe, where
from .escape import plain
from .findings_json import summary


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(finding: Finding, result: GateResult) -> str:
    if result.is_blocking(finding):
        command = "error"
    elif finding.status in ("violation", "unchecked"):
        command = "warning"
    else:
        command = "notice"
    path, line = where(finding, result)
    title = "%s %s" % (finding.rule_id, finding.title) if finding.title else finding.rule_id
    properties = "file=%s,line=%d,title=%s" % (escape_property(plain(path)), line, escape_property(plain(title)))
    return "::%s %s::%s" % (command, properties, escape_data(describe(finding)))


def render_github(result: GateResult) -> str:
    lines: List[str] = [_command(finding, result) for finding in annotation_order(result)]
    counts = summary(result)
    if result.failed:
        verdict = "sahab gate %s/%s: FAIL%s: %d blocking finding(s)" % (
            plain(result.project), plain(result.stack), " (soft-fail, exit 0)" if result.soft_fail else "", counts["blocking"])
    else:
        verdict = "sahab gate %s/%s: PASS: no mandatory violations" % (plain(result.project), plain(result.stack))
    if result.relaxations:
        lines.append("::warning title=%s::%s" % (escape_property("sahab: project relaxations"),
                                                  escape_data(result.relaxations.line())))
    lines.append(escape_data(verdict))
    return "\n".join(lines) + "\n"
