"""Governance of relaxations: blanket waivers need `scope: all`; what a project's sahab.yaml relaxes
is named in every report, and a trusted configuration can forbid it (docs/gate.md#relaxations)."""
from __future__ import annotations

import datetime
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console

from sahab.api import gate_saved_plan, run_gate
from sahab.errors import ConfigError
from sahab.gate.checkov import load_mandatory
from sahab.gate.config import GateConfig, load_gate_config
from sahab.gate.relaxations import load_trusted_config
from sahab.gate.rules import load_bundle
from sahab.gate.run import gate_plan
from sahab.gate.waivers import load_waivers
from sahab.planner.document import dumps, plan_document
from sahab.reports import gate_formats
from sahab.reports.escape import markdown_text
from sahab.reports.gate_console import render_console

from test_gate_core import OPEN_PORT_BODY, _plan, open_port_header
from test_reports import sarif_schema_errors
from test_selection import rule
from program_projects import write_project

TODAY = datetime.date(2026, 12, 3)
WAIVER = "{rule: SAHAB-NET-901, urn: '%s', reason: r, approver: a, expires: 2027-01-01%s}"
FIX = "(add `scope: all` to the entry after review, or narrow its urn to the resources reviewed)"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    root = tmp_path_factory.mktemp("governance-policies")
    (root / "network").mkdir()
    (root / "encryption").mkdir()
    (root / "network" / "open_port.rego").write_text(open_port_header() + OPEN_PORT_BODY)
    (root / "network" / "weak.rego").write_text(rule("Weak", "SAHAB-NET-903", "network.weak", "weak", "low"))
    (root / "encryption" / "plain.rego").write_text(rule("Plain", "SAHAB-ENC-904", "encryption.plain", "plain", "critical"))
    return load_bundle(root)


def _waivers(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers:\n" + "".join("  - %s\n" % entry for entry in entries))
    return path


# --- blanket waivers -------------------------------------------------------------------------

@pytest.mark.parametrize("urn", ["*", "urn:pulumi:*", "*::*", "urn:pulumi:*::*::*"])
def test_a_waiver_for_any_urn_needs_scope_all(tmp_path: Path, urn: str):
    with pytest.raises(ConfigError) as raised:
        load_waivers(_waivers(tmp_path, WAIVER % (urn, "")), TODAY)
    assert raised.value.one_line() == (
        "waivers.yaml waiver #1 (SAHAB-NET-901, urn %r) waives every resource: a blanket waiver needs `scope: all` %s"
        % (urn, FIX))
    assert raised.value.exit_code == 2
    waiver, = load_waivers(_waivers(tmp_path, WAIVER % (urn, ", scope: all")), TODAY)
    assert waiver.scope == "all" and waiver.describe()["scope"] == "all"


def test_a_scope_other_than_all_is_refused(tmp_path: Path):
    with pytest.raises(ConfigError) as raised:
        load_waivers(_waivers(tmp_path, WAIVER % ("*::a", ", scope: some")), TODAY)
    assert raised.value.one_line() == ("waivers.yaml waiver #1 has scope 'some'; the only scope is `all` "
                                       "(write `scope: all` for a reviewed blanket waiver, or drop the field)")


def test_a_glob_matching_every_resource_of_the_rule_in_the_plan_needs_scope_all(bundle, tmp_path: Path):
    plan = _plan(("a1", {"open": True}), ("a2", {"open": True}))
    config = GateConfig(waivers=_waivers(tmp_path, WAIVER % ("*::a*", "")))
    with pytest.raises(ConfigError) as raised:
        gate_plan(plan, config, bundle=bundle, today=TODAY)
    assert raised.value.one_line() == (
        "waivers.yaml waiver #1 (SAHAB-NET-901, urn '*::a*') matches every resource of its rule in this plan (2): "
        "a blanket waiver needs `scope: all` " + FIX)
    # The same glob on a plan where the rule has a resource it does not match names resources, not the rule.
    wider = _plan(("a1", {"open": True}), ("a2", {"open": True}), ("b1", {"open": False}))
    narrow = gate_plan(wider, config, bundle=bundle, today=TODAY)
    assert sorted((f.urn.split("::")[-1], f.status) for f in narrow.findings) == [("a1", "waived"), ("a2", "waived")]
    # Reviewed as a blanket waiver: applies, and the reports carry its scope.
    scoped = gate_plan(plan, GateConfig(waivers=_waivers(tmp_path, WAIVER % ("*::a*", ", scope: all"))), bundle=bundle, today=TODAY)
    assert {f.status for f in scoped.findings} == {"waived"} and scoped.exit_code == 0
    assert {f["waiver"]["scope"] for f in json.loads(gate_formats.render(scoped, "json"))["findings"]} == {"all"}


def test_one_resource_named_by_its_name_is_not_blanket_but_any_name_is(bundle, tmp_path: Path):
    plan = _plan(("a", {"open": True}))
    named = gate_plan(plan, GateConfig(waivers=_waivers(tmp_path, WAIVER % ("urn:pulumi:*::p::x:y:Z::a", ""))),
                      bundle=bundle, today=TODAY)
    assert [f.status for f in named.findings] == ["waived"]
    with pytest.raises(ConfigError, match=r"urn 'urn:pulumi:dev::p::x:y:Z::\*'\) matches every resource of its rule in this plan \(1\)"):
        gate_plan(plan, GateConfig(waivers=_waivers(tmp_path, WAIVER % ("urn:pulumi:dev::p::x:y:Z::*", ""))),
                  bundle=bundle, today=TODAY)


# --- relaxations in sahab.yaml ---------------------------------------------------------------

RELAXING = """gate:
  enforcement: {SAHAB-NET-901: advisory, SAHAB-ENC-904: disabled, SAHAB-NET-903: mandatory, SAHAB-PLN-001: advisory}
  skip_rules: [SAHAB-NET-903, CKV_K8S_43]
  soft_fail: true
  severity_threshold: high
  checkov: {enabled: false}
"""
RELAXED_LINE = ("this project relaxes 5 rule(s) (sahab.yaml): CKV_K8S_43 (skipped (gate.skip_rules)), SAHAB-ENC-904 "
                "(disabled), SAHAB-NET-901 (mandatory -> advisory), SAHAB-NET-903 (skipped (gate.skip_rules)), "
                "SAHAB-PLN-001 (mandatory -> advisory); "
                "settings: gate.checkov.enabled: false, gate.soft_fail: true, gate.severity_threshold: high")
PLAN = _plan(("a", {"open": True}), ("w", {"weak": True}), ("p", {"plain": True}))


def _project(tmp_path: Path, config_text: str) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "sahab.yaml").write_text(config_text)
    return project


