"""The npm releases the planner runs, installed once into a cache sahab owns.

``<cache>/node-components/<npm name>@<version>/`` holds a ``package.json`` naming the release
exactly and, after the first install, its ``package-lock.json`` (every package with its
``integrity`` hash): later installs are ``npm ci`` from that lock, so the code that constructs a
component does not change under the plan and npm refuses a tarball whose hash differs. Installs
run with ``--ignore-scripts`` (no package code runs at install time), outside the program's
sandbox (they need the registry), under a file lock (two plans may install at once).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, NamedTuple, Optional

from .packages import Release

INSTALL_TIMEOUT = 600.0
_DONE = ".sahab-installed"  # holds the sha256 of the lock the tree was installed from
_VERSIONS = ("@pulumi/pulumi", "@pulumi/aws", "@pulumi/kubernetes")


class Installed(NamedTuple):
    folder: Path
    lock_digest: str  # sha256:<hex> of package-lock.json
    versions: Dict[str, str]  # npm name -> installed version, for the plan's ``expanded``


class InstallError(Exception):
    """The release could not be installed; the message is the reason the plan shows."""


def cache_root() -> Path:
    """``$SAHAB_CACHE_DIR/node-components``, else ``$XDG_CACHE_HOME`` (or ``~/.cache``)``/sahab/node-components``."""
    configured = os.environ.get("SAHAB_CACHE_DIR")
    if configured:
        return Path(configured) / "node-components"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sahab" / "node-components"


def install(release: Release, npm: str, root: Optional[Path] = None) -> Installed:
    """The release's folder, installed now if it is not already (InstallError with the reason otherwise)."""
    folder = (root or cache_root()) / release.spec.replace("/", "+")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / (folder.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = {"name": "sahab-node-component", "private": True, "dependencies": {release.package.npm: release.version}}
        (folder / "package.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        lock_file = folder / "package-lock.json"
        done = folder / "node_modules" / _DONE
        if not (lock_file.is_file() and done.is_file() and done.read_text(encoding="utf-8") == _digest(lock_file)):
            command = "ci" if lock_file.is_file() else "install"
            _npm(npm, [command, "--ignore-scripts", "--no-audit", "--no-fund", "--no-update-notifier"], folder)
            done.write_text(_digest(lock_file), encoding="utf-8")
    return Installed(folder, _digest(lock_file), _versions(folder, release))


def _npm(npm: str, arguments: list, folder: Path) -> None:
    try:
        result = subprocess.run([npm, *arguments], cwd=str(folder), stdin=subprocess.DEVNULL, capture_output=True,
                                text=True, timeout=INSTALL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise InstallError("npm %s in %s did not finish within %d s" % (arguments[0], folder, INSTALL_TIMEOUT)) from None
    except OSError as exc:
        raise InstallError("cannot run %s: %s" % (npm, exc.strerror)) from None
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if "ERR" in line] or result.stderr.strip().splitlines()
        raise InstallError("npm %s in %s failed: %s" % (arguments[0], folder, " ".join(errors[:3]) or "exit %d" % result.returncode))


def _digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _versions(folder: Path, release: Release) -> Dict[str, str]:
    found = {}
    for name in (release.package.npm, *_VERSIONS):
        try:
            found[name] = json.loads((folder / "node_modules" / name / "package.json").read_text(encoding="utf-8"))["version"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def find_npm(node: str) -> Optional[str]:
    """npm beside ``node`` (one installation), else on PATH."""
    beside = Path(node).resolve().parent / "npm"
    return str(beside) if beside.is_file() else shutil.which("npm")
