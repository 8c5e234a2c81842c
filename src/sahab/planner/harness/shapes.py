"""Read the shapes the generated Pulumi SDKs declare, and make plausible values of a shape.

Generated SDK classes carry their wire names (``pulumi.getter(name=...)``) and type
annotations. The planner uses them for two fidelity rules: echo an input back as an output only
where the resource declares an output of the same shape, and answer an invoke with a value
shaped like its ``Get…Result`` type rather than an echo of its arguments.
"""
from __future__ import annotations

import collections.abc
import importlib
import re
import typing
from typing import Any, Callable, Dict, List, Optional, Tuple

from .wire import SIG_KEY

STRING, NUMBER, BOOL, LIST, OBJECT, ANY = "string", "number", "bool", "list", "object", "any"


_DECLARED: Dict[type, Dict[str, Any]] = {}


def declared_properties(cls: type) -> Dict[str, Any]:
    """Map wire name -> type annotation for every ``pulumi.getter`` property of ``cls`` (cached)."""
    cached = _DECLARED.get(cls)
    if cached is None:
        cached = _DECLARED[cls] = _read_declared_properties(cls)
    return cached


_PREPARED: set = set()


def prepare(cls: type) -> None:
    """Read the declared properties of ``cls`` and of every output type nested in them.

    Called on the program's thread (:mod:`.introspection`), so that reading type hints, which
    can load a lazily imported provider module, never happens on the monitor's thread.
    """
    pending = [cls]
    while pending:
        current = pending.pop()
        if current in _PREPARED:
            continue
        _PREPARED.add(current)
        for annotation in declared_properties(current).values():
            pending.extend(_output_types_in(annotation))


def _output_types_in(annotation: Any, depth: int = 0) -> List[type]:
    annotation = _strip(annotation)
    if isinstance(annotation, type) and _is_output_type(annotation):
        return [annotation]
    if depth > 8:
        return []
    return [found for arg in typing.get_args(annotation) for found in _output_types_in(arg, depth + 1)]


def _read_declared_properties(cls: type) -> Dict[str, Any]:
    try:
        from pulumi import _types
    except ImportError:  # pragma: no cover - every supported SDK has it
        return {}
    marker = getattr(_types, "_PULUMI_NAME", "_pulumi_name")
    result: Dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for attr in vars(klass).values():
            if not isinstance(attr, property) or attr.fget is None:
                continue
            wire_name = getattr(attr.fget, marker, None)
            if not wire_name:
                continue
            result[wire_name] = _return_annotation(attr.fget)
    return result


def _return_annotation(fget: Callable[..., Any]) -> Any:
    try:
        return typing.get_type_hints(fget).get("return", Any)
    except Exception:  # noqa: BLE001 - unresolved forward refs: treat as "any shape"
        return Any


def _strip(annotation: Any) -> Any:
    """Remove ``Output[...]``, ``Optional[...]`` and ``Awaitable`` wrappers."""
    while True:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        name = getattr(origin, "__name__", "") or getattr(annotation, "__name__", "")
        if origin is typing.Union:
            non_none = [a for a in args if a is not type(None)]
            if len(non_none) == 1:
                annotation = non_none[0]
                continue
            return Any
        if name in ("Output", "Awaitable") and args:
            annotation = args[0]
            continue
        return annotation


def kind_of_annotation(annotation: Any) -> str:
    annotation = _strip(annotation)
    if annotation is str:
        return STRING
    if annotation in (int, float):
        return NUMBER
    if annotation is bool:
        return BOOL
    origin = typing.get_origin(annotation)
    if origin is not None:
        if isinstance(origin, type) and issubclass(origin, (list, tuple, collections.abc.Sequence)) and origin is not str:
            return LIST
        if isinstance(origin, type) and issubclass(origin, (dict, collections.abc.Mapping)):
            return OBJECT
        return ANY
    if isinstance(annotation, type) and _is_output_type(annotation):
        return OBJECT
    return ANY


def kind_of_value(value: Any) -> str:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, list):
        return LIST
    if isinstance(value, dict):
        return OBJECT
    return ANY


def same_shape(annotation: Any, value: Any) -> bool:
    """Shallow shape check: kinds agree, and for lists the first element's kind agrees."""
    expected = kind_of_annotation(annotation)
    actual = kind_of_value(value)
    if expected == ANY or actual == ANY:
        return True
    if expected != actual:
        return False
    if expected == LIST and value:
        element_args = typing.get_args(_strip(annotation))
        if element_args:
            return same_shape(element_args[0], value[0])
    return True


def fill_unknowns(annotation: Any, value: Any, unknown: Any, depth: int = 0, complete: bool = True) -> Any:
    """An echoed input completed to the declared output shape, as a preview would return it.

    Where an input object is echoed as an output, the properties of the declared output type
    the input leaves out are computed by the provider (``metadata.name`` of an auto-named
    Kubernetes object, the ids inside an AWS block): in a preview they are unknown, not absent
    (absent reads as a known ``None``). Recurses into nested objects and lists of objects;
    wire envelopes (secrets, unknowns) are left as they are. A nested input whose shape differs
    from the declared output's (azure-native takes ``userAssignedIdentities`` as a list of IDs
    and returns a map keyed by them) is unknown, as the provider computes it: echoed as it is,
    the SDK would fail the program on the mismatch. ``complete=False`` (Kubernetes, whose preview
    outputs are the checked inputs) leaves absent properties absent and only guards the shapes:
    one filled-in unknown makes the SDK treat the whole object as unknown.
    """
    if depth > 16:
        return value
    annotation = _strip(annotation)
    if isinstance(value, dict):
        if SIG_KEY in value:
            return value
        if isinstance(annotation, type) and _is_output_type(annotation):
            declared = declared_properties(annotation)
            filled = {
                key: (_fill_nested(declared[key], item, unknown, depth, complete) if key in declared else item)
                for key, item in value.items()
            }
            if complete:
                for key in declared:
                    if key not in filled:
                        filled[key] = unknown
            return filled
        args = typing.get_args(annotation)
        if kind_of_annotation(annotation) == OBJECT and len(args) == 2:
            return {key: _fill_nested(args[1], item, unknown, depth, complete) for key, item in value.items()}
        return value
    if isinstance(value, list):
        args = typing.get_args(annotation)
        if kind_of_annotation(annotation) == LIST and args:
            return [_fill_nested(args[0], item, unknown, depth, complete) for item in value]
    return value


