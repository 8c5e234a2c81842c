package sahab.rules.encryption.s3_cmk_test

import data.sahab.rules.encryption.s3_cmk as rule
import rego.v1

_r(type_token, name, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": deps, "provider": "urn:pulumi:dev::p::pulumi:providers:aws::uae",
}

_unknown := {"$unknown": true}

_key := _r("aws:kms/key:Key", "k", {"enableKeyRotation": true}, {})

_bucket := _r("aws:s3/bucket:Bucket", "b", {"bucket": "data-123"}, {})

_sse_type := "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"

_sse(algorithm, key, deps) := _r(_sse_type, "b", {"bucket": _unknown, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm, "kmsMasterKeyId": key}, "bucketKeyEnabled": true}]}, deps)

# regorus: bind package-level values to locals before a `with`, not after it.
test_bucket_without_encryption_configuration_is_denied if {
	b := _bucket
	some f in rule.deny with input as {"resources": [b]}
	f.urn == b.urn
	contains(f.message, "no server-side encryption configuration")
}

test_kms_key_of_the_plan_passes if {
	resources := [_key, _bucket, _sse("aws:kms", _unknown, {"bucket": [_bucket.urn], "rules": [_key.urn]})]
	count(rule.deny) == 0 with input as {"resources": resources}
	count(rule.deferred) == 0 with input as {"resources": resources}
}

test_literal_key_arn_and_bucket_name_pass if {
	sse := _r(_sse_type, "b", {"bucket": "data-123", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms:dsse", "kmsMasterKeyId": "arn:aws:kms:me-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}]}, {})
	count(rule.deny) == 0 with input as {"resources": [_bucket, sse]}
	count(rule.deferred) == 0 with input as {"resources": [_bucket, sse]}
}

test_aes256_is_denied if {
	resources := [_bucket, _r(_sse_type, "b", {"bucket": _unknown, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}, {"bucket": [_bucket.urn]})]
	some f in rule.deny with input as {"resources": resources}
	contains(f.message, "AES256")
	count(rule.deny) == 1 with input as {"resources": resources}
}

test_deprecated_v2_companion_is_checked if {
	v2 := _r("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "b", {"bucket": _unknown, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}, {"bucket": [_bucket.urn]})
	some f in rule.deny with input as {"resources": [_bucket, v2]}
	f.urn == v2.urn
}

test_kms_without_key_is_denied if {
	resources := [_bucket, object.union(_sse("aws:kms", null, {"bucket": [_bucket.urn]}), {"inputs": {"bucket": _unknown, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]}})]
	some f in rule.deny with input as {"resources": resources}
	contains(f.message, "aws/s3")
}

test_aws_managed_alias_is_denied if {
	resources := [_bucket, _sse("aws:kms", "alias/aws/s3", {"bucket": [_bucket.urn]})]
	some f in rule.deny with input as {"resources": resources}
	contains(f.message, "AWS managed key")
}

test_unknown_key_without_a_kms_source_is_deferred if {
	resources := [_bucket, _sse("aws:kms", _unknown, {"bucket": [_bucket.urn]})]
	count(rule.deny) == 0 with input as {"resources": resources}
	count(rule.deferred) == 1 with input as {"resources": resources}
}

test_unknown_algorithm_is_deferred if {
	resources := [_bucket, _sse(_unknown, "arn:aws:kms:me-central-1:1:key/x", {"bucket": [_bucket.urn]})]
	count(rule.deny) == 0 with input as {"resources": resources}
	count(rule.deferred) == 1 with input as {"resources": resources}
}

test_legacy_inline_configuration_with_cmk_passes if {
	b := _r("aws:s3/bucket:Bucket", "legacy", {"serverSideEncryptionConfiguration": {"rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": _unknown}}}}, {"serverSideEncryptionConfiguration": [_key.urn]})
	count(rule.deny) == 0 with input as {"resources": [_key, b]}
	count(rule.deferred) == 0 with input as {"resources": [_key, b]}
}

test_legacy_inline_aes256_is_denied if {
	b := _r("aws:s3/bucket:Bucket", "legacy", {"serverSideEncryptionConfiguration": {"rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}}}, {})
	count(rule.deny) == 1 with input as {"resources": [b]}
}

test_looked_up_bucket_is_not_a_subject if {
	b := object.union(_bucket, {"mode": "read"})
	count(rule.deny) == 0 with input as {"resources": [b]}
}
