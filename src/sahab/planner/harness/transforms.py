"""Run resource transforms the way the engine does; the stock mock monitor ignores them.

``pulumi.runtime.register_resource_transform`` (a stack transform) and the ``transforms``
resource option are engine-side: the SDK registers the functions with its callback server and
sends only tokens, and the engine calls back for each resource it registers: first the
resource's own transforms, then those of its parents (innermost first), then the stack's. The
mock monitor records none of this, so without this module a program that tags or re-homes its
resources with a transform is planned as if it did not. (Legacy ``register_stack_transformation``
runs inside the SDK and needs nothing here.)

Transforms run in the program's process (:class:`TransformingMonitor`, in front of the planning
monitor), as the program's own code: the planning monitor in sahab's process could not reach the
callback server, which listens inside the program's network namespace. The SDK calls the
monitor from its executor threads; each transform runs on the program's event loop, where its
callback server lives, while the calling thread waits for it.
"""
from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, List, Optional, Tuple

from google.protobuf import empty_pb2
from pulumi.runtime.proto import resource_pb2

from .wire import make_urn


class TransformingMonitor:
    """The resource monitor as the program sees it: transforms run here, in the program's process,
    where their callbacks live; everything else goes to the planning monitor unchanged."""

    def __init__(self, monitor: Any, transforms: "Transforms", project: str, stack: str) -> None:
        self._monitor = monitor
        self._transforms = transforms
        self._project = project
        self._stack = stack

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        urn = make_urn(self._stack, self._project, request.parent, request.type, request.name)
        return self._monitor.RegisterResource(self._transforms.apply(urn, request))

    def RegisterStackTransform(self, request: Any) -> Any:  # noqa: N802
        self._transforms.register_stack_transform(request)
        return empty_pb2.Empty()

    def RegisterStackInvokeTransform(self, request: Any) -> Any:  # noqa: N802
        self._transforms.note("warning", "invoke transforms (register_invoke_transform) are not applied by the "
                              "planner; provider functions are answered as if they were not registered")
        return empty_pb2.Empty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._monitor, name)


class Transforms:
    """The transforms registered so far: the stack's, and each resource's own."""

    def __init__(self, note: Callable[[str, str], None]) -> None:
        self.stack: List[Any] = []
        self.own: Dict[str, List[Any]] = {}
        self.parents: Dict[str, str] = {}
        self.note = note

    def register_stack_transform(self, callback: Any) -> None:
        self.stack.append(callback)

    def apply(self, urn: str, request: Any) -> Any:
        """The request as the engine would see it after every transform that applies to it."""
        own = list(getattr(request, "transforms", []) or [])
        self.own[urn] = own
        self.parents[urn] = request.parent
        chain = list(own)
        parent = request.parent
        seen = set()
        while parent and parent not in seen:
            seen.add(parent)
            chain.extend(self.own.get(parent, []))
            parent = self.parents.get(parent, "")
        chain.extend(self.stack)
        if not chain:
            return request

        properties = request.object
        options = _options_of(request)
        for callback in chain:
            function, loop = _find_callback(callback.token)
            if function is None or loop is None:
                self.note("warning", "a resource transform of %s %r could not be found; it was not applied"
                          % (request.type, request.name))
                continue
            if _running_loop() is loop:
                self.note("warning", "a resource transform of %s %r could not be run from the program's "
                          "event loop; it was not applied" % (request.type, request.name))
                continue
            transform_request = resource_pb2.TransformRequest(
                type=request.type, name=request.name, custom=request.custom, parent=request.parent,
                properties=properties, options=options,
            )
            response = asyncio.run_coroutine_threadsafe(function(transform_request.SerializeToString()), loop).result()
            properties = response.properties
            if response.HasField("options"):
                options = response.options
        return _with(request, properties, options)


def _find_callback(token: str) -> Tuple[Optional[Callable[[bytes], Any]], Optional[asyncio.AbstractEventLoop]]:
    try:
        from pulumi.runtime._callbacks import _CallbackServicer
    except ImportError:  # an SDK without engine-side transforms
        return None, None
    for servicer in list(getattr(_CallbackServicer, "_servicers", [])):
        function = getattr(servicer, "_callbacks", {}).get(token)
        if function is not None:
            return function, getattr(servicer, "_loop", None)
    return None, None


def _running_loop() -> Optional[asyncio.AbstractEventLoop]:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _options_of(request: Any) -> Any:
    """The options part of a TransformRequest, from a RegisterResourceRequest."""
    options = resource_pb2.TransformResourceOptions(
        depends_on=list(request.dependencies),
        ignore_changes=list(request.ignoreChanges),
        replace_on_changes=list(request.replaceOnChanges),
        additional_secret_outputs=list(request.additionalSecretOutputs),
        version=request.version,
        plugin_download_url=request.pluginDownloadURL,
        deleted_with=request.deletedWith,
    )
    if _has(request, "protect"):
        options.protect = request.protect
    if _has(request, "retainOnDelete"):
        options.retain_on_delete = request.retainOnDelete
    if request.deleteBeforeReplaceDefined:
        options.delete_before_replace = request.deleteBeforeReplace
    if request.provider:
        options.provider = request.provider
    for key, value in request.providers.items():
        options.providers[key] = value
    if request.importId:
        setattr(options, "import", request.importId)
    return options


def _with(request: Any, properties: Any, options: Any) -> Any:
    """A copy of ``request`` with the transformed properties and options."""
    result = resource_pb2.RegisterResourceRequest()
    result.CopyFrom(request)
    result.object.CopyFrom(properties)
    result.dependencies[:] = sorted(set(request.dependencies) | set(options.depends_on))
    result.ignoreChanges[:] = list(options.ignore_changes)
    result.replaceOnChanges[:] = list(options.replace_on_changes)
    result.additionalSecretOutputs[:] = list(options.additional_secret_outputs)
    _set_optional(result, "protect", options, "protect")
    _set_optional(result, "retainOnDelete", options, "retain_on_delete")
    if options.HasField("delete_before_replace"):
        result.deleteBeforeReplace = options.delete_before_replace
        result.deleteBeforeReplaceDefined = True
    result.provider = options.provider
    result.providers.clear()
    for key, value in options.providers.items():
        result.providers[key] = value
    result.importId = getattr(options, "import", "") or ""
    return result


def _has(message: Any, field: str) -> bool:
    """Whether an optional field is set (a plain field: whether it is truthy)."""
    try:
        return message.HasField(field)
    except ValueError:
        return bool(getattr(message, field, None))


def _set_optional(target: Any, target_field: str, source: Any, source_field: str) -> None:
    if _has(source, source_field):
        setattr(target, target_field, getattr(source, source_field))
    else:
        try:
            target.ClearField(target_field)
        except ValueError:
            setattr(target, target_field, False)
