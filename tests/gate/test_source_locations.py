"""Findings point at the program line that registered the resource, in every report.

The fixture is a monorepo: a git repository whose Pulumi project sits in ``infra/stacks/prod``,
with a component library elsewhere in the same repository (``infra/lib``) and a library under a
``site-packages`` folder (as if installed). Three buckets outside the UAE break the residency
rule: one made by the program itself, one inside the in-repo component, one inside the
installed library.
"""
from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Dict

import jsonschema
import pytest

from sahab.api import run_gate
from sahab.gate.checkov.engine import Record, ScanOutcome, to_findings
from sahab.gate.checkov.manifests import Inputs
from sahab.gate.config import GateConfig
from sahab.gate.findings import Finding
from sahab.gate.locations import locate
from sahab.planner import dumps, plan_project
from sahab.planner.sources import repository_root
from sahab.reports import gate_formats
from sahab.reports.markdown import resolve_link_base

from test_reports import sarif_schema_errors

PROJECT = "infra/stacks/prod"
RULE = "SAHAB-RES-001"
SCHEMA = Path(__file__).resolve().parents[2] / "src" / "sahab" / "planner" / "plan.schema.json"

PROGRAM = '''import os
import sys

import pulumi
import pulumi_aws as aws

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", ".."), os.path.join(HERE, "vendor", "site-packages")]

from lib.storage import OffshoreStore  # noqa: E402
from vendored import offshore_bucket  # noqa: E402

uae = aws.Provider("uae", region="me-central-1")
aws.s3.Bucket("direct", region="eu-west-1", opts=pulumi.ResourceOptions(provider=uae))
OffshoreStore("library", opts=pulumi.ResourceOptions(providers=[uae]))
offshore_bucket("installed", uae)
'''

LIBRARY = '''import pulumi
import pulumi_aws as aws


class OffshoreStore(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("acme:lib:OffshoreStore", name, None, opts)
        self.bucket = aws.s3.Bucket(name, region="eu-west-2", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})
'''

INSTALLED = '''import pulumi
import pulumi_aws as aws


def offshore_bucket(name, provider):
    return aws.s3.Bucket(name, region="eu-west-3", opts=pulumi.ResourceOptions(provider=provider))
'''


def line_of(text: str, needle: str) -> int:
    [number] = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return number


# Where each offshore bucket must be reported: the program's own line, the in-repo component's
# line, and for the installed library the program's call into it.
EXPECTED = {
    "direct": ("%s/__main__.py" % PROJECT, line_of(PROGRAM, 'aws.s3.Bucket("direct"')),
    "library": ("infra/lib/storage.py", line_of(LIBRARY, "self.bucket = aws.s3.Bucket(")),
    "installed": ("%s/__main__.py" % PROJECT, line_of(PROGRAM, 'offshore_bucket("installed"')),
}


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("monorepo")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    project = repo / PROJECT
    (project / "vendor" / "site-packages" / "vendored").mkdir(parents=True)
    (repo / "infra" / "lib").mkdir(parents=True)
    (repo / "infra" / "lib" / "__init__.py").write_text("")
    (repo / "infra" / "lib" / "storage.py").write_text(LIBRARY)
    (project / "vendor" / "site-packages" / "vendored" / "__init__.py").write_text(INSTALLED)
    (project / "Pulumi.yaml").write_text("name: monorepo\nruntime: python\n")
    (project / "Pulumi.prod.yaml").write_text("config:\n  aws:region: me-central-1\n")
    (project / "__main__.py").write_text(PROGRAM)
    return repo


@pytest.fixture(scope="module")
def gated(monorepo: Path):
    return run_gate(monorepo / PROJECT, "prod", GateConfig(checkov_enabled=False))


def offshore_findings(findings) -> Dict[str, Any]:
    return {f.urn.split("::")[-1]: f for f in findings if f.rule_id == RULE and f.resource_type.startswith("aws:s3")}


def test_plan_records_each_resource_line_relative_to_the_repository_root(gated):
    plan = gated.plan
    jsonschema.validate(plan, json.loads(SCHEMA.read_text()))
    assert plan["projectDir"] == PROJECT
    sources = {(r["type"].split(":")[-1], r["name"]): r.get("source") for r in plan["resources"]}
    for name, (file, line) in EXPECTED.items():
        assert sources[("Bucket", name)] == {"file": file, "line": line}, name
    program = "%s/__main__.py" % PROJECT
    assert sources[("OffshoreStore", "library")] == {"file": program, "line": line_of(PROGRAM, 'OffshoreStore("library"')}
    assert sources[("aws", "uae")] == {"file": program, "line": line_of(PROGRAM, 'aws.Provider("uae"')}
    assert "/tmp" not in dumps(plan) and str(Path.home()) not in dumps(plan)  # never an absolute path


def test_plans_stay_byte_identical(monorepo: Path, gated):
    assert dumps(plan_project(monorepo / PROJECT, "prod")) == dumps(gated.plan)


def test_findings_carry_file_and_line(gated):
    found = offshore_findings(gated.result.findings)
    assert {name: (f.file, f.line) for name, f in found.items()} == EXPECTED
    assert all(gated.result.is_blocking(f) for f in found.values())


