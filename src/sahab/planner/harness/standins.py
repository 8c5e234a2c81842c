"""Run ``apply`` callbacks on unknown outputs with *stand-ins*, so that the plan holds partial values.

In a preview the SDK skips a callback whose input is unknown, so a bucket policy built from
``bucket.arn`` is wholly unknown and every rule on it is deferred. Here the callback runs on a
stand-in: a ``str`` whose text is a token (:mod:`.partial`) naming the output it stands for
(resource URN and output wire name). A stand-in allows *building* only: ``+`` on either side,
``format()`` and f-strings, ``%``, ``str.join``, ``json.dumps``, lists and dicts. Every
inspection (comparison, ``bool``, ``hash``, ``len``, ``in``, indexing, slicing, any other
``str`` method, ``int()``/``float()``) raises a private exception and marks the run; a run that
was marked or raised, or whose result holds no whole token, a fragment of one (an f-string's
plain result cut by the callback), a ``None`` or a non-JSON value, gives the SDK's own unknown.

Partial values live in the value of an Output whose ``is_known`` stays False, so everything
else in the SDK still treats it as unknown; they are stored as plain data (tokens as text) and
wrapped in stand-ins again before each callback. Only this module's serializer sends them to
the monitor (with the tokens in place), where :class:`.wire.Redactor` turns them into markers.

Soundness rests on three rules: a value is run on only when it holds a stand-in and no unknown
without one (``None``/``UNKNOWN``: an unknown output of another kind, a skipped callback); a
secret is never run on (its stand-in would leak into plain values); and resources registered
during a run are remembered and marked speculative, since a real preview would not show them.
"""
from __future__ import annotations

import asyncio
import functools
import json
from inspect import isawaitable
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import shapes
from .partial import TOKENS

_TICK = "`"
_MAX_DEPTH = 64
# The wrappers that only pass the program's (or the SDK's) calls on: a failure's traceback runs
# through them, but they are never its cause (run.classify_error skips them).
PASS_THROUGH = frozenset({"__call__", "register", "_apply", "_json_dumps", "_json_dumped", "_dumps",
                          "_serialize_property", "_resolve_properties", "_resolve_unknown", "mapped"})


class _Inspected(Exception):
    """A callback inspected a stand-in; private: the patched ``apply`` turns it into an unknown."""


class _Run:
    """One callback running on stand-ins."""

    __slots__ = ("trapped",)

    def __init__(self) -> None:
        self.trapped = False


# Callbacks running on stand-ins, innermost last (a callback runs synchronously inside apply).
_RUNS: List[_Run] = []
# Resources registered while a stand-in callback ran (read for their URNs after the program).
_SPECULATIVE: List[Any] = []


def _trap(*_args: Any, **_kwargs: Any) -> Any:
    if _RUNS:
        _RUNS[-1].trapped = True
    raise _Inspected("sahab planner: a value unknown before deploy was inspected; the result is unknown")


class StandIn(str):
    """Text holding stand-in tokens: it may be built into larger values, never inspected."""

    __slots__ = ()

    def __str__(self) -> str:
        return str.__str__(self)  # a plain copy of the text

    def __repr__(self) -> str:
        return repr(str.__str__(self))

    def __format__(self, spec: str) -> str:
        if spec:
            _trap()
        return str.__str__(self)

    def __add__(self, other: Any) -> Any:
        if not isinstance(other, str):
            return NotImplemented
        return StandIn(str.__add__(self, other))

    def __radd__(self, other: Any) -> Any:
        if not isinstance(other, str):
            return NotImplemented
        return StandIn(str.__add__(other, self))

    def join(self, iterable: Any) -> "StandIn":  # type: ignore[override]
        return StandIn(str.join(self, iterable))

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _trap  # type: ignore[assignment]
    __hash__ = __len__ = __bool__ = __contains__ = __getitem__ = __iter__ = _trap  # type: ignore[assignment]
    __int__ = __float__ = __complex__ = __index__ = __mul__ = __rmul__ = __mod__ = _trap  # type: ignore[assignment]


for _name in dir(str):
    if not _name.startswith("_") and _name != "join":
        setattr(StandIn, _name, _trap)


# -- partial values -----------------------------------------------------------------------------


class _NotPartial(Exception):
    """The value cannot stand as a partial value (see :func:`_plain`)."""


