"""Shared pieces of the hostile-input tests: a tiny project and one refusal check."""
from __future__ import annotations

import subprocess
from pathlib import Path

from program_projects import IN_THE_UAE
from program_projects import write_project as write_program_project

EXIT_USAGE = 2

PROGRAM = '''import pulumi
import pulumi_aws as aws

uae = aws.Provider("uae", region="me-central-1")
aws.s3.Bucket("offshore", region="eu-west-1", opts=pulumi.ResourceOptions(provider=uae))
pulumi.export("bucket", "offshore")
'''


def write_project(root: Path, program: str = PROGRAM, stack_config: str = IN_THE_UAE) -> Path:
    return write_program_project(root, program, stack_config, name="hostile")


def assert_refused(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit 2, exactly one ``error:`` line on stderr holding every fragment, no traceback, no verdict."""
    assert result.returncode == EXIT_USAGE, (result.returncode, result.stderr[-2000:])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert "PASS" not in result.stdout and "PASS" not in result.stderr
    return lines[0]
