"""SDK introspection done on the program's own thread, before the monitor needs it.

The monitor needs the shapes the program's SDK declares (a resource's outputs, an invoke's
result type) and runs elsewhere: in sahab's process for a plan, on the SDK's executor threads
in-process for :mod:`sahab.testing`. Reading a generated SDK class's type hints can load a
provider module that ``pulumi._utils.lazy_import`` left lazy, and that loader takes no lock:
while one thread runs the module's code, another thread that touches the module sees it half
initialised (``module 'pulumi_aws.ec2' has no attribute 'SecurityGroup'``). So every class is
described here (:mod:`.shapes`), when the program registers the resource or calls the function,
on the program's thread, and the description is handed to the monitor (``declare``) before the
registration or invoke it serves.

The same wrapper tells the monitor which form of a provider function the program called: the
output form (``get_x_output``) may be unknown in a preview, the plain form must return a value.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Optional, Set, Tuple

from . import shapes

Declare = Callable[[Dict[str, Any]], None]

# An argument the wrapper adds to an output-form invoke's arguments; the monitor takes it out.
OUTPUT_FORM_KEY = "__sahab_invoke_form__"
OUTPUT_FORM = "output"


class _Describer:
    """Describes each resource type and invoke token once, sending output types not sent before."""

    def __init__(self) -> None:
        self.declare: Optional[Declare] = None
        self.types: Dict[str, Any] = {}
        self._sent_types: Set[str] = set()
        self._described: Set[Tuple[str, str]] = set()
        self._lock = threading.RLock()

    def reset(self, declare: Declare) -> None:
        """Start over for a new monitor (:mod:`sahab.testing` plans many times in one process)."""
        with self._lock:
            self.declare = declare
            self.types = {}
            self._sent_types = set()
            self._described = set()

    def resource(self, token: str, cls: type) -> None:
        if ("r", token) not in self._described:
            with self._lock:
                if ("r", token) not in self._described:
                    self._send(("r", token), shapes.describe_resource(token, cls, self.types))

    def invoke(self, token: str, declared: Optional[type]) -> None:
        if ("i", token) not in self._described:
            with self._lock:
                if ("i", token) not in self._described:
                    self._send(("i", token), shapes.describe_invoke(token, declared, self.types))

    def _send(self, key: Tuple[str, str], description: Dict[str, Any]) -> None:
        description["types"] = {name: entry for name, entry in self.types.items() if name not in self._sent_types}
        if self.declare is not None:
            self.declare(description)
        self._sent_types.update(description["types"])
        self._described.add(key)


DESCRIBER = _Describer()


def install(declare: Declare) -> None:
    """Wrap the SDK's registration and invoke entry points (once per process); descriptions go to ``declare``."""
    import importlib

    import pulumi.resource as resource_module

    DESCRIBER.reset(declare)
    # (``pulumi.runtime.invoke`` the attribute is the function; the module is taken by name.)
    invoke_module = importlib.import_module("pulumi.runtime.invoke")

    for name in ("register_resource", "read_resource"):
        original = getattr(resource_module, name, None)
        if original is not None and not getattr(original, "_sahab_wrapped", False):
            setattr(resource_module, name, _registering(original))
    original_invoke = getattr(invoke_module, "_invoke", None)
    if original_invoke is not None and not getattr(original_invoke, "_sahab_wrapped", False):
        invoke_module._invoke = _invoking(original_invoke)


def _registering(original: Callable[..., Any]) -> Callable[..., Any]:
    def register(res: Any, ty: str, *args: Any, **kwargs: Any) -> Any:
        DESCRIBER.resource(ty, type(res))
        return original(res, ty, *args, **kwargs)

    register._sahab_wrapped = True  # type: ignore[attr-defined]
    return register


def _invoking(original: Callable[..., Any]) -> Callable[..., Any]:
    """``pulumi.runtime.invoke._invoke``: every form of invoke goes through it, on the program's
    thread; ``invoke_output`` alone passes ``check_dependencies=True``."""

    def invoke(tok: str, props: Any, opts: Any = None, typ: Optional[type] = None, *args: Any, **kwargs: Any) -> Any:
        DESCRIBER.invoke(tok, typ)
        if kwargs.get("check_dependencies") and isinstance(props, dict):
            props = dict(props)
            props[OUTPUT_FORM_KEY] = OUTPUT_FORM
        return original(tok, props, opts, typ, *args, **kwargs)

    invoke._sahab_wrapped = True  # type: ignore[attr-defined]
    return invoke


def take_output_form(args: Dict[str, Any]) -> bool:
    """Remove the form marker from an invoke's arguments; True for the output form."""
    return args.pop(OUTPUT_FORM_KEY, None) == OUTPUT_FORM
