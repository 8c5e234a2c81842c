"""A loopback stand-in for GitHub's REST API that records every request and answers as GitHub does
for "Create a repository dispatch event": 204 with no body, or an error status with GitHub's JSON
``{"message": ...}`` (401 "Bad credentials", 422 "Validation Failed"), or a redirect."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional

MESSAGES = {401: "Bad credentials", 404: "Not Found", 422: "Validation Failed"}


@dataclass
class Recorded:
    method: str
    path: str
    headers: Dict[str, str]  # names in lower case (HTTP header names are case-insensitive)
    body: Any


@dataclass
class GithubDouble:
    """Answers ``statuses`` in turn (the last one repeats); ``redirect_to`` is sent with a 307."""

    statuses: List[int] = field(default_factory=lambda: [204])
    redirect_to: Optional[str] = None
    requests: List[Recorded] = field(default_factory=list)
    raw: List[bytes] = field(default_factory=list)

    def start(self) -> "GithubDouble":
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                double.raw.append(bytes(self.requestline, "latin-1") + b"\n" + bytes(str(self.headers), "latin-1") + data)
                double.requests.append(Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(data or b"null")))
                status = double.statuses[min(len(double.requests), len(double.statuses)) - 1]
                self.send_response(status)
                if status == 307 and double.redirect_to:
                    self.send_header("Location", double.redirect_to)
                body = b"" if status in (204, 307) else json.dumps(
                    {"message": MESSAGES.get(status, "Error"), "documentation_url": "https://docs.github.com/rest"}).encode()
                if body:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
