"""The planning session's handlers, served over gRPC for the Node.js SDK.

The Python program talks to the monitor over sahab's framed Unix socket (:mod:`..monitor_server`);
the Node SDK can only speak gRPC (``pulumirpc.ResourceMonitor`` and ``pulumirpc.Engine``). This
serves the *same* handlers (:meth:`..session.PlanningSession.handlers`, serialized protobuf in
and out), so what a component's Node implementation registers is recorded by the same code with
the same preview rules as the program's own resources. Bound to a Unix socket in the plan's
private folder: reachable from the sandboxed child's network namespace, from nowhere else.
"""
from __future__ import annotations

from concurrent import futures
from typing import Any, Callable, Dict

import grpc

from ..harness import channel
from ..monitor_server import require_socket_path

Handler = Callable[[bytes], bytes]
_ENGINE_METHODS = ("Log",)


class GrpcMonitor:
    """A gRPC server on ``unix:<socket_path>`` answering with ``handlers`` until closed."""

    def __init__(self, socket_path: str, handlers: Dict[str, Handler], root_urn: Callable[[], str]) -> None:
        self.address = "unix:" + require_socket_path(socket_path)
        monitor = {name: _unary(handler) for name, handler in handlers.items()
                   if name not in _ENGINE_METHODS and name != channel.TELL}  # Tell is the Python harness's alone
        engine = {name: _unary(handlers[name]) for name in _ENGINE_METHODS}
        engine["GetRootResource"] = _unary(lambda _payload: _root_response(root_urn()))
        engine["SetRootResource"] = _unary(lambda _payload: b"")  # the program's stack is the root
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self._server.add_generic_rpc_handlers((
            grpc.method_handlers_generic_handler("pulumirpc.ResourceMonitor", monitor),
            grpc.method_handlers_generic_handler("pulumirpc.Engine", engine),
        ))
        self._server.add_insecure_port(self.address)
        self._server.start()

    def close(self) -> None:
        self._server.stop(grace=None)


def _unary(handler: Handler) -> Any:
    def answer(payload: bytes, context: grpc.ServicerContext) -> bytes:
        try:
            return handler(payload)
        except Exception as exc:  # noqa: BLE001 - the component sees the failure as the engine's
            context.abort(grpc.StatusCode.UNKNOWN, "sahab planner: %s: %s" % (type(exc).__name__, exc))
            raise  # abort raises; this is never reached
    return grpc.unary_unary_rpc_method_handler(answer)


def _root_response(urn: str) -> bytes:
    from pulumi.runtime.proto import engine_pb2

    return engine_pb2.GetRootResourceResponse(urn=urn).SerializeToString()
