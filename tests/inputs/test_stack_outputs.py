"""``--stack-outputs`` is validated: no malformed file can make a secret appear in the clear.

The program below sends a secret stack output into a property a residency rule reports on. Read
correctly, the value is secret and no output shows it; read loosely, a malformed file would leave
it plain and every report would print it. Each malformed shape must stop ``sahab plan`` and
``sahab gate`` with exit 2 before the program runs, writing no report.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostile import assert_refused, write_project
from sahab.reports.gate_formats import FORMATS

SECRET = "eu-west-1-hunter2-s3cr3t"
PROGRAM = '''import pulumi
import pulumi_aws as aws

network = pulumi.StackReference("org/net/prod")
password = network.require_output("dbPassword")
uae = aws.Provider("uae", region="me-central-1")
aws.ssm.Parameter("db", type="SecureString", value=password, opts=pulumi.ResourceOptions(provider=uae))
aws.s3.Bucket("leaky", region=password, tags={"vpc": network.require_output("vpcId")},
              opts=pulumi.ResourceOptions(provider=uae))
'''
GOOD = {"org/net/prod": {"outputs": {"vpcId": "vpc-0a1b", "dbPassword": SECRET}, "secretOutputNames": ["dbPassword"]}}

MALFORMED = {
    "names as a string": ({"org/net/prod": {"outputs": {"vpcId": "vpc-0a1b", "dbPassword": SECRET},
                                            "secretOutputNames": "dbPassword"}},
                          "org/net/prod: secretOutputNames must be a list of output names, not text"),
    "names not strings": ({"org/net/prod": {"outputs": {"vpcId": "vpc-0a1b", "dbPassword": SECRET},
                                            "secretOutputNames": [["dbPassword"]]}},
                          "org/net/prod: secretOutputNames must be a list of output names, not a list holding list"),
    "a misspelt name": ({"org/net/prod": {"outputs": {"vpcId": "vpc-0a1b", "dbPassword": SECRET},
                                          "secretOutputNames": ["dbpassword"]}},
                        "org/net/prod: secretOutputNames names 'dbpassword', which is not an output"),
    "outputs not a mapping": ({"org/net/prod": {"outputs": ["vpcId"], "secretOutputNames": ["dbPassword"], "vpcId": "vpc-0a1b",
                                                "dbPassword": SECRET}},
                              "org/net/prod has dbPassword, vpcId beside outputs/secretOutputNames"),
    "outputs a list, nothing beside": ({"org/net/prod": {"outputs": [SECRET], "secretOutputNames": ["dbPassword"]}},
                                       "org/net/prod: outputs must be a mapping, not a list"),
    "names without outputs": ({"org/net/prod": {"secretOutputNames": ["dbPassword"], "dbPassword": SECRET}},
                              "org/net/prod has dbPassword beside outputs/secretOutputNames"),
    "an entry that is a list": ({"org/net/prod": [SECRET]}, "org/net/prod must be a mapping of outputs, not a list"),
    "a document that is a list": ([GOOD], "must map stack names to outputs"),
}


@pytest.fixture(scope="module")
def reference_project(tmp_path_factory) -> Path:
    return write_project(tmp_path_factory.mktemp("reference") / "p", program=PROGRAM)


def _gate_every_format(root: Path, outputs: Path, out_dir: Path):
    args = ["gate", str(root), "--stack", "dev", "--no-checkov", "--stack-outputs", str(outputs),
            "--plan-out", str(out_dir / "plan.json")]
    for fmt in FORMATS:
        args += ["--format", fmt, "--out", str(out_dir / ("report." + fmt))]
    return args


def test_a_well_formed_file_keeps_the_secret_out_of_the_plan_and_every_report(sahab_cli, reference_project: Path,
                                                                              tmp_path: Path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(GOOD))
    planned = sahab_cli(["plan", str(reference_project), "--stack", "dev", "--stack-outputs", str(outputs), "--format", "json"],
                        timeout=180)
    assert planned.returncode == 0, planned.stderr
    assert "vpc-0a1b" in planned.stdout  # the plain output did reach the program
    assert SECRET not in planned.stdout + planned.stderr
    gated = sahab_cli(_gate_every_format(reference_project, outputs, tmp_path), timeout=180)
    assert gated.returncode in (0, 1), gated.stderr
    written = {path.name: path.read_text() for path in tmp_path.iterdir() if path.name.startswith(("report.", "plan."))}
    assert sorted(written) == sorted(["plan.json"] + ["report." + fmt for fmt in FORMATS])
    assert "vpc-0a1b" in written["plan.json"]
    for name, text in written.items():
        assert SECRET not in text, name
    assert SECRET not in gated.stdout + gated.stderr


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_file_is_refused_before_anything_is_planned_or_reported(sahab_cli, reference_project: Path,
                                                                           tmp_path: Path, case, suffix):
    document, message = MALFORMED[case]
    outputs = tmp_path / ("outputs" + suffix)
    outputs.write_text(json.dumps(document))  # JSON is YAML too
    planned = sahab_cli(["plan", str(reference_project), "--stack", "dev", "--stack-outputs", str(outputs), "--format", "json"],
                        timeout=180)
    line = assert_refused(planned, "stack outputs file %s: " % outputs if "org/net" in message else str(outputs), message,
                          "(fix --stack-outputs")
    assert SECRET not in line and planned.stdout == ""
    reports = tmp_path / "reports"
    gated = sahab_cli(_gate_every_format(reference_project, outputs, reports), timeout=180)
    assert_refused(gated, message)
    assert SECRET not in gated.stdout + gated.stderr
    assert not reports.exists() or not any(reports.iterdir())