def _plain(value: Any, depth: int = 0) -> Tuple[Any, bool]:
    """``value`` as plain data (stand-ins as text, tuples as lists) and whether it holds a token.

    Raises :class:`_NotPartial` for a fragment of a token, a token in a key, ``None`` or
    ``UNKNOWN`` (an unknown without a stand-in), or anything that is not JSON-like data.
    """
    if depth > _MAX_DEPTH:
        raise _NotPartial()
    if isinstance(value, str):
        text = str.__str__(value)
        if _TICK not in text:
            return text, False
        parts = TOKENS.parts(text)
        if parts is None:
            raise _NotPartial()
        return text, any(isinstance(part, dict) for part in parts)
    if value is None or isinstance(value, (bytes, bytearray)):
        raise _NotPartial()
    if isinstance(value, (bool, int, float)):
        return value, False
    if isinstance(value, (list, tuple)):
        items = [_plain(item, depth + 1) for item in value]
        return [item for item, _ in items], any(held for _, held in items)
    if type(value) is dict:
        result: Dict[str, Any] = {}
        held = False
        for key, item in value.items():
            if not isinstance(key, str) or _TICK in str.__str__(key):
                raise _NotPartial()
            result[str.__str__(key)], item_held = _plain(item, depth + 1)
            held = held or item_held
        return result, held
    raise _NotPartial()


def partial_value(value: Any) -> Optional[Any]:
    """``value`` as plain data when it is a partial value (holds a token, see :func:`_plain`), else None."""
    if not TOKENS.active or value is None:
        return None
    try:
        plain, held = _plain(value)
    except (_NotPartial, RecursionError):
        return None
    return plain if held else None


def _wrapped(value: Any) -> Any:
    """Plain partial data with every token-bearing string as a :class:`StandIn` (before a callback)."""
    if isinstance(value, str):
        return StandIn(value) if _TICK in value and TOKENS.holds_token(value) else value
    if isinstance(value, list):
        return [_wrapped(item) for item in value]
    if isinstance(value, dict):
        return {key: _wrapped(item) for key, item in value.items()}
    return value


# -- the SDK's side -------------------------------------------------------------------------------

_ORIGINAL: Dict[str, Any] = {}
_DECLARED: Dict[Tuple[type, str], Optional[str]] = {}
_MISSING = object()


def install() -> None:
    """Patch the SDK for this run (once per process)."""
    import pulumi.output as output_module
    import pulumi.resource as resource_module
    from pulumi.output import Output
    from pulumi.runtime import rpc

    if "apply" in _ORIGINAL:
        return
    _ORIGINAL["apply"] = Output.apply
    _ORIGINAL["json_dumps"] = Output.json_dumps
    _ORIGINAL["from_input"] = Output.from_input
    Output.apply = _apply  # type: ignore[method-assign]
    Output.json_dumps = staticmethod(_json_dumps)  # type: ignore[method-assign]
    for name in ("_map2_output", "_map3_output"):
        original_map = getattr(output_module, name, None)
        if original_map is not None:
            setattr(output_module, name, _mapping(original_map))
    for name in ("register_resource", "read_resource"):
        original = getattr(resource_module, name, None)
        if original is not None:
            setattr(resource_module, name, _registering(original))
    _ORIGINAL["serialize_property"] = rpc.serialize_property
    rpc.serialize_property = _serialize_property
    _ORIGINAL["resolve_properties"] = rpc.resolve_properties
    rpc.resolve_properties = _resolve_properties


def _apply(self: Any, func: Callable[[Any], Any], run_with_unknowns: bool = False) -> Any:
    """``Output.apply``: the SDK's, with the callback run on stand-ins where the value is unknown.

    The SDK's apply is called with ``run_with_unknowns`` so that it hands every value over;
    :class:`_Callback` gives the SDK's own unknown result where the SDK would have skipped.
    The SDK's own lifting callbacks (``__getattr__``) keep their behaviour.
    """
    if run_with_unknowns and func is not _ORIGINAL["from_input"]:
        return _ORIGINAL["apply"](self, func, True)
    return _ORIGINAL["apply"](self, _Callback(self, func, run_with_unknowns), True)


class _Callback:
    """The callback the SDK's apply runs; it reads the output's data to decide what to run on."""

    __slots__ = ("output", "func", "lifting")

    def __init__(self, output: Any, func: Callable[[Any], Any], lifting: bool) -> None:
        self.output = output
        self.func = func
        self.lifting = lifting  # Output.from_input: carries a partial value on, runs no code

    def __call__(self, value: Any) -> Any:
        data = self.output._data.result()  # awaited by the SDK's apply before it calls back
        if data.is_known:
            try:
                return self.func(value)
            except _Inspected:  # a stand-in that a callback let out of its run
                return _unknown(None)
        partial = None if data.is_secret else self._partial(data)
        if partial is None:
            return self.func(value) if self.lifting else _unknown(None)
        if self.lifting:
            return _unknown(partial)
        return _run(self.func, partial)

    def _partial(self, data: Any) -> Optional[Any]:
        value = data.value
        if value is None or (type(value) is str and not value):  # a resource output, unknown ("" for an id)
            return _origin_token(self.output, data)
        return partial_value(value)


