"""Serve the planning monitor to the program's process, from sahab's process.

The program runs in a child process on the SDK's normal (non-mock) path, exactly as under
``pulumi preview``; its resource monitor and engine calls (the Pulumi engine's own protobuf
messages) arrive here over a Unix socket (:mod:`.harness.channel` has the framing). So the record
of what the program registered lives in this process, where the program cannot rewrite it; the
child only *tells* what this process cannot see. The monitor's preview rules are the one
implementation :mod:`sahab.testing` also runs in-process.
"""
from __future__ import annotations

import json
import socket
import threading
from typing import Any, Callable, Dict, List, Optional

from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2, resource_pb2

from .harness import channel
from .harness.monitor import Capture, PlanMonitor
from .harness.partial import Tokens

# The engine's log severities the plan keeps (the program's own warnings and errors).
_SEVERITIES = {engine_pb2.WARNING: "warning", engine_pb2.ERROR: "error"}

Handler = Callable[[bytes], bytes]


class PlanningSession:
    """One plan's monitor, the program's log, and how the program said it ended."""

    def __init__(self, monitor: PlanMonitor, tokens: Tokens) -> None:
        self.monitor = monitor
        self.tokens = tokens
        self.logged: List[Dict[str, str]] = []
        self.finish: Optional[Dict[str, Any]] = None
        self._lock = threading.Lock()

    @property
    def capture(self) -> Capture:
        return self.monitor.capture

    def log(self, request: Any) -> Any:
        kept = _SEVERITIES.get(request.severity)
        if kept is not None:
            with self._lock:
                self.logged.append({"severity": kept, "message": self.tokens.scrub(request.message)})
        return empty_pb2.Empty()

    def tell(self, message: Dict[str, Any]) -> None:
        """What only the program's process knows (see :mod:`.harness.channel`); anything else is refused."""
        if "declare" in message and isinstance(message["declare"], dict):
            self.monitor.catalog.declare(message["declare"])
        elif message.get("tokens") == "active":
            self.tokens.active = True  # the program's process made its first stand-in token
        elif "note" in message:
            severity, text = message["note"]
            self.capture.note("error" if severity == "error" else "warning", self.tokens.scrub(str(text)))
        elif "finish" in message and isinstance(message["finish"], dict):
            self.finish = message["finish"]
        else:
            raise ValueError("unknown message from the harness: %s" % sorted(message))

    def handlers(self) -> Dict[str, Handler]:
        """Method name -> handler of serialized requests, for what the monitor and this session answer."""
        monitor = self.monitor
        answering: Dict[str, Callable[[Any], Any]] = {
            name: getattr(monitor, name) for name in (
                "GetDeploymentInfo", "Invoke", "Call", "ReadResource", "RegisterResource", "RegisterResourceOutputs")}
        answering["SupportsFeature"] = lambda request: resource_pb2.SupportsFeatureResponse(
            hasSupport=monitor.SupportsFeature(request).hasSupport)
        answering["Log"] = self.log
        types = channel.message_types()
        handlers = {name: _parsing(types[name][0], answer) for name, answer in answering.items()}
        handlers[channel.TELL] = self._telling
        return handlers

    def _telling(self, payload: bytes) -> bytes:
        message = json.loads(payload.decode("utf-8"))
        if not isinstance(message, dict):
            raise ValueError("not an object")
        self.tell(message)
        return b""


def _parsing(request_type: type, answer: Callable[[Any], Any]) -> Handler:
    return lambda payload: answer(request_type.FromString(payload)).SerializeToString()


class MonitorServer:
    """Listens on a Unix socket; one thread per connection (the SDK calls from several threads)."""

    def __init__(self, session: PlanningSession, socket_path: str) -> None:
        self._handlers = session.handlers()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(socket_path)
        self._listener.listen(64)
        self._connections: List[socket.socket] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "MonitorServer":
        self._accepting.start()
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
