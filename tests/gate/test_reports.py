"""Gate reports: each format carries the verdict and every finding, in the shape its consumer needs."""
from __future__ import annotations

import datetime
import functools
import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, List

import jsonschema
import pytest

from sahab.gate.config import GateConfig
from sahab.gate.rules import load_bundle
from sahab.gate.run import gate_plan
from sahab.reports import gate_formats
from sahab.reports.evidence import evidence, render_evidence_markdown

from test_gate_core import OPEN_PORT_BODY, _plan, header, open_port_header

TODAY = datetime.date(2026, 11, 23)

# The official OASIS SARIF 2.1.0 schema (errata01), vendored byte for byte: tests/fixtures/sarif/SOURCE.md.
SARIF_SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
SARIF_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


@functools.lru_cache(maxsize=1)
def _sarif_validator() -> Any:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)
    assert validator is jsonschema.Draft4Validator  # the OASIS schema declares draft-04
    validator.check_schema(schema)
    # No format checker: `format` stays an annotation, as draft-04 leaves it by default.
    return validator(schema)


def sarif_schema_errors(document: Any) -> List[str]:
    """Every way ``document`` breaks the OASIS SARIF 2.1.0 schema, as `path: message` lines."""
    errors = sorted(_sarif_validator().iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "<root>", e.message) for e in errors]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    root = tmp_path_factory.mktemp("policies")
    (root / "network").mkdir()
    (root / "network" / "open_port.rego").write_text(open_port_header() + OPEN_PORT_BODY)
    (root / "network" / "quiet.rego").write_text(
        header("Quiet rule", "SAHAB-NET-902", "advisory")
        + "package sahab.rules.network.quiet\n\nimport rego.v1\n\ndeny contains {\"urn\": r.urn, \"message\": \"loud\"} if {\n"
          "\tsome r in input.resources\n\tr.inputs.loud\n}\n")
    waivers = root / "waivers.yaml"
    waivers.write_text("waivers:\n  - {rule: SAHAB-NET-901, urn: '*::w', reason: Approved exception, approver: ciso@example.ae, expires: 2027-01-31}\n")
    plan = _plan(("a", {"open": True}), ("b", {"open": {"$unknown": True}}), ("w", {"open": True}), ("l", {"loud": True}))
    bundle = load_bundle(root)
    return gate_plan(plan, GateConfig(waivers=waivers), bundle=bundle, today=TODAY), bundle


def test_json_report_lists_every_finding_and_the_verdict(result):
    document = json.loads(gate_formats.render(result[0], "json"))
    assert document["schemaVersion"] == "sahab.dev/findings/v1"
    assert document["summary"] == {"resources": 4, "rules": 5, "engines": ["regorus"], "blocking": 1, "violation": 2,
                                   "deferred": 1, "unchecked": 0, "waived": 1, "baselined": 0, "verdict": "fail",
                                   "deferred_mandatory": 1, "deferred_mandatory_rules": ["SAHAB-NET-901"],
                                   "soft_fail": False, "severity_threshold": None, "skipped_rules": [], "baseline_fixed": [],
                                   "project_relaxations": None}
    assert {(f["rule_id"], f["status"], f["urn"].split("::")[-1]) for f in document["findings"]} == {
        ("SAHAB-NET-901", "violation", "a"), ("SAHAB-NET-901", "deferred", "b"),
        ("SAHAB-NET-901", "waived", "w"), ("SAHAB-NET-902", "violation", "l")}


def test_sarif_has_what_github_code_scanning_requires(result):
    sarif = json.loads(gate_formats.render(result[0], "sarif"))
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["SAHAB-NET-901", "SAHAB-NET-902"]
    assert all(float(r["properties"]["security-severity"]) > 0 for r in rules)
    levels = {(r["ruleId"], r["message"]["text"].split("]")[0]): r["level"] for r in run["results"]}
    assert levels == {("SAHAB-NET-901", "[violation"): "error", ("SAHAB-NET-901", "[deferred"): "note",
                      ("SAHAB-NET-901", "[waived"): "note", ("SAHAB-NET-902", "[violation"): "warning"}
    for entry in run["results"]:
        location = entry["locations"][0]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "Pulumi.dev.yaml"
        assert location["physicalLocation"]["region"]["startLine"] >= 1
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("urn:pulumi:dev::p::")
        assert rules[entry["ruleIndex"]]["id"] == entry["ruleId"]
        assert len(entry["partialFingerprints"]["sahabFinding/v1"]) == 64
    waived = next(r for r in run["results"] if r["message"]["text"].startswith("[waived"))
    assert waived["suppressions"][0]["justification"] == "Approved exception (approved by ciso@example.ae, expires 2027-01-31)"


def test_vendored_sarif_schema_is_the_oasis_one():
    assert hashlib.sha256(SARIF_SCHEMA.read_bytes()).hexdigest() == SARIF_SCHEMA_SHA256
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]


def test_sarif_with_violations_deferred_and_waived_findings_is_valid_sarif_2_1_0(result):
    sarif = json.loads(gate_formats.render(result[0], "sarif"))
    statuses = {r["properties"]["status"] for r in sarif["runs"][0]["results"]}
    assert statuses == {"violation", "deferred", "waived"}
    assert any(r.get("suppressions") for r in sarif["runs"][0]["results"])
    assert sarif_schema_errors(sarif) == []


