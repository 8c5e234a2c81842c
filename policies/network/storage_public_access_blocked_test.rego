package sahab.rules.network.storage_public_access_blocked_test

import data.sahab.rules.network.storage_public_access_blocked as rule
import rego.v1

_bucket_urn := "urn:pulumi:dev::p::aws:s3/bucket:Bucket::data"

_bucket := {
	"urn": _bucket_urn, "type": "aws:s3/bucket:Bucket", "name": "data", "custom": true, "mode": "create",
	"region": "me-central-1", "regionSource": "provider", "inputs": {"bucket": "data-123"},
	"propertyDependencies": {}, "provider": null,
}

_flags_on := {"blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true}

_block(inputs, deps) := {
	"urn": "urn:pulumi:dev::p::aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::data",
	"type": "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "name": "data", "custom": true,
	"mode": "create", "region": "me-central-1", "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": deps, "provider": null,
}

_tied_block(flags) := _block(object.union({"bucket": {"$unknown": true}}, flags), {"bucket": [_bucket_urn]})

test_bucket_without_a_block_is_denied if {
	p := {"resources": [_bucket]}
	some f in rule.deny with input as p
	f.urn == _bucket_urn
}

test_bucket_with_a_full_block_passes if {
	p := {"resources": [_bucket, _tied_block(_flags_on)]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_block_tied_by_literal_name_passes if {
	p := {"resources": [_bucket, _block(object.union({"bucket": "data-123"}, _flags_on), {})]}
	count(rule.deny) == 0 with input as p
}

test_block_with_a_flag_off_is_denied if {
	p := {"resources": [_bucket, _tied_block(object.union(_flags_on, {"restrictPublicBuckets": false}))]}
	some f in rule.deny with input as p
	contains(f.message, "restrictPublicBuckets")
	count(rule.deny) == 1 with input as p
}

test_block_with_a_flag_missing_is_denied if {
	p := {"resources": [_bucket, _tied_block(object.remove(_flags_on, ["ignorePublicAcls"]))]}
	count(rule.deny) == 1 with input as p
}

test_block_with_unknown_flag_is_deferred if {
	p := {"resources": [_bucket, _tied_block(object.union(_flags_on, {"blockPublicPolicy": {"$unknown": true}}))]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_block_for_an_unknown_bucket_defers_the_bucket if {
	p := {"resources": [_bucket, _block(object.union({"bucket": {"$unknown": true}}, _flags_on), {})]}
	count(rule.deny) == 0 with input as p
	some f in rule.deferred with input as p
	f.urn == _bucket_urn
}

test_account_wide_block_covers_buckets if {
	account := {
		"urn": "urn:pulumi:dev::p::aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock::acct",
		"type": "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "name": "acct", "custom": true,
		"inputs": _flags_on, "propertyDependencies": {}, "provider": null,
	}
	count(rule.deny) == 0 with input as {"resources": [_bucket, account]}
}

_account(inputs) := {
	"urn": "urn:pulumi:dev::p::azure-native:storage:StorageAccount::sa", "type": "azure-native:storage:StorageAccount",
	"name": "sa", "custom": true, "mode": "create", "region": "uaenorth", "regionSource": "resource",
	"inputs": object.union({"kind": "StorageV2", "sku": {"name": "Standard_ZRS"}}, inputs), "propertyDependencies": {}, "provider": null,
}

test_storage_account_allowing_public_blobs_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_account({"allowBlobPublicAccess": true})]}
	count(rule.deny) == 1 with input as {"resources": [_account({})]}
}

test_storage_account_blocking_public_blobs_passes if {
	p := {"resources": [_account({"allowBlobPublicAccess": false})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_storage_account_unknown_is_deferred if {
	count(rule.deferred) == 1 with input as {"resources": [_account({"allowBlobPublicAccess": {"$unknown": true}})]}
}
