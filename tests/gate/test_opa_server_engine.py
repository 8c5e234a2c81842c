"""The OPA server engine against OPA's REST API.

Every test that takes ``server`` runs against the stand-in server backed by OPA's own evaluator
(tests/gate/opa_fake.py)
and, when ``OPA_URL`` is set (``OPA_TOKEN`` too if that OPA wants a bearer token), against that
real OPA as well. Tests that need to look inside the server (requests seen, an injected delay,
a required token) use the fake only.
"""
from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import pytest
import requests
from opa_fake import FakeOpa

from sahab.errors import ConfigError
from sahab.gate.engines import create_engine
from sahab.gate.engines.base import EngineError
from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.engines.opa_server import OpaServerEngine
from sahab.gate.evaluate import check_builtins, evaluate_rules
from sahab.gate.findings import Finding
from sahab.gate.policy_tests import run_policy_tests
from sahab.gate.rules import PolicyBundle, load_bundle

SERVERS = ["fake"] + (["opa"] if os.environ.get("OPA_URL") else [])


@dataclass
class Server:
    kind: str
    url: str
    token: Optional[str]
    fake: Optional[FakeOpa]

    def _headers(self) -> Dict[str, str]:
        return {"Authorization": "Bearer %s" % self.token} if self.token else {}

    def policy_ids(self) -> List[str]:
        answer = requests.get(self.url + "/v1/policies", headers=self._headers(), timeout=10)
        answer.raise_for_status()
        return [policy["id"] for policy in answer.json()["result"]]

    def put(self, policy_id: str, text: str) -> None:
        answer = requests.put("%s/v1/policies/%s" % (self.url, policy_id), data=text.encode(), headers=self._headers(), timeout=10)
        assert answer.status_code == 200, answer.text

    def delete(self, policy_id: str) -> requests.Response:
        return requests.delete("%s/v1/policies/%s" % (self.url, policy_id), headers=self._headers(), timeout=10)


@pytest.fixture(params=SERVERS)
def server(request):
    if request.param == "fake":
        with FakeOpa() as fake:
            yield Server("fake", fake.url, None, fake)
    else:
        yield Server("opa", os.environ["OPA_URL"].rstrip("/"), os.environ.get("OPA_TOKEN"), None)


@pytest.fixture
def engines():
    """Make engines with a fresh policy id prefix each; close them all afterwards."""
    made: List[OpaServerEngine] = []

    def make(server: Server, **options: Any) -> OpaServerEngine:
        options.setdefault("policy_prefix", "sahab-test-%s" % uuid.uuid4().hex[:8])
        engine = OpaServerEngine(url=server.url, token=server.token, **options)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.close()


def _package() -> str:
    """A package of its own per test, outside `sahab`, so runs on a shared OPA cannot collide."""
    return "opatest_%s" % uuid.uuid4().hex[:10]


def _ours(server: Server, engine: OpaServerEngine) -> List[str]:
    return sorted(pid for pid in server.policy_ids() if pid.startswith(engine.prefix + "/"))


# -- load, query, close ------------------------------------------------------------------------


def test_load_query_and_close(server, engines):
    pkg = _package()
    modules = {
        # "a_rule" sorts first and calls a function of "z_lib" with no import to reveal it: OPA
        # rejects it until z_lib is in, and the engine retries it after the others.
        "a_rule.rego": "package %s.rule\n\nimport rego.v1\n\n"
                       "names contains data.%s.lib.shout(r.name) if some r in input.resources\n\n"
                       "allowed if count(names) > 0\n" % (pkg, pkg),
        "z_lib.rego": "package %s.lib\n\nimport rego.v1\n\nshout(s) := upper(s)\n" % pkg,
    }
    engine = engines(server)
    engine.load(modules)
    assert _ours(server, engine) == sorted(engine.policy_id(path) for path in modules)
    if server.fake:
        puts = [path for method, path, _ in server.fake.requests_seen if method == "PUT"]
        assert puts == ["/v1/policies/%s/%s" % (engine.prefix, p) for p in ("a_rule.rego", "z_lib.rego", "a_rule.rego")]
    assert engine.policy_id("z_lib.rego") == engine.prefix + "/z_lib.rego"

    answer = engine.query("%s.rule" % pkg, {"resources": [{"name": "b"}, {"name": "a"}]})
    assert answer == {"names": ["A", "B"], "allowed": True}
    assert engine.query("%s.rule.names" % pkg, {"resources": []}) == []

    engine.close()
    assert _ours(server, engine) == []
    engine.close()  # idempotent
    with pytest.raises(EngineError, match="after close"):
        engine.query("%s.rule" % pkg, {})


