"""The adapter turns what pulumi-policy hands a stack policy into the plan document's shape.

Requests go through pulumi-policy's own servicer, so the adapter sees ``PolicyResource`` objects
exactly as the SDK builds them (proxies, unknown sentinels, secrets, parents, dependencies).
"""
from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from crossguard_helpers import (
    SECRET_PLAINTEXT, analyze, as_the_engine_sees_it, default_provider, plan_to_request, servicer,
)
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE

from sahab import __version__
from sahab.crossguard import adapt_stack, secrets_kept
from sahab.planner.harness.wire import SECRET_SIG, SIG_KEY, UNKNOWN_SENTINEL

STACK = "urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev"
AWS = "urn:pulumi:dev::demo::pulumi:providers:aws::uae"


def capture(request, keep: bool = True) -> Dict[str, Any]:
    """The adapted document of a request, as a policy inside the pack would build it."""
    seen: List[Dict[str, Any]] = []
    policy = StackValidationPolicy("capture", "capture", lambda args, _report: seen.append(adapt_stack(args.resources)))
    if keep:
        analyze([policy], request)
    else:
        servicer([policy]).AnalyzeStack(request, None)
    assert len(seen) == 1
    return seen[0]


def resource(type_: str, name: str, props: Dict[str, Any], *, parent: str = STACK, provider=None, **fields):
    properties = struct_pb2.Struct()
    properties.update(props)
    message = analyzer_pb2.AnalyzerResource(type=type_, urn="urn:pulumi:dev::demo::%s::%s" % (type_, name), name=name,
                                            properties=properties, parent=parent,
                                            options=analyzer_pb2.AnalyzerResourceOptions(parent=parent), **fields)
    if provider is not None:
        message.provider.CopyFrom(provider)
    return message


def provider(name: str, props: Dict[str, Any]) -> analyzer_pb2.AnalyzerProviderResource:
    properties = struct_pb2.Struct()
    properties.update(props)
    return analyzer_pb2.AnalyzerProviderResource(type="pulumi:providers:aws", name=name,
                                                 urn="urn:pulumi:dev::demo::pulumi:providers:aws::" + name, properties=properties)


def test_adapted_prod_stack_is_the_plan(prod_plan, repo_root):
    document = capture(plan_to_request(prod_plan))
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(document, json.loads((repo_root / "src/sahab/planner/plan.schema.json").read_text()))
    assert (document["project"], document["stack"], document["stackUrn"]) == (
        prod_plan["project"], prod_plan["stack"], prod_plan["stackUrn"])
    assert [r["urn"] for r in document["resources"]] == [r["urn"] for r in prod_plan["resources"]]  # stack dropped
    for adapted, planned in zip(document["resources"], prod_plan["resources"]):
        if not planned["custom"]:
            # A component's region comes from its `providers` option, which the analyzer protocol
            # does not carry: CrossGuard sees it as unknown (its children are checked instead).
            assert (adapted["region"], adapted["regionSource"]) == ("unknown", "none")
            adapted = dict(adapted, region=planned["region"], regionSource=planned["regionSource"])
        # How the offline planner expanded a Helm release is the planner's record; under `pulumi up`
        # the engine deploys the release itself and the analyzer protocol carries no such field.
        # Nor does it carry the program line that registered a resource (`source`, optional).
        assert "source" not in adapted
        # Partial values and auto-name marks are the offline planner's: the engine sees plain unknowns and strings.
        planned = {key: value for key, value in planned.items() if key not in ("expanded", "source", "partials", "autonamed")}
        planned["inputs"] = as_the_engine_sees_it(planned["inputs"])
        assert adapted == planned


