"""Temporary folders that are removed on every exit path, or reclaimed by the next run.

A folder made here records the PID of the sahab that made it (:data:`OWNER`). It is removed when
its ``with`` block ends, however it ends (an error, Ctrl-C, SIGTERM raised as an exception). Only
SIGKILL (or a power cut) leaves one behind; the next run that makes a folder with the same prefix
removes those whose owner is dead and that are older than :data:`STALE_AFTER` (a folder of a live
run in another PID namespace sharing the temporary directory is thus not touched while young).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator, Optional

OWNER = ".sahab-owner"
STALE_AFTER = 3600.0  # seconds


@contextlib.contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A fresh private folder ``<tmp>/<prefix>*`` for the ``with`` block, reclaiming stale ones first."""
    reclaim_stale(prefix)
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        (path / OWNER).write_text("%d\n" % os.getpid(), encoding="ascii")
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def reclaim_stale(prefix: str, root: Optional[Path] = None) -> None:
    """Remove the folders ``prefix*`` in ``root`` (the temporary directory) that this user owns,
    whose recorded owner is dead and that were last changed over :data:`STALE_AFTER` ago."""
    root = Path(root or tempfile.gettempdir())
    try:
        entries = [entry for entry in os.scandir(root) if entry.name.startswith(prefix)]
    except OSError:
        return
    now = time.time()
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
            if not entry.is_dir(follow_symlinks=False) or info.st_uid != os.getuid() or now - info.st_mtime < STALE_AFTER:
                continue
            owner = int((Path(entry.path) / OWNER).read_text(encoding="ascii"))
        except (OSError, ValueError):
            continue  # not ours, not readable, or made by an older sahab: left alone
        if not _alive(owner):
            shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        pass
    return True
