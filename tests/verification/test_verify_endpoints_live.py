"""`sahab verify` end to end on the endpoint suite, against real loopback servers (~15 s).

A real MLflow with basic-auth (as ModelRegistry runs it) must pass the private and auth checks,
with the TLS checks skipped because that endpoint promises no TLS; an HTTPS server made here
must pass the TLS checks and fail the legacy-TLS one once it accepts TLS 1.0/1.1; an open server
fails the auth check; a public address fails the private check. Exit codes: 0 and 1.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
import yaml

from endpoint_servers import ANONYMOUS_PROBE, certificate, http_server, mlflow_with_auth, server_context


def _verify(sahab_cli, tmp_path, endpoints, name="inv"):
    inventory = tmp_path / ("%s.yaml" % name)
    inventory.write_text(yaml.safe_dump({"endpoints": endpoints}))
    results, junit = tmp_path / ("%s.json" % name), tmp_path / ("%s.xml" % name)
    completed = sahab_cli(["verify", "--stack", "dev", "--inventory", str(inventory), "--results", str(results),
                           "--junit", str(junit)])
    outcomes = {}
    if results.is_file():
        outcomes = {t["nodeid"].split("::")[1]: (t["outcome"], t["reason"]) for t in json.loads(results.read_text())["tests"]}
    return completed, outcomes, results, junit


def test_a_real_mlflow_with_basic_auth_passes_and_promises_no_tls(sahab_cli, tmp_path):
    with mlflow_with_auth(tmp_path) as url:
        completed, outcomes, results, junit = _verify(sahab_cli, tmp_path, [
            {"name": "mlflow", "url": url, "tls": False, "auth": True, "auth_probe": ANONYMOUS_PROBE}])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert outcomes["test_endpoint_reachable_only_privately[mlflow]"] == ("passed", None)
    assert outcomes["test_endpoint_requires_authentication[mlflow]"] == ("passed", None)
    for name in ("tls_in_force", "refuses_tls_older_than_1_2", "refuses_plain_http"):
        assert outcomes["test_endpoint_%s[mlflow]" % name] == ("skipped", "the inventory does not promise tls for endpoint mlflow")
    assert all(outcome != "passed" for name, (outcome, _) in outcomes.items() if name.startswith("test_runner_"))
    cases = {case.get("name") for case in ET.parse(junit).getroot().iter("testcase")}
    assert "test_endpoint_requires_authentication[mlflow]" in cases
    assert "3 skipped" not in completed.stdout and "2 passed, 0 failed, 0 error(s)" in completed.stdout


def test_an_open_endpoint_fails_authentication_and_a_public_one_fails_privacy(sahab_cli, tmp_path):
    with http_server(200) as port:
        completed, outcomes, _, _ = _verify(sahab_cli, tmp_path, [
            {"name": "open", "url": "http://127.0.0.1:%d" % port, "tls": False, "auth": True, "auth_probe": "/models"},
            {"name": "public", "url": "http://8.8.8.8", "tls": False, "auth": False}])
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert outcomes["test_endpoint_requires_authentication[open]"] == (
        "failed", "AssertionError: open answered an anonymous GET /models with 200")
    assert outcomes["test_endpoint_reachable_only_privately[public]"] == (
        "failed", "AssertionError: public resolves to public address(es) 8.8.8.8")
    assert outcomes["test_endpoint_reachable_only_privately[open]"] == ("passed", None)
    assert "FAILED  test_platform_endpoints.py::test_endpoint_requires_authentication[open]" in completed.stdout


@pytest.mark.parametrize("legacy", [False, True], ids=["tls12-only", "accepts-tls10"])
def test_tls_is_verified_against_the_ca_and_legacy_versions_are_caught(sahab_cli, tmp_path, legacy):
    cert, key = certificate(tmp_path)
    with http_server(401, server_context(cert, key, legacy=legacy)) as port:
        completed, outcomes, _, _ = _verify(sahab_cli, tmp_path, [
            {"name": "serving", "url": "https://127.0.0.1:%d" % port, "tls": True, "auth": True, "ca_bundle": str(cert)},
            {"name": "untrusted", "url": "https://127.0.0.1:%d" % port, "tls": True, "auth": False}])
    assert outcomes["test_endpoint_tls_in_force[serving]"] == ("passed", None)
    assert outcomes["test_endpoint_requires_authentication[serving]"] == ("passed", None)
    assert outcomes["test_endpoint_refuses_plain_http[serving]"] == ("passed", None)  # nothing on 127.0.0.1:80
    outcome, reason = outcomes["test_endpoint_tls_in_force[untrusted]"]  # no CA bundle: the self-signed cert fails
    assert outcome == "failed" and "CERTIFICATE_VERIFY_FAILED" in reason
    legacy_check = outcomes["test_endpoint_refuses_tls_older_than_1_2[serving]"]
    if legacy:
        assert legacy_check[0] == "failed" and legacy_check[1].startswith("AssertionError: serving completed a TLSv1")
    else:
        assert legacy_check == ("passed", None)
    assert completed.returncode == 1  # the untrusted endpoint fails in both