def test_values_markers_and_numbers():
    uae = provider("uae", {"region": "me-central-1"})
    request = analyzer_pb2.AnalyzeStackRequest(resources=[
        resource("aws:s3/bucket:Bucket", "b", {
            "count": 3.0, "ratio": 2.5, "flag": True,
            "bucket": UNKNOWN_SENTINEL,
            "tags": {"owner": UNKNOWN_BOOLEAN_VALUE, "team": "ml"},
            "rules": [{"kmsMasterKeyId": UNKNOWN_SENTINEL, "sse": "aws:kms"}],
            "password": {SIG_KEY: SECRET_SIG, "value": SECRET_PLAINTEXT},
            "token": {SIG_KEY: SECRET_SIG, "value": UNKNOWN_SENTINEL},
        }, provider=uae),
    ])
    (bucket,) = [r for r in capture(request)["resources"] if r["type"] == "aws:s3/bucket:Bucket"]
    assert bucket["inputs"] == {
        "count": 3, "ratio": 2.5, "flag": True, "bucket": {"$unknown": True},
        "tags": {"owner": {"$unknown": True}, "team": "ml"},
        "rules": [{"kmsMasterKeyId": {"$unknown": True}, "sse": "aws:kms"}],
        "password": {"$secret": True}, "token": {"$secret": True},
    }
    assert isinstance(bucket["inputs"]["count"], int)
    assert bucket["unknowns"] == ["bucket", "rules.0.kmsMasterKeyId", "tags.owner", "token"]
    assert bucket["secrets"] == ["password", "token"]
    assert SECRET_PLAINTEXT not in json.dumps(bucket)
    assert (bucket["provider"], bucket["region"], bucket["regionSource"], bucket["custom"]) == (AWS, "me-central-1", "provider", True)


def test_without_keep_secrets_the_sdk_hands_secrets_over_in_plain():
    """Why the pack program calls keep_secrets(): the stock deserializer drops the envelope."""
    request = analyzer_pb2.AnalyzeStackRequest(resources=[
        resource("aws:rds/instance:Instance", "db", {"password": {SIG_KEY: SECRET_SIG, "value": SECRET_PLAINTEXT}},
                 provider=provider("uae", {"region": "me-central-1"}))])
    db = capture(request, keep=False)["resources"][0]
    assert db["inputs"]["password"] == SECRET_PLAINTEXT and db["secrets"] == []
    db = capture(request, keep=True)["resources"][0]
    assert db["inputs"]["password"] == {"$secret": True} and db["secrets"] == ["password"]


def test_secrets_kept_restores_the_sdk():
    import pulumi_policy.policy as policy_module

    before = policy_module.deserialize_properties
    with secrets_kept():
        assert policy_module.deserialize_properties is not before
    assert policy_module.deserialize_properties is before


def test_regions_follow_the_planner():
    eu = provider("eu", {"region": "eu-west-1"})
    request = analyzer_pb2.AnalyzeStackRequest(resources=[
        resource("aws:s3/bucket:Bucket", "own", {"region": "me-central-1"}, provider=eu),
        resource("aws:s3/bucket:Bucket", "inherited", {}, provider=eu),
        resource("aws:s3/bucket:Bucket", "hidden", {"region": UNKNOWN_SENTINEL}, provider=eu),
        resource("aws:s3/bucket:Bucket", "secret", {"region": {SIG_KEY: SECRET_SIG, "value": "me-central-1"}}, provider=eu),
    ])
    regions = {r["name"]: (r["region"], r["regionSource"]) for r in capture(request)["resources"]}
    assert regions == {"own": ("me-central-1", "resource"), "inherited": ("eu-west-1", "provider"),
                       "hidden": ("unknown", "resource"), "secret": ("unknown", "resource"),
                       "eu": ("eu-west-1", "resource")}