def _fill_nested(annotation: Any, value: Any, unknown: Any, depth: int, complete: bool) -> Any:
    """:func:`fill_unknowns` of a value inside an echoed output; unknown when its shape differs."""
    if value == unknown or (isinstance(value, dict) and SIG_KEY in value):
        return value
    if not same_shape(annotation, value):
        return unknown
    return fill_unknowns(annotation, value, unknown, depth + 1, complete)


def _is_output_type(cls: type) -> bool:
    try:
        from pulumi import _types

        return bool(_types.is_output_type(cls))
    except Exception:  # noqa: BLE001
        return False


# --- invoke result types -------------------------------------------------------------------

_PACKAGE_MODULES = {
    "aws": "pulumi_aws",
    "azure-native": "pulumi_azure_native",
    "kubernetes": "pulumi_kubernetes",
    "random": "pulumi_random",
    "tls": "pulumi_tls",
    "gcp": "pulumi_gcp",
    "azure": "pulumi_azure",
    "azuread": "pulumi_azuread",
    "eks": "pulumi_eks",
    "awsx": "pulumi_awsx",
}


_INVOKE_RESULT_TYPES: Dict[str, Optional[type]] = {}


def remember_invoke_result_type(token: str, declared: Optional[type]) -> None:
    """Record (and :func:`prepare`) the result type of an invoke, on the program's thread.

    Generated SDKs pass it (``typ=GetAmiResult``); otherwise it is looked up by token here.
    """
    if token in _INVOKE_RESULT_TYPES:
        return
    result_type = declared if isinstance(declared, type) else _find_invoke_result_type(token)
    if result_type is not None:
        prepare(result_type)
    _INVOKE_RESULT_TYPES[token] = result_type


def invoke_result_type(token: str) -> Optional[type]:
    """The result type recorded for an invoke token, else looked up (see :func:`remember_invoke_result_type`)."""
    if token in _INVOKE_RESULT_TYPES:
        return _INVOKE_RESULT_TYPES[token]
    return _find_invoke_result_type(token)


def _find_invoke_result_type(token: str) -> Optional[type]:
    """Find the ``Get…Result`` class the SDK declares for an invoke token, if it can be found.

    ``aws:ec2/getAmi:getAmi`` -> ``pulumi_aws.ec2.GetAmiResult``;
    ``aws:index/getRegion:getRegion`` -> ``pulumi_aws.GetRegionResult``.
    """
    parts = token.split(":")
    if len(parts) != 3:
        return None
    package, module, function = parts
    root = _PACKAGE_MODULES.get(package, "pulumi_" + package.replace("-", "_"))
    first = module.split("/")[0]
    candidates = [root] if first in ("index", "") else [
        root + "." + first.replace("-", "_"),
        root + "." + module.replace("/", ".").replace("-", "_"),
    ]
    class_name = function[:1].upper() + function[1:] + "Result"
    for candidate in candidates:
        try:
            mod = importlib.import_module(candidate)
        except Exception:  # noqa: BLE001 - no such module in this SDK
            continue
        cls = getattr(mod, class_name, None)
        if isinstance(cls, type):
            return cls
    return None


ValueHint = Callable[[str], Optional[Any]]


def synthesize(annotation: Any, field: str, hint: ValueHint, depth: int = 0) -> Any:
    """A plausible value of the given type; ``hint`` may supply one for a known field name."""
    hinted = hint(field) if depth == 0 else None  # hints name top-level result fields only
    if hinted is not None and same_shape(annotation, hinted):
        return hinted
    annotation = _strip(annotation)
    if annotation is str:
        return _string_for(field)
    if annotation is bool:
        return False
    if annotation in (int, float):
        return 1
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is not None and isinstance(origin, type):
        if issubclass(origin, (dict, collections.abc.Mapping)):
            return {}
        if issubclass(origin, (list, tuple, collections.abc.Sequence)):
            if depth > 4 or not args:
                return []
            return [synthesize(args[0], field, hint, depth + 1)]
    if isinstance(annotation, type) and _is_output_type(annotation) and depth <= 4:
        return synthesize_object(annotation, hint, depth + 1)
    return None


def synthesize_object(cls: type, hint: ValueHint, depth: int = 0) -> Dict[str, Any]:
    return {
        wire: synthesize(annotation, wire, hint, depth)
        for wire, annotation in declared_properties(cls).items()
    }


def _string_for(field: str) -> str:
    lowered = field.lower()
    if lowered.endswith("arn"):
        return "arn:aws:iam::123456789012:mock/" + field
    if lowered in ("id",) or lowered.endswith("id"):
        return field + "-mock"
    return "mock-" + _kebab(field)


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def split_token(token: str) -> Tuple[str, str, str]:
    parts = token.split(":")
    while len(parts) < 3:
        parts.append("")
    return parts[0], parts[1], parts[2]
