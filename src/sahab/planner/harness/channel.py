"""The harness's connection to the planning monitor, which runs in sahab's own process.

The program runs on the SDK's normal path, as under ``pulumi preview``: its resource monitor and
engine are stubs whose methods take and return the Pulumi engine's own protobuf messages
(``pulumi.runtime.proto``). They travel over a Unix socket that sahab's process serves (a path in
the filesystem, so it is reachable from inside the program's network namespace), one frame per
message: a 4-byte big-endian length, then the method's name, a newline and the serialized
request; the answer is a status byte (0 ok, else a gRPC status code) and the serialized response
or the error's text. Not gRPC itself: its Python client costs ~0.2 ms of CPU per call against
0.045 ms for these frames, about a second of every 5,000-resource plan
(bench/monitor_transport_bench.py, docs/decisions.md). What the program registers is
recorded in sahab's process, out of the program's reach. One more method, ``Tell``, carries what
only the program's process knows: the shapes its SDK declares (:mod:`.introspection`), that
stand-in tokens exist (:mod:`.partial`), notes of the transforms, and how the program ended.
"""
from __future__ import annotations

import json
import socket
import struct
import threading
from typing import Any, Callable, Dict, Optional, Tuple

TELL = "Tell"
# As large as the Pulumi engine allows (400 MiB): a resource's inputs can be big documents.
MAX_MESSAGE = 400 * 1024 * 1024
_LENGTH = struct.Struct(">I")
OK = 0
UNKNOWN, UNIMPLEMENTED = 2, 12  # gRPC status codes, as the SDK reads them


def message_types() -> Dict[str, Tuple[type, type]]:
    """Method name -> (request class, response class) of the ResourceMonitor and Engine services."""
    from google.protobuf import message_factory
    from pulumi.runtime.proto import engine_pb2, resource_pb2

    get_class = getattr(message_factory, "GetMessageClass", None)
    if get_class is None:  # protobuf < 4.21
        get_class = message_factory.MessageFactory().GetPrototype
    types: Dict[str, Tuple[type, type]] = {}
    for service in (resource_pb2.DESCRIPTOR.services_by_name["ResourceMonitor"],
                    engine_pb2.DESCRIPTOR.services_by_name["Engine"]):
        for method in service.methods:
            types[method.name] = (get_class(method.input_type), get_class(method.output_type))
    return types


def send_frame(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(_LENGTH.pack(len(payload)) + payload)


def read_frame(stream: Any) -> Optional[bytes]:
    """One frame from a buffered reader; None at the end of the stream. ValueError when malformed."""
    head = stream.read(_LENGTH.size)
    if not head:
        return None
    if len(head) < _LENGTH.size:
        raise ValueError("a frame was cut short")
    (length,) = _LENGTH.unpack(head)
    if length > MAX_MESSAGE:
        raise ValueError("a frame of %d bytes is over the limit" % length)
    payload = stream.read(length)
    if len(payload) < length:
        raise ValueError("a frame was cut short")
    return payload


def rpc_error(code: int, details: str) -> Exception:
    """An error the SDK handles as the engine's: a ``grpc.RpcError`` with ``code()`` and ``details()``."""
    import grpc

    status = next((status for status in grpc.StatusCode if status.value[0] == code), grpc.StatusCode.UNKNOWN)

    class MonitorError(grpc.RpcError):
        def code(self) -> Any:
            return status

        def details(self) -> str:
            return details

        def __str__(self) -> str:
            return details

    return MonitorError(details)


class Stub:
    """The monitor's or engine's methods as the SDK calls them, one connection per calling thread."""

    def __init__(self, path: str, types: Dict[str, Tuple[type, type]]) -> None:
        self._path = path
        self._types = types
        self._local = threading.local()

    def call(self, method: str, payload: bytes) -> bytes:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.connect(self._path)
            self._local.connection, self._local.reader = connection, connection.makefile("rb")
        send_frame(connection, method.encode("ascii") + b"\n" + payload)
        answer = read_frame(self._local.reader)
        if answer is None or not answer:
            raise rpc_error(14, "sahab planner: the planning monitor closed the connection")  # UNAVAILABLE
        if answer[0] != OK:
            raise rpc_error(answer[0], answer[1:].decode("utf-8", "replace"))
        return answer[1:]

    def __getattr__(self, name: str) -> Callable[[Any], Any]:
        if name not in self._types:
            raise AttributeError(name)
        response_type = self._types[name][1]

        def method(request: Any, *_args: Any, **_kwargs: Any) -> Any:
            return response_type.FromString(self.call(name, request.SerializeToString()))

        return method


class Connection:
    """The monitor and engine stubs, and ``tell`` for the rest."""

    def __init__(self, path: str) -> None:
        self._stub = Stub(path, message_types())
        self.monitor = self._stub
        self.engine = WarningsOnly(self._stub)

    def tell(self, message: Dict[str, Any]) -> None:
        self._stub.call(TELL, json.dumps(message).encode("utf-8"))


class WarningsOnly:
    """The engine as the program sees it: only warnings and errors travel (the SDK logs several
    debug lines per resource, each a blocking call); remembers the first error the program logs."""

    def __init__(self, engine: Any) -> None:
        from pulumi.runtime.proto import engine_pb2

        self._engine = engine
        self._warning = engine_pb2.WARNING
        self._error = engine_pb2.ERROR
        self.first_error: Optional[str] = None

    def Log(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        from google.protobuf import empty_pb2

        if request.severity < self._warning:
            return empty_pb2.Empty()
        if request.severity >= self._error and self.first_error is None:
            self.first_error = request.message
        return self._engine.Log(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)
