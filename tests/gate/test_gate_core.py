"""The gate's core: rules to findings, failing closed, waivers, configuration."""
from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from sahab.errors import ConfigError, UsageError
from sahab.gate.config import GateConfig, load_gate_config
from sahab.gate.engines.base import EngineError
from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.evaluate import evaluate_rules
from sahab.gate.rules import load_bundle
from sahab.gate.run import gate_plan
from sahab.gate.waivers import load_waivers

HEADER_TEMPLATE = """# METADATA
# title: TITLE
# description: A test rule.
# custom:
#   id: RULE_ID
#   severity: high
#   enforcement: ENFORCEMENT
#   remediation: Fix it.
#   controls:
#     - "ISO/IEC 27001:2022 A.8.20: Networks security"
"""



def header(title: str, rule_id: str, enforcement: str = "mandatory", deferred_on: str = "") -> str:
    text = HEADER_TEMPLATE.replace("TITLE", title).replace("RULE_ID", rule_id).replace("ENFORCEMENT", enforcement)
    return text + ("#   deferred_on: %s\n" % deferred_on if deferred_on else "")


# The header of the open-port rule: it defers, so it says on what (custom.deferred_on).
def open_port_header(rule_id: str = "SAHAB-NET-901") -> str:
    return header("No open ports", rule_id, deferred_on="whether the port is open, when computed at deploy time")


OPEN_PORT_BODY = """package sahab.rules.network.open_port

import rego.v1

deny contains {"urn": r.urn, "type": r.type, "message": "open"} if {
	some r in input.resources
	r.inputs.open == true
}

deferred contains {"urn": r.urn, "type": r.type, "message": "maybe open"} if {
	some r in input.resources
	r.inputs.open["$unknown"] == true
}
"""


