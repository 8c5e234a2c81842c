"""Serve the planning monitor to the program's process, from sahab's process.

The program runs in a child process on the SDK's normal (non-mock) path, exactly as under
``pulumi preview``; its resource monitor and engine calls (the Pulumi engine's own protobuf
messages) arrive here over a Unix socket (:mod:`.harness.channel` has the framing). So the record
of what the program registered lives in this process, where the program cannot rewrite it
(:mod:`.session`). The socket is bound before the program starts and served once the session
exists: calls that come first wait in the listen backlog.
"""
from __future__ import annotations

import os
import socket
import threading
from typing import Any, Callable, Dict, List

from ..errors import UsageError
from .harness import channel

Handler = Callable[[bytes], bytes]
# A Unix socket's path must fit sockaddr_un.sun_path: 108 bytes on Linux, the closing NUL included.
MAX_SOCKET_PATH = 107


def require_socket_path(path: str) -> str:
    """The planner's sockets live in its scratch folder under TMPDIR; a long TMPDIR would make
    ``bind`` fail with a bare OSError, so say what is wrong and how to fix it."""
    size = len(os.fsencode(path))
    if size > MAX_SOCKET_PATH:
        raise UsageError("the planner's socket path %s is %d bytes, more than a Unix socket allows (%d)"
                         % (path, size, MAX_SOCKET_PATH), "set TMPDIR to a shorter folder, such as /tmp")
    return path


class MonitorServer:
    """Listens on a Unix socket; one thread per connection (the SDK calls from several threads)."""

    def __init__(self, socket_path: str) -> None:
        self._handlers: Dict[str, Handler] = {}
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(require_socket_path(socket_path))
        self._listener.listen(64)
        self._connections: List[socket.socket] = []

    def serve(self, handlers: Dict[str, Handler]) -> None:
        """Start answering with ``handlers`` (method name -> handler of serialized requests)."""
        self._handlers = handlers
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> "MonitorServer":
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._listener.close()
        for connection in list(self._connections):
            connection.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed: the plan is over
                return
            self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        """Answer one connection's frames in order until it closes; a malformed frame ends it."""
        try:
            reader = connection.makefile("rb")
            while True:
                frame = channel.read_frame(reader)
                if frame is None:
                    return
                channel.send_frame(connection, self._answer(frame))
        except (OSError, ValueError):
            return
        finally:
            connection.close()

    def _answer(self, frame: bytes) -> bytes:
        name, _, payload = frame.partition(b"\n")
        handler = self._handlers.get(name.decode("ascii", "replace"))
        if handler is None:
            return bytes([channel.UNIMPLEMENTED]) + b"sahab planner: method not served: " + name[:80]
        try:
            return bytes([channel.OK]) + handler(payload)
        except Exception as exc:  # noqa: BLE001 - the program sees the failure as the engine's
            return bytes([channel.UNKNOWN]) + ("sahab planner: %s: %s" % (type(exc).__name__, exc)).encode("utf-8")