def test_undefined_is_none_not_a_value(server, engines):
    pkg = _package()
    engine = engines(server)
    engine.load({"m.rego": "package %s\n\nimport rego.v1\n\nallow if input.ok\n\nnothing := null\n" % pkg})
    assert engine.query("%s.allow" % pkg, {"ok": False}) is None
    assert engine.query("%s.allow" % pkg, {"ok": True}) is True
    assert engine.query("%s.no_such_rule" % pkg, {}) is None
    assert engine.query("%s_no_such_package" % pkg, {}) is None
    assert engine.query(pkg, {"ok": False}) == {"nothing": None}


def test_compile_error_is_one_line_engine_error_and_rolls_back(server, engines):
    pkg = _package()
    engine = engines(server)
    modules = {
        "a_good.rego": "package %s.good\n\nimport rego.v1\n\nx := 1\n" % pkg,
        "b_broken.rego": "package %s.broken\n\nimport rego.v1\n\nx if {\n" % pkg,
    }
    with pytest.raises(EngineError) as caught:
        engine.load(modules)
    error = caught.value
    assert error.exit_code == 3
    assert "\n" not in error.one_line()
    assert error.message.startswith("OPA rejected b_broken.rego: rego_parse_error")
    assert _ours(server, engine) == []  # a_good was uploaded, then removed again


def test_call_to_an_undefined_function_names_the_module(server, engines):
    pkg = _package()
    engine = engines(server)
    module = "package %s\n\nimport rego.v1\n\nimport data.%s.lib\n\nx := lib.missing(1)\n" % (pkg, pkg)
    with pytest.raises(EngineError) as caught:
        engine.load({"calls_missing.rego": module})
    assert caught.value.exit_code == 3
    assert "calls_missing.rego" in caught.value.message
    assert "undefined function data.%s.lib.missing" % pkg in caught.value.message


def test_evaluation_error_fails_closed(server, engines):
    """A builtin error is a failed request (strict-builtin-errors), never an undefined rule."""
    pkg = _package()
    engine = engines(server)
    engine.load({"m.rego": "package %s\n\nimport rego.v1\n\ndeny contains x if x := json.unmarshal(input.raw)\n" % pkg})
    assert engine.query("%s.deny" % pkg, {"raw": "[1]"}) == [[1]]
    with pytest.raises(EngineError) as caught:
        engine.query("%s.deny" % pkg, {"raw": "{not json"})
    assert caught.value.exit_code == 3
    assert caught.value.message.startswith("OPA failed while evaluating data.%s.deny: HTTP 500" % pkg)


# -- builtins ---------------------------------------------------------------------------------


def test_unsupported_builtins_are_found_before_evaluation(server, engines):
    engine = engines(server)
    names = {"startswith", "net.cidr_contains", "time.now_ns", "net.cidr_merge", "no_such.builtin"}
    assert engine.unsupported_builtins(names) == {"no_such.builtin"}  # OPA has net.cidr_merge; regorus lacks it
    assert server.kind != "fake" or all(not method == "PUT" for method, _, _ in server.fake.requests_seen)

    # The gate asks before it loads anything: the rule is refused without being evaluated.
    pkg = _package()
    name = "no_such.builtin"
    bundle = PolicyBundle(root=load_bundle().root, rules=(), modules={
        "uses_missing.rego": "package %s\n\nimport rego.v1\n\ndeny contains x if x := %s(input.cidrs)\n" % (pkg, name)})
    with pytest.raises(EngineError, match="does not support builtin\\(s\\) %s" % name.replace(".", "\\.")) as caught:
        check_builtins(bundle, engine)
    assert caught.value.exit_code == 3
    assert _ours(server, engine) == []


