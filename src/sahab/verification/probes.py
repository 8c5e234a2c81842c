"""Run-time probes of a platform endpoint, from the verifying machine (the endpoint suite's checks).

Each probe answers one question with a fact, never a guess: which addresses the name resolves
to, what an anonymous request gets, which TLS versions the server completes a handshake with.
Network errors other than "refused"/"no answer" propagate, so a probe that could not look is an
error in the test, not a pass.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from typing import List, Optional, Tuple
from urllib.parse import urlsplit

TIMEOUT = 10.0


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


def target(url: str, path: Optional[str] = None) -> Target:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    base = parts.path.rstrip("/")
    return Target(parts.scheme, parts.hostname or "", port, base + (path if path is not None else (parts.path or "/")))


def resolved_addresses(url: str) -> List[str]:
    """Every address the URL's host name resolves to here (socket.gaierror if it does not resolve)."""
    where = target(url)
    infos = socket.getaddrinfo(where.host, where.port, proto=socket.IPPROTO_TCP)
    return sorted({info[4][0] for info in infos})


def public_addresses(addresses: List[str]) -> List[str]:
    """The addresses that are globally routable (not private, loopback, link-local or shared)."""
    return [a for a in addresses if ipaddress.ip_address(a.split("%")[0]).is_global]


def tls_context(ca_bundle: Optional[str], *, minimum: Optional[ssl.TLSVersion] = None,
                maximum: Optional[ssl.TLSVersion] = None, verify: bool = True) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_bundle)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if minimum is not None or maximum is not None:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer what a weak server would accept
        context.minimum_version = minimum or ssl.TLSVersion.MINIMUM_SUPPORTED
        context.maximum_version = maximum or ssl.TLSVersion.MAXIMUM_SUPPORTED
    return context


def anonymous_status(url: str, path: str, ca_bundle: Optional[str]) -> int:
    """The HTTP status of a GET of ``path`` with no credentials (TLS verified against ``ca_bundle``)."""
    where = target(url, path)
    if where.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            where.host, where.port, timeout=TIMEOUT, context=tls_context(ca_bundle))
    else:
        connection = http.client.HTTPConnection(where.host, where.port, timeout=TIMEOUT)
    try:
        connection.request("GET", where.path, headers={"Host": _host_header(url)})
        return connection.getresponse().status
    finally:
        connection.close()


def negotiated_tls(url: str, ca_bundle: Optional[str]) -> str:
    """The protocol of a verified handshake (certificate chain and host name), e.g. ``TLSv1.3``."""
    where = target(url)
    with socket.create_connection((where.host, where.port), timeout=TIMEOUT) as raw:
        with tls_context(ca_bundle).wrap_socket(raw, server_hostname=where.host) as wrapped:
            return str(wrapped.version())


def legacy_tls_accepted(url: str) -> Optional[str]:
    """The protocol a handshake offering only TLS 1.0/1.1 completed with, or None if the server refused it.

    Raises RuntimeError when this machine's OpenSSL cannot offer TLS 1.1 at all: then nothing was tested.
    """
    if not ssl.HAS_TLSv1_1:
        raise RuntimeError("this machine's OpenSSL cannot offer TLS 1.1, so a server accepting it cannot be detected")
    where = target(url)
    context = tls_context(None, minimum=ssl.TLSVersion.TLSv1, maximum=ssl.TLSVersion.TLSv1_1, verify=False)
    with socket.create_connection((where.host, where.port), timeout=TIMEOUT) as raw:
        try:
            with context.wrap_socket(raw, server_hostname=where.host) as wrapped:
                return str(wrapped.version())
        except (ssl.SSLError, ConnectionResetError):
            return None


def plain_http_answer(url: str, path: str, port: int = 80) -> Tuple[Optional[int], Optional[str]]:
    """What plain HTTP on the endpoint's host and ``port`` gets: (status, Location), or (None, None) when
    nothing listens or it does not answer. A listener that serves content over plain HTTP is the finding."""
    where = target(url, path)
    connection = http.client.HTTPConnection(where.host, port, timeout=TIMEOUT)
    try:
        connection.request("GET", where.path, headers={"Host": _host_header(url)})
        response = connection.getresponse()
        return response.status, response.getheader("Location")
    except (ConnectionRefusedError, socket.timeout, http.client.RemoteDisconnected):
        return None, None
    finally:
        connection.close()


def _host_header(url: str) -> str:
    return urlsplit(url).netloc.rpartition("@")[2]
