"""Locate the isolated checkov installation.

checkov cannot live in sahab's environment (it pins ``packaging<24``; Pulumi needs
``packaging>=26``), so it runs as a process from its own virtualenv, installed from the
hash-locked requirements shipped in the package (``checkov-lock/requirements.txt``). Searched in
this order:

1. ``$SAHAB_CHECKOV``: an executable named explicitly (used as given);
2. ``.tools/checkov`` of a source checkout, made by ``./bootstrap``;
3. ``<data dir>/checkov``, made by ``sahab setup`` (:mod:`sahab.tools.data_dir`).

A found environment must have been installed from the lock this sahab ships (its stamp holds the
lock's sha256): after an upgrade that changed the lock, an old environment would run another
checkov and report different findings, so it is refused with the command that refreshes it.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from ..errors import SetupError
from .data_dir import data_dir

PINNED_CHECKOV_VERSION = "3.3.30"
LOCK_FILE = Path(__file__).with_name("checkov-lock") / "requirements.txt"
STAMP_NAME = ".sahab-lock-sha256"          # in the environment: the sha256 of the lock it came from
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class CheckovHome:
    """A checkov virtualenv sahab manages, and the command that (re)creates it."""

    root: Path
    refresh: str

    @property
    def executable(self) -> Path:
        return self.root / "bin" / "checkov"

    @property
    def stamp(self) -> Path:
        return self.root / STAMP_NAME

    def installed_lock(self) -> str:
        """The sha256 of the lock this environment was installed from ("" when unknown)."""
        try:
            return self.stamp.read_text(encoding="utf-8").strip()
        except OSError:
            return ""


def lock_sha256() -> str:
    """The sha256 of the shipped lock, as ``sha256sum`` prints it."""
    return hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()


def checkout_root() -> Optional[Path]:
    """The source checkout sahab runs from (an editable install), or None for an installed wheel."""
    root = _PACKAGE_DIR.parents[1]
    if _PACKAGE_DIR.parent.name == "src" and (root / "pyproject.toml").is_file() and (root / "bootstrap").is_file():
        return root
    return None


def managed_homes() -> List[CheckovHome]:
    """Where sahab looks for a checkov environment it manages, in order."""
    homes = []
    checkout = checkout_root()
    if checkout is not None:
        homes.append(CheckovHome(checkout / ".tools" / "checkov", "run ./bootstrap in %s" % checkout))
    homes.append(CheckovHome(data_dir() / "checkov", "run `sahab setup`"))
    return homes


def checkov_executable() -> Path:
    """The checkov executable to run; one clear error line when there is none or it is stale."""
    configured = os.environ.get("SAHAB_CHECKOV")
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise SetupError("SAHAB_CHECKOV=%s is not a file" % configured, "point it at a checkov executable")
        return path
    want = lock_sha256()
    for home in managed_homes():
        if not home.executable.is_file():
            continue
        if home.installed_lock() != want:
            raise SetupError("checkov in %s was not installed from this sahab's lock (checkov %s): %s"
                             % (home.root, PINNED_CHECKOV_VERSION, home.refresh), "or pass --no-checkov")
        return home.executable
    raise SetupError("checkov is not installed: run `sahab setup`", "or pass --no-checkov")