def _origin_token(output: Any, data: Any) -> Optional[str]:
    """The token of the resource output ``output`` (a string-typed one), cached on the Output."""
    cached = output.__dict__.get("_sahab_token", _MISSING)
    if cached is not _MISSING:
        return cached
    token = None
    if len(data.resources) == 1:
        (resource,) = data.resources
        for name, attribute in vars(resource).items():
            if attribute is output:
                token = _token_for(resource, name)
                break
    output.__dict__["_sahab_token"] = token
    return token


def _token_for(resource: Any, name: str) -> Optional[str]:
    urn_output = vars(resource).get("urn")
    urn_data = getattr(urn_output, "_data", None)
    if urn_data is None or not urn_data.done() or urn_data.cancelled() or urn_data.exception() is not None:
        return None
    urn = urn_data.result().value
    wire = "id" if name == "id" else _string_output(type(resource), name)
    if not isinstance(urn, str) or wire is None:
        return None
    return TOKENS.token_for(urn, wire)


def _string_output(cls: type, name: str) -> Optional[str]:
    """The wire name of ``cls``'s output property ``name`` when it is declared a string, else None.

    Read from the SDK's own metadata (``pulumi.getter(name=...)`` and the return annotation): a
    stand-in is text, so only a string output gets one.
    """
    key = (cls, name)
    if key in _DECLARED:
        return _DECLARED[key]
    wire = None
    for klass in cls.__mro__:
        attribute = vars(klass).get(name)
        if isinstance(attribute, property) and attribute.fget is not None:
            wire = getattr(attribute.fget, "_pulumi_name", None)
            break
    if wire is not None and shapes.kind_of_annotation(shapes.declared_properties(cls).get(wire)) != shapes.STRING:
        wire = None
    _DECLARED[key] = wire
    return wire


def _run(func: Callable[[Any], Any], partial: Any) -> Any:
    """Run ``func`` on stand-ins; the result is an unknown Output holding the partial value, if any."""
    run = _Run()
    _RUNS.append(run)
    try:
        result = func(_wrapped(partial))
    except Exception:  # noqa: BLE001 - in a preview this callback would not have run at all
        run.trapped = True
        result = None
    finally:
        _RUNS.pop()
    if run.trapped:
        return _unknown(None)
    from pulumi.output import Output

    if isinstance(result, Output) or isawaitable(result):
        return Output._from_data(_settled(result))
    return _unknown(partial_value(result))


async def _settled(result: Any) -> Any:
    """The data of a callback's Output (or awaitable) result, kept unknown, with its partial value."""
    from pulumi.output import Output, _OutputData

    try:
        if isinstance(result, Output):
            data = await result._data
            return _OutputData(resources=data.resources, value=partial_value(data.value), is_known=False,
                               is_secret=data.is_secret)
        return _OutputData(resources=set(), value=partial_value(await result), is_known=False, is_secret=False)
    except Exception:  # noqa: BLE001 - as in _run
        return _OutputData(resources=set(), value=None, is_known=False, is_secret=False)


def _unknown(value: Any) -> Any:
    """An unknown Output holding ``value``; with None it is what the SDK's skipped apply gives."""
    from pulumi.output import Output, _OutputData

    future = asyncio.get_running_loop().create_future()
    future.set_result(_OutputData(resources=set(), value=value, is_known=False, is_secret=False))
    return Output._from_data(future)


def _json_dumps(obj: Any, **kwargs: Any) -> Any:
    """``Output.json_dumps``: the SDK's, and where that is unknown, ``json.dumps`` run on stand-ins."""
    from pulumi.output import Output

    dumped = _ORIGINAL["json_dumps"](obj, **kwargs)
    return Output._from_data(_json_dumped(dumped, obj, kwargs))


async def _json_dumped(dumped: Any, obj: Any, kwargs: Dict[str, Any]) -> Any:
    from pulumi.output import Output, _OutputData

    data = await dumped._data
    if data.is_known or data.is_secret or not TOKENS.active:
        return data
    built = await Output.from_input(obj).apply(functools.partial(_dumps, kwargs))._data
    return _OutputData(resources=data.resources | built.resources, value=built.value, is_known=False,
                       is_secret=built.is_secret)


def _dumps(kwargs: Dict[str, Any], value: Any) -> str:
    return json.dumps(value, **kwargs)


