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
