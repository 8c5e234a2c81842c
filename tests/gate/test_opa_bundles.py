"""OPA servers fed by bundles: `sahab policy bundle` and the OPA engine's bundle mode.

The server is the stand-in (tests/gate/opa_fake.py), backed by OPA's own evaluator, with the
bundle activated the way OPA's bundle plugin activates one: its errors and refusals are OPA's.
"""
from __future__ import annotations

import dataclasses
import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any, Dict, List

import pytest
import requests
from opa_fake import BundleActivationError, FakeOpa, read_bundle

from sahab.errors import ConfigError, UsageError
from sahab.gate.config import GateConfig
from sahab.gate.engines.base import EngineError
from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.engines.opa_server import OpaServerEngine
from sahab.gate.evaluate import evaluate_rules
from sahab.gate.findings import Finding
from sahab.gate.opa_bundle import build_opa_bundle, bundle_manifest, modules_digest, write_opa_bundle
from sahab.gate.rules import load_bundle
from sahab.gate.run import gate_plan
from sahab.planner import dumps, plan_project

PROGRAMS = Path(__file__).resolve().parents[1] / "fixtures" / "programs"


@pytest.fixture(scope="module")
def policies():
    return load_bundle()


@pytest.fixture(scope="module")
def archive(policies) -> bytes:
    return build_opa_bundle(policies.without_tests())


@pytest.fixture(scope="module")
def fixture_plan() -> Dict[str, Any]:
    return plan_project(PROGRAMS / "azure", "dev")


@pytest.fixture
def fed(archive):
    """A stand-in OPA that loaded sahab's bundle under the name ``sahab``."""
    with FakeOpa() as fake:
        fake.activate_bundle("sahab", archive)
        yield fake


def _changed(policies) -> Dict[str, str]:
    """The rules of another sahab: one module differs by a comment."""
    modules = dict(policies.without_tests())
    path = sorted(modules)[0]
    modules[path] += "\n# changed\n"
    return modules


