"""The embedded engine: regorus (``gordon-to-regorus``, pinned), in-process, no server.

regorus engines are tied to the thread that made them, so one worker thread owns the engine and
runs every call; that also gives each call a timeout. Input is passed as a JSON string (older
bindings turned booleans into numbers when given Python objects).
"""
from __future__ import annotations

import json
import queue
import threading
from typing import Any, Callable, Dict, Iterable, Optional, Set, Tuple

from .base import EngineError, PolicyEngine


class EmbeddedEngine(PolicyEngine):
    name = "regorus"

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._calls: "queue.Queue[Optional[Tuple[Callable[[Any], Any], queue.Queue]]]" = queue.Queue()
        self._thread = threading.Thread(target=self._serve, name="sahab-regorus", daemon=True)
        self._thread.start()

    # -- the owning thread -------------------------------------------------------------------

    def _serve(self) -> None:
        import regorus

        engine = regorus.Engine()
        while True:
            item = self._calls.get()
            if item is None:
                return
            action, reply = item
            try:
                reply.put((True, action(engine)))
            except Exception as exc:  # noqa: BLE001 - handed back to the caller as EngineError
                # Only the text goes back: the traceback's frames hold the engine, which pyo3
                # refuses (with a stray RuntimeError on stderr) to drop on any other thread.
                reply.put((False, RuntimeError(str(exc))))
                del exc

    def _call(self, action: Callable[[Any], Any], what: str) -> Any:
        reply: "queue.Queue[Tuple[bool, Any]]" = queue.Queue()
        self._calls.put((action, reply))
        try:
            ok, value = reply.get(timeout=self.timeout)
        except queue.Empty:
            raise EngineError("regorus did not finish %s within %.0f s" % (what, self.timeout),
                              "raise the engine timeout, or report the rule that loops") from None
        if not ok:
            raise EngineError("regorus failed while %s: %s" % (what, first_error_line(value)),
                              "fix the policy named in the message") from None
        return value

    # -- PolicyEngine --------------------------------------------------------------------------

    def load(self, modules: Dict[str, str]) -> None:
        def add_all(engine: Any) -> None:
            for path, text in sorted(modules.items()):
                engine.add_policy(path, text)

        self._call(add_all, "loading policies")

    def query(self, path: str, input_document: Any) -> Any:
        payload = json.dumps(input_document)

        def evaluate(engine: Any) -> Any:
            engine.set_input_json(payload)
            result = json.loads(engine.eval_query_as_json("data." + path))
            rows = result.get("result") or []
            if not rows:
                return None
            expressions = rows[0].get("expressions") or []
            return expressions[0].get("value") if expressions else None

        return self._call(evaluate, "evaluating data.%s" % path)

    def unsupported_builtins(self, names: Iterable[str]) -> Set[str]:
        from ..builtins import regorus_has_builtin

        return {name for name in names if not regorus_has_builtin(name)}

    def close(self) -> None:
        """Stop the worker; the regorus engine must be dropped on the thread that made it."""
        if self._thread.is_alive():
            self._calls.put(None)
            self._thread.join(timeout=self.timeout)


def first_error_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    useful = [line for line in lines if line.startswith("error:") or line.startswith("-->")]
    return " ".join(useful[:2]) if useful else (lines[0] if lines else type(exc).__name__)
