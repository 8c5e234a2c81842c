"""The platform's endpoints (MLflow, model serving) as the stack promises them, probed from the verifying machine.

Endpoints come from the inventory (docs/verify.md#inventory), each with its promises: ``private``
(the default), ``tls`` and ``auth``. A check of a promise the stack does not make is skipped with
that reason; a probe that cannot look (a name that does not resolve, a refused connection) is an
error, never a pass.
"""
from __future__ import annotations

import ssl

import pytest

from sahab.verification import probes
from sahab.verification.inventory import Endpoint

ACCESS_CONTROL = ("ISO/IEC 27001:2022 A.8.5: Secure authentication", "ISO/IEC 27001:2022 A.5.15: Access control")


def _promised(endpoint: Endpoint, promise: str) -> None:
    if not getattr(endpoint, promise):
        pytest.skip("the inventory does not promise %s for endpoint %s" % (promise, endpoint.name))


@pytest.mark.controls("SAHAB-NET-001", "SAHAB-NET-005", "SAHAB-NET-007")
def test_endpoint_reachable_only_privately(endpoint: Endpoint):
    """Every address the endpoint's name resolves to is private: no public listener fronts it."""
    _promised(endpoint, "private")
    addresses = probes.resolved_addresses(endpoint.url)
    assert addresses, "%s resolves to no address" % endpoint.url
    public = probes.public_addresses(addresses)
    assert public == [], "%s resolves to public address(es) %s" % (endpoint.name, ", ".join(public))


@pytest.mark.controls("SAHAB-ENC-008", "SAHAB-ENC-012")
def test_endpoint_tls_in_force(endpoint: Endpoint):
    """The endpoint is served over HTTPS with a certificate that verifies, at TLS 1.2 or newer."""
    _promised(endpoint, "tls")
    assert endpoint.url.startswith("https://"), "%s promises TLS but its URL is %s" % (endpoint.name, endpoint.url)
    version = probes.negotiated_tls(endpoint.url, endpoint.ca_bundle)
    assert version in ("TLSv1.2", "TLSv1.3"), "%s negotiated %s" % (endpoint.name, version)


@pytest.mark.controls("SAHAB-ENC-008")
def test_endpoint_refuses_tls_older_than_1_2(endpoint: Endpoint):
    """A client offering only TLS 1.0/1.1 gets no session."""
    _promised(endpoint, "tls")
    try:
        accepted = probes.legacy_tls_accepted(endpoint.url)
    except RuntimeError as exc:
        pytest.skip(str(exc))
    assert accepted is None, "%s completed a %s handshake" % (endpoint.name, accepted)


@pytest.mark.controls("SAHAB-ENC-012")
def test_endpoint_refuses_plain_http(endpoint: Endpoint):
    """Plain HTTP on port 80 of the endpoint's host serves nothing: no listener, or a redirect to HTTPS."""
    _promised(endpoint, "tls")
    status, location = probes.plain_http_answer(endpoint.url, endpoint.auth_probe)
    redirect = status is not None and 300 <= status < 400 and (location or "").startswith("https://")
    assert status is None or redirect, "%s answers plain HTTP with %s" % (endpoint.name, status)


@pytest.mark.controls(*ACCESS_CONTROL)
def test_endpoint_requires_authentication(endpoint: Endpoint):
    """An anonymous request to the endpoint's API is refused (401 or 403)."""
    _promised(endpoint, "auth")
    try:
        status = probes.anonymous_status(endpoint.url, endpoint.auth_probe, endpoint.ca_bundle)
    except ssl.SSLError as exc:  # the TLS check reports this; here it means the probe could not look
        raise AssertionError("%s: no TLS session to ask over (%s)" % (endpoint.name, exc.reason)) from None
    assert status in (401, 403), "%s answered an anonymous GET %s with %d" % (endpoint.name, endpoint.auth_probe, status)