def _tarball(manifest: Dict[str, Any], modules: Dict[str, str]) -> bytes:
    """A bundle written by hand, for what `sahab policy bundle` never writes."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, text in [(".manifest", json.dumps(manifest))] + sorted(modules.items()):
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    return gzip.compress(raw.getvalue())


def _writes(fake: FakeOpa) -> List[str]:
    return ["%s %s" % (method, path) for method, path, _ in fake.requests_seen if method in ("PUT", "DELETE", "PATCH")]


# -- the bundle ---------------------------------------------------------------------------------


def test_bundle_holds_exactly_the_modules_the_embedded_engine_loads(policies, archive):
    manifest, modules = read_bundle(archive)
    expected = policies.without_tests()
    assert modules == {"/" + path: text for path, text in expected.items()}
    assert not any(path.endswith("_test.rego") for path in modules) and len(modules) == len(expected) > 30
    digest = modules_digest(expected)
    assert manifest == {"revision": digest, "roots": ["sahab"], "rego_version": 1,
                        "metadata": {"sahab": {"modules_sha256": digest}}}


def test_bundle_is_byte_for_byte_reproducible(policies, archive, tmp_path, sahab_cli):
    assert build_opa_bundle(policies.without_tests()) == archive
    assert archive[4:8] == b"\0\0\0\0"  # gzip header: no time
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(archive))) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == sorted(m.name for m in members) and members[0].name == ".manifest"
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {(0, 0, 0, "", "", 0o644)}
    for name in ("one.tar.gz", "two.tar.gz"):
        result = sahab_cli(["policy", "bundle", "--out", str(tmp_path / name)])
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "wrote %s: revision %s, roots sahab" % (tmp_path / name, modules_digest(policies.without_tests()))
    assert (tmp_path / "one.tar.gz").read_bytes() == (tmp_path / "two.tar.gz").read_bytes() == archive
    assert build_opa_bundle(_changed(policies)) != archive
    assert bundle_manifest(_changed(policies))["revision"] != bundle_manifest(policies.without_tests())["revision"]


def test_a_given_revision_is_kept_and_an_empty_one_refused(policies, tmp_path, sahab_cli):
    manifest = write_opa_bundle(tmp_path / "b.tar.gz", policies, revision="release-2026.12")
    assert manifest["revision"] == "release-2026.12"
    assert manifest["metadata"]["sahab"]["modules_sha256"] == modules_digest(policies.without_tests())
    assert read_bundle((tmp_path / "b.tar.gz").read_bytes())[0] == manifest
    with pytest.raises(UsageError):
        write_opa_bundle(tmp_path / "c.tar.gz", policies, revision=" ")
    result = sahab_cli(["policy", "bundle", "--out", str(tmp_path / "d.tar.gz"), "--revision", ""])
    assert result.returncode == 2 and not (tmp_path / "d.tar.gz").exists()
    assert result.stderr.strip() == ("error: the bundle revision is empty (give a non-empty --revision, "
                                     "or leave it out to use the content digest)")


# -- the stand-in holds it as OPA does ----------------------------------------------------------


def test_stand_in_reports_the_bundle_and_refuses_uploads_under_its_roots(fed, archive):
    manifest = read_bundle(archive)[0]
    answer = requests.get(fed.url + "/v1/data/system/bundles", timeout=10).json()
    assert answer == {"result": {"sahab": {"etag": "", "manifest": manifest}}}
    ids = [p["id"] for p in requests.get(fed.url + "/v1/policies", timeout=10).json()["result"]]
    assert "sahab/residency/region_allowed.rego" in ids
    put = requests.put(fed.url + "/v1/policies/mine.rego", data=b"package sahab.rules.extra\n\nx := 1\n", timeout=10)
    assert (put.status_code, put.json()) == (400, {"code": "invalid_parameter",
                                                   "message": 'path sahab/rules/extra is owned by bundle "sahab"'})
    delete = requests.delete(fed.url + "/v1/policies/sahab/residency/region_allowed.rego", timeout=10)
    assert delete.status_code == 400 and "is owned by bundle" in delete.json()["message"]
    elsewhere = requests.put(fed.url + "/v1/policies/mine.rego", data=b"package acme\n\nx := 1\n", timeout=10)
    assert elsewhere.status_code == 200


def test_stand_in_refuses_a_bundle_whose_package_is_outside_its_roots(policies):
    modules = dict(policies.without_tests())
    modules["stray.rego"] = "package elsewhere\n\nx := 1\n"
    manifest = bundle_manifest(policies.without_tests())  # roots: sahab only
    with FakeOpa() as fake:
        with pytest.raises(BundleActivationError, match=r"manifest roots \[sahab\] do not permit 'package elsewhere' in module '/stray.rego'"):
            fake.activate_bundle("sahab", _tarball(manifest, modules))
        assert fake.bundles == {} and fake.policies == {}


# -- bundle mode --------------------------------------------------------------------------------


def test_bundle_mode_finds_what_the_embedded_engine_finds_and_never_writes(fed, policies, fixture_plan):
    embedded = EmbeddedEngine()
    try:
        expected = evaluate_rules(fixture_plan, policies, embedded)
    finally:
        embedded.close()
    assert expected  # the fixture program breaks rules: the comparison is not of two empty lists
    engine = OpaServerEngine(url=fed.url, mode="bundle")
    try:
        found = evaluate_rules(fixture_plan, policies, engine)
    finally:
        engine.close()
    assert sorted(found, key=Finding.sort_key) == sorted(
        (dataclasses.replace(f, engine="opa") for f in expected), key=Finding.sort_key)
    assert _writes(fed) == []
    assert ("GET", "/v1/data/system/bundles", None) in fed.requests_seen
    assert ("POST", "/v1/data/sahab/rules", None) in fed.requests_seen


def test_the_gate_runs_in_bundle_mode_from_its_configuration(fed, policies, fixture_plan):
    config = GateConfig(engine="opa", opa={"url": fed.url, "mode": "bundle", "bundle": "sahab"}, checkov_enabled=False)
    through_opa = gate_plan(fixture_plan, config, bundle=policies)
    embedded = gate_plan(fixture_plan, GateConfig(checkov_enabled=False), bundle=policies)
    assert through_opa.engines == ["opa"]
    assert {(f.rule_id, f.urn, f.status, f.message) for f in through_opa.findings} == \
        {(f.rule_id, f.urn, f.status, f.message) for f in embedded.findings}
    assert through_opa.exit_code == embedded.exit_code == 1
    assert _writes(fed) == []


def test_a_stale_bundle_fails_closed_with_one_line(policies, fixture_plan, tmp_path, sahab_cli):
    stale = build_opa_bundle(_changed(policies))
    ours, theirs = modules_digest(policies.without_tests()), modules_digest(_changed(policies))
    with FakeOpa() as fake:
        fake.activate_bundle("sahab", stale)
        engine = OpaServerEngine(url=fake.url, mode="bundle")
        with pytest.raises(EngineError) as caught:
            evaluate_rules(fixture_plan, policies, engine)
        engine.close()
        error = caught.value
        assert error.exit_code == 3
        assert error.one_line() == (
            "OPA at %s serves bundle 'sahab' at revision '%s', but this sahab's rules are revision '%s' "
            "(publish the bundle of these rules: build it with `sahab policy bundle --out sahab.tar.gz` and load it "
            "into that OPA (docs/gate-engines.md))" % (fake.url, theirs, ours))
        assert not any(method == "POST" and path.startswith("/v1/data/sahab") for method, path, _ in fake.requests_seen)

        plan_file = tmp_path / "plan.json"
        plan_file.write_text(dumps(fixture_plan), encoding="utf-8")
        result = sahab_cli(["gate", "--plan", str(plan_file), "--engine", "opa", "--opa-url", fake.url,
                            "--opa-mode", "bundle", "--no-checkov"])
        assert result.returncode == 3, result.stdout + result.stderr
        assert result.stderr.strip().splitlines() == ["error: " + error.one_line()]
        assert _writes(fake) == []


def test_same_revision_label_with_other_modules_fails_closed(policies):
    with FakeOpa() as fake:
        fake.activate_bundle("sahab", build_opa_bundle(_changed(policies), revision="v7"))
        engine = OpaServerEngine.from_options({"url": fake.url, "mode": "bundle", "revision": "v7"})
        with pytest.raises(EngineError, match="serves bundle 'sahab' whose modules digest is '%s', not '%s' \\(these rules\\)"
                           % (modules_digest(_changed(policies)), modules_digest(policies.without_tests()))):
            engine.load(policies.without_tests())
        engine.close()
        fake.activate_bundle("sahab", build_opa_bundle(policies.without_tests(), revision="v7"))
        engine = OpaServerEngine.from_options({"url": fake.url, "mode": "bundle", "revision": "v7"})
        engine.load(policies.without_tests())  # the same modules under the operator's label: accepted
        engine.close()


def test_an_absent_bundle_fails_closed_naming_what_the_server_holds(policies, archive):
    with FakeOpa() as fake:
        engine = OpaServerEngine(url=fake.url, mode="bundle")
        with pytest.raises(EngineError) as caught:
            engine.load(policies.without_tests())
        assert caught.value.message == "OPA at %s has no activated bundle named 'sahab' (bundles: none)" % fake.url
        fake.activate_bundle("bundles/sahab.tar.gz", archive)
        with pytest.raises(EngineError, match=r"no activated bundle named 'sahab' \(bundles: 'bundles/sahab.tar.gz'\)") as caught:
            engine.load(policies.without_tests())
        assert "set opa.bundle to the name OPA reports" in caught.value.hint
        engine.close()
        named = OpaServerEngine(url=fake.url, mode="bundle", bundle="bundles/sahab.tar.gz")
        named.load(policies.without_tests())
        assert isinstance(named.query("sahab.rules", {"resources": []}), dict)
        named.close()


def test_a_bundle_replaced_after_the_check_is_caught_on_the_answer(fed, policies):
    engine = OpaServerEngine(url=fed.url, mode="bundle")
    engine.load(policies.without_tests())
    assert isinstance(engine.query("sahab.rules", {"resources": []}), dict)
    fed.activate_bundle("sahab", build_opa_bundle(_changed(policies)))
    with pytest.raises(EngineError) as caught:
        engine.query("sahab.rules", {"resources": []})
    assert caught.value.message == "OPA at %s answered evaluating data.sahab.rules from revision '%s', not the verified revision '%s'" % (
        fed.url, modules_digest(_changed(policies)), modules_digest(policies.without_tests()))
    engine.close()


# -- upload mode on a server fed by bundles ----------------------------------------------------


def test_upload_mode_on_a_bundle_fed_server_names_bundle_mode(fed, policies):
    engine = OpaServerEngine(url=fed.url)
    with pytest.raises(EngineError) as caught:
        engine.load(policies.without_tests())
    engine.close()
    assert caught.value.exit_code == 3
    assert caught.value.one_line() == (
        "OPA at %s takes sahab's packages from bundle 'sahab' (root 'sahab' covers package sahab.lib.aws), so it refuses "
        "policy uploads (use bundle mode: `gate.opa.mode: bundle` and `bundle: sahab` in sahab.yaml, or "
        "`--opa-mode bundle --opa-bundle sahab`)" % fed.url)
    assert _writes(fed) == []


def test_upload_refused_by_the_server_itself_names_bundle_mode(policies, monkeypatch):
    """When sahab cannot see data.system.bundles, OPA's own refusal gets the same fix.

    A bundle without ``roots`` owns every path (OPA's default ``[""]``): the first PUT is refused.
    """
    monkeypatch.setattr(OpaServerEngine, "_bundles", lambda self: {})
    with FakeOpa() as fake:
        fake.activate_bundle("ops", _tarball({"revision": "r1"}, {"ops.rego": "package ops\n\nallow := true\n"}))
        engine = OpaServerEngine(url=fake.url)
        with pytest.raises(EngineError) as caught:
            engine.load(policies.without_tests())
        engine.close()
        assert caught.value.message.startswith("OPA at %s takes sahab's packages from bundle 'ops' (refused " % fake.url)
        assert caught.value.message.endswith('all paths owned by bundle "ops"), so it refuses policy uploads')
        assert "--opa-mode bundle --opa-bundle ops" in caught.value.hint
        assert sorted(fake.policies) == ["ops/ops.rego"]


def test_a_bundle_named_like_the_policy_prefix_is_neither_overwritten_nor_deleted(policies, monkeypatch):
    """Its policies are ``sahab/<path>``: ours by name (PUT refused) or leftovers (DELETE refused)."""
    monkeypatch.setattr(OpaServerEngine, "_bundles", lambda self: {})
    modules = dict(policies.without_tests(), **{"extra/stray.rego": "package sahab.extra\n\nx := 1\n"})
    with FakeOpa() as fake:
        fake.activate_bundle("sahab", build_opa_bundle(modules))
        engine = OpaServerEngine(url=fake.url)
        with pytest.raises(EngineError) as caught:
            engine.load(policies.without_tests())
        engine.close()
        assert caught.value.message == ("OPA at %s takes sahab's packages from bundle 'sahab' (refused deleting "
                                        "sahab/extra/stray.rego: invalid_parameter: path sahab/extra is owned by bundle "
                                        '"sahab"), so it refuses policy uploads' % fake.url)
        assert _writes(fake) == ["DELETE /v1/policies/sahab/extra/stray.rego"]
        fake.activate_bundle("sahab", build_opa_bundle(policies.without_tests()))
        engine = OpaServerEngine(url=fake.url)
        with pytest.raises(EngineError, match=r"\(refused lib/plan.rego: path sahab/lib/plan is owned by bundle \"sahab\"\)"):
            engine.load(policies.without_tests())
        engine.close()
        assert fake.policies["sahab/lib/plan.rego"] == policies.modules["lib/plan.rego"]


def test_bundle_mode_options():
    assert OpaServerEngine.from_options({}).mode == "upload"
    engine = OpaServerEngine.from_options({"mode": "bundle", "bundle": "prod/sahab"})
    assert (engine.mode, engine.bundle, engine.revision) == ("bundle", "prod/sahab", None)
    for bad in ({"mode": "push"}, {"mode": "bundle", "revision": ""}, {"mode": "bundle", "revision": 7}):
        with pytest.raises(ConfigError):
            OpaServerEngine.from_options(bad)
    with pytest.raises(EngineError, match="queried before load"):
        OpaServerEngine(mode="bundle").query("sahab.rules", {})
