"""Describe the shapes the generated Pulumi SDKs declare, in the program's interpreter.

Generated SDK classes carry their wire names (``pulumi.getter(name=...)``), type annotations,
and, in an output type's ``__init__``, which properties the provider always returns (no
default). The monitor that answers registrations runs in sahab's own process and cannot import
the program's SDKs, so the harness turns what it needs into plain data here, on the program's
thread (:mod:`.introspection`), and sends it with the registration: a *description*
(:mod:`.catalog` reads it). Descriptors: ``"string"``, ``"number"``, ``"bool"``, ``"any"``,
``{"list": d}``, ``{"map": d}`` (``d`` None when the element type is not declared) and
``{"ref": name}`` for an output type, whose ``properties`` and ``required`` names are in the
description's ``types``.
"""
from __future__ import annotations

import collections.abc
import importlib
import inspect
import typing
from typing import Any, Callable, Dict, List, Optional

STRING, NUMBER, BOOL, ANY = "string", "number", "bool", "any"

Description = Dict[str, Any]

_DECLARED: Dict[type, Dict[str, Any]] = {}


def declared_properties(cls: type) -> Dict[str, Any]:
    """Map wire name -> type annotation for every ``pulumi.getter`` property of ``cls`` (cached)."""
    cached = _DECLARED.get(cls)
    if cached is None:
        cached = _DECLARED[cls] = {wire: annotation for wire, (_, annotation) in _getters(cls).items()}
    return cached


def _getters(cls: type) -> Dict[str, Any]:
    """wire name -> (Python attribute name, return annotation) of ``cls``'s getters."""
    try:
        from pulumi import _types
    except ImportError:  # pragma: no cover - every supported SDK has it
        return {}
    marker = getattr(_types, "_PULUMI_NAME", "_pulumi_name")
    result: Dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for attr_name, attr in vars(klass).items():
            if not isinstance(attr, property) or attr.fget is None:
                continue
            wire_name = getattr(attr.fget, marker, None)
            if wire_name:
                result[wire_name] = (attr_name, _return_annotation(attr.fget))
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
    """``string``, ``number``, ``bool``, ``list``, ``map``, ``ref`` (an output type) or ``any``."""
    described = describe(annotation, {}, shallow=True)
    return described if isinstance(described, str) else next(iter(described))


def describe(annotation: Any, types: Dict[str, Any], shallow: bool = False) -> Any:
    """The descriptor of an annotation; output types it reaches are added to ``types``."""
    annotation = _strip(annotation)
    if annotation is str:
        return STRING
    if annotation in (int, float):
        return NUMBER
    if annotation is bool:
        return BOOL
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is not None:
        if not isinstance(origin, type):
            return ANY
        if issubclass(origin, (list, tuple, collections.abc.Sequence)) and origin is not str:
            return {"list": describe(args[0], types, shallow) if args and not shallow else None}
        if issubclass(origin, (dict, collections.abc.Mapping)):
            return {"map": describe(args[1], types, shallow) if len(args) == 2 and not shallow else None}
        return ANY
    if isinstance(annotation, type) and _is_output_type(annotation):
        name = annotation.__module__ + "." + annotation.__qualname__
        if not shallow and name not in types:
            types[name] = None  # reserved first: output types may nest themselves
            getters = _getters(annotation)
            required = _required_parameters(annotation)
            types[name] = {
                "properties": {wire: describe(hint, types) for wire, (_, hint) in getters.items()},
                "required": sorted(wire for wire, (attr, _) in getters.items() if attr in required),
            }
        return {"ref": name}
    return ANY


def _required_parameters(cls: type) -> frozenset:
    """Parameters of an output type's ``__init__`` without a default: what the provider always returns."""
    try:
        parameters = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return frozenset()
    return frozenset(name for name, parameter in parameters.items()
                     if parameter.default is inspect.Parameter.empty
                     and parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD)
                     and name not in ("self", "__self__"))


def describe_resource(token: str, cls: type, types: Dict[str, Any]) -> Description:
    """What the monitor needs of a resource class: its outputs' descriptors and its input names
    (the output types they reach are added to ``types``)."""
    outputs = {wire: describe(annotation, types) for wire, annotation in declared_properties(cls).items()}
    return {"resource": token, "outputs": outputs, "inputs": sorted(_input_names(cls))}


def _input_names(cls: type) -> frozenset:
    """Wire names of the inputs a resource class takes (its ``<Class>Args``), read without type hints."""
    import sys

    module = sys.modules.get(cls.__module__)
    args = getattr(module, cls.__name__ + "Args", None) if module is not None else None
    return frozenset(
        getattr(attr.fget, "_pulumi_name", None)
        for attr in (vars(args).values() if isinstance(args, type) else ())
        if isinstance(attr, property) and attr.fget is not None
    ) - {None}


def describe_invoke(token: str, declared: Optional[type], types: Dict[str, Any]) -> Description:
    """The result type of an invoke. Generated SDKs pass it (``typ=GetAmiResult``); otherwise it is
    looked up by token (:func:`_find_invoke_result_type`)."""
    result_type = declared if isinstance(declared, type) else _find_invoke_result_type(token)
    result = describe(result_type, types) if result_type is not None else None
    return {"invoke": token, "result": result if isinstance(result, dict) and "ref" in result else None}


def _is_output_type(cls: type) -> bool:
    try:
        from pulumi import _types

        return bool(_types.is_output_type(cls))
    except Exception:  # noqa: BLE001
        return False


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


def _find_invoke_result_type(token: str) -> Optional[type]:
    """Find the ``Get…Result`` class the SDK declares for an invoke token, if it can be found.

    ``aws:ec2/getAmi:getAmi`` -> ``pulumi_aws.ec2.GetAmiResult``;
    ``aws:index/getRegion:getRegion`` -> ``pulumi_aws.GetRegionResult``.
    """
    parts = token.split(":")
    if len(parts) != 3:
        return None
    return _find_class(token, parts[2][:1].upper() + parts[2][1:] + "Result")


def find_resource_class(token: str) -> Optional[type]:
    """The SDK's class for a resource type token, if this interpreter's SDK has it.

    ``aws:ec2/securityGroup:SecurityGroup`` -> ``pulumi_aws.ec2.SecurityGroup``. Used by sahab's
    own process for resources a component's Node.js implementation registers (no Python program
    describes them: :mod:`sahab.planner.node_components`).
    """
    parts = token.split(":")
    return _find_class(token, parts[2]) if len(parts) == 3 else None


def _find_class(token: str, class_name: str) -> Optional[type]:
    """``class_name`` in the SDK module a ``package:module:member`` token names."""
    package, module, _member = token.split(":")
    root = _PACKAGE_MODULES.get(package, "pulumi_" + package.replace("-", "_"))
    first = module.split("/")[0]
    candidates: List[str] = [root] if first in ("index", "") else [
        root + "." + first.replace("-", "_"),
        root + "." + module.replace("/", ".").replace("-", "_"),
    ]
    for candidate in candidates:
        try:
            mod = importlib.import_module(candidate)
        except Exception:  # noqa: BLE001 - no such module in this SDK
            continue
        cls = getattr(mod, class_name, None)
        if isinstance(cls, type):
            return cls
    return None
