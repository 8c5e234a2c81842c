"""A Pulumi provider plugin run by the planner, in the program's sandbox, spoken to as the engine does.

The plugin protocol (Pulumi's ``pkg/resource/plugin``): the engine starts
``pulumi-resource-<package> <engine address>``, the plugin serves ``pulumirpc.ResourceProvider``
on ``127.0.0.1`` and prints the port on its first stdout line, and the engine calls it over gRPC.
For a multi-language component the engine calls ``Construct`` with the component's type, name,
inputs, parent, the stack's config and its own monitor's address, and the plugin registers the
children there. The planner does exactly that, with the planning monitor's gRPC address
(:mod:`.grpc_monitor`) as both the engine and the monitor, and ``dryRun``. No ``Configure``: the
engine does not configure a provider before a ``Construct`` either (the component's providers
arrive in the request).

The plugin runs in the program's sandbox (:func:`..sandbox.program_isolation`): the allow-listed
environment without credentials, its own network namespace whose loopback is up for the plugin
alone, a read-only filesystem but its scratch folder, and a supervised process tree with a
deadline (:mod:`..child`). sahab reaches its port through :mod:`.plugin_host`'s relay on a Unix
socket. Two sources share this: an installed plugin (``~/.pulumi/plugins``) and the provider an
npm release ships (``node <package>/cmd/provider``, what the plugin binary runs).
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, List, Optional, Sequence

from ...scratch import scratch_folder
from ..child import Supervised
from ..child import start as start_child
from ..monitor_server import require_socket_path
from ..sandbox import namespaces, program_environment, program_isolation

PLUGIN_HOST = Path(__file__).resolve().parent / "plugin_host.py"
START_TIMEOUT = 60.0  # seconds a plugin may take to print its port


class ProviderError(Exception):
    """The plugin could not construct the component; the message is the reason the plan shows."""


class ProviderProcess:
    """One provider plugin, started in the sandbox on first use and kept for the plan's other components.

    ``command``: the plugin's executable (and arguments before the engine address); ``folder``: the
    installed plugin's folder holding it, bound read-only beside the scratch folder (the sandbox
    hides ``~/.pulumi``) and run from there; None when the executable is readable in the sandbox
    as it is. ``name`` is how reasons name it.
    """

    def __init__(self, command: Sequence[str], name: str, engine: str, timeout: float,
                 folder: Optional[Path] = None) -> None:
        self.name = name
        self._command, self._engine, self._timeout, self._folder = list(command), engine, timeout, folder
        self._stack = contextlib.ExitStack()
        self._child: Optional[Supervised] = None
        self._channel: Optional[Any] = None
        self._socket = ""
        self._starting = threading.Lock()  # two components of the package may arrive at once

    def construct(self, request: Any) -> Any:
        """The ConstructResponse for ``request`` (a ConstructRequest); ProviderError with the reason otherwise."""
        import grpc
        from pulumi.runtime.proto import provider_pb2_grpc

        with self._starting:
            if self._channel is None:
                self._start()
        stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        try:
            return stub.Construct(request, timeout=self._timeout)
        except grpc.RpcError as exc:
            code = exc.code()
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                self.close()
                raise ProviderError("%s did not construct %s within %d s" % (self.name, request.type, self._timeout)) from None
            if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED, grpc.StatusCode.INTERNAL):
                raise ProviderError(self._ended(exc.details() or code.name)) from None
            raise ProviderError(((exc.details() or "").strip().splitlines() or [code.name])[0]) from None

    def close(self) -> None:
        """Kill the plugin's process tree and remove its scratch folder."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._child is not None:
            self._child.stop()
            self._child = None
        self._stack.close()

    # -- steps ----------------------------------------------------------------------------

    def _start(self) -> None:
        import grpc

        root = self._stack.enter_context(scratch_folder("sahab-plugin-"))
        scratch = root / "scratch"
        scratch.mkdir()
        self._socket = require_socket_path(str(scratch / "plugin.sock"))
        command = self._command
        prepare: List[str] = [sys.executable, "-I", "-S", str(PLUGIN_HOST), "prepare"]
        if self._folder is not None and namespaces().read_only:  # the lock would hide ~/.pulumi: bind the folder
            (root / "plugin").mkdir()
            prepare += ["--bind", str(self._folder), str(root / "plugin")]
            command = [str(root / "plugin" / Path(command[0]).relative_to(self._folder)), *command[1:]]
        isolation = program_isolation(scratch, prepare=[*prepare, "--"])
        env = program_environment(os.environ, ())
        env.update(isolation.environment)
        relay = [sys.executable, "-I", "-S", str(PLUGIN_HOST), "relay", self._socket, *command, self._engine]
        try:
            self._child = start_child([*isolation.command, *relay], cwd=str(scratch), env=env, timeout=self._timeout)
        except OSError as exc:
            raise ProviderError("cannot start %s: %s" % (self.name, exc.strerror)) from None
        deadline = time.monotonic() + min(START_TIMEOUT, self._timeout)
        while not os.path.exists(self._socket):
            if not self._child.running():
                raise ProviderError(self._ended("it exited"))
            if time.monotonic() > deadline:
                self.close()
                raise ProviderError("%s did not print its port within %d s" % (self.name, min(START_TIMEOUT, self._timeout)))
            time.sleep(0.02)
        self._channel = grpc.insecure_channel("unix:" + self._socket)

    def _ended(self, fallback: str) -> str:
        """Why the plugin is gone: the host's ``sahab plugin:`` line (else ``fallback``) and the plugin's last error line."""
        child, self._child = self._child, None
        output = b""
        if child is not None:
            settle = time.monotonic() + 2.0  # the host's last words after the plugin ended
            while child.running() and time.monotonic() < settle:
                time.sleep(0.02)
            output = child.stop()
        self.close()
        lines = [line.strip() for line in output.decode("utf-8", "replace").splitlines() if line.strip()]
        said = [line[len("sahab plugin: "):] for line in lines if line.startswith("sahab plugin: ")]
        others = [line for line in lines if not line.startswith("sahab plugin: ")]
        reason = said[0] if said else fallback
        errors = [line for line in others if "Error" in line or "error:" in line.lower()]  # a Node stack's message line
        last = (errors or others)[-1] if others else None
        return "%s (its last output: %s)" % (reason, last[:300]) if last else reason

