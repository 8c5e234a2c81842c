"""Open a file sahab reads as input, refusing what could hang or exhaust it.

A FIFO or a device opened for reading blocks or never ends; a huge file exhausts memory; a
symlink can point out of the project (``/etc/shadow``, a CI secret) or at itself. Every input
is therefore opened without blocking, checked to be a regular file *after* opening (no race
between a check and the read) and read up to a size limit. Files collected from the project
(:func:`read_project_file`) must also stay inside the project once symlinks are resolved.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..errors import ConfigError

MAX_INPUT_BYTES = 4 * 1024 * 1024  # sahab.yaml, stack files, waivers, stack outputs, project files


def describe_size(limit: int) -> str:
    return "%d MiB" % (limit // (1024 * 1024)) if limit % (1024 * 1024) == 0 else "%d bytes" % limit


class RefusedFile(Exception):
    """A file sahab will not read; ``reason`` completes "<path> ..." (``is a FIFO, not a regular file``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_input_bytes(path: Path, what: str, fix: str, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of the regular file ``path``; ConfigError (exit 2) naming ``what`` and ``fix`` otherwise.

    ``what`` names the input (``waivers file``), ``fix`` is the hint (the flag or setting that named it).
    """
    try:
        return _read_regular(path, max_bytes)
    except RefusedFile as exc:
        raise ConfigError("%s %s %s" % (what, path, exc.reason), fix) from None


def read_project_file(root: Path, path: Path, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of ``path``, a file found under the project ``root``; :class:`RefusedFile` when it is
    a symlink leaving the project, a symlink loop, not a regular file, or over ``max_bytes``."""
    try:
        resolved = path.resolve(strict=True)
    except RuntimeError:  # Python < 3.13: a symlink loop
        raise RefusedFile("is a symlink loop") from None
    except OSError as exc:
        raise RefusedFile("is a symlink loop" if exc.errno == errno.ELOOP else "cannot be read: %s" % exc.strerror) from None
    try:
        resolved.relative_to(root.resolve())
    except ValueError:
        raise RefusedFile("is a symlink to %s, outside the project" % resolved) from None
    return _read_regular(resolved, max_bytes)


def _read_regular(path: Path, max_bytes: int) -> bytes:
    """Open without blocking (a FIFO would wait for a writer), check the *opened* file, read at most ``max_bytes``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise RefusedFile("is a symlink loop" if exc.errno == errno.ELOOP else "cannot be read: %s" % exc.strerror) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFile("is %s, not a regular file" % _kind(info.st_mode))
        if info.st_size > max_bytes:
            raise RefusedFile("is larger than the %s limit (%d bytes)" % (describe_size(max_bytes), info.st_size))
        chunks = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise RefusedFile("cannot be read: %s" % exc.strerror) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:  # it grew while read
        raise RefusedFile("is larger than the %s limit" % describe_size(max_bytes))
    return data


def read_input_text(path: Path, what: str, fix: str, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """:func:`read_input_bytes` decoded as UTF-8 (a leading BOM dropped); exit 2 if it is not UTF-8."""
    data = read_input_bytes(path, what, fix, max_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError("%s %s is not UTF-8 text (invalid byte 0x%02x on line %d)" % (what, path, data[exc.start], line),
                          "save it as UTF-8") from None


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"