def _trusted(tmp_path: Path, value: str = "forbid") -> Path:
    folder = tmp_path / "ci"
    folder.mkdir(exist_ok=True)
    path = folder / "trusted.yaml"
    path.write_text("governance:\n  project_relaxations: %s\n" % value)
    return path


def test_every_report_names_what_the_project_relaxes(bundle, tmp_path: Path):
    project = _project(tmp_path, RELAXING)
    result = gate_plan(PLAN, load_gate_config(project), project_dir=project, bundle=bundle, today=TODAY)
    assert result.relaxations is not None and result.relaxations.line() == RELAXED_LINE
    buffer = io.StringIO()
    render_console(result, Console(file=buffer, width=400, no_color=True))
    assert RELAXED_LINE in buffer.getvalue().splitlines()
    summary = json.loads(gate_formats.render(result, "json"))["summary"]["project_relaxations"]
    assert summary["source"] == "sahab.yaml" and len(summary["rules"]) == 5
    assert {"rule": "SAHAB-NET-901", "change": "mandatory -> advisory"} in summary["rules"]
    assert summary["settings"] == ["gate.checkov.enabled: false", "gate.soft_fail: true", "gate.severity_threshold: high"]
    sarif = json.loads(gate_formats.render(result, "sarif"))
    assert sarif["runs"][0]["properties"]["projectRelaxations"] == summary and sarif_schema_errors(sarif) == []
    suite = ET.fromstring(gate_formats.render(result, "junit")).find("testsuite")
    assert suite[0].tag == "properties"
    assert [(p.get("name"), p.get("value")) for p in suite[0]] == [("sahab.project_relaxations", RELAXED_LINE)]
    assert "- " + markdown_text(RELAXED_LINE) in gate_formats.render(result, "markdown").splitlines()
    github = gate_formats.render(result, "github").splitlines()
    assert github[-2] == "::warning title=sahab%3A project relaxations::" + RELAXED_LINE
    gitlab = json.loads(gate_formats.render(result, "gitlab"))
    assert gitlab[-1]["check_name"] == "sahab-project-relaxations" and gitlab[-1]["description"] == RELAXED_LINE
    assert gitlab[-1]["location"] == {"path": "sahab.yaml", "lines": {"begin": 1}}


def test_a_clean_config_relaxes_nothing_and_a_flag_that_overrides_a_setting_removes_it(bundle, tmp_path: Path):
    project = _project(tmp_path, "gate:\n  enforcement: {SAHAB-NET-903: mandatory}\n  severity_threshold: low\n")
    clean = gate_plan(PLAN, load_gate_config(project), project_dir=project, bundle=bundle, today=TODAY)
    assert clean.relaxations is None
    assert json.loads(gate_formats.render(clean, "json"))["summary"]["project_relaxations"] is None
    assert "projectRelaxations" not in json.loads(gate_formats.render(clean, "sarif"))["runs"][0]["properties"]
    assert "relaxes" not in gate_formats.render(clean, "console") + gate_formats.render(clean, "github")
    (project / "sahab.yaml").write_text("gate:\n  soft_fail: true\n  skip_rules: [SAHAB-NET-903]\n")
    overridden = load_gate_config(project).with_overrides(soft_fail=False, skip_rules=("SAHAB-ENC-904",))
    result = gate_plan(PLAN, overridden, project_dir=project, bundle=bundle, today=TODAY)
    assert result.relaxations is None  # the flags (CI's) replaced both settings


