"""The real OPA evaluator as a sahab PolicyEngine, for tests (imported as a module).

``.tools/opa-engine`` (installed by ./bootstrap from tools/opa-engine/requirements.txt) holds
OPA v1.20.2's ``rego`` package built as a C shared library, with a ctypes wrapper. It is not a
backend sahab offers (that is the OPA *server*, docs/gate-engines.md): it is the oracle the tests
compare regorus with, so that "regorus answers as OPA does" is checked against OPA itself.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, Iterable, Set

from sahab.gate.engines.base import EngineError, PolicyEngine

OPA_ENGINE_DIR = Path(__file__).resolve().parents[2] / ".tools" / "opa-engine"


def bindings() -> Any:
    """The ``opa_bindings`` module of ``.tools/opa-engine`` (also used by the stand-in server)."""
    if not (OPA_ENGINE_DIR / "opa_bindings").is_dir():
        raise RuntimeError("the OPA evaluator is not installed in %s: run ./bootstrap" % OPA_ENGINE_DIR)
    if str(OPA_ENGINE_DIR) not in sys.path:
        sys.path.append(str(OPA_ENGINE_DIR))
    import opa_bindings

    return opa_bindings


class RealOpaEngine(PolicyEngine):
    """OPA's own evaluator, in-process: modules compiled together, documents evaluated by path."""

    name = "opa-evaluator"

    def __init__(self) -> None:
        self._opa = bindings()
        self._engine = self._opa.OpaEngine()

    def load(self, modules: Dict[str, str]) -> None:
        for path, text in sorted(modules.items()):
            try:
                self._engine.add_policy(path, text)
            except self._opa.OpaError as exc:
                raise EngineError("OPA could not compile %s: %s" % (path, exc.message)) from None

    def query(self, path: str, input_document: Any) -> Any:
        try:
            return self._engine.eval_document(path, input_document)
        except self._opa.OpaUndefinedError:
            return None
        except self._opa.OpaError as exc:
            raise EngineError("OPA failed on data.%s: %s" % (path, exc.message)) from None

    def unsupported_builtins(self, names: Iterable[str]) -> Set[str]:
        return set()  # it is OPA: every builtin of OPA v1.20.2

    def close(self) -> None:
        self._engine.close()