def test_a_module_calling_an_unknown_builtin_is_rejected_on_upload(server, engines):
    """OPA type-checks every upload: the PUT itself fails, with OPA's own error."""
    engine = engines(server)
    pkg = _package()
    with pytest.raises(EngineError, match="cidr.rego: rego_type_error: undefined function no_such.cidr_merge"):
        engine.load({"cidr.rego": "package %s\n\nimport rego.v1\n\nx := no_such.cidr_merge([\"10.0.0.0/8\"])\n" % pkg})
    assert _ours(server, engine) == []


# -- server trouble ---------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_server_is_a_quick_engine_error():
    port = _closed_port()
    engine = OpaServerEngine(url="http://127.0.0.1:%d" % port, timeout=2)
    started = time.monotonic()
    with pytest.raises(EngineError) as caught:
        engine.unsupported_builtins({"startswith"})
    assert time.monotonic() - started < 5
    error = caught.value
    assert error.exit_code == 3
    assert error.message == "no OPA server at http://127.0.0.1:%d: connection refused" % port
    assert "opa run --server" in error.hint and "\n" not in error.one_line()
    engine.close()


def test_slow_server_times_out(engines):
    with FakeOpa() as fake:
        engine = engines(Server("fake", fake.url, None, fake), timeout=0.2)
        engine.load({"m.rego": "package slow\n\nimport rego.v1\n\nx := 1\n"})
        fake.delay = 0.6
        with pytest.raises(EngineError, match="lost the OPA server at .* while evaluating data.slow: no answer within 0.2 s"):
            engine.query("slow", {})
        fake.delay = 0


def test_token_is_sent_on_every_request(engines, monkeypatch):
    with FakeOpa(token="s3cret") as fake:
        monkeypatch.setenv("SAHAB_TEST_OPA_TOKEN", "s3cret")
        engine = OpaServerEngine.from_options({"url": fake.url, "token_env": "SAHAB_TEST_OPA_TOKEN", "policy_prefix": "tok"})
        try:
            engine.load({"m.rego": "package tok\n\nimport rego.v1\n\nx := 1\n"})
            assert engine.query("tok.x", {}) == 1
            assert engine.unsupported_builtins({"lower"}) == set()
        finally:
            engine.close()
        assert fake.policies == {}
        methods = {method for method, _, _ in fake.requests_seen}
        assert {"GET", "PUT", "POST", "DELETE"} <= methods
        assert {auth for _, _, auth in fake.requests_seen} == {"Bearer s3cret"}


def test_missing_or_wrong_token_is_refused(engines):
    with FakeOpa(token="s3cret") as fake:
        for token in (None, "wrong"):
            engine = engines(Server("fake", fake.url, token, fake))
            with pytest.raises(EngineError) as caught:
                engine.query("anything", {})
            assert caught.value.message == ("OPA at %s refused the request: HTTP 401 unauthorized: "
                                            "request rejected by administrative policy" % fake.url)
            assert "token_env" in caught.value.hint


def test_stale_policies_are_replaced_and_foreign_sahab_policies_refused(server, engines):
    pkg = _package()
    engine = engines(server)
    stale_id = engine.prefix + "/removed_rule.rego"
    server.put(stale_id, "package %s.removed\n\nimport rego.v1\n\nx := 1\n" % pkg)
    engine.load({"kept.rego": "package %s.kept\n\nimport rego.v1\n\nx := 2\n" % pkg})
    assert _ours(server, engine) == [engine.prefix + "/kept.rego"]
    assert engine.query(pkg, {}) == {"kept": {"x": 2}}

    foreign = "foreign-%s.rego" % uuid.uuid4().hex[:8]
    server.put(foreign, "package sahab.rules.%s\n\nimport rego.v1\n\ndeny := set()\n" % pkg)
    try:
        with pytest.raises(EngineError, match="already holds policy '%s' in package sahab.rules.%s" % (foreign, pkg)):
            engine.load({"kept.rego": "package %s.kept\n\nimport rego.v1\n\nx := 2\n" % pkg})
    finally:
        server.delete(foreign)


def test_delete_of_unknown_policy_is_404(server):
    """close() relies on this to tell 'already gone' from a failure."""
    answer = server.delete("sahab-test-never-uploaded-%s.rego" % uuid.uuid4().hex[:8])
    assert answer.status_code == 404
    assert answer.json()["code"] == "resource_not_found"


