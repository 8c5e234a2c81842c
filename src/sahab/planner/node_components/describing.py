"""Type descriptions for what a component's Node.js implementation registers and invokes.

The preview rules read the shapes a Python SDK declares (echo only same-shaped inputs, fill what
the provider always returns, answer an invoke with its ``Get…Result`` shape: :mod:`..harness.catalog`).
The program's harness describes the types the *program* uses; the children a Node.js
implementation registers reach the monitor with no Python program behind them, so sahab
describes those from its own installed SDKs (pulumi-aws, pulumi-kubernetes), with the same
describer (:mod:`..harness.introspection`), before the monitor answers. A type sahab's SDKs lack
stays undescribed and gets the monitor's rule for that case.
"""
from __future__ import annotations

from typing import Callable, Dict

from ..harness import shapes
from ..harness.catalog import TypeCatalog
from ..harness.introspection import _Describer

Handler = Callable[[bytes], bytes]


def describing(handlers: Dict[str, Handler], catalog: TypeCatalog) -> Dict[str, Handler]:
    """``handlers`` with RegisterResource, ReadResource and Invoke describing their type first."""
    from pulumi.runtime.proto import resource_pb2

    describer = _Describer()
    describer.reset(catalog.declare)

    def resource(request_type: type, handler: Handler) -> Handler:
        def answer(payload: bytes) -> bytes:
            token = request_type.FromString(payload).type
            if catalog.outputs(token) is None:
                cls = shapes.find_resource_class(token)
                if cls is not None:
                    describer.resource(token, cls)
            return handler(payload)
        return answer

    def invoke(payload: bytes) -> bytes:
        token = resource_pb2.ResourceInvokeRequest.FromString(payload).tok
        describer.invoke(token, None)
        return handlers["Invoke"](payload)

    wrapped = dict(handlers)
    wrapped["RegisterResource"] = resource(resource_pb2.RegisterResourceRequest, handlers["RegisterResource"])
    wrapped["ReadResource"] = resource(resource_pb2.ReadResourceRequest, handlers["ReadResource"])
    wrapped["Invoke"] = invoke
    return wrapped
