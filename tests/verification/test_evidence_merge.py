"""`sahab gate --evidence DIR --verify-results FILE`: each control shows its plan-time rules and its run-time tests.

The result file is read strictly (exit 2, one line, before anything is planned); a failed or
errored run-time test fails its control, the verdict and the gate's exit code; a skipped test is
reported skipped with its reason, never as a pass.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sahab.errors import SahabError, UsageError
from sahab.gate.config import GateConfig
from sahab.gate.rules import load_bundle
from sahab.gate.run import gate_plan
from sahab.reports.evidence import evidence, render_evidence_markdown
from sahab.verification.results import TestResult, VerifyResults, dumps_results, load_results

from program_projects import write_project

NON_ROOT = "ISO/IEC 27001:2022 A.8.2: Privileged access rights"  # a control of SAHAB-WKL-005
AUTH = "ISO/IEC 27001:2022 A.8.5: Secure authentication"


def _runtime(stack: str = "dev", *tests: TestResult) -> VerifyResults:
    return VerifyResults(stack, tests or (
        TestResult("test_ci_runner_pods.py::test_runner_runs_as_non_root[kubectl://runner-0]", ("SAHAB-WKL-005",),
                   "failed", "kubectl://runner-0", 0.2, "AssertionError: the runner's processes run as root (uid 0)"),
        TestResult("test_platform_endpoints.py::test_endpoint_requires_authentication[mlflow]", (AUTH,), "passed", None, 0.1),
        TestResult("test_platform_endpoints.py::test_endpoint_tls_in_force[mlflow]", ("SAHAB-ENC-008", "SAHAB-ENC-012"),
                   "skipped", None, 0.0, "the inventory does not promise tls for endpoint mlflow"),
    ))


@pytest.fixture(scope="module")
def gated():
    bundle = load_bundle()
    return gate_plan({"project": "p", "stack": "dev", "resources": []}, GateConfig(checkov_enabled=False), bundle=bundle), bundle


def _control(report, name):
    (control,) = [c for c in report["controls"] if c["control"] == name]
    return control


def test_a_failed_run_time_test_fails_its_control_beside_the_passing_rules(gated):
    result, bundle = gated
    report = evidence(result, bundle.rules, _runtime())
    control = _control(report, NON_ROOT)
    assert {r["rule"]: r["result"] for r in control["rules"]}["SAHAB-WKL-005"] == "pass"
    assert control["tests"] == [{"test": "test_ci_runner_pods.py::test_runner_runs_as_non_root[kubectl://runner-0]",
                                 "host": "kubectl://runner-0", "outcome": "failed", "rules": ["SAHAB-WKL-005"],
                                 "reason": "AssertionError: the runner's processes run as root (uid 0)"}]
    assert control["result"] == "fail" and report["verdict"] == "fail"
    assert report["runtime"] == {"summary": {"passed": 1, "failed": 1, "skipped": 1, "error": 0}}
    # the plan alone passes: the same report without run-time results
    plain = evidence(result, bundle.rules)
    assert plain["verdict"] == "pass" and _control(plain, NON_ROOT)["result"] == "pass" and plain["runtime"] is None


def test_a_skipped_test_is_shown_skipped_and_a_control_named_directly_is_reported(gated):
    result, bundle = gated
    report = evidence(result, bundle.rules, _runtime())
    tls = [t for c in report["controls"] for t in c["tests"] if "tls_in_force" in t["test"]]
    assert tls and {t["outcome"] for t in tls} == {"skipped"}
    assert {t["reason"] for t in tls} == {"the inventory does not promise tls for endpoint mlflow"}
    auth = _control(report, AUTH)  # cited by name (no Rego rule proves an endpoint's authentication), beside its rules
    assert [(t["outcome"], t["rules"]) for t in auth["tests"]] == [("passed", [])] and auth["result"] == "pass"
    assert "SAHAB-IAM-001" in {r["rule"] for r in auth["rules"]}
    markdown = render_evidence_markdown(result, bundle.rules, _runtime())
    assert "| test\\_ci\\_runner\\_pods.py::test\\_runner\\_runs\\_as\\_non\\_root\\[kubectl://runner-0\\] | kubectl://runner-0 " \
           "| SAHAB-WKL-005 | failed |" in markdown
    assert "Verdict: **FAIL**" in markdown


def test_results_of_another_stack_or_citing_an_unknown_rule_are_refused(gated):
    result, bundle = gated
    with pytest.raises(UsageError, match="the verify results are of stack prod, the gate ran on dev"):
        evidence(result, bundle.rules, _runtime("prod"))
    unknown = TestResult("t.py::test_x", ("SAHAB-XXX-999",), "failed", None, 0.0, "boom")
    with pytest.raises(UsageError, match="verify result t.py::test_x cites rule SAHAB-XXX-999, which this gate did not load"):
        evidence(result, bundle.rules, _runtime("dev", unknown))


@pytest.mark.parametrize("text, message", [
    ("{not json", "is not valid JSON"),
    ('{"schemaVersion": "sahab.dev/findings/v1"}', "is not a sahab verify result file"),
    (json.dumps({"schemaVersion": "sahab.dev/verify-results/v1", "stack": "dev", "tests": [
        {"nodeid": "t", "controls": ["SAHAB-WKL-005"], "outcome": "skipped", "host": None, "duration": 0, "reason": None}],
        "summary": {"passed": 0, "failed": 0, "skipped": 1, "error": 0}}), "is skipped without a reason"),
    (json.dumps({"schemaVersion": "sahab.dev/verify-results/v1", "stack": "dev", "tests": [
        {"nodeid": "t", "controls": ["SAHAB-WKL-005"], "outcome": "passed", "host": None, "duration": 0, "reason": None}],
        "summary": {"passed": 0, "failed": 0, "skipped": 0, "error": 0}}), "its summary does not match its tests"),
    (json.dumps({"schemaVersion": "sahab.dev/verify-results/v1", "stack": "dev", "tests": [
        {"nodeid": "t", "controls": [], "outcome": "passed", "host": None, "duration": 0, "reason": None}],
        "summary": {"passed": 1, "failed": 0, "skipped": 0, "error": 0}}), "has no list of rule ids in controls"),
    (json.dumps({"schemaVersion": "sahab.dev/verify-results/v1", "stack": "dev", "tests": [
        {"nodeid": "t", "controls": ["X"], "outcome": "ok", "host": None, "duration": 0, "reason": None}],
        "summary": {"passed": 0, "failed": 0, "skipped": 0, "error": 0}}), "outcome 'ok' is not one of"),
])
def test_a_result_file_that_does_not_parse_is_refused(tmp_path, text, message):
    path = tmp_path / "results.json"
    path.write_text(text)
    with pytest.raises(SahabError) as raised:  # UsageError or ConfigError: both exit 2
        load_results(path)
    assert message in raised.value.message and raised.value.exit_code == 2


def test_the_result_file_round_trips(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(dumps_results(_runtime()))
    assert load_results(path) == VerifyResults("dev", tuple(
        TestResult(t.nodeid, t.controls, t.outcome, t.host, round(t.duration, 3), t.reason) for t in _runtime().tests))


@pytest.fixture(scope="module")
def saved_plan(tmp_path_factory, sahab_cli) -> Path:
    folder = tmp_path_factory.mktemp("plan")
    project = write_project(folder / "project", "import pulumi\npulumi.export('ok', 1)\n")
    completed = sahab_cli(["plan", str(project), "--stack", "dev", "--out", str(folder / "plan.json")])
    assert completed.returncode == 0, completed.stderr
    return folder / "plan.json"


def test_gate_cli_merges_the_results_and_a_failed_test_exits_1(saved_plan, sahab_cli, tmp_path):
    results = tmp_path / "verify-dev.json"
    results.write_text(dumps_results(_runtime()))
    completed = sahab_cli(["gate", "--plan", str(saved_plan), "--no-checkov", "--evidence", str(tmp_path / "ev"),
                           "--verify-results", str(results)])
    assert completed.returncode == 1, completed.stderr
    assert completed.stderr.strip().splitlines()[-1] == "FAIL: 1 run-time test(s) failed in %s (evidence-dev.md)" % results
    report = json.loads((tmp_path / "ev" / "evidence-dev.json").read_text())
    assert _control(report, NON_ROOT)["result"] == "fail" and report["verdict"] == "fail"
    passing = tmp_path / "passing.json"
    passing.write_text(dumps_results(_runtime("dev", *_runtime().tests[1:])))
    completed = sahab_cli(["gate", "--plan", str(saved_plan), "--no-checkov", "--evidence", str(tmp_path / "ok"),
                           "--verify-results", str(passing)])
    assert completed.returncode == 0, completed.stderr
    assert json.loads((tmp_path / "ok" / "evidence-dev.json").read_text())["verdict"] == "pass"


@pytest.mark.parametrize("args, message", [
    (["--evidence", "EV", "--verify-results", "BAD"], "error: verify results BAD is not valid JSON: Expecting property name "
                                                       "enclosed in double quotes: line 1 column 2 (char 1) (fix its syntax)"),
    (["--evidence", "EV", "--verify-results", "MISSING"], "error: verify results MISSING cannot be read: No such file or "
                                                           "directory (pass the file `sahab verify --results FILE` wrote, unmodified)"),
    (["--verify-results", "BAD"], "error: --verify-results adds run-time tests to the evidence report, which --evidence writes "
                                  "(add --evidence DIR)"),
])
def test_gate_cli_refuses_a_result_file_that_does_not_parse_in_one_line(saved_plan, sahab_cli, tmp_path, args, message):
    (tmp_path / "BAD").write_text("{not json")
    paths = {"EV": str(tmp_path / "ev"), "BAD": str(tmp_path / "BAD"), "MISSING": str(tmp_path / "MISSING")}
    completed = sahab_cli(["gate", "--plan", str(saved_plan), "--no-checkov"] + [paths.get(a, a) for a in args])
    assert completed.returncode == 2
    assert completed.stderr.strip() == message.replace("BAD", paths["BAD"]).replace("MISSING", paths["MISSING"])
    assert not (tmp_path / "ev").exists()  # refused before anything was gated or written
