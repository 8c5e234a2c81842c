"""CI annotation formats (github, gitlab), the console in a CI log, and several reports from one run."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from sahab.errors import UsageError
from sahab.gate.findings import Finding, GateResult
from sahab.reports import gate_formats
from sahab.reports.annotations import fingerprint
from sahab.reports.gate_console import render_console
from sahab.reports.github import escape_data, escape_property
from sahab.reports.outputs import ReportTarget, report_targets, write_reports

from test_gate_cli import PROGRAM
from program_projects import write_project

LONG_URN = "urn:pulumi:prod::sahab-platform::sahab:platform:Cluster$kubernetes:apps/v1:Deployment::" + "x" * 240


def _finding(rule_id: str, status: str, urn: str, message: str, **extra) -> Finding:
    values = dict(rule_id=rule_id, engine="regorus", severity="high", enforcement="mandatory", status=status, urn=urn,
                  resource_type="kubernetes:apps/v1:Deployment", message=message, title="Title, with: punctuation")
    values.update(extra)
    return Finding(**values)


@pytest.fixture
def result() -> GateResult:
    return GateResult(project="p", stack="prod", resources=2, engines=["regorus"], rules_evaluated=["SAHAB-NET-001"], findings=[
        _finding("SAHAB-NET-001", "violation", LONG_URN, "100% open\n::add-mask::x", file="stacks/net.py", line=42),
        _finding("SAHAB-NET-001", "deferred", "urn:pulumi:prod::p::t::d", "maybe open"),
        _finding("SAHAB-NET-001", "violation", "urn:pulumi:prod::p::t::adv", "loud", enforcement="advisory", severity="low"),
    ])


def test_github_annotations_are_workflow_commands_escaped_as_the_toolkit_does(result):
    lines = gate_formats.render(result, "github").splitlines()
    assert lines == [
        "::error file=stacks/net.py,line=42,title=SAHAB-NET-001 Title%2C with%3A punctuation::"
        "[violation] 100%25 open\\x0a::add-mask::x (" + LONG_URN + ")",  # the newline shown, not a line of its own
        "::warning file=Pulumi.prod.yaml,line=1,title=SAHAB-NET-001 Title%2C with%3A punctuation::"
        "[violation] loud (urn:pulumi:prod::p::t::adv)",
        "::notice file=Pulumi.prod.yaml,line=1,title=SAHAB-NET-001 Title%2C with%3A punctuation::"
        "[deferred] maybe open (urn:pulumi:prod::p::t::d)",
        "sahab gate p/prod: FAIL: 1 blocking finding(s)",
    ]
    # a newline in a message can never start a second workflow command
    assert sum(line.startswith("::") for line in lines) == 3


def test_github_escaping_rules():
    assert escape_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert escape_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"


def test_gitlab_code_quality_report(result):
    issues = json.loads(gate_formats.render(result, "gitlab"))
    assert [(i["check_name"], i["severity"], i["location"]) for i in issues] == [
        ("SAHAB-NET-001", "blocker", {"path": "stacks/net.py", "lines": {"begin": 42}}),
        ("SAHAB-NET-001", "minor", {"path": "Pulumi.prod.yaml", "lines": {"begin": 1}}),
        ("SAHAB-NET-001", "info", {"path": "Pulumi.prod.yaml", "lines": {"begin": 1}}),
    ]
    assert issues[0]["description"] == "[violation] 100% open\\x0a::add-mask::x (" + LONG_URN + ")"
    assert all(set(i) == {"description", "check_name", "fingerprint", "severity", "location"} for i in issues)
    # GitLab keeps one issue per fingerprint: unique per finding, and the same one SARIF carries
    assert len({i["fingerprint"] for i in issues}) == 3
    sarif = json.loads(gate_formats.render(result, "sarif"))
    assert {r["partialFingerprints"]["sahabFinding/v1"] for r in sarif["runs"][0]["results"]} == {
        i["fingerprint"] for i in issues} == {fingerprint(f) for f in result.findings}


def test_console_in_a_ci_log_never_wraps_and_gives_each_finding_two_lines(result):
    buffer = io.StringIO()
    console = Console(file=buffer, width=80)  # a file is not a terminal: what a CI log gets
    assert not console.is_terminal
    render_console(result, console)
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 1 + 2 * 3 + 3  # title, two lines per finding, totals, the deferred rules, verdict
    assert lines[8].startswith("1 mandatory rule(s) deferred (SAHAB-NET-001): ") and len(lines[8]) > 80
    assert lines[1].startswith("FAIL      SAHAB-NET-001  mandatory/high  %s (" % LONG_URN.split("::")[-1])
    assert lines[2] == "          stacks/net.py:42: 100% open\\x0a::add-mask::x"
    assert [line[:9].strip() for line in lines[1:7:2]] == ["FAIL", "ADVISORY", "DEFERRED"]
    assert all(line.startswith("          ") for line in lines[2:7:2])
    assert lines[-1] == "FAIL: 1 mandatory finding(s) block the deploy"


@pytest.mark.parametrize("formats, outs, message", [
    (["sarif", "markdown"], [], "error: 2 report formats but no --out: only one report can go to stdout "
                                "(give one --out per --format, in the same order (- for stdout))"),
    (["sarif", "markdown"], ["a.sarif"], "error: 2 --format but 1 --out "
                                         "(give one --out per --format, in the same order (- for stdout))"),
    (["sarif", "json"], ["-", "-"], "error: more than one report for stdout (--out -) (write all but one to files)"),
    (["sarif", "json"], ["r", "r"], "error: two reports would be written to the same --out file (give each report its own file)"),
])
def test_ambiguous_report_pairings_are_refused(formats, outs, message):
    with pytest.raises(UsageError) as raised:
        report_targets(formats, [Path(o) for o in outs])
    assert "error: " + raised.value.one_line() == message


def test_formats_and_outs_pair_by_position(tmp_path: Path):
    assert report_targets([], []) == [ReportTarget("console")]
    assert report_targets(["sarif"], []) == [ReportTarget("sarif")]
    assert report_targets([], [tmp_path / "c.txt"]) == [ReportTarget("console", tmp_path / "c.txt")]
    assert report_targets(["console", "sarif"], [Path("-"), tmp_path / "s"]) == [
        ReportTarget("console"), ReportTarget("sarif", tmp_path / "s")]


def test_write_reports_renders_one_result_into_every_target(result, tmp_path: Path):
    stdout = io.StringIO()
    targets = report_targets(["sarif", "markdown", "gitlab", "github"],
                             [tmp_path / "r.sarif", tmp_path / "s.md", tmp_path / "q.json", Path("-")])
    write_reports(result, targets, stdout=stdout)
    for target in targets[:3]:
        assert target.path.read_text() == gate_formats.render(result, target.fmt)
    assert stdout.getvalue() == gate_formats.render(result, "github")


@pytest.fixture(scope="module")
def offshore(tmp_path_factory) -> Path:
    return write_project(tmp_path_factory.mktemp("offshore-reports"), PROGRAM, name="offshore")


def test_cli_writes_several_reports_of_one_run_and_soft_fails(sahab_cli, offshore: Path, tmp_path: Path):
    result = sahab_cli(["gate", str(offshore), "--stack", "dev", "--no-checkov", "--soft-fail",
                        "-f", "sarif", "-o", str(tmp_path / "gate.sarif"), "-f", "markdown", "-o", str(tmp_path / "summary.md"),
                        "-f", "junit", "-o", str(tmp_path / "junit.xml"), "-f", "gitlab", "-o", str(tmp_path / "cq.json"),
                        "-f", "github", "-o", "-"])
    assert result.returncode == 0, result.stderr
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert any("title=SAHAB-RES-001 " in line for line in errors)
    assert result.stdout.splitlines()[-1].startswith("sahab gate offshore/dev: FAIL (soft-fail, exit 0): ")
    sarif = json.loads((tmp_path / "gate.sarif").read_text())
    issues = json.loads((tmp_path / "cq.json").read_text())
    # one evaluation: every report carries the same findings
    assert sorted(r["partialFingerprints"]["sahabFinding/v1"] for r in sarif["runs"][0]["results"]) == sorted(
        i["fingerprint"] for i in issues)
    assert len(errors) == sum(1 for i in issues if i["severity"] == "blocker") > 0
    assert "(soft-fail, exit 0)" in (tmp_path / "summary.md").read_text()
    assert "<testsuites" in (tmp_path / "junit.xml").read_text()


def test_cli_baseline_then_gate_blocks_only_new_findings(sahab_cli, offshore: Path, tmp_path: Path):
    baseline = tmp_path / "baseline.json"
    created = sahab_cli(["gate", str(offshore), "--stack", "dev", "--no-checkov", "--format", "json",
                         "--create-baseline", str(baseline)])
    assert created.returncode == 0, created.stderr
    recorded = json.loads(baseline.read_text())["findings"]
    assert created.stderr.strip().endswith("baseline written to %s: %d finding(s) recorded by rule and URN; exit 0 "
                                           "(--create-baseline)" % (baseline, len(recorded)))
    assert json.loads(created.stdout)["summary"]["verdict"] == "fail"  # the report still tells the truth
    gated = sahab_cli(["gate", str(offshore), "--stack", "dev", "--no-checkov", "--format", "json", "--baseline", str(baseline)])
    assert gated.returncode == 0, gated.stderr
    summary = json.loads(gated.stdout)["summary"]
    assert (summary["verdict"], summary["baselined"], summary["blocking"]) == ("pass", len(recorded), 0)


def test_cli_skip_rule_typo_is_exit_2_in_one_line(sahab_cli, offshore: Path):
    result = sahab_cli(["gate", str(offshore), "--stack", "dev", "--no-checkov", "--skip-rule", "SAHAB-RES-0O1"])
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --skip-rule / gate.skip_rules: 'SAHAB-RES-0O1' matches no sahab rule and is not a checkov check id "
        "(`sahab policy list` lists sahab's rule ids; checkov's look like CKV_K8S_16)"]
