# METADATA
# title: S3 buckets refuse TLS older than 1.2
# description: >-
#   Advisory companion of SAHAB-ENC-008 for S3, whose minimum TLS version can only be set in a
#   bucket policy: every S3 bucket the program creates has a bucket policy (a BucketPolicy whose
#   `bucket` came from or names the bucket, or the legacy inline `policy`) with a Deny statement
#   for every principal and S3 action under NumericLessThan s3:TlsVersion of 1.2 or more. AWS
#   has made TLS 1.2 the minimum on its service endpoints, so this is defence in depth and
#   advisory. A bucket whose only policies are unknown before deploy is deferred.
# custom:
#   id: SAHAB-ENC-011
#   severity: medium
#   enforcement: advisory
#   remediation: >-
#     Add to the bucket policy {"Sid": "DenyTlsOlderThan12", "Effect": "Deny", "Principal": "*",
#     "Action": "s3:*", "Resource": [<bucket ARN>, <bucket ARN>/*], "Condition":
#     {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}.
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: security of personal data (encryption)"
#     - "UAE IA (NESA) T4.2.1: information transfer (encryption in transit)"
#     - "ISO/IEC 27001:2022 A.8.24: use of cryptography"
package sahab.rules.encryption.s3_min_tls

import data.sahab.lib.aws
import data.sahab.lib.plan
import rego.v1

_policies := aws.created_of({"aws:s3/bucketPolicy:BucketPolicy"})

_documents(b) := array.concat(
	[p.inputs.policy | some p in aws.companions_of(b, _policies)],
	[v | v := plan.input_at(b, ["policy"]); v != null; v != ""],
)

_compliant(b) if {
	some v in _documents(b)
	aws.denies_tls_below_1_2(aws.policy_document(v))
}

_pending(b) if {
	some v in _documents(b)
	not plan.is_known(v)
}

deny contains plan.finding(b, sprintf("%s has no bucket policy that refuses TLS older than 1.2 (s3:TlsVersion)", [b.name])) if {
	some b in aws.buckets
	not _compliant(b)
	not _pending(b)
}

deferred contains plan.finding(b, sprintf("%s: its bucket policy is only known at deploy time", [b.name])) if {
	some b in aws.buckets
	not _compliant(b)
	_pending(b)
}
