"""The reverse proxy on the pod's serving port: MLServer's answers unchanged, the inputs on the side.

Every request (inference, health, readiness, metadata) goes to MLServer on localhost with its
method, path, headers and body; MLServer's status, headers and body come back as they are (only
the hop-by-hop headers of RFC 9110 section 7.6.1 are per connection, and the body length is
re-framed). A body with no length (chunked) comes back chunked, piece by piece.

Only after the client has its answer does the proxy look at the request: a ``POST`` to
``/v2/models/<model>[/versions/<v>]/infer`` that MLServer answered ``200`` has its input tensors
added to the buffer (:mod:`.tensors`). Everything else is forwarded and, when it was an inference
request, counted by why it was not logged: an error answer (the input was not served), a body the
logger cannot read, a body over ``max_body_bytes`` (streamed through without being held), another
model's path. MLServer unreachable is a ``502`` with MLServer's error shape (``{"error": ...}``).
"""
from __future__ import annotations

import datetime
import http.client
import json
import logging
import sys
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, List, Optional, Tuple

from .buffer import InputBuffer
from .metrics import MALFORMED, OTHER_MODEL, TOO_LARGE, UNLOGGED, UPSTREAM_DOWN, UPSTREAM_STATUS, InferenceLogMetrics
from .tensors import Unloggable, infer_target, parse_request
from .writer import utc_now

LOG = logging.getLogger("sahab.inference_log")
# Per-connection headers (RFC 9110 7.6.1), plus the framing and Expect this proxy handles itself.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
                        "te", "trailer", "transfer-encoding", "upgrade", "content-length", "expect"})
_NO_BODY = (204, 304)
_STREAM_PIECE = 64 * 1024


@dataclass(frozen=True)
class ProxyConfig:
    """Where MLServer listens (on the pod's loopback), the model this pod serves, and the largest
    body the logger holds to read (larger ones stream through unlogged)."""

    model: str
    upstream_port: int
    upstream_host: str = "127.0.0.1"
    max_body_bytes: int = 8 * 1024 * 1024
    timeout_seconds: float = 300.0


def _headers(pairs: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    return [(key, value) for key, value in pairs if key.lower() not in HOP_BY_HOP]


def make_server(config: ProxyConfig, buffer: InputBuffer, metrics: InferenceLogMetrics, host: str, port: int,
                clock: Callable[[], datetime.datetime] = utc_now) -> ThreadingHTTPServer:
    """The proxy's server (not yet serving: call ``serve_forever``)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's names)
            self._forward()

        do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

        def log_message(self, format: str, *args: object) -> None:  # MLServer logs its own requests
            pass

        def _forward(self) -> None:
            received = clock()
            target = infer_target(self.path) if self.command == "POST" else None
            length = self.headers.get("Content-Length")
            chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
            body: Optional[bytes] = None
            try:
                size = int(length) if length is not None and not chunked else None
                if size is not None and size < 0:
                    raise ValueError(length)
                streamed = size is not None and size > config.max_body_bytes
                if not streamed:
                    body = self._read_chunked() if chunked else self.rfile.read(size) if size else b""
            except ValueError:
                self.send_error(400, "bad request body framing")  # as MLServer's own server would answer
                return
            try:
                upstream = http.client.HTTPConnection(config.upstream_host, config.upstream_port, timeout=config.timeout_seconds)
                upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for key, value in _headers(list(self.headers.items())):
                    upstream.putheader(key, value)
                if streamed:
                    upstream.putheader("Content-Length", str(size))
                    upstream.endheaders()
                    self._stream_body(upstream, size or 0)
                else:
                    if body or length is not None or chunked:
                        upstream.putheader("Content-Length", str(len(body or b"")))
                    upstream.endheaders(body or None)
                response = upstream.getresponse()
            except OSError as error:
                if target is not None:
                    metrics.count(UNLOGGED, reason=UPSTREAM_DOWN)
                LOG.warning("model server unreachable on port %d: %s", config.upstream_port, error)
                self.close_connection = True
                self._unreachable()
                return
            try:
                self._relay(response)
            except OSError:  # the client went away mid-answer: nothing to log, nothing to keep open
                self.close_connection = True
                return
            finally:
                upstream.close()
            if target is not None:
                self._log(target[0], response.status, body, received.date())

        def _read_chunked(self) -> bytes:
            pieces = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(pieces)
                pieces.append(self.rfile.read(size))
                self.rfile.readline()

        def _stream_body(self, upstream: http.client.HTTPConnection, size: int) -> None:
            while size > 0:
                piece = self.rfile.read(min(size, _STREAM_PIECE))
                if not piece:
                    raise ConnectionError("the client closed the body early")
                upstream.send(piece)
                size -= len(piece)

        def _relay(self, response: http.client.HTTPResponse) -> None:
            self.send_response_only(response.status, response.reason)
            for key, value in _headers(response.getheaders()):
                self.send_header(key, value)
            if self.command == "HEAD" or response.status in _NO_BODY or response.status < 200:
                if response.getheader("Content-Length") is not None:
                    self.send_header("Content-Length", response.getheader("Content-Length"))
                self.end_headers()
                return
            if response.getheader("Content-Length") is not None or response.getheader("Transfer-Encoding") is None:
                payload = response.read()
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while True:
                piece = response.read1(_STREAM_PIECE)
                if not piece:
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")

        def _unreachable(self) -> None:
            payload = json.dumps({"error": "model server unreachable"}).encode()
            self.send_response(502)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _log(self, model: str, status: int, body: Optional[bytes], day: datetime.date) -> None:
            if status != 200:
                metrics.count(UNLOGGED, reason=UPSTREAM_STATUS)
            elif model != config.model:
                metrics.count(UNLOGGED, reason=OTHER_MODEL)
            elif body is None or len(body) > config.max_body_bytes:
                metrics.count(UNLOGGED, reason=TOO_LARGE)
            else:
                try:
                    batch = parse_request(body)
                except Unloggable:
                    metrics.count(UNLOGGED, reason=MALFORMED)
                    return
                buffer.add(day, batch)

    return _Server((host, port), Handler)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """One log line, never a traceback (which could quote a request)."""
        error = sys.exc_info()[1]
        LOG.warning("proxy connection failed: %s", type(error).__name__)
