"""The interface every Rego backend implements, and its failure type.

Backends are given every module (rules, libraries, tests) once, then asked for the value of a
``data`` path with an input document. Anything that goes wrong inside a backend (a parse error,
an unsupported builtin, a timeout, an unreachable server) is an :class:`EngineError`: the gate
stops with exit 3 and never reads it as "no findings".
"""
from __future__ import annotations

import abc
import math
from typing import Any, Dict, Iterable, Mapping, Set

from ...errors import ConfigError, SahabError


class EngineError(SahabError):
    """The policy engine failed: the gate cannot decide, so it stops (exit 3)."""

    exit_code = 3


def engine_timeout(options: Mapping[str, Any], default: float) -> float:
    """``options["timeout"]`` (``gate.opa.timeout``): the deadline of each engine call, in seconds.

    A positive, finite number: zero, a negative number, NaN or infinity would make every call
    fail at once or never end.
    """
    value = options.get("timeout", default)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ConfigError("opa.timeout %r is not a number of seconds" % (value,), "e.g. timeout: 30") from None
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError("opa.timeout must be a positive number of seconds, not %r" % (value,), "e.g. timeout: 30")
    return seconds


class PolicyEngine(abc.ABC):
    """A Rego v1 evaluator."""

    name: str = "engine"

    @abc.abstractmethod
    def load(self, modules: Dict[str, str]) -> None:
        """Compile ``modules`` (relative path -> Rego source); raise EngineError on any problem."""

    @abc.abstractmethod
    def query(self, path: str, input_document: Any) -> Any:
        """The JSON value of ``data.<path>`` for ``input_document`` (``None`` when undefined)."""

    @abc.abstractmethod
    def unsupported_builtins(self, names: Iterable[str]) -> Set[str]:
        """Which of the builtin function ``names`` this backend cannot evaluate."""

    def close(self) -> None:
        """Release what the backend holds (server-side policies, threads)."""
