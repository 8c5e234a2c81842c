package sahab.rules.encryption.s3_tls_only_test

import data.sahab.rules.encryption.s3_tls_only as rule
import rego.v1

_r(type_token, name, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": deps, "provider": "urn:pulumi:dev::p::pulumi:providers:aws::uae",
}

_unknown := {"$unknown": true}

_bucket := _r("aws:s3/bucket:Bucket", "b", {"bucket": "data-123"}, {})

_deny_http := {
	"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
	"Resource": ["arn:aws:s3:::data-123", "arn:aws:s3:::data-123/*"],
	"Condition": {"Bool": {"aws:SecureTransport": "false"}},
}

_policy(document, deps) := _r("aws:s3/bucketPolicy:BucketPolicy", "b", {"bucket": _unknown, "policy": document}, deps)

test_tls_only_policy_passes if {
	b := _bucket
	p := _policy(json.marshal({"Version": "2012-10-17", "Statement": [_deny_http]}), {"bucket": [b.urn]})
	count(rule.deny) == 0 with input as {"resources": [b, p]}
	count(rule.deferred) == 0 with input as {"resources": [b, p]}
}

test_single_statement_object_and_literal_bucket_name_pass if {
	b := _bucket
	p := _r("aws:s3/bucketPolicy:BucketPolicy", "b", {"bucket": "data-123", "policy": json.marshal({"Statement": object.union(_deny_http, {"Principal": {"AWS": "*"}, "Action": ["*"], "Condition": {"Bool": {"aws:securetransport": false}}})})}, {})
	count(rule.deny) == 0 with input as {"resources": [b, p]}
}

test_bucket_without_policy_is_denied if {
	b := _bucket
	some f in rule.deny with input as {"resources": [b]}
	contains(f.message, "no bucket policy")
}

test_policy_without_secure_transport_deny_is_denied if {
	b := _bucket
	allow := {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-123/*"}
	p := _policy(json.marshal({"Statement": [allow]}), {"bucket": [b.urn]})
	some f in rule.deny with input as {"resources": [b, p]}
	contains(f.message, "aws:SecureTransport")
}

test_deny_limited_to_one_action_is_denied if {
	b := _bucket
	p := _policy(json.marshal({"Statement": [object.union(_deny_http, {"Action": "s3:GetObject"})]}), {"bucket": [b.urn]})
	count(rule.deny) == 1 with input as {"resources": [b, p]}
}

test_invalid_json_is_denied if {
	b := _bucket
	p := _policy("{not json", {"bucket": [b.urn]})
	count(rule.deny) == 1 with input as {"resources": [b, p]}
}

test_unknown_policy_is_deferred if {
	b := _bucket
	p := _policy(_unknown, {"bucket": [b.urn], "policy": [b.urn]})
	count(rule.deferred) == 1 with input as {"resources": [b, p]}
	count(rule.deny) == 0 with input as {"resources": [b, p]}
}

test_legacy_inline_policy_is_read if {
	b := _r("aws:s3/bucket:Bucket", "legacy", {"bucket": "legacy", "policy": json.marshal({"Statement": [_deny_http]})}, {})
	count(rule.deny) == 0 with input as {"resources": [b]}
	count(rule.deferred) == 0 with input as {"resources": [b]}
}

# --- policies built from deploy-time outputs (partial values, docs/plan-format.md) ------------

_arn := {"$unknown": true, "of": {"urn": "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b", "output": "arn"}}

_account := {"$unknown": true, "of": {"urn": "urn:pulumi:dev::p::aws:index/getCallerIdentity::me", "output": "accountId"}}

# json.dumps of a document whose Resource came from the bucket's ARN: the planner's partial
# string, with the parsed document in "$json".
_partial_policy(statements) := {"$unknown": true, "$partial": ["{\"Statement\": [{\"Resource\": \"", _arn, "\"}]}"], "$json": {"Statement": statements}}

_with_arn(overrides) := object.union(object.union(_deny_http, {"Resource": [_arn, {"$unknown": true, "$partial": [_arn, "/*"]}]}), overrides)

_judge(statements) := {"deny": d, "deferred": e} if {
	p := _policy(_partial_policy(statements), {"bucket": [_bucket.urn], "policy": [_bucket.urn]})
	d := count(rule.deny) with input as {"resources": [_bucket, p]}
	e := count(rule.deferred) with input as {"resources": [_bucket, p]}
}

test_partial_policy_with_the_statement_passes if {
	_judge([_with_arn({})]) == {"deny": 0, "deferred": 0}
}

test_partial_policy_that_could_not_hold_the_statement_is_denied if {
	_judge([_with_arn({"Effect": "Allow"})]) == {"deny": 1, "deferred": 0}
	_judge([_with_arn({"Condition": {"Bool": {"aws:SecureTransport": "true"}}})]) == {"deny": 1, "deferred": 0}
	_judge([_with_arn({"Principal": {"AWS": {"$unknown": true, "$partial": ["arn:aws:iam::", _account, ":root"]}}})]) == {"deny": 1, "deferred": 0}
}

test_partial_policy_whose_unknown_part_decides_is_deferred if {
	_judge([_with_arn({"Principal": {"AWS": _account}})]) == {"deny": 0, "deferred": 1}
	_judge([_with_arn({"Condition": {"Bool": {"aws:SecureTransport": _account}}})]) == {"deny": 0, "deferred": 1}
	some f in rule.deferred with input as {"resources": [_bucket, _policy({"$unknown": true, "$partial": ["{", _account, "}"]}, {"bucket": [_bucket.urn]})]}
	f.message == "b: whether its bucket policy refuses plain-HTTP requests depends on values only known at deploy time"
}

test_policy_object_with_markers_is_judged_on_its_known_parts if {
	b := _bucket
	known := _policy({"Statement": [_with_arn({})]}, {"bucket": [b.urn]})
	count(rule.deny) + count(rule.deferred) == 0 with input as {"resources": [b, known]}
	open := _policy({"Statement": [_with_arn({"Action": _account})]}, {"bucket": [b.urn]})
	count(rule.deferred) == 1 with input as {"resources": [b, open]}
	count(rule.deny) == 0 with input as {"resources": [b, open]}
}
