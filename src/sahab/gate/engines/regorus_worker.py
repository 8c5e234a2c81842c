"""The regorus worker: one process owning one regorus engine, driven by ``embedded.py`` over pipes.

A process rather than a thread because regorus holds the GIL while it evaluates: no Python timer
can interrupt a rule that loops, but the parent can kill this process at the deadline. The
engine is created and used on this process's main thread (regorus engines are tied to the thread
that made them). Run as ``python -I regorus_worker.py PARENT_PID``; it imports only the standard
library and regorus, so it starts in ~25 ms.

Frames, both ways (:func:`frame`): 8 bytes (header length, payload length; big-endian), a JSON
header, then the payload bytes. Requests: ``{"op": "load"}`` with ``{path: text}`` as JSON, and
``{"op": "query", "path": "a.b"}`` with the input document's JSON (kept as bytes, never decoded
here). Replies: ``{"ok": true}`` with the query answer's JSON, or ``{"ok": false, "error": text}``.
"""
from __future__ import annotations

import json
import os
import signal
import struct
import sys
from typing import Any, BinaryIO, Dict, Optional, Tuple

HEAD = struct.Struct(">II")
PR_SET_PDEATHSIG = 1


def frame(header: Dict[str, Any], payload: bytes = b"") -> bytes:
    """One message: lengths, JSON header, payload."""
    encoded = json.dumps(header).encode("utf-8")
    return HEAD.pack(len(encoded), len(payload)) + encoded + payload


def _read_exactly(stream: BinaryIO, size: int) -> Optional[bytes]:
    data = stream.read(size) if size else b""
    return data if len(data) == size else None


def _read_frame(stream: BinaryIO) -> Optional[Tuple[Dict[str, Any], bytes]]:
    """The next request, or None when the parent closed the pipe (or died)."""
    head = _read_exactly(stream, HEAD.size)
    if head is None:
        return None
    header_size, payload_size = HEAD.unpack(head)
    header, payload = _read_exactly(stream, header_size), _read_exactly(stream, payload_size)
    if header is None or payload is None:
        return None
    return json.loads(header), payload


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel kills this process when sahab dies, even in the middle of an evaluation.

    Python code cannot notice the parent's death while regorus holds the GIL, so the kernel must.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the closed pipe ends the worker between calls
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)


def _handle(engine: Any, header: Dict[str, Any], payload: bytes) -> bytes:
    op = header.get("op")
    if op == "load":
        for path, text in sorted(json.loads(payload).items()):
            engine.add_policy(path, text)
        return b""
    if op == "query":
        engine.set_input_json(payload.decode("utf-8"))
        return engine.eval_query_as_json("data." + str(header["path"])).encode("utf-8")
    raise ValueError("unknown request %r" % op)


def main(argv: Any) -> int:
    # Ctrl-C reaches this process too (same process group): let the kernel end it at once.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _die_with_parent(int(argv[1]))
    # The protocol owns the original stdout; anything else printed (by regorus or Python) goes to stderr.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    import regorus

    engine = regorus.Engine()
    while True:
        request = _read_frame(requests)
        if request is None:
            return 0
        try:
            reply = frame({"ok": True}, _handle(engine, *request))
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the parent as text
            reply = frame({"ok": False, "error": str(exc) or type(exc).__name__})
        replies.write(reply)
        replies.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
