package sahab.rules.encryption.s3_min_tls_test

import data.sahab.rules.encryption.s3_min_tls as rule
import rego.v1

_r(type_token, name, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": deps, "provider": "urn:pulumi:dev::p::pulumi:providers:aws::uae",
}

_unknown := {"$unknown": true}

_bucket := _r("aws:s3/bucket:Bucket", "b", {"bucket": "data-123"}, {})

_deny_old_tls(version) := {
	"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::data-123/*"],
	"Condition": {"NumericLessThan": {"s3:TlsVersion": version}},
}

_policy(document, deps) := _r("aws:s3/bucketPolicy:BucketPolicy", "b", {"bucket": _unknown, "policy": document}, deps)

test_tls_1_2_minimum_passes if {
	b := _bucket
	p := _policy(json.marshal({"Statement": [_deny_old_tls("1.2")]}), {"bucket": [b.urn]})
	count(rule.deny) == 0 with input as {"resources": [b, p]}
	count(rule.deferred) == 0 with input as {"resources": [b, p]}
}

test_tls_1_3_minimum_as_number_passes if {
	b := _bucket
	p := _policy(json.marshal({"Statement": [_deny_old_tls(1.3)]}), {"bucket": [b.urn]})
	count(rule.deny) == 0 with input as {"resources": [b, p]}
}

test_tls_1_1_minimum_is_denied if {
	b := _bucket
	p := _policy(json.marshal({"Statement": [_deny_old_tls("1.1")]}), {"bucket": [b.urn]})
	count(rule.deny) == 1 with input as {"resources": [b, p]}
}

test_bucket_without_policy_is_denied if {
	b := _bucket
	count(rule.deny) == 1 with input as {"resources": [b]}
}

test_unknown_policy_is_deferred if {
	b := _bucket
	p := _policy(_unknown, {"bucket": [b.urn]})
	count(rule.deferred) == 1 with input as {"resources": [b, p]}
	count(rule.deny) == 0 with input as {"resources": [b, p]}
}

# --- policies built from deploy-time outputs (partial values, docs/plan-format.md) ------------

_partial_arn := {"$unknown": true, "of": {"urn": "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b", "output": "arn"}}

_floor_statement(version) := {
	"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [_partial_arn],
	"Condition": {"NumericLessThan": {"s3:TlsVersion": version}},
}

_partial_judge(version) := {"deny": d, "deferred": e} if {
	b := _r("aws:s3/bucket:Bucket", "b", {"bucket": "data-123"}, {})
	document := {"$unknown": true, "$partial": ["{\"Statement\": [", _partial_arn, "]}"], "$json": {"Statement": [_floor_statement(version)]}}
	p := _r("aws:s3/bucketPolicy:BucketPolicy", "b", {"bucket": {"$unknown": true}, "policy": document}, {"bucket": [b.urn]})
	d := count(rule.deny) with input as {"resources": [b, p]}
	e := count(rule.deferred) with input as {"resources": [b, p]}
}

test_partial_policy_with_a_tls_floor_passes if {
	_partial_judge("1.2") == {"deny": 0, "deferred": 0}
}

test_partial_policy_with_a_lower_floor_is_denied if {
	_partial_judge("1.0") == {"deny": 1, "deferred": 0}
}

test_partial_policy_with_an_unknown_floor_is_deferred if {
	_partial_judge({"$unknown": true, "of": {"urn": "urn:pulumi:dev::p::pulumi:pulumi:StackReference::net", "output": "tlsFloor"}}) == {"deny": 0, "deferred": 1}
}
