# METADATA
# title: Object storage blocks public access
# description: >-
#   Every AWS S3 bucket (s3 Bucket, BucketV2) needs a BucketPublicAccessBlock tied to it (through
#   propertyDependencies on `bucket`, or the same literal bucket name) with blockPublicAcls,
#   blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true, unless an
#   AccountPublicAccessBlock with all four true is declared through the same provider. A missing
#   companion or a flag left false is denied. Every azure-native storage StorageAccount must set
#   allowBlobPublicAccess to false explicitly. Values only known at deploy time are deferred.
# custom:
#   id: SAHAB-NET-004
#   severity: critical
#   enforcement: mandatory
#   remediation: >-
#     Add an aws.s3.BucketPublicAccessBlock for each bucket (bucket=bucket.id) with all four
#     flags True, or block public access for the whole account with
#     aws.s3.AccountPublicAccessBlock; on Azure set allow_blob_public_access=False on the storage
#     account. Share objects through presigned URLs, private endpoints or IAM instead.
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: technical measures to protect personal data"
#     - "UAE IA (NESA) T5 access control: access to information"
#     - "ISO/IEC 27001:2022 A.5.15: access control"
#     - "ISO/IEC 27001:2022 A.8.20: networks security"
package sahab.rules.network.storage_public_access_blocked

import data.sahab.lib.plan
import rego.v1

_buckets := {"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"}

_block_type := "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"

_account_block_type := "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"

_flags := ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]

# The input at `path`, or the unknown marker when it or anything on the way to it is unknown.
_at(obj, path) := {"$unknown": true} if {
	is_object(obj)
	some n in numbers.range(0, count(path))
	not plan.is_known(object.get(obj, array.slice(path, 0, n), null))
} else := object.get(obj, path, null) if {
	is_object(obj)
} else := null

_created contains r if {
	some r in plan.managed
	object.get(r, "mode", "create") != "read"
}

_azure(r, module, name) if regex.match(sprintf("^azure-native:%s(/v[0-9a-z]+)?:%s$", [module, name]), r.type)

_blocks := [b | some b in plan.resources; b.type == _block_type]

_all_flags_on(b) if {
	every flag in _flags {
		_at(b.inputs, [flag]) == true
	}
}

# --- the public access blocks themselves ----------------------------------------------------

deny contains plan.finding(b, sprintf("%s leaves %s off: the bucket can still be made public", [b.name, flag])) if {
	some b in _created
	b.type == _block_type
	some flag in _flags
	value := _at(b.inputs, [flag])
	plan.is_known(value)
	value != true
}

deferred contains plan.finding(b, sprintf("%s: %s is only known at deploy time", [b.name, flag])) if {
	some b in _created
	b.type == _block_type
	some flag in _flags
	not plan.is_known(_at(b.inputs, [flag]))
}

# --- every bucket has one -------------------------------------------------------------------

_tied(b, bucket) if plan.points_at(b, "bucket", bucket)

_tied(b, bucket) if {
	name := _at(bucket.inputs, ["bucket"])
	is_string(name)
	_at(b.inputs, ["bucket"]) == name
}

# A block whose bucket cannot be told before deploy: it may be any bucket's.
_floating(b) if {
	not plan.is_known(_at(b.inputs, ["bucket"]))
	count(object.get(object.get(b, "propertyDependencies", {}), "bucket", [])) == 0
}

_account_blocked(bucket) if {
	some a in plan.resources
	a.type == _account_block_type
	object.get(a, "provider", null) == object.get(bucket, "provider", null)
	_all_flags_on(a)
}

_covered(bucket) if {
	some b in _blocks
	_tied(b, bucket)
}

_covered(bucket) if _account_blocked(bucket)

_undecided(bucket) if {
	some b in _blocks
	_floating(b)
}

deny contains plan.finding(r, sprintf("%s has no BucketPublicAccessBlock (or account-wide block) with all four flags on", [r.name])) if {
	some r in _created
	r.type in _buckets
	not _covered(r)
	not _undecided(r)
}

deferred contains plan.finding(r, sprintf("%s: which bucket a public access block applies to is only known at deploy time", [r.name])) if {
	some r in _created
	r.type in _buckets
	not _covered(r)
	_undecided(r)
}

# --- Azure storage accounts -----------------------------------------------------------------

deny contains plan.finding(r, sprintf("%s does not disable blob public access (allowBlobPublicAccess %s; set it to false)", [r.name, _state(value)])) if {
	some r in _created
	_azure(r, "storage", "StorageAccount")
	value := _at(r.inputs, ["allowBlobPublicAccess"])
	plan.is_known(value)
	value != false
}

deferred contains plan.finding(r, sprintf("%s: allowBlobPublicAccess is only known at deploy time", [r.name])) if {
	some r in _created
	_azure(r, "storage", "StorageAccount")
	not plan.is_known(_at(r.inputs, ["allowBlobPublicAccess"]))
}

_state(v) := "is not set" if v == null

else := sprintf("is %v", [v])