# -- options ----------------------------------------------------------------------------------


def test_options():
    engine = create_engine("opa", {"url": "https://opa.internal:9443", "timeout": 5})
    assert isinstance(engine, OpaServerEngine)
    assert (engine.url, engine.timeout, engine.prefix) == ("https://opa.internal:9443", 5.0, "sahab")
    assert OpaServerEngine.from_options({}).url == "http://127.0.0.1:8181"
    assert OpaServerEngine.from_options({"url": "http://opa"}).url == "http://opa:80"
    bad = [
        {"url": "opa:8181"},
        {"url": "http://opa:8181/v1"},
        {"url": "http://opa:notaport"},
        {"timeout": "soon"},
        {"timeout": 0},
        {"policy_prefix": "a b"},
        {"token_env": "SAHAB_TEST_SURELY_UNSET_VARIABLE"},
        {"urll": "http://opa:8181"},
    ]
    for options in bad:
        with pytest.raises(ConfigError):
            OpaServerEngine.from_options(options)


# -- the real rules: OPA and the embedded engine agree ----------------------------------------

PROVIDER = "urn:pulumi:prod::sahab-platform::pulumi:providers:aws::uae"
AZURE = "urn:pulumi:prod::sahab-platform::pulumi:providers:azure-native::uae"
STACK = "urn:pulumi:prod::sahab-platform::pulumi:pulumi:Stack::sahab-platform-prod"


def _resource(type_token: str, name: str, inputs: Dict[str, Any], *, region: str = "me-central-1",
              region_source: str = "provider", provider: Optional[str] = PROVIDER, custom: bool = True,
              property_dependencies: Optional[Dict[str, List[str]]] = None) -> Dict[str, Any]:
    urn = "urn:pulumi:prod::sahab-platform::%s::%s" % (type_token, name)
    unknowns = sorted(k for k, v in inputs.items() if isinstance(v, dict) and v.get("$unknown"))
    return {
        "custom": custom, "dependencies": sorted({u for us in (property_dependencies or {}).values() for u in us}),
        "inputs": inputs, "mode": "create", "name": name, "opaque": False, "options": {}, "parent": STACK,
        "propertyDependencies": property_dependencies or {}, "provider": provider if custom else None,
        "region": region, "regionSource": region_source, "secrets": [], "type": type_token,
        "unknowns": unknowns, "urn": urn,
    }


