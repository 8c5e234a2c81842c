"""Fixtures of the hostile-input tests: a tiny project and a saved plan of it."""
from __future__ import annotations

from pathlib import Path

import pytest

from hostile import write_project


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> Path:
    return write_project(tmp_path_factory.mktemp("hostile") / "project")


@pytest.fixture(scope="session")
def saved_plan(sahab_cli, project: Path, tmp_path_factory) -> Path:
    """The project's plan, written once: gating it (--plan) runs no program."""
    out = tmp_path_factory.mktemp("plan") / "plan.json"
    completed = sahab_cli(["plan", str(project), "--stack", "dev", "--out", str(out), "--format", "json"])
    assert completed.returncode == 0, completed.stderr
    return out
