# METADATA
# title: S3 buckets are encrypted with a customer managed KMS key
# description: >-
#   Every S3 bucket the program creates has a default server-side encryption configuration —
#   a BucketServerSideEncryptionConfiguration (or its deprecated V2) whose `bucket` came from
#   the bucket (propertyDependencies) or names it, or the legacy inline
#   serverSideEncryptionConfiguration — and every rule of every such configuration uses
#   SSE-KMS (sseAlgorithm "aws:kms" or "aws:kms:dsse") with kmsMasterKeyId set to a customer
#   managed key: a literal key ID, key ARN or alias that is not an AWS managed `alias/aws/...`,
#   or an unknown value that came from a KMS key or alias resource of the plan. A bucket with no
#   configuration, AES256 (SSE-S3) and SSE-KMS with the AWS managed key are denied; an
#   algorithm or key that is unknown and not traceable to a key of the plan is deferred.
# custom:
#   id: SAHAB-ENC-001
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     The bucket's encryption algorithm or KMS key, when set from a value only known after deploy
#     (a key outside this program).
#   remediation: >-
#     Add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with
#     apply_server_side_encryption_by_default sse_algorithm="aws:kms" and
#     kms_master_key_id=<your aws.kms.Key>.arn (bucket_key_enabled=True keeps KMS costs down).
#   covers:
#     - aws:s3/bucket:Bucket
#     - aws:s3/bucketV2:BucketV2
#     - aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration
#     - aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T7.4.1: Policy on the Use of Cryptographic Controls"
#     - "UAE IA (NESA) T7.4.2: Key Management"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
package sahab.rules.encryption.s3_cmk

import data.sahab.lib.aws
import data.sahab.lib.plan
import rego.v1

_sse_types := {
	"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
}

_kms_algorithms := {"aws:kms", "aws:kms:dsse"}

# A bucket with neither a companion configuration nor an inline one.
deny contains plan.finding(b, sprintf("%s has no server-side encryption configuration: S3 encrypts it with SSE-S3 (AES256), not a customer managed key", [b.name])) if {
	some b in data.sahab.lib.aws.buckets
	plan.input_at(b, ["serverSideEncryptionConfiguration"]) == null
	not aws.has_bucket_companion(b, _sse_types)
}

deny contains plan.finding(c, sprintf("%s has no encryption rules", [c.name])) if {
	some c in aws.created_of(_sse_types)
	aws.items(plan.input_at(c, ["rules"])) == []
}

# Every encryption rule's applyServerSideEncryptionByDefault, as {property, default}, with the
# input it sits under: the rules of a configuration, or a bucket's inline configuration.
_owner_types := _sse_types | data.sahab.lib.aws.bucket_types

_defaults(r) := {{"property": "rules", "default": aws.field(rule, "applyServerSideEncryptionByDefault")} |
	some rule in aws.items(plan.input_at(r, ["rules"]))
} if {
	r.type in _sse_types
} else := {{"property": "serverSideEncryptionConfiguration", "default": aws.field(aws.field(inline, "rule"), "applyServerSideEncryptionByDefault")}} if {
	r.type in data.sahab.lib.aws.bucket_types
	inline := plan.input_at(r, ["serverSideEncryptionConfiguration"])
	inline != null
}

# What one encryption rule `d` of `r` comes to, as ["deny" or "deferred", message]; nothing
# when it encrypts with a customer managed key. Each rule is judged once, in one pass
# (_results), and deny and deferred are read from there.
_outcome(r, d) := ["deny", sprintf("%s has an encryption rule without applyServerSideEncryptionByDefault: objects get SSE-S3 (AES256)", [r.name])] if {
	d.default == null
} else := ["deferred", sprintf("%s: the encryption algorithm is only known at deploy time", [r.name])] if {
	not plan.is_known(aws.field(d.default, "sseAlgorithm"))
} else := ["deny", sprintf("%s encrypts with %v, not SSE-KMS with a customer managed key", [r.name, algorithm])] if {
	algorithm := aws.field(d.default, "sseAlgorithm")
	not algorithm in _kms_algorithms
} else := _key_outcome(r, aws.key_state(r, aws.field(d.default, "kmsMasterKeyId"), d.property))

_key_outcome(r, state) := ["deny", sprintf("%s uses SSE-KMS with %s, not a customer managed key in the UAE", [r.name, _describe[state]])] if {
	state in data.sahab.lib.aws.refused_key_states
} else := ["deferred", sprintf("%s: the KMS key is only known at deploy time and comes from no KMS key of this program", [r.name])] if {
	state == "unknown"
}

_results contains [kind, plan.finding(r, message)] if {
	some r in aws.created_of(_owner_types)
	some d in _defaults(r)
	[kind, message] := _outcome(r, d)
}

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results

_describe := {"none": "no kmsMasterKeyId (the AWS managed aws/s3 key)", "aws-managed": "an AWS managed key", "outside-uae": data.sahab.lib.aws.outside_uae_key}