def test_dropping_a_curated_checkov_check_from_the_mandatory_list_is_a_relaxation(bundle, tmp_path: Path):
    curated = sorted(load_mandatory())
    kept, dropped = curated[1:], curated[0]
    project = _project(tmp_path, "gate:\n  checkov:\n    mandatory: [%s]\n    enabled: true\n" % ", ".join(kept))
    result = gate_plan(PLAN, load_gate_config(project), project_dir=project, bundle=bundle, today=TODAY)
    assert result.relaxations.rules == ((dropped, "mandatory -> advisory (gate.checkov.mandatory)"),)


def test_a_trusted_config_forbids_project_relaxations(bundle, tmp_path: Path):
    project = _project(tmp_path, RELAXING)
    trusted = load_trusted_config(_trusted(tmp_path))
    with pytest.raises(ConfigError) as raised:
        gate_plan(PLAN, load_gate_config(project), project_dir=project, bundle=bundle, today=TODAY, trusted=trusted)
    assert raised.value.exit_code == 2
    assert raised.value.one_line() == (
        "sahab.yaml relaxes the gate, which the trusted configuration %s forbids: %s "
        "(remove these settings from sahab.yaml (governance.project_relaxations: forbid))"
        % (trusted.path, RELAXED_LINE.split(": ", 1)[1].replace("; settings: ", ", ")))
    # report (the default) lets it through, named; a clean project passes under forbid.
    reported = gate_plan(PLAN, load_gate_config(project), project_dir=project, bundle=bundle, today=TODAY,
                         trusted=load_trusted_config(_trusted(tmp_path, "report")))
    assert reported.relaxations.line() == RELAXED_LINE
    (project / "sahab.yaml").write_text("gate:\n  enforcement: {SAHAB-NET-903: mandatory}\n")
    assert gate_plan(PLAN, load_gate_config(project), project_dir=project, bundle=bundle, today=TODAY,
                     trusted=trusted).exit_code == 1


def test_a_trusted_config_inside_the_project_or_malformed_is_refused(bundle, tmp_path: Path):
    project = _project(tmp_path, "gate: {}\n")
    inside = project / "trusted.yaml"
    inside.write_text("governance: {project_relaxations: forbid}\n")
    with pytest.raises(ConfigError, match="is inside the project's repository .* which a pull request can change"):
        gate_plan(PLAN, load_gate_config(project), project_dir=project, bundle=bundle, today=TODAY,
                  trusted=load_trusted_config(inside))
    for text, message in (("gate: {}\n", "must hold only a `governance:` mapping"),
                          ("governance: {project_relaxations: never}\n", "is 'never', not forbid or report"),
                          ("governance: {allow: [x]}\n", "unknown governance setting(s) allow")):
        path = _trusted(tmp_path)
        path.write_text(text)
        with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
            load_trusted_config(path)


def test_run_gate_refuses_before_the_program_runs(tmp_path: Path):
    project = _project(tmp_path, "gate:\n  soft_fail: true\n")
    write_project(project, "open(%r, 'w').write('ran')\n" % str(tmp_path / "ran"), "config: {}\n", name="relaxed")
    with pytest.raises(ConfigError, match="sahab.yaml relaxes the gate, which the trusted configuration .* forbids: "
                                          "gate.soft_fail: true"):
        run_gate(project, "dev", trusted=load_trusted_config(_trusted(tmp_path)))
    assert not (tmp_path / "ran").exists()


def test_the_cli_reads_the_trusted_config_from_the_environment(tmp_path: Path):
    project = _project(tmp_path, "gate:\n  soft_fail: true\n")
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(dumps(plan_document(project="p", stack="dev", stack_urn=None, config={}, resources=[],
                                             outputs={}, diagnostics=[])))
    with pytest.raises(ConfigError):  # the library: the same refusal
        gate_saved_plan(plan_file, load_gate_config(project), project_dir=project,
                        trusted=load_trusted_config(_trusted(tmp_path)))
    env = dict(os.environ, SAHAB_TRUSTED_CONFIG=str(_trusted(tmp_path)))
    completed = subprocess.run([sys.executable, "-m", "sahab.cli", "gate", str(project), "--plan", str(plan_file),
                                "--no-checkov"], capture_output=True, text=True, env=env, check=False, timeout=120)
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert completed.stderr.strip() == (
        "error: sahab.yaml relaxes the gate, which the trusted configuration %s forbids: gate.soft_fail: true "
        "(remove these settings from sahab.yaml (governance.project_relaxations: forbid))" % _trusted(tmp_path))