def _plan() -> Dict[str, Any]:
    """A production-like plan (modelled on the reference stack's) with compliant and broken parts."""
    unknown = {"$unknown": True}
    bucket = _resource("aws:s3/bucket:Bucket", "artifacts", {"bucket": "ml-prod-artifacts", "forceDestroy": False})
    key = _resource("aws:kms/key:Key", "artifacts", {"enableKeyRotation": True, "deletionWindowInDays": 30})
    resources = [
        _resource("pulumi:providers:aws", "uae", {"region": "me-central-1"}, region_source="resource", provider=None),
        _resource("pulumi:providers:azure-native", "uae", {"location": "uaenorth"}, region="uaenorth",
                  region_source="resource", provider=None),
        _resource("sahab:aws:ArtifactStore", "artifacts", {}, custom=False, region="unknown", region_source="none"),
        bucket,
        key,
        _resource("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "artifacts",
                  {"bucket": unknown, "rules": [{"applyServerSideEncryptionByDefault": {"kmsMasterKeyId": unknown,
                                                                                         "sseAlgorithm": "aws:kms"}}]},
                  property_dependencies={"bucket": [bucket["urn"]], "rules": [key["urn"]]}),
        _resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "artifacts",
                  {"bucket": unknown, "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
                   "restrictPublicBuckets": True}, property_dependencies={"bucket": [bucket["urn"]]}),
        _resource("aws:s3/bucket:Bucket", "replica", {"bucket": "ml-prod-replica"}, region="eu-west-1",
                  region_source="resource"),
        _resource("aws:s3/bucket:Bucket", "scratch", {"bucket": unknown}, region="unknown", region_source="resource"),
        _resource("aws:ec2/securityGroup:SecurityGroup", "open", {
            "ingress": [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 22, "protocol": "tcp", "toPort": 22}],
            "egress": [], "vpcId": unknown}),
        _resource("aws:ec2/securityGroup:SecurityGroup", "endpoints", {
            "ingress": [{"cidrBlocks": ["10.0.0.0/16"], "fromPort": 443, "protocol": "tcp", "toPort": 443}],
            "egress": [], "vpcId": unknown}),
        _resource("aws:eks/cluster:Cluster", "ml-prod", {
            "name": "ml-prod", "roleArn": unknown, "version": "1.33",
            "encryptionConfig": {"provider": {"keyArn": unknown}, "resources": ["secrets"]},
            "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": True, "subnetIds": unknown}}),
        _resource("aws:rds/instance:Instance", "registry", {
            "engine": "postgres", "storageEncrypted": False, "publiclyAccessible": True, "instanceClass": "db.m6g.large"}),
        _resource("aws:iam/rolePolicy:RolePolicy", "ci", {
            "role": unknown,
            "policy": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'}),
        _resource("azure-native:storage:StorageAccount", "lake", {
            "location": "westeurope", "allowBlobPublicAccess": True, "enableHttpsTrafficOnly": False},
                  region="westeurope", region_source="resource", provider=AZURE),
        _resource("kubernetes:core/v1:Namespace", "serving", {"metadata": {"name": "serving"}},
                  region="unknown", region_source="none", provider=None, custom=True),
    ]
    return {"schemaVersion": 1, "project": "sahab-platform", "stack": "prod", "stackUrn": STACK,
            "config": {"aws:region": "me-central-1"}, "diagnostics": [], "outputs": {},
            "generator": {"name": "sahab", "version": "0.1.0"}, "resources": resources}


def test_opa_and_embedded_engines_agree_on_the_rules(server):
    bundle = load_bundle()
    plan = _plan()
    embedded = EmbeddedEngine(timeout=60)
    opa = OpaServerEngine(url=server.url, token=server.token)  # the default prefix, as the gate uses
    try:
        check_builtins(bundle, embedded)
        check_builtins(bundle, opa)
        embedded.load(bundle.without_tests())
        opa.load(bundle.without_tests())
        if server.fake:  # imported modules first: OPA refused none (each refusal costs it a full compile)
            puts = [path for method, path, _ in server.fake.requests_seen if method == "PUT"]
            assert len(puts) == len(set(puts)) == len(bundle.without_tests())
            assert puts.index("/v1/policies/sahab/lib/plan.rego") < puts.index("/v1/policies/sahab/lib/aws.rego") \
                < puts.index("/v1/policies/sahab/encryption/database_cmk.rego")
        expected = embedded.query("sahab.rules", plan)
        assert isinstance(expected, dict) and expected  # the rules produced something to compare
        answer = opa.query("sahab.rules", plan)
        assert _canonical(answer) == _canonical(expected)
        from_embedded = evaluate_rules(plan, bundle, embedded, loaded=True)
        assert from_embedded  # the plan breaks at least one rule
        from_opa = evaluate_rules(plan, bundle, opa, loaded=True)
        assert sorted(from_opa, key=Finding.sort_key) == sorted(
            (dataclasses.replace(finding, engine="opa") for finding in from_embedded), key=Finding.sort_key)
    finally:
        embedded.close()
        opa.close()
    assert not [pid for pid in server.policy_ids() if pid.startswith("sahab/")]


def _canonical(node: Any) -> Any:
    """Sets come back as JSON arrays, each engine in its own sort order: compare them as sets."""
    if isinstance(node, dict):
        return {key: (sorted((_canonical(item) for item in value), key=lambda x: json.dumps(x, sort_keys=True))
                      if key in ("deny", "deferred") and isinstance(value, list) else _canonical(value))
                for key, value in node.items()}
    if isinstance(node, list):
        return [_canonical(item) for item in node]
    return node


def test_policy_tests_pass_on_the_opa_engine(server):
    engine = OpaServerEngine(url=server.url, token=server.token)
    try:
        results = run_policy_tests(load_bundle(), engine)
    finally:
        engine.close()
    assert results and all(result.passed for result in results), [r for r in results if not r.passed]

