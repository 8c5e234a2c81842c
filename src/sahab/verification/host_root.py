"""Checks of a host whose root file system is mounted in a folder: run every command under ``chroot``.

Why: nodes boot with SSH disabled (``NodeBootstrap(ssh="disabled")``), so the way in is the one
operators use, a node-debug pod (``kubectl debug node/NAME``: the node's ``/`` mounted at ``/host``,
the node's PID, network and IPC namespaces) and ``chroot /host``. Wrapping testinfra's commands
there, rather than prefixing paths in every check, keeps one set of node checks for every
transport: each file test, ``sshd -T``, ``sysctl``, ``ss``, ``auditctl`` and ``containerd`` runs the
node's own binaries on the node's own files, exactly as over SSH.

Duck-typed on testinfra's backend (``get_command``, ``set_host``), so importing this module never
imports testinfra (``sahab[verify]`` is an extra).
"""
from __future__ import annotations

import copy
import shlex
from typing import Any, Callable


def chroot_command(root: str, command: str) -> str:
    """``command`` (a shell command line) run by ``/bin/sh`` under ``chroot root``."""
    return "chroot %s /bin/sh -c %s" % (shlex.quote(root), shlex.quote(command))


def rooted(host: Any, root: str) -> Any:
    """A testinfra ``Host`` like ``host`` whose commands all run under ``chroot root``.

    The backend is copied, not changed: testinfra caches hosts, and the same host may be checked
    directly elsewhere. ``sudo`` (``?sudo=true``) still wraps the whole command, so ``chroot`` runs
    as root.
    """
    backend = copy.copy(host.backend)
    original: Callable[..., str] = host.backend.get_command

    def get_command(command: str, *args: str) -> str:
        return original(chroot_command(root, backend.quote(command, *args)))

    backend.get_command = get_command
    wrapped = type(host)(backend)
    backend.set_host(wrapped)
    return wrapped
