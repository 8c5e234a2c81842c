"""Rule selection (--rule/--skip-rule, enforcement disabled), the severity threshold and soft-fail."""
from __future__ import annotations

import datetime
import io
import json
import xml.etree.ElementTree as ET
from concurrent.futures import Future
from pathlib import Path

import pytest
from rich.console import Console

from sahab.errors import ConfigError
from sahab.gate.config import GateConfig, load_gate_config
from sahab.gate.engines.base import EngineError
from sahab.gate.findings import Finding, GateResult
from sahab.gate.rules import load_bundle
from sahab.gate.run import gate_plan
from sahab.reports import gate_formats
from sahab.reports.evidence import evidence
from sahab.reports.gate_console import render_console

from test_gate_core import OPEN_PORT_BODY, _plan, header, open_port_header
from test_reports import sarif_schema_errors

TODAY = datetime.date(2026, 12, 3)


def rule(title: str, rule_id: str, package: str, field: str, severity: str) -> str:
    return header(title, rule_id).replace("severity: high", "severity: %s" % severity) + (
        "package sahab.rules.%s\n\nimport rego.v1\n\n"
        "deny contains {\"urn\": r.urn, \"type\": r.type, \"message\": \"%s\"} if {\n"
        "\tsome r in input.resources\n\tr.inputs.%s == true\n}\n" % (package, field, field))


@pytest.fixture(scope="module")
def bundle_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("selection-policies")
    (root / "network").mkdir()
    (root / "encryption").mkdir()
    (root / "network" / "open_port.rego").write_text(open_port_header() + OPEN_PORT_BODY)
    (root / "network" / "weak.rego").write_text(rule("Weak", "SAHAB-NET-903", "network.weak", "weak", "low"))
    (root / "encryption" / "plain.rego").write_text(rule("Plain", "SAHAB-ENC-904", "encryption.plain", "plain", "critical"))
    return root


@pytest.fixture(scope="module")
def bundle(bundle_root: Path):
    return load_bundle(bundle_root)


PLAN = _plan(("a", {"open": True}), ("w", {"weak": True}), ("p", {"plain": True}))


def _statuses(result: GateResult):
    return sorted((f.rule_id, f.status, f.urn.split("::")[-1]) for f in result.findings)


def test_skip_rule_glob_leaves_the_rules_out_and_names_them(bundle):
    result = gate_plan(PLAN, GateConfig(skip_rules=("SAHAB-NET-*",)), bundle=bundle, today=TODAY)
    assert _statuses(result) == [("SAHAB-ENC-904", "violation", "p")]
    assert result.rules_skipped == ["SAHAB-NET-901", "SAHAB-NET-903"]
    assert "SAHAB-NET-901" not in result.rules_evaluated and "SAHAB-ENC-904" in result.rules_evaluated
    document = json.loads(gate_formats.render(result, "json"))
    assert document["summary"]["skipped_rules"] == ["SAHAB-NET-901", "SAHAB-NET-903"]
    junit = ET.fromstring(gate_formats.render(result, "junit")).find("testsuite")
    assert [case.get("name") for case in junit.findall("testcase") if case.find("skipped") is not None] == [
        "SAHAB-NET-901", "SAHAB-NET-903"]
    assert junit.get("skipped") == "2"
    assert "skipped 2 rule(s), not evaluated: SAHAB-NET-901, SAHAB-NET-903" in gate_formats.render(result, "console")
    outcomes = {rule["rule"]: rule["result"] for control in evidence(result, bundle.rules)["controls"] for rule in control["rules"]}
    assert outcomes == {"SAHAB-NET-901": "skipped", "SAHAB-NET-903": "skipped", "SAHAB-ENC-904": "fail"}
    sarif = json.loads(gate_formats.render(result, "sarif"))
    assert sarif["runs"][0]["properties"]["skippedRules"] == ["SAHAB-NET-901", "SAHAB-NET-903"]
    assert sarif_schema_errors(sarif) == []


def test_rule_globs_select_only_those_rules(bundle):
    result = gate_plan(PLAN, GateConfig(rules=("SAHAB-ENC-*", "SAHAB-NET-903")), bundle=bundle, today=TODAY)
    assert _statuses(result) == [("SAHAB-ENC-904", "violation", "p"), ("SAHAB-NET-903", "violation", "w")]
    assert result.rules_skipped == ["SAHAB-NET-901"]