def _write_rule(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def bundle(tmp_path: Path):
    _write_rule(tmp_path, "network/open_port.rego",
                open_port_header() + OPEN_PORT_BODY)
    return load_bundle(tmp_path)


def _plan(*resources):
    return {"project": "p", "stack": "dev", "resources": [
        {"urn": "urn:pulumi:dev::p::x:y:Z::%s" % name, "type": "x:y:Z", "name": name, "inputs": inputs, "opaque": False}
        for name, inputs in resources
    ]}


def test_violation_and_deferred_findings_carry_rule_metadata(bundle):
    plan = _plan(("a", {"open": True}), ("b", {"open": {"$unknown": True}}), ("c", {"open": False}))
    findings = evaluate_rules(plan, bundle, EmbeddedEngine())
    assert sorted((f.status, f.urn.split("::")[-1]) for f in findings) == [("deferred", "b"), ("violation", "a")]
    violation = next(f for f in findings if f.status == "violation")
    assert (violation.rule_id, violation.severity, violation.enforcement, violation.title, violation.remediation) == (
        "SAHAB-NET-901", "high", "mandatory", "No open ports", "Fix it.")
    assert violation.controls == ("ISO/IEC 27001:2022 A.8.20: Networks security",)


def test_enforcement_override_makes_a_rule_advisory(bundle):
    result = gate_plan(_plan(("a", {"open": True})), GateConfig(enforcement={"SAHAB-NET-901": "advisory"}), bundle=bundle)
    assert result.count("violation") == 1 and result.exit_code == 0


def test_mandatory_violation_fails_and_deferred_alone_does_not(bundle):
    assert gate_plan(_plan(("a", {"open": True})), GateConfig(), bundle=bundle).exit_code == 1
    deferred_only = gate_plan(_plan(("b", {"open": {"$unknown": True}})), GateConfig(), bundle=bundle)
    assert deferred_only.count("deferred") == 1 and deferred_only.exit_code == 0
    strict = gate_plan(_plan(("b", {"open": {"$unknown": True}})), GateConfig(fail_on_deferred=True), bundle=bundle)
    assert strict.exit_code == 1


def test_opaque_component_is_reported_unchecked_and_blocks(bundle):
    plan = _plan(("a", {"open": False}))
    plan["resources"].append({"urn": "urn:pulumi:dev::p::eks:index:Cluster::c", "type": "eks:index:Cluster", "name": "c",
                              "inputs": {}, "opaque": True})
    result = gate_plan(plan, GateConfig(), bundle=bundle)
    [finding] = result.findings
    assert (finding.rule_id, finding.status, finding.urn) == ("SAHAB-PLN-001", "unchecked", "urn:pulumi:dev::p::eks:index:Cluster::c")
    assert result.exit_code == 1


def test_rule_without_deny_set_stops_the_gate(tmp_path: Path):
    _write_rule(tmp_path, "network/silent.rego",
                header("t", "SAHAB-NET-902")
                + "package sahab.rules.network.silent\n\nimport rego.v1\n\nok if true\n")
    with pytest.raises(EngineError) as raised:
        evaluate_rules(_plan(), load_bundle(tmp_path), EmbeddedEngine())
    assert raised.value.exit_code == 3
    assert "rule SAHAB-NET-902 (sahab.rules.network.silent) produced no `deny` set" in raised.value.one_line()


def test_unsupported_builtin_stops_the_gate_before_evaluation(tmp_path: Path):
    _write_rule(tmp_path, "network/cidr.rego",
                header("t", "SAHAB-NET-903")
                + "package sahab.rules.network.cidr\n\nimport rego.v1\n\n"
                  "deny contains {\"urn\": \"u\", \"message\": \"m\"} if {\n\tfalse\n\tnet.cidr_merge([\"10.0.0.0/8\"])\n}\n")
    with pytest.raises(EngineError) as raised:
        evaluate_rules(_plan(), load_bundle(tmp_path), EmbeddedEngine())
    assert raised.value.one_line().startswith("the regorus engine does not support builtin(s) net.cidr_merge used by the rules")


def test_parse_error_stops_the_gate(tmp_path: Path):
    _write_rule(tmp_path, "network/broken.rego",
                header("t", "SAHAB-NET-904")
                + "package sahab.rules.network.broken\n\nimport rego.v1\n\ndeny contains x if {\n")
    with pytest.raises(EngineError) as raised:
        evaluate_rules(_plan(), load_bundle(tmp_path), EmbeddedEngine())
    assert raised.value.one_line().startswith("the policies do not parse: --> network/broken.rego:")
    assert "broken.rego" in raised.value.one_line()


def test_malformed_finding_stops_the_gate(tmp_path: Path):
    _write_rule(tmp_path, "network/shape.rego",
                header("t", "SAHAB-NET-905")
                + "package sahab.rules.network.shape\n\nimport rego.v1\n\ndeny contains \"just a string\" if true\n")
    with pytest.raises(EngineError, match="rule SAHAB-NET-905 returned a malformed finding 'just a string'"):
        evaluate_rules(_plan(), load_bundle(tmp_path), EmbeddedEngine())


@pytest.mark.parametrize("header_change, message", [
    (("enforcement: mandatory", "enforcement: sometimes"), "enforcement 'sometimes' is not one of advisory, mandatory"),
    (("id: SAHAB-NET-906", "id: NET-6"), "rule id 'NET-6' is not SAHAB-<CONCERN>-<NNN>"),
    (("#   remediation: Fix it.\n", ""), "METADATA lacks custom.remediation"),
])
def test_bad_metadata_is_a_config_error(tmp_path: Path, header_change, message):
    text = (header("t", "SAHAB-NET-906")
            + "package sahab.rules.network.meta\n\nimport rego.v1\n\ndeny contains x if { false; x := 1 }\n")
    _write_rule(tmp_path, "network/meta.rego", text.replace(*header_change))
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_bundle(tmp_path)


TODAY = datetime.date(2026, 11, 23)


def _waivers(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(body)
    return path


def test_waiver_marks_matching_findings_waived_but_still_reports_them(bundle, tmp_path: Path):
    path = _waivers(tmp_path, """waivers:
  - rule: SAHAB-NET-901
    urn: "urn:pulumi:dev::p::x:y:Z::a*"
    reason: Load test window, ticket SEC-42
    approver: ciso@example.ae
    expires: 2026-12-31
""")
    plan = _plan(("a1", {"open": True}), ("b1", {"open": True}))
    result = gate_plan(plan, GateConfig(waivers=path), bundle=bundle, today=TODAY)
    statuses = {f.urn.split("::")[-1]: f.status for f in result.findings}
    assert statuses == {"a1": "waived", "b1": "violation"}
    waived = next(f for f in result.findings if f.status == "waived")
    assert waived.waiver == {"rule": "SAHAB-NET-901", "urn": "urn:pulumi:dev::p::x:y:Z::a*",
                             "reason": "Load test window, ticket SEC-42", "approver": "ciso@example.ae", "expires": "2026-12-31"}
    assert result.exit_code == 1  # b1 is still a violation


def test_expired_waiver_fails_the_gate(tmp_path: Path):
    path = _waivers(tmp_path, "waivers:\n  - {rule: SAHAB-NET-901, urn: '*', reason: r, approver: a, expires: 2026-11-22}\n")
    with pytest.raises(ConfigError) as raised:
        load_waivers(path, TODAY)
    assert raised.value.one_line() == ("waivers.yaml waiver #1 for SAHAB-NET-901 expired on 2026-11-22 "
                                       "(renew it after review, or remove it and fix the finding)")
    assert raised.value.exit_code == 2


@pytest.mark.parametrize("entry, message", [
    ("{rule: SAHAB-NET-901, urn: '*', reason: r, expires: 2027-01-01}", "waiver #1 lacks approver"),
    ("{rule: NOPE, urn: '*', reason: r, approver: a, expires: 2027-01-01}", "names rule 'NOPE', which is not a sahab, team or checkov rule id"),
    ("{rule: SAHAB-NET-901, urn: '*', reason: r, approver: a, expires: soon}", "has expires 'soon', which is not a date"),
    ("{rule: SAHAB-NET-901, urn: '*::a', reason: r, approver: a, expires: 2027-01-01, owner: b}", "has unknown field(s) owner"),
])
def test_malformed_waivers_are_refused(tmp_path: Path, entry, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_waivers(_waivers(tmp_path, "waivers:\n  - %s\n" % entry), TODAY)


def test_gate_config_file(tmp_path: Path):
    (tmp_path / "sahab.yaml").write_text(
        "gate:\n  engine: opa\n  opa: {url: 'http://127.0.0.1:8181'}\n  enforcement: {SAHAB-NET-007: advisory}\n"
        "  checkov: {enabled: false}\n  waivers: w.yaml\n  fail_on_deferred: true\n")
    config = load_gate_config(tmp_path)
    assert (config.engine, config.opa, config.enforcement, config.checkov_enabled, config.waivers, config.fail_on_deferred) == (
        "opa", {"url": "http://127.0.0.1:8181"}, {"SAHAB-NET-007": "advisory"}, False, tmp_path / "w.yaml", True)
    (tmp_path / "sahab.yaml").write_text("gate:\n  engines: opa\n")
    with pytest.raises(ConfigError, match="unknown gate setting"):
        load_gate_config(tmp_path)


@pytest.mark.parametrize("damage, message", [
    (lambda plan: plan["resources"][0].pop("name"), "plan resource #0 (urn:pulumi:dev::p::x:y:Z::a) lacks a valid `name`"),
    (lambda plan: plan["resources"][1].update(inputs=None), "plan resource #1 (urn:pulumi:dev::p::x:y:Z::b) lacks a valid `inputs`"),
    (lambda plan: plan["resources"].append(dict(plan["resources"][0])), "plan resource #2 repeats URN urn:pulumi:dev::p::x:y:Z::a"),
    (lambda plan: plan.pop("resources"), "the plan document has no `resources` list"),
])
def test_malformed_plan_is_refused_before_any_rule_runs(bundle, damage, message):
    plan = _plan(("a", {"open": True}), ("b", {"open": False}))
    damage(plan)
    with pytest.raises(UsageError) as raised:
        gate_plan(plan, GateConfig(), bundle=bundle)
    assert raised.value.message == message
