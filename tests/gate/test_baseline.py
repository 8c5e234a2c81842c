"""Baselines: today's findings recorded by rule and URN; only new ones block; fixed entries counted."""
from __future__ import annotations

import datetime
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console

from sahab.errors import ConfigError
from sahab.gate.baseline import baseline_document, dumps_baseline
from sahab.gate.config import GateConfig
from sahab.gate.run import gate_plan
from sahab.reports import gate_formats
from sahab.reports.gate_console import render_console

from test_gate_core import _plan
from test_reports import sarif_schema_errors
from test_selection import bundle, bundle_root  # noqa: F401 - fixtures

TODAY = datetime.date(2026, 12, 3)
URN = "urn:pulumi:dev::p::x:y:Z::%s"


@pytest.fixture
def baseline(bundle, tmp_path: Path) -> Path:  # noqa: F811
    today = gate_plan(_plan(("a", {"open": True}), ("p", {"plain": True}), ("b", {"open": {"$unknown": True}})),
                      GateConfig(), bundle=bundle, today=TODAY)
    path = tmp_path / "baseline.json"
    path.write_text(dumps_baseline(today))
    return path


def test_the_baseline_records_violations_and_unchecked_parts_by_rule_and_urn(baseline: Path):
    document = json.loads(baseline.read_text())
    assert document == {"schemaVersion": "sahab.dev/baseline/v1", "project": "p", "stack": "dev", "findings": [
        {"rule_id": "SAHAB-ENC-904", "urn": URN % "p", "status": "violation", "severity": "critical", "message": "plain"},
        {"rule_id": "SAHAB-NET-901", "urn": URN % "a", "status": "violation", "severity": "high", "message": "open"},
    ]}  # the deferred finding on b is not recorded: deferred findings are never baselined


def test_only_findings_not_in_the_baseline_block(bundle, baseline: Path):  # noqa: F811
    later = _plan(("a", {"open": True}), ("p", {"plain": True}), ("n", {"open": True}))
    result = gate_plan(later, GateConfig(baseline=baseline), bundle=bundle, today=TODAY)
    assert sorted((f.rule_id, f.status, f.urn.split("::")[-1]) for f in result.findings) == [
        ("SAHAB-ENC-904", "baselined", "p"), ("SAHAB-NET-901", "baselined", "a"), ("SAHAB-NET-901", "violation", "n")]
    assert [f.urn for f in result.blocking] == [URN % "n"] and result.exit_code == 1
    assert result.baseline_fixed == []
    without_new = gate_plan(_plan(("a", {"open": True}), ("p", {"plain": True})), GateConfig(baseline=baseline),
                            bundle=bundle, today=TODAY)
    assert without_new.exit_code == 0 and without_new.count("baselined") == 2


def test_a_baseline_entry_no_longer_found_is_reported_fixed(bundle, baseline: Path):  # noqa: F811
    result = gate_plan(_plan(("a", {"open": True}), ("p", {"plain": False})), GateConfig(baseline=baseline),
                       bundle=bundle, today=TODAY)
    assert result.baseline_fixed == [{"rule_id": "SAHAB-ENC-904", "urn": URN % "p"}]
    assert json.loads(gate_formats.render(result, "json"))["summary"]["baseline_fixed"] == result.baseline_fixed
    assert "baseline: 1 finding(s) baselined, 1 baseline entry fixed (no longer found)" in gate_formats.render(result, "console")
    # a rule left out by a selection did not run: its entries are not "fixed"
    skipped = gate_plan(_plan(("a", {"open": True})), GateConfig(baseline=baseline, skip_rules=("SAHAB-ENC-*",)),
                        bundle=bundle, today=TODAY)
    assert skipped.baseline_fixed == []


def test_a_waiver_wins_over_the_baseline(bundle, baseline: Path, tmp_path: Path):  # noqa: F811
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - {rule: SAHAB-NET-901, urn: '*::a', reason: Reviewed, approver: ciso@example.ae, "
                       "expires: 2027-01-31}\n")
    result = gate_plan(_plan(("a", {"open": True}), ("p", {"plain": True})),
                       GateConfig(baseline=baseline, waivers=waivers), bundle=bundle, today=TODAY)
    assert sorted((f.rule_id, f.status) for f in result.findings) == [("SAHAB-ENC-904", "baselined"), ("SAHAB-NET-901", "waived")]
    assert result.baseline_fixed == []  # still found, only waived


@pytest.mark.parametrize("content, message", [
    ("{", "is not valid JSON"),
    ('{"schemaVersion": "other"}', "is not a sahab baseline (sahab.dev/baseline/v1) (recreate it with --create-baseline)"),
    ('{"schemaVersion": "sahab.dev/baseline/v1", "project": "p", "stack": "prod", "findings": []}',
     "was created for p/prod, not p/dev (use one baseline per stack)"),
    ('{"schemaVersion": "sahab.dev/baseline/v1", "project": "p", "stack": "dev", "findings": [{"rule_id": "X"}]}',
     "entry #1 is not {rule_id, urn, ...} (recreate it with --create-baseline)"),
])
def test_a_bad_baseline_is_a_one_line_config_error(bundle, tmp_path: Path, content, message):  # noqa: F811
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as raised:
        gate_plan(_plan(("a", {"open": True})), GateConfig(baseline=path), bundle=bundle, today=TODAY)
    assert message in raised.value.one_line() and "\n" not in raised.value.one_line()


def test_every_report_shows_baselined_findings_as_such(bundle, baseline: Path):  # noqa: F811
    result = gate_plan(_plan(("a", {"open": True}), ("p", {"plain": True}), ("n", {"open": True})),
                       GateConfig(baseline=baseline), bundle=bundle, today=TODAY)
    summary = json.loads(gate_formats.render(result, "json"))["summary"]
    assert (summary["baselined"], summary["violation"], summary["blocking"]) == (2, 1, 1)
    buffer = io.StringIO()
    render_console(result, Console(file=buffer, width=80))
    assert [line.split()[0] for line in buffer.getvalue().splitlines()[1:6:2]] == ["FAIL", "BASELINED", "BASELINED"]
    sarif = json.loads(gate_formats.render(result, "sarif"))
    assert sorted((r["properties"]["status"], r["level"]) for r in sarif["runs"][0]["results"]) == [
        ("baselined", "note"), ("baselined", "note"), ("violation", "error")]
    assert sarif_schema_errors(sarif) == []
    junit = ET.fromstring(gate_formats.render(result, "junit"))
    outs = [case.find("system-out").text for case in junit.iter("testcase") if case.find("system-out") is not None]
    assert any("[baselined/mandatory]" in text for text in outs)
    assert "| SAHAB-NET-901 | baselined |" in gate_formats.render(result, "markdown")
    assert sorted(issue["severity"] for issue in json.loads(gate_formats.render(result, "gitlab"))) == ["blocker", "info", "info"]
    assert sorted(line.split()[0] for line in gate_formats.render(result, "github").splitlines()[:3]) == [
        "::error", "::notice", "::notice"]
    assert baseline_document(result)["findings"][0]["status"] == "baselined"  # a new baseline keeps them