def test_a_skipped_rule_is_not_evaluated_so_even_a_broken_one_cannot_stop_the_gate(bundle_root: Path, tmp_path: Path):
    root = tmp_path / "policies"
    root.mkdir()
    for path in bundle_root.rglob("*.rego"):
        target = root / path.relative_to(bundle_root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text())
    (root / "network" / "broken.rego").write_text(
        header("Broken", "SAHAB-NET-999") + "package sahab.rules.network.broken\n\nimport rego.v1\n\n"
        "deny contains \"not a finding\" if { some r in input.resources; r.inputs.open }\n")
    broken = load_bundle(root)
    with pytest.raises(EngineError, match="SAHAB-NET-999 returned a malformed finding"):
        gate_plan(PLAN, GateConfig(), bundle=broken, today=TODAY)
    result = gate_plan(PLAN, GateConfig(skip_rules=("SAHAB-NET-999",)), bundle=broken, today=TODAY)
    assert result.rules_skipped == ["SAHAB-NET-999"] and result.exit_code == 1


def test_enforcement_disabled_in_config_skips_the_rule(bundle, tmp_path: Path):
    (tmp_path / "sahab.yaml").write_text("gate:\n  enforcement: {SAHAB-ENC-904: disabled, SAHAB-NET-903: advisory}\n")
    config = load_gate_config(tmp_path)
    assert config.disabled_rules == ("SAHAB-ENC-904",)
    result = gate_plan(PLAN, config, bundle=bundle, today=TODAY)
    assert result.rules_skipped == ["SAHAB-ENC-904"]
    assert [(f.rule_id, f.enforcement) for f in result.sorted_findings()] == [
        ("SAHAB-NET-901", "mandatory"), ("SAHAB-NET-903", "advisory")]


@pytest.mark.parametrize("config, message", [
    (GateConfig(skip_rules=("SAHAB-NET-9O1",)),
     "--skip-rule / gate.skip_rules: 'SAHAB-NET-9O1' matches no sahab rule and is not a checkov check id "
     "(`sahab policy list` lists sahab's rule ids; checkov's look like CKV_K8S_16)"),
    (GateConfig(rules=("ckv_k8s_16",)),
     "--rule / gate.rules: 'ckv_k8s_16' matches no sahab rule and is not a checkov check id "
     "(`sahab policy list` lists sahab's rule ids; checkov's look like CKV_K8S_16)"),
    (GateConfig(enforcement={"SAHAB-ENC-905": "disabled"}),
     "gate.enforcement (disabled): 'SAHAB-ENC-905' matches no sahab rule and is not a checkov check id "
     "(`sahab policy list` lists sahab's rule ids; checkov's look like CKV_K8S_16)"),
    (GateConfig(skip_rules=("SAHAB-PLN-001",)),
     "--skip-rule / gate.skip_rules: SAHAB-PLN-001 reports what the gate cannot see and cannot be skipped or "
     "disabled (waive its findings after review (docs/gate.md))"),
])
def test_a_pattern_that_selects_nothing_is_a_config_error(bundle, config, message):
    with pytest.raises(ConfigError) as raised:
        gate_plan(PLAN, config, bundle=bundle, today=TODAY)
    assert raised.value.one_line() == message and raised.value.exit_code == 2


def test_visibility_rules_stay_on_under_any_glob(bundle):
    plan = _plan(("a", {"open": True}))
    plan["resources"].append({"urn": "urn:pulumi:dev::p::x:y:Component::mlc", "type": "x:y:Component", "name": "mlc",
                              "inputs": {}, "opaque": True})
    for config in (GateConfig(skip_rules=("SAHAB-*",)), GateConfig(rules=("SAHAB-ENC-*",))):
        result = gate_plan(plan, config, bundle=bundle, today=TODAY)
        assert ("SAHAB-PLN-001", "unchecked", "mlc") in _statuses(result)
        assert "SAHAB-PLN-001" not in result.rules_skipped and result.exit_code == 1


def _checkov(findings):
    def start(plan, project_dir, **options):
        future: Future = Future()
        future.set_result(list(findings))
        return future
    return start


def _checkov_finding(check_id: str) -> Finding:
    return Finding(rule_id=check_id, engine="checkov", severity="high", enforcement="mandatory", status="violation",
                   urn="urn:pulumi:dev::p::x:y:Z::a", resource_type="x:y:Z", message="%s failed" % check_id)


def test_checkov_checks_follow_the_same_globs(bundle, tmp_path: Path):
    scan = _checkov([_checkov_finding("CKV_K8S_16"), _checkov_finding("CKV_K8S_20"), _checkov_finding("CKV2_K8S_6")])
    result = gate_plan(PLAN, GateConfig(skip_rules=("CKV_K8S_*",), rules=("SAHAB-NET-901", "CKV*")), bundle=bundle,
                       today=TODAY, project_dir=tmp_path, checkov=scan)
    assert sorted({f.rule_id for f in result.findings}) == ["CKV2_K8S_6", "SAHAB-NET-901"]
    assert result.rules_skipped == ["CKV_K8S_16", "CKV_K8S_20", "SAHAB-ENC-904", "SAHAB-NET-903"]


