"""One builder for the small Pulumi projects tests write: a program, its Pulumi.yaml and a stack file."""
from __future__ import annotations

from pathlib import Path

IN_THE_UAE = "config:\n  aws:region: me-central-1\n"


def write_project(root: Path, program: str, stack_config: str = IN_THE_UAE, name: str = "test",
                  stack: str = "dev") -> Path:
    """``root`` (created if needed) as a Python Pulumi project ``name`` with stack ``stack``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text("name: %s\nruntime: python\n" % name)
    (root / ("Pulumi.%s.yaml" % stack)).write_text(stack_config)
    (root / "__main__.py").write_text(program)
    return root
