"""Where ``sahab setup`` keeps what an installed sahab needs beside its own package.

An installed wheel has no checkout to hold checkov's environment or a runnable CrossGuard pack,
so they live in one per-user folder: ``$SAHAB_DATA_DIR`` if set, else ``$XDG_DATA_HOME/sahab``,
else ``~/.local/share/sahab`` (the XDG base directory default). The folder holds ``checkov/``
(checkov's virtualenv) and ``crossguard/`` (the policy pack); see docs/install.md.
"""
from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "SAHAB_DATA_DIR"


def data_dir() -> Path:
    """The data folder in effect (it may not exist yet)."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "sahab"