def test_severity_threshold_blocks_only_at_or_above_it(bundle):
    plan = _plan(("a", {"open": True}), ("w", {"weak": True}))
    high = gate_plan(plan, GateConfig(severity_threshold="high"), bundle=bundle, today=TODAY)
    assert [f.rule_id for f in high.blocking] == ["SAHAB-NET-901"] and high.exit_code == 1
    critical = gate_plan(plan, GateConfig(severity_threshold="critical"), bundle=bundle, today=TODAY)
    assert critical.blocking == [] and critical.exit_code == 0
    assert critical.count("violation") == 2  # reported, not blocking
    text = gate_formats.render(critical, "console")
    assert "severity threshold critical: findings below it are reported, not blocking" in text


def test_threshold_never_lets_an_unchecked_part_or_an_unknown_severity_through():
    def finding(status: str, severity: str) -> Finding:
        return Finding(rule_id="R", engine="sahab", severity=severity, enforcement="mandatory", status=status,
                       urn="u", resource_type="t", message="m")
    result = GateResult(project="p", stack="s", severity_threshold="critical")
    assert result.is_blocking(finding("unchecked", "low"))
    assert result.is_blocking(finding("violation", "severe"))  # no severity sahab knows: fail closed
    assert not result.is_blocking(finding("violation", "high"))


def test_soft_fail_reports_the_failure_and_exits_0(bundle):
    result = gate_plan(PLAN, GateConfig(soft_fail=True), bundle=bundle, today=TODAY)
    assert (result.failed, result.exit_code, len(result.blocking)) == (True, 0, 3)
    assert json.loads(gate_formats.render(result, "json"))["summary"]["verdict"] == "fail"
    buffer = io.StringIO()
    render_console(result, Console(file=buffer, width=80))
    assert buffer.getvalue().splitlines()[-1] == "FAIL (soft-fail, exit 0): 3 mandatory finding(s) would block the deploy"
    assert "**FAIL** (soft-fail, exit 0): 3 mandatory finding(s) would block the deploy" in gate_formats.render(result, "markdown")


def test_selection_settings_in_sahab_yaml(tmp_path: Path):
    (tmp_path / "sahab.yaml").write_text(
        "gate:\n  rules: [SAHAB-*]\n  skip_rules: [CKV_K8S_43]\n  severity_threshold: high\n  soft_fail: true\n"
        "  baseline: ci/baseline.json\n")
    config = load_gate_config(tmp_path)
    assert (config.rules, config.skip_rules, config.severity_threshold, config.soft_fail, config.baseline) == (
        ("SAHAB-*",), ("CKV_K8S_43",), "high", True, tmp_path / "ci" / "baseline.json")
    flags = config.with_overrides(rules=None, skip_rules=("SAHAB-NET-*",), soft_fail=False)
    assert (flags.rules, flags.skip_rules, flags.soft_fail) == (("SAHAB-*",), ("SAHAB-NET-*",), False)


@pytest.mark.parametrize("setting, message", [
    ("skip_rules: SAHAB-NET-001", "gate.skip_rules must be a list of rule ids or globs (e.g. [SAHAB-NET-*, CKV_K8S_16])"),
    ("rules: ['']", "gate.rules must be a list of rule ids or globs (e.g. [SAHAB-NET-*, CKV_K8S_16])"),
    ("severity_threshold: severe", "gate.severity_threshold 'severe' is not one of low|medium|high|critical (e.g. severity_threshold: high)"),
    ("soft_fail: 'yes'", "gate.soft_fail must be true or false, not 'yes' (e.g. soft_fail: true)"),
    ("baseline: [a]", "gate.baseline must be a file path (e.g. baseline: baseline.json)"),
    ("enforcement: {SAHAB-NET-001: off}", "gate.enforcement maps rule ids to advisory|mandatory|disabled (e.g. {SAHAB-NET-007: advisory})"),
])
def test_bad_selection_settings_are_one_line_config_errors(tmp_path: Path, setting, message):
    (tmp_path / "sahab.yaml").write_text("gate:\n  %s\n" % setting)
    with pytest.raises(ConfigError) as raised:
        load_gate_config(tmp_path)
    assert raised.value.one_line() == "%s: %s" % (tmp_path / "sahab.yaml", message)