def _mapping(original: Callable[..., Any]) -> Callable[..., Any]:
    """``_map2_output``/``_map3_output`` (``Output.format``): the transform guarded on stand-ins."""

    def mapped(*args: Any) -> Any:
        *outputs, transform = args
        return original(*outputs, functools.partial(_guarded_transform, transform))

    return mapped


def _guarded_transform(transform: Callable[..., Any], *values: Any) -> Any:
    """Run an SDK transform on stand-ins when a value holds tokens; unknown if another value is an
    unknown without a stand-in (``None``), as the SDK's own transform would have been."""
    from pulumi.output import UNKNOWN

    if not TOKENS.active or not any(_mentions_token(value) for value in values):
        return transform(*values)
    try:
        plain = [_plain(value)[0] for value in values]
    except (_NotPartial, RecursionError):
        return UNKNOWN
    run = _Run()
    _RUNS.append(run)
    try:
        result = transform(*[_wrapped(value) for value in plain])
    except Exception:  # noqa: BLE001 - as in _run
        run.trapped = True
        result = None
    finally:
        _RUNS.pop()
    built = None if run.trapped else partial_value(result)
    return UNKNOWN if built is None else built


def _mentions_token(value: Any, depth: int = 0) -> bool:
    """Whether a token or a fragment of one is anywhere in ``value`` (whatever else it holds)."""
    if isinstance(value, str):
        return _TICK in str.__str__(value) and TOKENS.parts(str.__str__(value)) != [str.__str__(value)]
    if depth > _MAX_DEPTH:
        return False
    if isinstance(value, (list, tuple)):
        return any(_mentions_token(item, depth + 1) for item in value)
    if isinstance(value, dict):
        # dict.values, not value.values(): SDK input types are dicts whose fields may shadow the
        # method (aws.cloudtrail.TrailEventSelectorDataResourceArgs has a `values` list).
        return any(_mentions_token(item, depth + 1) for item in dict.values(value))
    return False


async def _serialize_property(value: Any, *args: Any, **kwargs: Any) -> Any:
    """``rpc.serialize_property``: an unknown, non-secret Output holding a partial value is sent as
    that value (tokens in place) instead of the unknown sentinel; a stand-in as its text."""
    from pulumi.output import Output, _OutputData

    if isinstance(value, Output):
        data = await value._data
        if not data.is_known and not data.is_secret and data.value is not None:
            partial = partial_value(data.value)
            if partial is not None:
                future = asyncio.get_running_loop().create_future()
                future.set_result(_OutputData(resources=data.resources, value=partial, is_known=True, is_secret=False))
                value = Output._from_data(future)
    elif type(value) is StandIn:
        value = str.__str__(value)
    return await _ORIGINAL["serialize_property"](value, *args, **kwargs)


def _resolve_properties(resolvers: Dict[str, Any], all_properties: Dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    """``rpc.resolve_properties``: an output the monitor echoed from a partial input is not known.

    The echo carries the input's tokens; as a known value, a callback would inspect its plain
    text untrapped. It is resolved as an unknown that holds the partial value instead.
    """
    if TOKENS.active:
        echoed = [key for key, value in all_properties.items() if key in resolvers and _mentions_token(value)]
        if echoed:
            resolvers = dict(resolvers)
            for key in echoed:
                resolvers[key] = functools.partial(_resolve_unknown, resolvers[key])
    return _ORIGINAL["resolve_properties"](resolvers, all_properties, *args, **kwargs)


def _resolve_unknown(resolve: Callable[..., Any], value: Any, _known: bool, *args: Any) -> Any:
    return resolve(value, False, *args)


def _registering(original: Callable[..., Any]) -> Callable[..., Any]:
    """``register_resource``/``read_resource``: remember resources registered on stand-ins, and
    write a stand-in in a resource's name as ``{unknown}`` (its URN then holds no token)."""

    def register(res: Any, ty: str, name: Any, *args: Any, **kwargs: Any) -> Any:
        if _RUNS:
            _SPECULATIVE.append(res)
        if TOKENS.active and isinstance(name, str) and str.__contains__(name, _TICK):
            name = TOKENS.scrub(str.__str__(name))
            res._name = name
        return original(res, ty, name, *args, **kwargs)

    return register


def speculative_urns() -> List[str]:
    """The URNs of the resources registered during a stand-in run (the monitor marks them and
    their descendants ``"speculative": true``)."""
    urns = set()
    for resource in _SPECULATIVE:
        urn_data = getattr(vars(resource).get("urn"), "_data", None)
        if urn_data is not None and urn_data.done() and not urn_data.cancelled() and urn_data.exception() is None:
            urns.add(urn_data.result().value)
    return sorted(urn for urn in urns if isinstance(urn, str))
