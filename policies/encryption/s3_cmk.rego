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
#   remediation: >-
#     Add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with
#     apply_server_side_encryption_by_default sse_algorithm="aws:kms" and
#     kms_master_key_id=<your aws.kms.Key>.arn (bucket_key_enabled=True keeps KMS costs down).
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: security of personal data (encryption)"
#     - "UAE IA (NESA) T7.4.1: policy on the use of cryptographic controls"
#     - "UAE IA (NESA) T7.4.2: key management"
#     - "ISO/IEC 27001:2022 A.8.24: use of cryptography"
package sahab.rules.encryption.s3_cmk

import data.sahab.lib.aws
import data.sahab.lib.plan
import rego.v1

_sse_types := {
	"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
}

_configs := aws.created_of(_sse_types)

_kms_algorithms := {"aws:kms", "aws:kms:dsse"}

# A bucket with neither a companion configuration nor an inline one.
deny contains plan.finding(b, sprintf("%s has no server-side encryption configuration: S3 encrypts it with SSE-S3 (AES256), not a customer managed key", [b.name])) if {
	some b in aws.buckets
	count(aws.companions_of(b, _configs)) == 0
	plan.input_at(b, ["serverSideEncryptionConfiguration"]) == null
}

# Every encryption rule, with the resource that holds it and the input it sits under.
_rules contains {"owner": c, "property": "rules", "rule": rule} if {
	some c in _configs
	some rule in aws.items(plan.input_at(c, ["rules"]))
}

_rules contains {"owner": b, "property": "serverSideEncryptionConfiguration", "rule": aws.field(inline, "rule")} if {
	some b in aws.buckets
	inline := plan.input_at(b, ["serverSideEncryptionConfiguration"])
	inline != null
}

deny contains plan.finding(c, sprintf("%s has no encryption rules", [c.name])) if {
	some c in _configs
	aws.items(plan.input_at(c, ["rules"])) == []
}

_defaults contains {"owner": x.owner, "property": x.property, "default": aws.field(x.rule, "applyServerSideEncryptionByDefault")} if {
	some x in _rules
}

deny contains plan.finding(d.owner, sprintf("%s has an encryption rule without applyServerSideEncryptionByDefault: objects get SSE-S3 (AES256)", [d.owner.name])) if {
	some d in _defaults
	d.default == null
}

deny contains plan.finding(d.owner, sprintf("%s encrypts with %v, not SSE-KMS with a customer managed key", [d.owner.name, algorithm])) if {
	some d in _defaults
	d.default != null
	algorithm := aws.field(d.default, "sseAlgorithm")
	plan.is_known(algorithm)
	not algorithm in _kms_algorithms
}

deferred contains plan.finding(d.owner, sprintf("%s: the encryption algorithm is only known at deploy time", [d.owner.name])) if {
	some d in _defaults
	d.default != null
	not plan.is_known(aws.field(d.default, "sseAlgorithm"))
}

deny contains plan.finding(d.owner, sprintf("%s uses SSE-KMS with %s, not a customer managed key", [d.owner.name, _describe[state]])) if {
	some d in _defaults
	aws.field(d.default, "sseAlgorithm") in _kms_algorithms
	state := aws.key_state(d.owner, aws.field(d.default, "kmsMasterKeyId"), d.property)
	state in {"none", "aws-managed"}
}

deferred contains plan.finding(d.owner, sprintf("%s: the KMS key is only known at deploy time and comes from no KMS key of this program", [d.owner.name])) if {
	some d in _defaults
	aws.field(d.default, "sseAlgorithm") in _kms_algorithms
	aws.key_state(d.owner, aws.field(d.default, "kmsMasterKeyId"), d.property) == "unknown"
}

_describe := {"none": "no kmsMasterKeyId (the AWS managed aws/s3 key)", "aws-managed": "an AWS managed key"}