def test_providers_become_resources_and_default_providers_are_kept():
    plan = {"project": "demo", "stack": "dev", "config": {"aws:region": "eu-west-1"}}
    default = default_provider(plan, "aws")
    uae = provider("uae", {"region": "me-central-1"})
    request = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type="pulumi:pulumi:Stack", urn=STACK, name="demo-dev"),
        resource("pulumi:providers:aws", "uae", {"region": "me-central-1"}),  # listed, as the engine does
        resource("aws:s3/bucket:Bucket", "pinned", {}, provider=uae),
        resource("aws:s3/bucket:Bucket", "ambient", {}, provider=provider(default["name"], default["inputs"])),
        resource("sahab:aws:Store", "store", {}),
    ])
    document = capture(request)
    by_name = {r["name"]: r for r in document["resources"]}
    assert sorted(by_name) == ["ambient", "default_7_0_0", "pinned", "store", "uae"]
    assert document["stackUrn"] == STACK
    assert by_name["pinned"]["provider"] == AWS
    # as in a plan from `sahab plan`: the resource points at the engine's default provider and lands where it does
    assert (by_name["ambient"]["provider"], by_name["ambient"]["region"], by_name["ambient"]["custom"]) == (
        default["urn"], "eu-west-1", True)
    assert by_name["default_7_0_0"] == {
        "urn": default["urn"], "type": "pulumi:providers:aws", "name": "default_7_0_0", "mode": "create", "custom": True,
        "opaque": False, "parent": STACK, "provider": None, "region": "eu-west-1", "regionSource": "resource",
        "inputs": {"region": "eu-west-1"}, "unknowns": [], "secrets": [], "dependencies": [],
        "propertyDependencies": {}, "options": {}}
    assert (by_name["uae"]["custom"], by_name["uae"]["region"]) == (True, "me-central-1")
    assert (by_name["store"]["custom"], by_name["store"]["provider"], by_name["store"]["parent"]) == (False, None, STACK)


def test_relations_and_options():
    uae = provider("uae", {"region": "me-central-1"})
    key = resource("aws:kms/key:Key", "k", {}, provider=uae)
    sse = resource("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "sse",
                   {"rules": [{"kmsMasterKeyId": UNKNOWN_SENTINEL}]}, provider=uae,
                   dependencies=[key.urn, key.urn, "urn:pulumi:dev::demo::aws:kms/key:Key::not-in-stack"],
                   propertyDependencies={"rules": analyzer_pb2.AnalyzerPropertyDependencies(urns=[key.urn])})
    sse.options.protect = True
    sse.options.ignoreChanges.extend(["tags", "bucket"])
    sse.options.additionalSecretOutputs.extend(["secret"])
    sse.options.deleteBeforeReplace, sse.options.deleteBeforeReplaceDefined = True, True
    adapted = {r["name"]: r for r in capture(analyzer_pb2.AnalyzeStackRequest(resources=[key, sse]))["resources"]}["sse"]
    assert adapted["dependencies"] == [key.urn]  # the SDK keeps only resources in the request
    assert adapted["propertyDependencies"] == {"rules": [key.urn]}
    assert adapted["parent"] == STACK
    assert adapted["options"] == {"protect": True, "deleteBeforeReplace": True, "ignoreChanges": ["bucket", "tags"],
                                  "additionalSecretOutputs": ["secret"]}


def test_pack_program_is_not_part_of_the_package(repo_root: Path):
    pack = repo_root / "policies" / "crossguard"
    assert not (pack / "__init__.py").exists()
    assert not list(pack.glob("*.rego"))
    manifest = yaml.safe_load((pack / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    assert manifest["version"] == __version__
    tree = ast.parse((pack / "__main__.py").read_text())
    calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert calls == ["build_policy_pack"]
    requirements = (pack / "requirements.txt").read_text()
    assert "pulumi-policy==1.21.0" in requirements and "gordon-to-regorus==0.13.0" in requirements


def test_fingerprint_follows_content_not_objects():
    """Each policy gets new objects for the same stack; the digest must match across them and
    change whenever anything the adapter reads changes (here: the provider's region)."""
    from sahab.crossguard.adapter import stack_fingerprint

    digests: List[str] = []
    policy = StackValidationPolicy("fp", "fp", lambda args, _report: digests.append(stack_fingerprint(args.resources)))
    other = StackValidationPolicy("fp2", "fp2", lambda args, _report: digests.append(stack_fingerprint(args.resources)))

    def request(region: str, secret: bool = False):
        value = {SIG_KEY: SECRET_SIG, "value": "x"} if secret else "x"
        return analyzer_pb2.AnalyzeStackRequest(resources=[
            resource("aws:s3/bucket:Bucket", "b", {"acl": value}, provider=provider("uae", {"region": region}))])

    analyze([policy, other], request("me-central-1"))
    analyze([policy], request("eu-west-1"))
    analyze([policy], request("me-central-1", secret=True))
    assert digests[0] == digests[1]
    assert len({digests[0], digests[2], digests[3]}) == 3
