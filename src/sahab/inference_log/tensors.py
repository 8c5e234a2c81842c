"""A V2 (Open Inference Protocol) inference request's input tensors, as the columns of a table.

A request ``{"inputs": [{"name", "shape", "datatype", "data"}, ...]}`` becomes one row per request
element (the first dimension of every shape, which must agree) and one column per input name.
An input with one value per element gives a scalar column; more than one (shape ``[n, 3]``) gives a
list per row, in row-major order. ``data`` may be flat or nested, as the protocol allows; its
values must match ``datatype`` (numbers for ``INT*``/``UINT*``/``FP*``, booleans for ``BOOL``,
strings for ``BYTES``). Anything else is :class:`Unloggable`: the proxy has already forwarded the
request, so a refusal here costs a count, never a response.

The protocol: kserve.github.io/website/docs/concepts/architecture/data-plane/v2-protocol
("Inference Request JSON Object", "Tensor Data").
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import unquote

INTEGER_TYPES = frozenset({"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"})
FLOAT_TYPES = frozenset({"FP16", "FP32", "FP64"})
DATATYPES = INTEGER_TYPES | FLOAT_TYPES | {"BOOL", "BYTES"}
_INFER_PATH = re.compile(r"^/v2/models/(?P<model>[^/]+)(/versions/(?P<version>[^/]+))?/infer$")

# (name, datatype, values per row): requests with the same schema share a Parquet file.
Schema = Tuple[Tuple[str, str, int], ...]


class Unloggable(ValueError):
    """The request is not a V2 inference request this logger can turn into rows."""


@dataclass(frozen=True)
class Batch:
    """The rows of one request: ``columns`` in input order, each ``rows`` long."""

    schema: Schema
    columns: Dict[str, List[Any]]
    rows: int


def infer_target(path: str) -> Optional[Tuple[str, Optional[str]]]:
    """``(model, version or None)`` when ``path`` is ``/v2/models/<model>[/versions/<v>]/infer``."""
    match = _INFER_PATH.match(path.split("?", 1)[0])
    if match is None:
        return None
    version = match.group("version")
    return unquote(match.group("model")), unquote(version) if version is not None else None


def _flatten(data: Any) -> List[Any]:
    """Row-major values of flat or nested lists."""
    flat: List[Any] = []
    stack = [iter(data)]
    while stack:
        for value in stack[-1]:
            if isinstance(value, list):
                stack.append(iter(value))
                break
            flat.append(value)
        else:
            stack.pop()
    return flat


def _check_value(datatype: str, value: Any) -> Any:
    if datatype == "BOOL":
        if isinstance(value, bool):
            return value
    elif datatype == "BYTES":
        if isinstance(value, str):
            return value
    elif isinstance(value, bool):
        pass
    elif datatype in INTEGER_TYPES:
        if isinstance(value, int) and (value >= 0 or not datatype.startswith("U")):
            return value
    elif isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:
            pass
    raise Unloggable("a %s tensor holds %r" % (datatype, type(value).__name__))


def _input(tensor: Any, names: set) -> Tuple[str, str, List[int], List[Any]]:
    if not isinstance(tensor, dict):
        raise Unloggable("an input is not a tensor object")
    name, shape, datatype, data = (tensor.get(key) for key in ("name", "shape", "datatype", "data"))
    if not isinstance(name, str) or not name or name in names:
        raise Unloggable("an input has no name, or a repeated one")
    if not isinstance(shape, list) or not shape or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise Unloggable("input %r has no valid shape" % name)
    if datatype not in DATATYPES:
        raise Unloggable("input %r has datatype %r" % (name, datatype))
    if not isinstance(data, list):
        raise Unloggable("input %r carries no data list" % name)
    values = _flatten(data)
    if len(values) != math.prod(shape):
        raise Unloggable("input %r has %d values for shape %s" % (name, len(values), shape))
    return name, datatype, shape, [_check_value(datatype, value) for value in values]


def parse_request(body: bytes) -> Batch:
    """The rows of a V2 inference request body; :class:`Unloggable` when it is not one."""
    try:
        request = json.loads(body)
    except (ValueError, RecursionError):
        raise Unloggable("the body is not JSON") from None
    inputs = request.get("inputs") if isinstance(request, dict) else None
    if not isinstance(inputs, list) or not inputs:
        raise Unloggable("the body has no inputs list")
    names: set = set()
    schema: List[Tuple[str, str, int]] = []
    columns: Dict[str, List[Any]] = {}
    rows: Optional[int] = None
    for tensor in inputs:
        name, datatype, shape, values = _input(tensor, names)
        names.add(name)
        if rows is not None and shape[0] != rows:
            raise Unloggable("input %r has %d elements, another input %d" % (name, shape[0], rows))
        rows = shape[0]
        width = math.prod(shape[1:])
        schema.append((name, datatype, width))
        columns[name] = values if width == 1 else [values[i * width:(i + 1) * width] for i in range(rows)]
    return Batch(schema=tuple(schema), columns=columns, rows=rows or 0)
