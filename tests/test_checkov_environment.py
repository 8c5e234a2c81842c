"""checkov runs from its own isolated environment, never from the project's.

checkov pins packaging<24 while Pulumi >= 3.224 needs packaging>=26: they cannot share an
environment, so ./bootstrap (and `sahab setup` for an installed wheel) creates one from the
hash-locked requirements shipped in the package (src/sahab/tools/checkov-lock/requirements.txt).
"""
from __future__ import annotations

import subprocess
from importlib.metadata import PackageNotFoundError, distribution, version

import pytest

from sahab.tools.checkov import LOCK_FILE, PINNED_CHECKOV_VERSION, checkov_executable


def test_checkov_is_not_installed_in_the_project_environment():
    with pytest.raises(PackageNotFoundError):
        distribution("checkov")
    assert int(version("packaging").split(".")[0]) >= 26


def test_isolated_checkov_runs_the_pinned_version():
    executable = checkov_executable()
    completed = subprocess.run([str(executable), "--version"], capture_output=True, text=True, timeout=120, check=True)
    assert completed.stdout.strip() == PINNED_CHECKOV_VERSION


def test_lock_file_pins_the_same_version():
    lock = LOCK_FILE.read_text()
    assert "checkov==%s " % PINNED_CHECKOV_VERSION in lock
    assert "packaging==23." in lock
