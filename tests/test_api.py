"""The library API gives the verdict `sahab gate` gives, without the command line."""
from __future__ import annotations

from pathlib import Path

import pytest

import sahab
from sahab.gate.config import GateConfig
from program_projects import write_project

PROGRAM = '''import pulumi
import pulumi_aws as aws

uae = aws.Provider("uae", region="me-central-1")
aws.s3.Bucket("offshore", region="eu-west-1", opts=pulumi.ResourceOptions(provider=uae))
'''


def test_run_gate_plans_and_judges_a_project_like_the_command_line(tmp_path: Path) -> None:
    write_project(tmp_path, PROGRAM, name="offshore")
    phases = []

    run = sahab.run_gate(tmp_path, "dev", GateConfig(checkov_enabled=False), phase=phases.append)

    assert run.result.exit_code == 1
    assert ("SAHAB-RES-001", "urn:pulumi:dev::offshore::aws:s3/bucket:Bucket::offshore") in {
        (f.rule_id, f.urn) for f in run.result.blocking}
    assert run.result.resources == len(run.plan["resources"])
    assert phases == ["planning %s (stack dev)" % tmp_path, "evaluating %d rules" % len(run.bundle.rules)]


def test_the_package_resolves_only_its_api_names() -> None:
    assert sahab.plan_project.__module__ == "sahab.planner"
    with pytest.raises(AttributeError, match="has no attribute 'not_an_api'"):
        sahab.not_an_api  # noqa: B018
