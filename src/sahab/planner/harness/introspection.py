"""SDK introspection done on the program's own thread, before the monitor needs it.

The monitor answers on the SDK's executor threads. Reading a generated SDK class's type hints
can load a provider module that ``pulumi._utils.lazy_import`` left lazy, and that loader takes no
lock: while one thread runs the module's code, another thread that touches the module sees it
half initialised (``module 'pulumi_aws.ec2' has no attribute 'SecurityGroup'``). So every class
the monitor will read (a resource's class, an invoke's result type, and the output types nested
in them) is read here, when the program registers the resource or calls the function, on the
program's thread; the monitor then only reads caches (:mod:`.shapes`).

The same wrapper tells the monitor which form of a provider function the program called: the
output form (``get_x_output``) may be unknown in a preview, the plain form must return a value.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from . import shapes

# Type token -> the Python class the program constructed (to know the resource's declared outputs).
RESOURCE_CLASSES: Dict[str, type] = {}

# An argument the wrapper adds to an output-form invoke's arguments; the monitor takes it out.
OUTPUT_FORM_KEY = "__sahab_invoke_form__"
OUTPUT_FORM = "output"


def install() -> None:
    """Wrap the SDK's registration and invoke entry points (once per process)."""
    import importlib

    import pulumi.resource as resource_module

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
        cls = RESOURCE_CLASSES.setdefault(ty, type(res))
        shapes.prepare(cls)
        return original(res, ty, *args, **kwargs)

    register._sahab_wrapped = True  # type: ignore[attr-defined]
    return register


def _invoking(original: Callable[..., Any]) -> Callable[..., Any]:
    """``pulumi.runtime.invoke._invoke``: every form of invoke goes through it, on the program's
    thread; ``invoke_output`` alone passes ``check_dependencies=True``."""

    def invoke(tok: str, props: Any, opts: Any = None, typ: Optional[type] = None, *args: Any, **kwargs: Any) -> Any:
        shapes.remember_invoke_result_type(tok, typ)
        if kwargs.get("check_dependencies") and isinstance(props, dict):
            props = dict(props)
            props[OUTPUT_FORM_KEY] = OUTPUT_FORM
        return original(tok, props, opts, typ, *args, **kwargs)

    invoke._sahab_wrapped = True  # type: ignore[attr-defined]
    return invoke


def take_output_form(args: Dict[str, Any]) -> bool:
    """Remove the form marker from an invoke's arguments; True for the output form."""
    return args.pop(OUTPUT_FORM_KEY, None) == OUTPUT_FORM
