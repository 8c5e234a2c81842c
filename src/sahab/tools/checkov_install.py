"""Create checkov's isolated environment from the lock shipped in the package.

Used by ``sahab setup`` (an installed wheel: under the data dir) and ``./bootstrap`` (a checkout:
``.tools/checkov``), so both install the same way: a new virtualenv, the hash-locked requirements
with ``--require-hashes`` (uv when available, else ``python -m venv`` and pip), then
``checkov --version`` must print the pinned version before the stamp (the lock's sha256) is
written. The locator (:mod:`sahab.tools.checkov`) only accepts an environment with that stamp, so
a half-finished or outdated install is never used. Idempotent: an environment stamped with the
current lock is left alone (``--force`` reinstalls it). No bytecode is compiled at install: the
gate runs checkov with ``PYTHONPYCACHEPREFIX`` under sahab's cache
(:mod:`sahab.gate.checkov.runner`), so bytecode in the environment would not be read.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from ..errors import SetupError
from .checkov import LOCK_FILE, PINNED_CHECKOV_VERSION, CheckovHome, lock_sha256

INSTALL_TIMEOUT = 1800.0
_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")   # user:token@ in an index URL


@dataclass(frozen=True)
class CheckovSetup:
    """What :func:`install_checkov` did: ``installed``, ``reinstalled`` or ``unchanged``."""

    root: Path
    executable: Path
    version: str
    action: str


def install_checkov(root: Path, *, uv: Optional[str] = None, force: bool = False) -> CheckovSetup:
    """Make ``root`` a virtualenv with the locked checkov; reinstall when the lock changed.

    ``uv`` is the uv executable to install with (default: ``uv`` on PATH, else pip).
    """
    home = CheckovHome(Path(root).absolute(), "run `sahab setup`")
    root, executable, want = home.root, home.executable, lock_sha256()
    if not force and home.installed_lock() == want and executable.is_file():   # the stamp is written after the check below
        return CheckovSetup(root, executable, PINNED_CHECKOV_VERSION, "unchanged")
    existed = root.exists()
    _clear(root)
    installer = uv or shutil.which("uv")
    for step in (_uv_steps(installer, root) if installer else _pip_steps(root)):
        _run(step, root)
    version = _version(executable)
    if version != PINNED_CHECKOV_VERSION:
        raise SetupError("checkov in %s reports version %r after installing, not %s" % (root, version, PINNED_CHECKOV_VERSION),
                         "remove the folder and run `sahab setup` again")
    home.stamp.write_text(want + "\n", encoding="utf-8")
    return CheckovSetup(root, executable, version, "reinstalled" if existed else "installed")


def _uv_steps(uv: str, root: Path) -> List[List[str]]:
    return [[uv, "venv", "--quiet", "--python", sys.executable, str(root)],
            [uv, "pip", "install", "--quiet", "--python", str(root / "bin" / "python"),
             "--require-hashes", "-r", str(LOCK_FILE)]]


def _pip_steps(root: Path) -> List[List[str]]:
    return [[sys.executable, "-m", "venv", str(root)],
            [str(root / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
             "--require-hashes", "-r", str(LOCK_FILE)]]


def _clear(root: Path) -> None:
    """Remove an earlier environment, but never a folder that is not one (a mistyped --data-dir)."""
    if not root.exists():
        return
    if root.is_dir() and ((root / "pyvenv.cfg").is_file() or not any(root.iterdir())):
        shutil.rmtree(root)
        return
    raise SetupError("%s exists and is not a virtualenv sahab made" % root, "remove it or choose another --data-dir")


def _run(command: List[str], root: Path) -> None:
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SetupError("installing checkov into %s failed: %s: %s" % (root, Path(command[0]).name, _redact(str(exc))),
                         "check the installer and network access to the package index") from None
    if completed.returncode != 0:
        output = _redact((completed.stderr or "") + (completed.stdout or ""))
        last = next((line.strip() for line in reversed(output.splitlines()) if line.strip()), "exit code %d" % completed.returncode)
        raise SetupError("installing checkov into %s failed: %s" % (root, last),
                         "check network access to the package index; --debug shows the installer's output",
                         details=output)


def _version(executable: Path) -> Optional[str]:
    """What ``checkov --version`` prints, or None when it does not run."""
    try:
        completed = subprocess.run([str(executable), "--version"], capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def _redact(text: str) -> str:
    return _CREDENTIALS.sub("***@", text)
