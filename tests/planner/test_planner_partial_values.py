"""Partial values: apply callbacks on unknown outputs run on stand-ins (issue 10, "Partial values").

The fixture is written like pulumi/examples: a TLS-only bucket policy built in
``Output.all(bucket.arn).apply(json.dumps ...)``, a role policy from ``Output.json_dumps`` and an
f-string, a key policy from a plain ``get_caller_identity()``, callbacks that inspect an unknown
(split, startswith, json.loads), a resource created inside an apply, and secrets.
"""
from __future__ import annotations

import json

import pytest

from planner_helpers import SECRET, UNKNOWN, assert_valid, plan, resource, urn
from sahab.planner.document import dumps
from sahab.planner.harness import partial, standins
from sahab.reports.plan_table import summary_line

BUCKET = "aws:s3/bucket:Bucket"
TABLE = "aws:dynamodb/table:Table"


@pytest.fixture(scope="module")
def document():
    return plan("partial_values", "dev")


def _of(document, qualified_type, name, output):
    return {"$unknown": True, "of": {"urn": urn(document, qualified_type, name), "output": output}}


def test_bucket_policy_keeps_its_known_structure_and_names_the_unknown_arn(document):
    policy = resource(document, "aws:s3/bucketPolicy:BucketPolicy", "data-tls-only")
    arn = _of(document, BUCKET, "data", "arn")
    marker = policy["inputs"]["policy"]
    assert marker["$unknown"] is True
    assert marker["$partial"] == [
        '{"Version": "2012-10-17", "Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny", '
        '"Principal": "*", "Action": "s3:*", "Resource": ["', arn, '", "', arn,
        '/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}',
    ]
    assert marker["$json"] == {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, {"$unknown": True, "$partial": [arn, "/*"]}],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    }
    assert policy["unknowns"] == ["bucket", "policy"]
    assert policy["partials"] == ["policy"]
    # A direct reference to an unknown output stays the plain marker (propertyDependencies name it).
    assert policy["inputs"]["bucket"] == UNKNOWN
    assert "speculative" not in policy


def test_role_policy_from_output_json_dumps_and_an_f_string(document):
    role_policy = resource(document, "aws:iam/rolePolicy:RolePolicy", "orders-read")
    arn = _of(document, TABLE, "orders", "arn")
    assert role_policy["inputs"]["policy"]["$json"] == {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query"],
            "Resource": [arn, {"$unknown": True, "$partial": [arn, "/index/*"]}],
        }],
    }
    assert role_policy["partials"] == ["policy"]
    assert role_policy["unknowns"] == ["policy", "role"]


