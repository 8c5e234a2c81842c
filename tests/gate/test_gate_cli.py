"""``sahab gate`` end to end, as CI runs it: plan, evaluate, report, exit code."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from test_reports import sarif_schema_errors
from program_projects import write_project

PROGRAM = '''import pulumi
import pulumi_aws as aws

uae = aws.Provider("uae", region="me-central-1")
key = aws.kms.Key("k", enable_key_rotation=True, opts=pulumi.ResourceOptions(provider=uae))
aws.s3.Bucket("offshore", region="eu-west-1", opts=pulumi.ResourceOptions(provider=uae))
'''


@pytest.fixture(scope="module")
def offshore(tmp_path_factory) -> Path:
    return write_project(tmp_path_factory.mktemp("offshore"), PROGRAM, name="offshore")


def test_reference_prod_stack_passes_with_zero_mandatory_violations(sahab_cli, repo_root: Path, tmp_path: Path):
    result = sahab_cli(["gate", str(repo_root), "--stack", "prod", "--no-checkov", "--format", "json",
                        "--evidence", str(tmp_path)])
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["verdict"] == "pass"
    assert report["summary"]["blocking"] == 0
    # Reported, never blocking: the GPU operator's declared Pod Security exception and the seven
    # reviewed charts (four operators, kube-prometheus-stack, ARC's controller and scale set;
    # sahab.yaml, docs/chart-reviews.md).
    advisory = sorted((f["rule_id"], f["status"]) for f in report["findings"]
                      if f["enforcement"] == "advisory" and f["status"] != "deferred")
    assert advisory == [("SAHAB-PLN-002", "unchecked")] * 7 + [("SAHAB-WKL-004", "violation")]
    evidence = json.loads((tmp_path / "evidence-prod.json").read_text())
    assert evidence["verdict"] == "pass" and len(evidence["controls"]) > 5


def test_bucket_outside_the_uae_fails_the_gate(sahab_cli, offshore: Path, tmp_path: Path):
    out = tmp_path / "gate.sarif"
    result = sahab_cli(["gate", str(offshore), "--stack", "dev", "--no-checkov", "--format", "sarif", "--out", str(out)])
    assert result.returncode == 1, result.stderr
    sarif = json.loads(out.read_text())
    errors = {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"])
              for r in sarif["runs"][0]["results"] if r["level"] == "error"}
    assert ("SAHAB-RES-001", "urn:pulumi:dev::offshore::aws:s3/bucket:Bucket::offshore") in errors
    assert sarif_schema_errors(sarif) == []


def test_console_report_names_the_blocking_rule(sahab_cli, offshore: Path):
    result = sahab_cli(["gate", str(offshore), "--stack", "dev", "--no-checkov"])
    assert result.returncode == 1
    assert "SAHAB-RES-001" in result.stdout
    assert "FAIL:" in result.stdout


def test_waiver_lets_a_reviewed_exception_through(sahab_cli, offshore: Path, tmp_path: Path):
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("""waivers:
  - rule: SAHAB-RES-001
    urn: "urn:pulumi:dev::offshore::aws:s3/bucket:Bucket::offshore"
    reason: Public model card mirror, no personal data (DPO review 2026-11)
    approver: dpo@example.ae
    expires: 2099-12-31
""")
    result = sahab_cli(["gate", str(offshore), "--stack", "dev", "--no-checkov", "--format", "json", "--waivers", str(waivers)])
    report = json.loads(result.stdout)
    statuses = {(f["rule_id"], f["status"]) for f in report["findings"] if f["urn"].endswith("::offshore")}
    assert ("SAHAB-RES-001", "waived") in statuses
    blocking = {f["rule_id"] for f in report["findings"] if f["status"] == "violation" and f["enforcement"] == "mandatory"}
    # Only the residency finding is waived: the unencrypted, unblocked bucket still fails the gate.
    assert "SAHAB-RES-001" not in blocking and "SAHAB-ENC-001" in blocking
    assert result.returncode == 1


def test_expired_waiver_stops_the_gate_with_exit_2(sahab_cli, offshore: Path, tmp_path: Path):
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - {rule: SAHAB-RES-001, urn: '*', reason: r, approver: a, expires: 2020-01-01}\n")
    result = sahab_cli(["gate", str(offshore), "--stack", "dev", "--no-checkov", "--waivers", str(waivers)])
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: waivers.yaml waiver #1 for SAHAB-RES-001 expired on 2020-01-01 "
                                     "(renew it after review, or remove it and fix the finding)")


def test_unreachable_opa_server_is_an_engine_failure(sahab_cli, offshore: Path):
    result = sahab_cli(["gate", str(offshore), "--stack", "dev", "--no-checkov", "--engine", "opa",
                        "--opa-url", "http://127.0.0.1:9"])
    assert result.returncode == 3
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: no OPA server at http://127.0.0.1:9")
    assert "Traceback" not in result.stderr


def test_policy_test_command_runs_every_rego_test(sahab_cli):
    result = sahab_cli(["policy", "test"])
    assert result.returncode == 0, result.stdout
    passed, failed = result.stdout.strip().splitlines()[-1].split(", ")
    assert failed == "0 failed" and int(passed.split()[0]) >= 60


def test_a_policy_that_does_not_parse_is_an_engine_failure_in_one_line(sahab_cli, repo_root: Path, tmp_path: Path):
    policies = tmp_path / "policies"
    shutil.copytree(repo_root / "policies", policies)
    (policies / "lib" / "zz_broken.rego").write_text("package sahab.lib.zz_broken\n\nbroken(\n")
    result = sahab_cli(["policy", "test", "--policies", str(policies)])
    assert result.returncode == 3
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: regorus failed while loading policies: --> lib/zz_broken.rego:4:1")
