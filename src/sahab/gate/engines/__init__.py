"""Rego engines behind one small interface: the embedded regorus engine and an OPA server."""
from __future__ import annotations

from typing import Any, Dict, Optional

from .base import EngineError, PolicyEngine, engine_timeout


def create_engine(kind: str = "embedded", options: Optional[Dict[str, Any]] = None) -> PolicyEngine:
    """``embedded`` (regorus, the default) or ``opa`` (a real OPA server, see opa_server.py)."""
    options = options or {}
    if kind == "embedded":
        from .embedded import DEFAULT_TIMEOUT, EmbeddedEngine

        return EmbeddedEngine(timeout=engine_timeout(options, DEFAULT_TIMEOUT))
    if kind == "opa":
        from .opa_server import OpaServerEngine

        return OpaServerEngine.from_options(options)
    from ...errors import UsageError

    raise UsageError("unknown engine %r" % kind, "use `embedded` or `opa`")


__all__ = ["EngineError", "PolicyEngine", "create_engine"]
