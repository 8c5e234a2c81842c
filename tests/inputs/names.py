"""Checks that a report shows hostile names as data: shared by the example and the fuzzing tests."""
from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from typing import List

from markdown_it import MarkdownIt
from rich.console import Console

from sahab.gate.findings import Finding, GateResult
from sahab.reports import gate_formats
from sahab.reports.escape import plain
from sahab.reports.gate_console import render_console

VERDICT = re.compile(r"^(\*\*)?(PASS|FAIL)")  # a verdict starts a line; continuation lines are indented
# A SARIF embedded link: an unescaped [text](N).
_SARIF_LINK = re.compile(r"(?<!\\)\[(?:[^\]\\]|\\.)*(?<!\\)\]\(\d+\)")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]")


def hostile_result(name: str) -> GateResult:
    """A failing run in which every name the program or the pull request controls is ``name``."""
    urn = "urn:pulumi:%s::%s::aws:s3/bucket:Bucket::%s" % (name, name, name)

    def finding(status: str, enforcement: str, **extra) -> Finding:
        return Finding(rule_id="SAHAB-RES-001", engine="regorus", severity="high", enforcement=enforcement, status=status,
                       urn=urn, resource_type="aws:s3/bucket:Bucket", message="bucket %s is in region %s" % (name, name),
                       title="Resources stay in the UAE", remediation="move %s" % name, file="%s/__main__.py" % name, line=3,
                       **extra)

    waiver = {"rule": "SAHAB-RES-001", "urn": name, "reason": name, "approver": name, "expires": "2099-01-01"}
    return GateResult(project=name, stack=name, resources=3, engines=["regorus"], rules_evaluated=["SAHAB-RES-001"], findings=[
        finding("violation", "mandatory"), finding("deferred", "mandatory"), finding("waived", "mandatory", waiver=waiver)])


def verdict_lines(text: str) -> List[str]:
    return [line for line in text.splitlines() if VERDICT.match(line)]


def check_every_format(result: GateResult) -> None:
    """Every report of ``result`` is valid in its format and no name in it acts as markup or a verdict."""
    blocking = len(result.blocking)
    assert blocking >= 1
    # console, as printed to a terminal with colour (rich) and as written to a file
    buffer = io.StringIO()
    render_console(result, Console(file=buffer, width=100, force_terminal=True, color_system="truecolor"))
    coloured = buffer.getvalue()
    assert coloured.count("\x1b[") == len(re.findall(r"\x1b\[[0-9;]*m", coloured))  # only rich's own colour codes
    console = gate_formats.render(result, "console")
    assert console.splitlines()[0] == "sahab gate: %s/%s" % (plain(result.project), plain(result.stack))  # as written
    for text in (re.sub(r"\x1b\[[0-9;]*m", "", coloured), console):
        assert not _CONTROL.search(text.replace("\n", ""))
        assert verdict_lines(text)[-1].startswith("FAIL: %d mandatory finding(s)" % blocking)
        finding_lines = [line for line in text.splitlines()[1:] if line.startswith(("FAIL ", "DEFERRED ", "WAIVED "))]
        assert len(finding_lines) == len(result.findings)
        assert [line for line in verdict_lines(text) if not line.startswith("FAIL ")] == [verdict_lines(text)[-1]]
    # JUnit: well-formed XML (parsed back), one failure line per blocking finding
    junit = ET.fromstring(gate_formats.render(result, "junit").split("\n", 1)[1])
    failures = junit.findall(".//failure")
    assert len(failures) == 1 and len(failures[0].text.splitlines()) == blocking
    assert junit.find("testsuite").get("name") == "sahab gate %s/%s" % (plain(result.project), plain(result.stack))
    # Markdown: no HTML, no link, no heading or table cell but sahab's own
    markdown = gate_formats.render(result, "markdown")
    tokens = MarkdownIt("commonmark").enable("table").enable("strikethrough").parse(markdown)
    html = [t.content for t in _flatten(tokens) if t.type in ("html_inline", "html_block", "link_open", "image")]
    assert html == ["<details><summary>%d other finding(s): advisory, deferred, waived, baselined</summary>\n"
                    % (len(result.findings) - blocking), "</details>\n"]  # sahab's own fold, nothing else
    assert [t.tag for t in tokens if t.type == "heading_open"] == ["h3", "h4"]
    rows = [t for t in tokens if t.type == "tr_open"]
    assert len(rows) == 1 + blocking + 1 + (len(result.findings) - blocking)  # two tables, each with its header
    cells = [t for t in tokens if t.type in ("th_open", "td_open")]
    assert len(cells) == 6 * len(rows)
    assert verdict_lines(markdown) == [line for line in markdown.splitlines() if line.startswith("**FAIL**")]
    urn_cells = [t.children[0].content for t in _flatten(tokens) if t.type == "inline" and t.children
                 and t.children[0].type == "code_inline" and t.children[0].content.startswith("urn:")]
    assert urn_cells and set(urn_cells) == {plain(f.urn) for f in result.findings}
    # SARIF: valid JSON, one-line messages without embedded links
    sarif = json.loads(gate_formats.render(result, "sarif"))
    for entry in sarif["runs"][0]["results"]:
        text = entry["message"]["text"]
        assert "\n" not in text and not _CONTROL.search(text) and not _SARIF_LINK.search(text)
    # GitHub: one workflow command per finding, then the verdict; nothing else starts a line
    github = gate_formats.render(result, "github").splitlines()
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in github[:-1])
    assert len([line for line in github if line.startswith("::")]) == len(result.findings) + (1 if result.relaxations else 0)
    assert github[-1].startswith("sahab gate ") and ": FAIL: %d blocking" % blocking in github[-1]
    assert not _CONTROL.search("".join(github))
    # GitLab: valid JSON, one-line descriptions
    for issue in json.loads(gate_formats.render(result, "gitlab")):
        assert not _CONTROL.search(issue["description"] + issue["location"]["path"])


def _flatten(tokens):
    for token in tokens:
        yield token
        yield from _flatten(token.children or [])