def test_key_policy_from_a_plain_lookup_is_known(document):
    key = resource(document, "aws:kms/key:Key", "orders")
    assert json.loads(key["inputs"]["policy"])["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert key["unknowns"] == [] and "partials" not in key
    grant = resource(document, "aws:kms/grant:Grant", "orders-reader")
    assert grant["inputs"]["keyId"] == UNKNOWN and grant["inputs"]["granteePrincipal"] == UNKNOWN
    assert "partials" not in grant


def test_a_stack_output_of_a_partial_value_shows_the_markers(document):
    arn = _of(document, BUCKET, "data", "arn")
    assert document["outputs"]["objectsPattern"] == {"$unknown": True, "$partial": [arn, "/*"]}
    # An input echoed as an output stays partial (and unknown, so nothing inspects its text).
    assert document["outputs"]["bucketPolicy"] == resource(
        document, "aws:s3/bucketPolicy:BucketPolicy", "data-tls-only")["inputs"]["policy"]


@pytest.mark.parametrize("output", ["accountOfBucket", "kindOfTable", "policyVersion"])
def test_a_callback_that_inspects_an_unknown_gives_a_plain_unknown(document, output):
    # arn.split(":")[4], arn.startswith(...), json.loads(policy)["Version"]
    assert document["outputs"][output] == UNKNOWN


def test_a_resource_created_inside_an_apply_is_speculative(document):
    readme = resource(document, "aws:s3/bucketObject:BucketObject", "readme-{unknown}")
    assert readme["speculative"] is True
    assert readme["urn"] == urn(document, "aws:s3/bucketObject:BucketObject", "readme-{unknown}")
    assert readme["inputs"]["bucket"] == _of(document, BUCKET, "data", "id")
    assert readme["inputs"]["key"] == "README.txt"
    assert [r["name"] for r in document["resources"] if r.get("speculative")] == ["readme-{unknown}"]


def test_secrets_never_run_on_stand_ins(document):
    # An unknown secret output: what is built from it stays wholly secret.
    assert document["outputs"]["webhookCopy"] == SECRET
    copy = resource(document, "aws:ssm/parameter:Parameter", "webhook-copy")
    assert copy["inputs"]["value"] == SECRET and copy["secrets"] == ["value"] and "partials" not in copy
    webhook = resource(document, "aws:ssm/parameter:Parameter", "webhook")
    assert webhook["inputs"]["value"] == SECRET and "partials" not in webhook
    # A callback on a secret and an unknown would write the secret into a plain input: not run.
    assert [r for r in document["resources"] if r["name"] == "webhook-audit"] == []
    assert "[secret]" not in dumps(document)


def test_plan_is_valid_deterministic_and_holds_no_token(document):
    assert_valid(document)
    text = dumps(document)
    assert "`" not in text and "Sahab" not in text
    assert dumps(plan("partial_values", "dev")) == text


def test_summary_counts_partial_values_and_speculative_resources(document):
    assert summary_line(document) == ("11 resources (me-central-1: 11); 9 unknown values (2 partly known); "
                                      "1 speculative resources; 2 secret values redacted")


# -- stand-ins, in-process -------------------------------------------------------------------------


@pytest.fixture()
def tokens(monkeypatch):
    registry = partial.Tokens(nonce="0123456789abcdef")
    monkeypatch.setattr(standins, "TOKENS", registry)
    return registry


def _stand_in(tokens, output="arn"):
    return standins.StandIn(tokens.token_for("urn:pulumi:s::p::aws:s3/bucket:Bucket::b", output))


def test_stand_ins_allow_building(tokens):
    arn = _stand_in(tokens)
    built = [arn + "/*", "arn:" + arn, f"{arn}/x", "%s-y" % arn, "{}-z".format(arn), ",".join([arn, "q"]),
             json.dumps({"Resource": [arn]}), str(arn), repr(arn)]
    bucket = {"urn": "urn:pulumi:s::p::aws:s3/bucket:Bucket::b", "output": "arn"}
    assert [tokens.parts(str.__str__(text)) for text in built] == [
        [bucket, "/*"], ["arn:", bucket], [bucket, "/x"], [bucket, "-y"], [bucket, "-z"], [bucket, ",q"],
        ['{"Resource": ["', bucket, '"]}'], [bucket], ["'", bucket, "'"],
    ]
    assert isinstance(arn + "/*", standins.StandIn)  # concatenation stays trapped


@pytest.mark.parametrize("inspect", [
    lambda s: s == "arn", lambda s: s != "arn", lambda s: s < "b", lambda s: bool(s), lambda s: hash(s),
    lambda s: len(s), lambda s: "a" in s, lambda s: s[0], lambda s: s[1:4], lambda s: list(s),
    lambda s: s.split(":"), lambda s: s.startswith("arn"), lambda s: s.replace("a", "b"), lambda s: s.upper(),
    lambda s: s.encode(), lambda s: int(s), lambda s: float(s), lambda s: s * 2, lambda s: f"{s:>10}",
    lambda s: {s: 1}, lambda s: s % (), lambda s: s.format(),
], ids=lambda _: "")
def test_stand_ins_trap_every_inspection(tokens, inspect):
    run = standins._Run()
    standins._RUNS.append(run)
    try:
        with pytest.raises(standins._Inspected):
            inspect(_stand_in(tokens))
    finally:
        standins._RUNS.pop()
    assert run.trapped


def test_a_cut_token_is_a_fragment_never_a_value(tokens):
    text = str(_stand_in(tokens)) + "/*"
    for cut in (text[:12], text[5:], text.split(":")[0], text.split("/")[-1], text.upper(), text.replace("a", "b"),
                text.split(" ")[1]):
        assert tokens.parts(cut) is None or not any(isinstance(p, int) for p in tokens.parts(cut)), cut
    assert standins.partial_value([text[:12]]) is None
    assert tokens.marker("prefix " + text[:20]) == ({"$unknown": True}, False)
    # A backtick of the program's own is text, not a fragment.
    assert tokens.marker("echo `hostname`") is None


def test_results_with_an_unknown_without_stand_in_are_not_partial(tokens):
    arn = str(_stand_in(tokens))
    assert standins.partial_value([arn, "x"]) == [arn, "x"]
    assert standins.partial_value([arn, None]) is None  # None: another unknown
    assert standins.partial_value(["x"]) is None  # no token: nothing partial
    assert standins.partial_value({arn: "x"}) is None  # a token in a key


def test_json_document_with_unknown_keys_gets_no_json(tokens):
    arn = str(_stand_in(tokens))
    marker, is_partial = tokens.marker(json.dumps({arn: "x"}))
    assert is_partial and "$json" not in marker
    marker, _ = tokens.marker(json.dumps({"a": [arn, 1, True]}))
    assert marker["$json"] == {"a": [{"$unknown": True, "of": {"urn": "urn:pulumi:s::p::aws:s3/bucket:Bucket::b",
                                                               "output": "arn"}}, 1, True]}
    assert tokens.scrub("readme-" + arn) == "readme-{unknown}"
