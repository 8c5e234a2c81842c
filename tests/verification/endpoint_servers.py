"""Loopback servers the endpoint suite is run against: a real MLflow with basic-auth, an open HTTP
server, and HTTPS servers (a certificate made here with the openssl CLI) with and without TLS 1.0/1.1.
Each binds 127.0.0.1 on a free port and is stopped when its block ends."""
from __future__ import annotations

import contextlib
import http.server
import secrets
import ssl
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import Iterator, Tuple

from mlflow_live import free_port, stop, wait_healthy  # tests/mlflow_live.py

ANONYMOUS_PROBE = "/api/2.0/mlflow/experiments/search?max_results=1"


@contextlib.contextmanager
def mlflow_with_auth(folder: Path) -> Iterator[str]:
    """``mlflow server --app-name basic-auth`` (NO_PERMISSIONS by default) on loopback; yields its URL."""
    port = free_port()
    config = folder / "basic_auth.ini"
    config.write_text("[mlflow]\ndefault_permission = NO_PERMISSIONS\ndatabase_uri = sqlite:///%s\nadmin_username = admin\n"
                      "admin_password = %s\nauthorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
                      % (folder / "auth.db", secrets.token_urlsafe(24)))
    env = {"PATH": "%s:/usr/bin:/bin" % Path(sys.executable).parent, "HOME": str(folder), "MLFLOW_DISABLE_TELEMETRY": "true",
           "MLFLOW_AUTH_CONFIG_PATH": str(config), "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_urlsafe(32)}
    command = [str(Path(sys.executable).parent / "mlflow"), "server", "--app-name", "basic-auth", "--host", "127.0.0.1",
               "--port", str(port), "--backend-store-uri", "sqlite:///%s" % (folder / "mlflow.db"), "--workers", "1",
               "--default-artifact-root", (folder / "artifacts").as_uri()]
    log = folder / "mlflow.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, cwd=folder, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = "http://127.0.0.1:%d" % port
        wait_healthy(url, process, log)
        yield url
    finally:
        stop(process)


class _Answer(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(self.status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def http_server(status: int, tls: ssl.SSLContext = None) -> Iterator[int]:
    """A server answering every GET with ``status`` (over TLS with ``tls``); yields its port."""
    handler = type("Answer%d" % status, (_Answer,), {"status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def certificate(folder: Path) -> Tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made with the openssl CLI."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def server_context(cert: Path, key: Path, *, legacy: bool) -> ssl.SSLContext:
    """TLS 1.2+ only, or (``legacy``) also TLS 1.0 and 1.1, as a misconfigured endpoint would."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if legacy:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():  # deprecated on purpose: this is the weak server the check must catch
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
