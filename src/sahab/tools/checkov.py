"""Locate the isolated checkov installation.

checkov cannot live in sahab's environment (it pins ``packaging<24``; Pulumi needs
``packaging>=26``), so it runs as a process from its own virtualenv: ``$SAHAB_CHECKOV`` if set,
else ``.tools/checkov`` made by ``./bootstrap`` in a source checkout, else ``checkov`` on PATH
(e.g. ``uv tool install checkov==3.3.30``).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import UsageError

PINNED_CHECKOV_VERSION = "3.3.30"
_CHECKOUT_ROOT = Path(__file__).resolve().parents[3]


def checkov_executable() -> Path:
    """The checkov executable to run; a clear error when there is none."""
    configured = os.environ.get("SAHAB_CHECKOV")
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise UsageError("SAHAB_CHECKOV=%s is not a file" % configured, "point it at a checkov executable")
        return path
    bootstrapped = _CHECKOUT_ROOT / ".tools" / "checkov" / "bin" / "checkov"
    if bootstrapped.is_file():
        return bootstrapped
    on_path = shutil.which("checkov")
    if on_path:
        return Path(on_path)
    raise UsageError(
        "checkov is not installed",
        "run ./bootstrap in a sahab checkout, or `uv tool install checkov==%s`, or set SAHAB_CHECKOV" % PINNED_CHECKOV_VERSION,
    )
