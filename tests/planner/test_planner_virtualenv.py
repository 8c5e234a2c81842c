"""A program that names its own virtualenv in Pulumi.yaml runs with that interpreter."""
from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from planner_helpers import assert_valid, program, resource


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The fixture program with `venv/` created next to it: a bare virtualenv that sees this
    environment's packages (pulumi, pulumi-aws) through a .pth file, offline and fast."""
    root = tmp_path_factory.mktemp("own-venv") / "project"
    shutil.copytree(program("virtualenv"), root)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    purelib = subprocess.run(
        [str(root / "venv" / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "sahab-test-parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def doc(project):
    from sahab.planner import plan_project

    return plan_project(project, "dev")


def test_program_ran_with_its_own_interpreter(project, doc):
    venv = (project / "venv").resolve()
    assert doc["outputs"]["python"] == str(venv / "bin" / "python")
    assert doc["outputs"]["prefix"] == str(venv)
    assert doc["outputs"]["python"] != sys.executable


def test_plan_is_complete(doc):
    assert_valid(doc)
    bucket = resource(doc, "aws:s3/bucket:Bucket", "artifacts")
    assert (bucket["region"], bucket["regionSource"]) == ("me-central-1", "resource")
