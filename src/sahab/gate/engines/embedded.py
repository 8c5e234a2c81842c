"""The embedded engine: regorus (``gordon-to-regorus``, pinned) in a worker process, no server.

regorus holds the GIL while it evaluates, so no Python thread or timer can stop a rule that
loops. Each engine runs regorus in its own worker process (``regorus_worker.py``) and kills it
when a call misses its deadline: ``timeout`` seconds per call (loading the policies, or one query,
the input's transfer included). That call raises :class:`EngineError` (exit 3); the next call
starts a fresh worker and loads the same policies again, so one looping policy test does not
fail the others. The worker dies with sahab (the kernel kills it, see ``regorus_worker.py``).
Input is passed as a JSON string (older bindings turned booleans into numbers when given
Python objects).
"""
from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from .base import EngineError, PolicyEngine
from .regorus_worker import HEAD, frame

_WORKER = Path(__file__).with_name("regorus_worker.py")
_CHUNK = 1 << 20
_TIMEOUT_HINT = "raise the engine timeout (gate.opa.timeout, seconds per call), or fix the rule that loops"
DEFAULT_TIMEOUT = 60.0


class EmbeddedEngine(PolicyEngine):
    name = "regorus"

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()  # one call at a time, as the worker serves them
        self._loaded: List[bytes] = []  # every successful load, replayed into a fresh worker
        self._worker: Optional[_Worker] = _Worker()  # it boots while the caller prepares the policies
        self._closed = False

    # -- PolicyEngine --------------------------------------------------------------------------

    def load(self, modules: Dict[str, str]) -> None:
        payload = json.dumps(modules).encode("utf-8")
        with self._lock:
            self._call({"op": "load"}, payload, "loading policies")
            self._loaded.append(payload)

    def query(self, path: str, input_document: Any) -> Any:
        payload = json.dumps(input_document).encode("utf-8")
        with self._lock:
            answer = self._call({"op": "query", "path": path}, payload, "evaluating data.%s" % path)
        rows = json.loads(answer).get("result") or []
        if not rows:
            return None
        expressions = rows[0].get("expressions") or []
        return expressions[0].get("value") if expressions else None

    def unsupported_builtins(self, names: Iterable[str]) -> Set[str]:
        from ..builtins import regorus_has_builtin

        return {name for name in names if not regorus_has_builtin(name)}

    def close(self) -> None:
        """Stop the worker process (nothing in it needs saving)."""
        with self._lock:
            self._closed = True
            if self._worker is not None:
                self._worker.stop()
                self._worker = None

    # -- the worker ----------------------------------------------------------------------------

    def _call(self, header: Dict[str, Any], payload: bytes, what: str) -> bytes:
        """Send one request; its reply's payload, or EngineError (the worker is gone after a timeout)."""
        if self._closed:
            raise EngineError("the embedded engine was used after close()", "create a new engine")
        if self._worker is None or not self._worker.alive():
            self._restart()
        return self._exchange(header, payload, what)

    def _restart(self) -> None:
        if self._worker is not None:
            self._worker.stop()
        self._worker = _Worker()
        for payload in self._loaded:
            self._exchange({"op": "load"}, payload, "loading policies again in a fresh worker")

    def _exchange(self, header: Dict[str, Any], payload: bytes, what: str) -> bytes:
        worker = self._worker
        assert worker is not None
        try:
            reply, answer = worker.exchange(frame(header, payload), time.monotonic() + self.timeout)
        except _DeadlinePassed:
            worker.stop()
            raise EngineError("regorus did not finish %s within %g s" % (what, self.timeout), _TIMEOUT_HINT) from None
        except _WorkerDied as exc:
            worker.stop()
            raise EngineError("the regorus worker stopped while %s: %s" % (what, exc), "report it with the policy named in the "
                              "message; it may have run out of memory") from None
        if not reply.get("ok"):
            raise EngineError("regorus failed while %s: %s" % (what, first_error_line(reply.get("error"))),
                              "fix the policy named in the message")
        return answer


class _DeadlinePassed(Exception):
    """The worker did not reply by the call's deadline."""


class _WorkerDied(Exception):
    """The worker closed its end of the pipe: it crashed or was killed."""


class _Worker:
    """One ``regorus_worker.py`` process; killed by :meth:`stop`, when garbage-collected, or at exit."""

    def __init__(self) -> None:
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(_WORKER), str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, bufsize=0)
        assert self.process.stdin is not None and self.process.stdout is not None
        self._send, self._receive = self.process.stdin.fileno(), self.process.stdout.fileno()
        os.set_blocking(self._send, False)
        os.set_blocking(self._receive, False)
        self._finalizer = weakref.finalize(self, _kill, self.process, self._stderr)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        self._finalizer()

    def exchange(self, message: bytes, deadline: float) -> Tuple[Dict[str, Any], bytes]:
        """Write ``message``, read one reply frame; _DeadlinePassed at ``deadline``, _WorkerDied on EOF."""
        view, sent = memoryview(message), 0
        received, needed = bytearray(), HEAD.size
        with selectors.DefaultSelector() as selector:
            selector.register(self._send, selectors.EVENT_WRITE)
            selector.register(self._receive, selectors.EVENT_READ)
            while len(received) < needed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _DeadlinePassed
                for key, _ in selector.select(remaining):
                    if key.fd == self._send:
                        try:
                            sent += os.write(self._send, view[sent:sent + _CHUNK])
                        except BlockingIOError:
                            continue
                        except BrokenPipeError:
                            raise _WorkerDied(self._exit_reason()) from None
                        if sent == len(view):
                            selector.unregister(self._send)
                        continue
                    try:
                        chunk = os.read(self._receive, max(_CHUNK, needed - len(received)))
                    except BlockingIOError:
                        continue
                    if not chunk:
                        raise _WorkerDied(self._exit_reason())
                    received += chunk
                    if needed == HEAD.size and len(received) >= HEAD.size:
                        header_size, payload_size = HEAD.unpack_from(received)
                        needed += header_size + payload_size
        header_size, _ = HEAD.unpack_from(received)
        body = HEAD.size + header_size
        return json.loads(bytes(received[HEAD.size:body])), bytes(received[body:needed])

    def _exit_reason(self) -> str:
        """``exit code N`` or ``killed by signal SIGKILL``, and the last line it wrote to stderr."""
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "it closed its pipe"
        reason = "exit code %d" % code if code >= 0 else "killed by signal %s" % _signal_name(-code)
        self._stderr.seek(0, os.SEEK_END)
        self._stderr.seek(max(0, self._stderr.tell() - 2000))
        lines = [line.strip() for line in self._stderr.read().decode("utf-8", "replace").splitlines() if line.strip()]
        return reason + (" (%s)" % lines[-1][:200] if lines else "")


def _kill(process: "subprocess.Popen[bytes]", stderr: Any) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    for stream in (process.stdin, process.stdout, stderr):
        if stream is not None:
            stream.close()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def first_error_line(error: object) -> str:
    """The useful part of a regorus error (an exception or its text): one line."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    useful = [line for line in lines if line.startswith("error:") or line.startswith("-->")]
    return " ".join(useful[:2]) if useful else (lines[0] if lines else type(error).__name__)