def test_sarif_of_a_clean_run_is_valid_sarif_2_1_0(result):
    clean = gate_plan(_plan(("c", {"open": False})), GateConfig(), bundle=result[1], today=TODAY)
    assert clean.exit_code == 0 and not clean.findings
    sarif = json.loads(gate_formats.render(clean, "sarif"))
    assert sarif["runs"][0]["results"] == []
    assert sarif_schema_errors(sarif) == []


def test_sarif_with_an_unchecked_opaque_component_is_valid_sarif_2_1_0(result):
    plan = _plan(("a", {"open": True}))
    plan["resources"].append({"urn": "urn:pulumi:dev::p::x:y:Component::mlc", "type": "x:y:Component", "name": "mlc",
                              "inputs": {}, "opaque": True})
    gated = gate_plan(plan, GateConfig(), bundle=result[1], today=TODAY)
    sarif = json.loads(gate_formats.render(gated, "sarif"))
    unchecked = [r for r in sarif["runs"][0]["results"] if r["properties"]["status"] == "unchecked"]
    assert [(r["ruleId"], r["level"]) for r in unchecked] == [("SAHAB-PLN-001", "error")]
    # SAHAB-PLN-001's engine is `sahab`: tagged once, since SARIF tags are a set (uniqueItems)
    assert sarif_schema_errors(sarif) == []
    [rule] = [r for r in sarif["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "SAHAB-PLN-001"]
    [opaque] = [f for f in gated.findings if f.status == "unchecked"]
    assert rule["properties"]["tags"] == ["security", "sahab", *opaque.controls]


def test_sarif_schema_check_rejects_a_broken_log(result):
    sarif = json.loads(gate_formats.render(result[0], "sarif"))
    results = sarif["runs"][0]["results"]
    del results[0]["message"]
    waived = next(r for r in results if r.get("suppressions"))
    waived["suppressions"][0]["status"] = "approved"
    sarif["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["tags"].append("security")
    errors = sarif_schema_errors(sarif)
    assert any(e.startswith("runs/0/results/0: 'message' is a required property") for e in errors), errors
    assert any("/suppressions/0/status: 'approved' is not one of" in e for e in errors), errors
    assert any(e.startswith("runs/0/tool/driver/rules/0/properties/tags: ") and "non-unique" in e for e in errors), errors


def test_junit_fails_only_the_blocking_rule(result):
    root = ET.fromstring(gate_formats.render(result[0], "junit"))
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("5", "1")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert set(cases) == {"SAHAB-NET-901 No open ports", "SAHAB-NET-902 Quiet rule", "SAHAB-PLN-001", "SAHAB-PLN-002",
                          "SAHAB-COV-001"}
    failure = cases["SAHAB-NET-901 No open ports"].find("failure")
    assert failure.get("message") == "1 blocking finding(s)"
    # a plan without source locations: the finding points at the stack's config file (no line)
    assert failure.text == "Pulumi.dev.yaml: urn:pulumi:dev::p::x:y:Z::a: open"
    assert (cases["SAHAB-NET-901 No open ports"].get("file"), cases["SAHAB-NET-901 No open ports"].get("line")) == (
        "Pulumi.dev.yaml", None)
    assert cases["SAHAB-NET-902 Quiet rule"].find("failure") is None
    assert "[violation/advisory]" in cases["SAHAB-NET-902 Quiet rule"].find("system-out").text


def test_markdown_comment_leads_with_the_verdict_and_blocking_findings(result):
    text = gate_formats.render(result[0], "markdown")
    lines = text.splitlines()
    assert lines[0] == "### sahab gate: `p` / `dev`"
    assert lines[2] == "**FAIL**: 1 mandatory finding(s) block the deploy"
    blocking = text.split("#### Blocking")[1].split("<details>")[0]
    assert "| SAHAB-NET-901 | violation | high | `urn:pulumi:dev::p::x:y:Z::a` | `Pulumi.dev.yaml` | open |" in blocking
    assert "- **SAHAB-NET-901**: Fix it." in blocking
    assert "<summary>3 other finding(s): advisory, deferred, waived, baselined</summary>" in text


def test_console_text_for_out_files(result):
    text = gate_formats.render(result[0], "console")
    assert "FAIL: 1 mandatory finding(s) block the deploy" in text
    assert "\x1b[" not in text


def test_evidence_maps_controls_to_rules_to_results(result):
    gate_result, bundle = result
    report = evidence(gate_result, bundle.rules)
    [control] = report["controls"]
    assert control["control"] == "ISO/IEC 27001:2022 A.8.20: Networks security"
    by_rule = {rule["rule"]: rule for rule in control["rules"]}
    assert by_rule["SAHAB-NET-901"]["result"] == "fail"
    assert by_rule["SAHAB-NET-902"]["result"] == "pass-with-findings"
    waived = [f for f in by_rule["SAHAB-NET-901"]["findings"] if f["status"] == "waived"]
    assert waived[0]["waiver"]["approver"] == "ciso@example.ae"
    assert "| SAHAB-NET-901 | No open ports | fail | 3 |" in render_evidence_markdown(gate_result, bundle.rules)
