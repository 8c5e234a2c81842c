"""One plan's session with the program's process: the monitor, the program's log, and its end.

What :class:`~sahab.planner.monitor_server.MonitorServer` answers with: the monitor's methods (the
one implementation of the preview rules, which :mod:`sahab.testing` also runs in-process), the
engine's ``Log``, and ``Tell`` for what only the program's process knows (:mod:`.harness.channel`).
"""
from __future__ import annotations

import json
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
