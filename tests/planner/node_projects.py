"""Helpers for the multi-language component tests (imported as a module, not fixtures: ruff F811).

The fixture programs are written as the packages' READMEs write them and run in a virtualenv that
sees this environment's packages plus the packages' Python SDKs
(``tests/fixtures/programs/node_components_requirements.txt``, installed into
``.tools/python-components``, not sahab dependencies).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any, Dict, List

from awsx_plugin import locked
from planner_helpers import program

REPO = Path(__file__).resolve().parents[2]
COMPONENTS = REPO / ".tools" / "python-components"
REQUIREMENTS = program("node_components_requirements.txt")
CACHE = REPO / ".tools" / "test-cache"


def install_python_sdks() -> None:
    """The SDKs of the requirements file, hash-checked, into COMPONENTS (emptied first when the file changed).

    Under a lock: another xdist worker (or test session) may be installing or reading them.
    """
    stamp = COMPONENTS / ".requirements"
    with locked(COMPONENTS.with_name(COMPONENTS.name + ".lock")):
        if stamp.is_file() and stamp.read_text() == REQUIREMENTS.read_text():
            return
        shutil.rmtree(COMPONENTS, ignore_errors=True)  # another version's dist-info would stay beside the new one
        uv = REPO / ".tools" / "uv" / "bin" / "uv"
        subprocess.run([str(uv), "pip", "install", "--quiet", "--no-deps", "--require-hashes", "--python", sys.executable,
                        "--target", str(COMPONENTS), "-r", str(REQUIREMENTS)], check=True)
        stamp.write_text(REQUIREMENTS.read_text())


def python_project(tmp_path_factory: Any, name: str) -> Path:
    """The fixture program ``name`` with its own `venv/`: this environment's packages plus the SDKs above."""
    install_python_sdks()
    root = tmp_path_factory.mktemp(name) / "project"
    shutil.copytree(program(name), root)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    purelib = subprocess.run([str(root / "venv" / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "sahab-test.pth").write_text("%s\n%s\n" % (sysconfig.get_paths()["purelib"], COMPONENTS), encoding="utf-8")
    return root


def children(doc: Dict[str, Any], urn: str) -> List[Dict[str, Any]]:
    """Every resource below ``urn`` (children, their children, ...)."""
    below, found = {urn}, []
    for item in sorted(doc["resources"], key=lambda r: r["urn"].count("$")):
        if item.get("parent") in below:
            below.add(item["urn"])
            found.append(item)
    return found


def gate(project: Path, *extra: str) -> subprocess.CompletedProcess:
    """``sahab gate`` on ``project``'s dev stack, JSON report (checkov off), in this process's environment."""
    env = dict(os.environ, SAHAB_CACHE_DIR=str(CACHE))
    return subprocess.run([sys.executable, "-m", "sahab.cli", "gate", str(project), "--stack", "dev", "--no-checkov",
                           "--format", "json", *extra], capture_output=True, text=True, env=env, timeout=600, check=False)
