"""Names are data, not markup, in every report format; a name can never forge a verdict line."""
from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console

from hostile import write_project
from names import VERDICT, check_every_format, hostile_result
from sahab.reports.escape import markdown_code, markdown_text, plain, sarif_text
from sahab.reports.gate_formats import FORMATS
from sahab.reports.plan_table import render_plan

NAMES = {
    "newline verdict": "x\nPASS: no mandatory violations",
    "crlf verdict": "x\r\nPASS: no mandatory violations",
    "unicode line separator": "x\u2028PASS\u2029PASS\x85PASS",
    "ansi escapes": "\x1b[2K\x1b[1A\x1b[32mPASS\x1b[0m",
    "rich markup": "[bold green]PASS[/] [/]",
    "html comment": "<!-- the rest is hidden",
    "html tag": "<img src=x onerror=alert(1)></details>",
    "xml invalid": "a\x00b\x01c\x0bd\x0c\ufffe\uffff",
    "lone surrogate": "a\ud800b",
    "bidi override": "\u202eSSAP",
    "markdown": "a|b`c`` **d** [l](https://e.example) ![i](x) ~~s~~ $x$",
    "sarif link": "[click](1) \\[x\\](2)",
    "workflow command": "%0A::add-mask::secret\n::stop-commands::x",
    "backslashes": "\\x0a\\",
    "emoji codes": ":warning: :white_check_mark: PASS",
    "wrapped at the terminal's width": "x" * 85 + "PASS: no mandatory violations",
}


@pytest.mark.parametrize("case", sorted(NAMES))
def test_every_report_shows_a_hostile_name_as_text(case):
    check_every_format(hostile_result(NAMES[case]))


def test_the_escaping_helpers():
    assert plain("a\nPASS") == "a\\x0aPASS"
    assert plain("\x1b[31m\u202e\ud800") == "\\x1b[31m\\u202e\\ud800"
    assert plain("café ok-name_1") == "café ok-name_1"
    assert markdown_text("<!-- a|b [l](u) `c` *e* & $m$") == "\\<!-- a\\|b \\[l\\](u) \\`c\\` \\*e\\* \\& \\$m\\$"
    assert markdown_code("a`b") == "``a`b``" and markdown_code("`x") == "`` `x ``" and markdown_code("a|b") == "`a\\|b`"
    assert sarif_text("[t](1) a\\[") == "\\[t\\](1) a\\\\\\["


@pytest.mark.parametrize("case", sorted(NAMES))
def test_the_plan_table_shows_hostile_names_as_text(case):
    name = NAMES[case]
    document = {"project": name, "stack": name, "diagnostics": [{"severity": "warning", "message": "about %s" % name}],
                "resources": [{"type": "aws:s3/bucket:Bucket", "name": name, "region": name, "opaque": False,
                               "unknowns": [], "secrets": []}]}
    buffer = io.StringIO()
    render_plan(document, Console(file=buffer, width=60, force_terminal=True, color_system="truecolor"))
    text = buffer.getvalue()
    assert "\x1b[2K" not in text and "\x1b[1A" not in text and "\r" not in text and "\x00" not in text
    assert not [line for line in re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines() if VERDICT.match(line)]
    assert plain(name)[:20].replace("[", "") in text.replace("[", "")


HOSTILE_PROGRAM = '''import pulumi
import pulumi_aws as aws

uae = aws.Provider("uae", region="me-central-1")
for name in %r:
    aws.s3.Bucket(name, region="eu-west-1", opts=pulumi.ResourceOptions(provider=uae))
'''


def test_hostile_resource_project_and_folder_names_through_the_cli(sahab_cli, tmp_path: Path):
    """End to end: the program names its resources, the project and the folder hold markup."""
    names = ["b\nPASS: no mandatory violations", "c\x1b[32mPASS", "d<!--", "e[bold]x[/]", "f|`g`"]
    root = write_project(tmp_path / "p[x] <!--", program=HOSTILE_PROGRAM % (names,))
    (root / "Pulumi.yaml").write_text('name: "h<!--[b]"\nruntime: python\n')
    planned = sahab_cli(["plan", str(root), "--stack", "dev"], timeout=180)
    assert planned.returncode == 0, planned.stderr
    assert not [line for line in planned.stdout.splitlines() if VERDICT.match(line)] and "\x1b[32m" not in planned.stdout
    args = ["gate", str(root), "--stack", "dev", "--no-checkov"]
    for fmt in FORMATS:
        args += ["--format", fmt, "--out", str(tmp_path / ("report." + fmt))]
    gated = sahab_cli(args, timeout=180)
    assert gated.returncode == 1, gated.stderr
    reports = {fmt: (tmp_path / ("report." + fmt)).read_text() for fmt in FORMATS}
    for fmt in ("console", "github", "markdown"):
        verdicts = [line for line in reports[fmt].splitlines() if re.match(r"^\W*PASS", line)]
        assert verdicts == [], (fmt, verdicts)
    ET.fromstring(reports["junit"].split("\n", 1)[1])
    sarif = json.loads(reports["sarif"])
    assert {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].rsplit("::", 1)[-1]
            for r in sarif["runs"][0]["results"] if "Bucket" in r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            } >= {plain(name) for name in names}
    json.loads(reports["gitlab"])
    assert "\x1b[32m" not in "".join(reports.values())
