"""Shared pieces of the hostile-input tests: a tiny project and one refusal check."""
from __future__ import annotations

import subprocess
from pathlib import Path

EXIT_USAGE = 2

PROGRAM = '''import pulumi
import pulumi_aws as aws

uae = aws.Provider("uae", region="me-central-1")
aws.s3.Bucket("offshore", region="eu-west-1", opts=pulumi.ResourceOptions(provider=uae))
pulumi.export("bucket", "offshore")
'''


def write_project(root: Path, program: str = PROGRAM, stack_config: str = "config:\n  aws:region: me-central-1\n") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text("name: hostile\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text(stack_config)
    (root / "__main__.py").write_text(program)
    return root


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