def test_sarif_points_github_at_the_program_line(sahab_cli, monorepo: Path, tmp_path: Path):
    out = tmp_path / "gate.sarif"
    result = sahab_cli(["gate", str(monorepo / PROJECT), "--stack", "prod", "--no-checkov",
                        "--format", "sarif", "--out", str(out)])
    assert result.returncode == 1, result.stdout + result.stderr
    sarif = json.loads(out.read_text())
    assert sarif_schema_errors(sarif) == []
    located = {}
    for entry in sarif["runs"][0]["results"]:
        [location] = entry["locations"]
        name = location["logicalLocations"][0]["fullyQualifiedName"].split("::")[-1]
        if entry["ruleId"] == RULE and name in EXPECTED:
            physical = location["physicalLocation"]
            assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
            located[name] = (physical["artifactLocation"]["uri"], physical["region"]["startLine"])
    assert located == EXPECTED


def test_console_json_junit_and_markdown_show_the_location(gated):
    direct_file, direct_line = EXPECTED["direct"]
    where = "%s:%d" % (direct_file, direct_line)

    console = gate_formats.render(gated.result, "console")
    assert "          %s: " % where in console

    report = json.loads(gate_formats.render(gated.result, "json"))
    [entry] = [f for f in report["findings"] if f["rule_id"] == RULE and f["urn"].endswith("::direct")]
    assert (entry["file"], entry["line"]) == (direct_file, direct_line)

    suite = ET.fromstring(gate_formats.render(gated.result, "junit")).find("testsuite")
    [case] = [c for c in suite.findall("testcase") if c.get("name").startswith(RULE)]
    failing = case.find("failure").text.splitlines()
    assert any(line.startswith(where + ": urn:pulumi:prod::monorepo::") and line.endswith("::direct: "
               + offshore_findings(gated.result.findings)["direct"].message) for line in failing)
    first = failing[0].split(": ")[0]
    assert "%s:%s" % (case.get("file"), case.get("line")) == first

    base = "https://github.com/acme/infra/blob/0123abc"
    markdown = gate_formats.render(gated.result, "markdown", link_base=base)
    assert "[`%s`](%s/%s#L%d)" % (where, base, direct_file, direct_line) in markdown
    assert "| `%s` |" % where in gate_formats.render(gated.result, "markdown")  # no base: no broken relative link


def test_link_base_comes_from_github_actions_or_must_be_a_url():
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/infra", "GITHUB_SHA": "0123abc"}
    assert resolve_link_base(None, env) == "https://github.com/acme/infra/blob/0123abc"
    assert resolve_link_base(None, {}) is None
    assert resolve_link_base("https://gitlab.example/acme/infra/-/blob/main", env) == "https://gitlab.example/acme/infra/-/blob/main"


def test_a_link_base_that_is_not_a_url_is_a_usage_error(sahab_cli, monorepo: Path):
    result = sahab_cli(["gate", str(monorepo / PROJECT), "--stack", "prod", "--no-checkov", "--format", "markdown",
                        "--link-base", "github.com/acme/infra"])
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --link-base 'github.com/acme/infra' is not an http(s) URL (pass the repository's file view at the "
        "commit, e.g. https://github.com/ORG/REPO/blob/SHA)"]


def _finding(urn: str, file=None, line=None) -> Finding:
    return Finding(rule_id=RULE, engine="regorus", severity="critical", enforcement="mandatory", status="violation",
                   urn=urn, resource_type="aws:s3/bucket:Bucket", message="m", file=file, line=line)


def test_without_a_program_frame_the_finding_points_at_the_stack_config_file():
    plan = {"stack": "prod", "projectDir": PROJECT, "resources": [
        {"urn": "urn:a", "source": {"file": "%s/__main__.py" % PROJECT, "line": 7}},
        {"urn": "urn:b"}]}  # e.g. a plan the CrossGuard adapter built: no sources
    located = locate([_finding("urn:a"), _finding("urn:b"), _finding("urn:gone")], plan)
    assert [(f.file, f.line) for f in located] == [
        ("%s/__main__.py" % PROJECT, 7), ("%s/Pulumi.prod.yaml" % PROJECT, None), ("%s/Pulumi.prod.yaml" % PROJECT, None)]
    # a plan without projectDir (older plans, CrossGuard): the project folder is the root
    assert locate([_finding("urn:b")], {"stack": "dev", "resources": [{"urn": "urn:b"}]})[0].file == "Pulumi.dev.yaml"


def test_checkov_file_findings_keep_their_line_relative_to_the_repository_root():
    raw = {"check_id": "CKV_GHA_7", "check_name": "No workflow_dispatch inputs", "file_path": "/.github/workflows/ci.yml",
           "resource": "on(ci)", "file_line_range": [4, 9]}
    outcome = ScanOutcome([Record(raw, False, source=".github/workflows/ci.yml")], [], 1, 1, 0, "cli")
    [finding] = to_findings(outcome, Inputs(), advisory_only=True)
    assert (finding.file, finding.line) == (".github/workflows/ci.yml", 4)
    [located] = locate([finding], {"stack": "prod", "projectDir": PROJECT, "resources": []})
    assert (located.file, located.line, located.urn) == ("%s/.github/workflows/ci.yml" % PROJECT, 4, "file:.github/workflows/ci.yml")


def test_repository_root_is_found_by_walking_up_for_git(tmp_path: Path):
    worktree = tmp_path / "worktree"
    (worktree / "infra" / "prod").mkdir(parents=True)
    (worktree / ".git").write_text("gitdir: /elsewhere/.git/worktrees/w\n")  # a worktree or submodule
    assert repository_root(worktree / "infra" / "prod") == worktree
    (tmp_path / "plain" / "infra").mkdir(parents=True)
    (tmp_path / "plain" / ".git").write_text("not a git file\n")
    assert repository_root(tmp_path / "plain" / "infra") is None
