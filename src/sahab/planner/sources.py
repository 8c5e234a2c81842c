"""The source root: what every program path in a plan is relative to.

Code scanning (GitHub, GitLab) resolves a finding's file against the repository root, so when the
project sits inside a git repository (a monorepo's ``infra/stacks/prod``) paths are relative to
that root; otherwise to the project folder. Never absolute: an absolute path leaks the machine's
layout and makes plans differ between checkouts.
"""
from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Optional


def repository_root(start: Path) -> Optional[Path]:
    """The nearest folder at or above ``start`` that holds ``.git``.

    Found by walking up rather than running git (git need not be installed where plans are made).
    ``.git`` is a folder in a clone and a ``gitdir:`` file in a worktree or submodule.
    """
    for folder in (start, *start.parents):
        marker = folder / ".git"
        if marker.is_dir() or (marker.is_file() and _is_gitdir_file(marker)):
            return folder
    return None


def source_root(project_root: Path) -> Path:
    """The repository root when ``project_root`` is inside one, else ``project_root`` itself."""
    return repository_root(project_root) or project_root


def relative_posix(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form (``.`` for the root itself)."""
    return PurePosixPath(*path.relative_to(root).parts).as_posix()


def _is_gitdir_file(marker: Path) -> bool:
    try:
        with marker.open(encoding="utf-8", errors="replace") as handle:
            return handle.read(7) == "gitdir:"
    except OSError:
        return False
