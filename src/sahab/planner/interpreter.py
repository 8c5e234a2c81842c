"""Pick the Python interpreter that runs a program: its own virtualenv when it names one.

A program's dependencies live in its own environment (``runtime.options.virtualenv`` or a
toolchain such as uv or poetry in ``Pulumi.yaml``), exactly as ``pulumi preview`` would use them;
otherwise the program runs with the interpreter that runs sahab.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

from ..errors import UsageError
from .project import PulumiProject


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def choose_interpreter(project: PulumiProject, override: Optional[str] = None) -> str:
    """The interpreter path for ``project``; ``override`` (``--python``) wins when given."""
    if override:
        if shutil.which(override) is None and not Path(override).is_file():
            raise UsageError("--python %s is not an interpreter" % override, "pass the path of a python executable")
        return override
    options = project.runtime
    venv: Optional[Path] = None
    if options.virtualenv:
        venv = (project.root / options.virtualenv).resolve()
    elif options.toolchain == "uv":
        venv = project.root / ".venv"
    elif options.toolchain == "poetry":
        venv = _poetry_env(project.root)
    if venv is None:
        return sys.executable
    python = _venv_python(venv)
    if not python.exists():
        raise UsageError(
            "Pulumi.yaml asks for the virtualenv %s, which does not exist" % venv,
            _setup_hint(project, venv),
        )
    return str(python)


def _setup_hint(project: PulumiProject, venv: Path) -> str:
    if project.runtime.toolchain == "uv":
        return "run `uv sync` in %s, or pass --python" % project.root
    if project.runtime.toolchain == "poetry":
        return "run `poetry install` in %s, or pass --python" % project.root
    return "create it with `python -m venv %s` and install the program's requirements, or pass --python" % venv


def _poetry_env(root: Path) -> Path:
    poetry = shutil.which("poetry")
    if poetry is None:
        raise UsageError("Pulumi.yaml uses the poetry toolchain but poetry is not installed", "install poetry, or pass --python")
    completed = subprocess.run([poetry, "env", "info", "--path"], cwd=root, capture_output=True, text=True, check=False)
    if completed.returncode != 0 or not completed.stdout.strip():
        raise UsageError("poetry has no environment for %s" % root, "run `poetry install` there, or pass --python")
    return Path(completed.stdout.strip())
