"""The shapes the program's SDKs declare, as the monitor reads them: from descriptions, not classes.

The harness describes each resource class and invoke result type on the program's thread
(:mod:`.shapes`) and sends the description before the registration or invoke that needs it.
The monitor (in sahab's own process) keeps them here and uses them for two fidelity rules:
echo an input back as an output only where the resource declares an output of the same shape,
and answer an invoke with a value shaped like its ``Get…Result`` type.

A description comes from the program's process, so a program can send a false one; it then
changes only what its own outputs look like in the preview (which the program can do anyway),
never the record of what it registered.
"""
from __future__ import annotations

import re
import threading
from typing import Any, Callable, Dict, FrozenSet, Optional

from .wire import SIG_KEY

STRING, NUMBER, BOOL, ANY = "string", "number", "bool", "any"
# What an echoed object's absent properties become (:func:`fill_mode`).
FILL_ALL, FILL_REQUIRED, FILL_NONE = "all", "required", "none"
ValueHint = Callable[[str], Optional[Any]]


class TypeCatalog:
    """Descriptions received so far: resource outputs and inputs, invoke results, output types."""

    def __init__(self) -> None:
        self.types: Dict[str, Dict[str, Any]] = {}
        self._outputs: Dict[str, Dict[str, Any]] = {}
        self._inputs: Dict[str, FrozenSet[str]] = {}
        self._invokes: Dict[str, Optional[str]] = {}
        self._lock = threading.Lock()

    def declare(self, description: Dict[str, Any]) -> None:
        """Add one description (:func:`.shapes.describe_resource` / ``describe_invoke`` plus ``types``)."""
        with self._lock:
            for name, entry in (description.get("types") or {}).items():
                if isinstance(entry, dict):
                    self.types.setdefault(name, entry)
            if isinstance(description.get("resource"), str):
                token = description["resource"]
                self._outputs[token] = dict(description.get("outputs") or {})
                self._inputs[token] = frozenset(description.get("inputs") or ())
            elif isinstance(description.get("invoke"), str):
                result = description.get("result")
                self._invokes[description["invoke"]] = result.get("ref") if isinstance(result, dict) else None

    def outputs(self, token: str) -> Optional[Dict[str, Any]]:
        """wire name -> descriptor of a resource type's outputs; None when it was never described."""
        return self._outputs.get(token)

    def inputs(self, token: str) -> FrozenSet[str]:
        return self._inputs.get(token, frozenset())

    def invoke_result(self, token: str) -> Optional[str]:
        """The name of an invoke's result type, None when the SDK declares none."""
        return self._invokes.get(token)

    # -- shapes ---------------------------------------------------------------------------

    def kind(self, descriptor: Any) -> str:
        if isinstance(descriptor, dict):
            return "object" if "ref" in descriptor or "map" in descriptor else "list"
        return descriptor if descriptor in (STRING, NUMBER, BOOL) else ANY

    def same_shape(self, descriptor: Any, value: Any) -> bool:
        """Shallow shape check: kinds agree, and for lists the first element's kind agrees."""
        expected, actual = self.kind(descriptor), _kind_of_value(value)
        if expected == ANY or actual == ANY:
            return True
        if expected != actual:
            return False
        if expected == "list" and value and descriptor["list"] is not None:
            return self.same_shape(descriptor["list"], value[0])
        return True

    def fill_unknowns(self, descriptor: Any, value: Any, unknown: Any, fill: str = FILL_ALL, depth: int = 0) -> Any:
        """An echoed input completed to the declared output shape, as the provider's preview returns it.

        A property of the declared output type that the input leaves out is filled in as
        unknown where the provider computes it (absent reads as a known ``None``), as
        :func:`fill_mode` says for the provider: every one (``all``), only those the provider
        always returns (``required`` in the type's description: no default in the SDK's output
        class), or none (``none``). One filled-in unknown makes the SDK treat the whole object
        as unknown. Recurses into nested objects and lists of objects; wire envelopes (secrets,
        unknowns) are left as they are. A nested input whose shape differs from the declared
        output's (azure-native takes ``userAssignedIdentities`` as a list of IDs and returns a
        map keyed by them) is unknown, as the provider computes it: echoed as it is, the SDK
        would fail the program on the mismatch.
        """
        if depth > 16 or not isinstance(descriptor, dict):
            return value
        if isinstance(value, dict):
            if SIG_KEY in value:
                return value
            if "ref" in descriptor:
                entry = self.types.get(descriptor["ref"]) or {}
                declared = entry.get("properties") or {}
                filled = {
                    key: (self._fill_nested(declared[key], item, unknown, fill, depth) if key in declared else item)
                    for key, item in value.items()
                }
                computed = declared if fill == FILL_ALL else entry.get("required") if fill == FILL_REQUIRED else ()
                for key in computed or ():
                    if key not in filled:
                        filled[key] = unknown
                return filled
            if descriptor.get("map") is not None:
                return {key: self._fill_nested(descriptor["map"], item, unknown, fill, depth)
                        for key, item in value.items()}
            return value
        if isinstance(value, list) and descriptor.get("list") is not None:
            return [self._fill_nested(descriptor["list"], item, unknown, fill, depth) for item in value]
        return value

    def _fill_nested(self, descriptor: Any, value: Any, unknown: Any, fill: str, depth: int) -> Any:
        if value == unknown or (isinstance(value, dict) and SIG_KEY in value):
            return value
        if not self.same_shape(descriptor, value):
            return unknown
        return self.fill_unknowns(descriptor, value, unknown, fill, depth + 1)

    def synthesize_object(self, name: str, hint: ValueHint, depth: int = 0) -> Dict[str, Any]:
        """A plausible value of output type ``name``; ``hint`` may supply top-level fields."""
        properties = (self.types.get(name) or {}).get("properties") or {}
        return {wire: self._synthesize(descriptor, wire, hint, depth) for wire, descriptor in properties.items()}

    def _synthesize(self, descriptor: Any, field: str, hint: ValueHint, depth: int) -> Any:
        hinted = hint(field) if depth == 0 else None  # hints name top-level result fields only
        if hinted is not None and self.same_shape(descriptor, hinted):
            return hinted
        if descriptor == STRING:
            return _string_for(field)
        if descriptor == BOOL:
            return False
        if descriptor == NUMBER:
            return 1
        if isinstance(descriptor, dict):
            if "map" in descriptor:
                return {}
            if "list" in descriptor:
                if depth > 4 or descriptor["list"] is None:
                    return []
                return [self._synthesize(descriptor["list"], field, hint, depth + 1)]
            if "ref" in descriptor and depth <= 4:
                return self.synthesize_object(descriptor["ref"], hint, depth + 1)
        return None


def fill_mode(type_: str) -> str:
    """Which absent properties of an echoed object a provider's preview computes (docs/planner.md).

    Kubernetes returns the checked inputs as given (``none``); azure-native's preview marks every
    output property not in the inputs computed (``all``); for the rest (the Terraform bridge) the
    only schema fact the SDK carries is which properties the provider always returns
    (``required``): an optional one the program leaves out stays absent.
    """
    package = type_.split(":", 1)[0]
    if package == "kubernetes":
        return FILL_NONE
    if package == "azure-native":
        return FILL_ALL
    return FILL_REQUIRED


def _kind_of_value(value: Any) -> str:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return ANY


def _string_for(field: str) -> str:
    lowered = field.lower()
    if lowered.endswith("arn"):
        return "arn:aws:iam::123456789012:mock/" + field
    if lowered in ("id",) or lowered.endswith("id"):
        return field + "-mock"
    return "mock-" + _kebab(field)


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
