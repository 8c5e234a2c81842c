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
#   deferred_on: >-
#     A public access block flag, the bucket it applies to, or allowBlobPublicAccess, when
#     computed at deploy time.
#   remediation: >-
#     Add an aws.s3.BucketPublicAccessBlock for each bucket (bucket=bucket.id) with all four
#     flags True, or block public access for the whole account with
#     aws.s3.AccountPublicAccessBlock; on Azure set allow_blob_public_access=False on the storage
#     account. Share objects through presigned URLs, private endpoints or IAM instead.
#   covers:
#     - aws:s3/bucket:Bucket
#     - aws:s3/bucketV2:BucketV2
#     - aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock
#     - azure-native:storage:StorageAccount
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T5.6.1: Information Access Restriction"
#     - "ISO/IEC 27001:2022 A.5.15: Access control"
#     - "ISO/IEC 27001:2022 A.8.20: Networks security"
package sahab.rules.network.storage_public_access_blocked

import data.sahab.lib.plan
import rego.v1

_buckets := {"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"}

_block_type := "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"

_account_block_type := "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"

_flags := ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]

_azure(r, module, name) if regex.match(sprintf("^azure-native:%s(/v[0-9a-z]+)?:%s$", [module, name]), r.type)

# Created resources of an azure-native module and kind (any API version), looked up by type.
_created_azure(module, name) := [r |
	some t, indexes in data.sahab.lib.plan.created_indexes
	_azure({"type": t}, module, name)
	some i in indexes
	r := input.resources[i]
]

_all_flags_on(b) if {
	every flag in _flags {
		plan.value_at(b.inputs, [flag]) == true
	}
}

# --- the public access blocks themselves ----------------------------------------------------

# Each flag is read once (_results). A block without inputs reads as unknown, as
# `not plan.is_known(...)` of its (undefined) flag did.
_results contains [kind, plan.finding(b, message)] if {
	some b in plan.created_of_type(_block_type)
	not _all_on(b)
	some flag in _flags
	[kind, message] := _flag_outcome(b, flag, plan.value_at(object.get(b, "inputs", {"$unknown": true}), [flag]))
}

# All four flags literally true in known inputs: nothing to report (most blocks).
_all_on(b) if {
	inputs := b.inputs
	is_object(inputs)
	plan.is_known(inputs)
	every flag in _flags {
		inputs[flag] == true
	}
}

_flag_outcome(b, flag, value) := ["deferred", sprintf("%s: %s is only known at deploy time", [b.name, flag])] if {
	not plan.is_known(value)
} else := ["deny", sprintf("%s leaves %s off: the bucket can still be made public", [b.name, flag])] if {
	value != true
}

# --- every bucket has one -------------------------------------------------------------------

# What the plan's blocks (created or not) tie themselves to, gathered once: the bucket URNs
# their `bucket` input came from, and the literal bucket names they give. A bucket is covered
# when its URN or name is among them, or when an account-wide block with all four flags on
# uses its provider.
_blocked_urns contains urn if {
	some b in plan.of_type(_block_type)
	some urn in object.get(b.propertyDependencies, "bucket", [])
}

_blocked_names contains name if {
	some b in plan.of_type(_block_type)
	name := plan.value_at(b.inputs, ["bucket"])
	is_string(name)
}

_blocked_providers contains object.get(a, "provider", null) if {
	some a in plan.of_type(_account_block_type)
	_all_flags_on(a)
}

# A block whose bucket cannot be told before deploy: it may be any bucket's.
_floating(b) if {
	not plan.is_known(plan.value_at(b.inputs, ["bucket"]))
	count(object.get(object.get(b, "propertyDependencies", {}), "bucket", [])) == 0
}

_any_floating if {
	some b in plan.of_type(_block_type)
	_floating(b)
}

_covered(bucket) if bucket.urn in _blocked_urns

_covered(bucket) if {
	name := plan.value_at(bucket.inputs, ["bucket"])
	is_string(name)
	name in _blocked_names
}

_covered(bucket) if object.get(bucket, "provider", null) in _blocked_providers

_undecided(_) if _any_floating

_results contains [kind, plan.finding(r, message)] if {
	some r in plan.created_of(_buckets)
	not _covered(r)
	[kind, message] := _bucket_outcome(r)
}

_bucket_outcome(r) := ["deferred", sprintf("%s: which bucket a public access block applies to is only known at deploy time", [r.name])] if {
	_undecided(r)
} else := ["deny", sprintf("%s has no BucketPublicAccessBlock (or account-wide block) with all four flags on", [r.name])]

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results

# --- Azure storage accounts -----------------------------------------------------------------

deny contains plan.finding(r, sprintf("%s does not disable blob public access (allowBlobPublicAccess %s; set it to false)", [r.name, _state(value)])) if {
	some r in _created_azure("storage", "StorageAccount")
	value := plan.value_at(r.inputs, ["allowBlobPublicAccess"])
	plan.is_known(value)
	value != false
}

deferred contains plan.finding(r, sprintf("%s: allowBlobPublicAccess is only known at deploy time", [r.name])) if {
	some r in _created_azure("storage", "StorageAccount")
	not plan.is_known(plan.value_at(r.inputs, ["allowBlobPublicAccess"]))
}

_state(v) := "is not set" if v == null

else := sprintf("is %v", [v])
