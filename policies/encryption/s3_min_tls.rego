# METADATA
# title: S3 buckets refuse TLS older than 1.2
# description: >-
#   Advisory companion of SAHAB-ENC-008 for S3, whose minimum TLS version can only be set in a
#   bucket policy: every S3 bucket the program creates has a bucket policy (a BucketPolicy whose
#   `bucket` came from or names the bucket, or the legacy inline `policy`) with a Deny statement
#   for every principal and S3 action under NumericLessThan s3:TlsVersion of 1.2 or more. AWS
#   has made TLS 1.2 the minimum on its service endpoints, so this is defence in depth and
#   advisory. A policy built from deploy-time outputs is judged on its known structure, as in
#   SAHAB-ENC-007; only a decision that needs an unknown part is deferred.
# custom:
#   id: SAHAB-ENC-011
#   severity: medium
#   enforcement: advisory
#   deferred_on: >-
#     A bucket policy that is unknown before deploy as a whole, or whose statement's Effect,
#     Principal, Action or s3:TlsVersion condition is built from outputs only known after deploy
#     (a policy that only puts bucket ARNs in Resource is decided).
#   remediation: >-
#     Add to the bucket policy {"Sid": "DenyTlsOlderThan12", "Effect": "Deny", "Principal": "*",
#     "Action": "s3:*", "Resource": [<bucket ARN>, <bucket ARN>/*], "Condition":
#     {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}.
#   covers:
#     - aws:s3/bucket:Bucket
#     - aws:s3/bucketV2:BucketV2
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T4.2.1: Information Transfer Procedures"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
package sahab.rules.encryption.s3_min_tls

import data.sahab.lib.aws
import data.sahab.lib.plan
import rego.v1

# Bucket policies are gathered and parsed once, for this rule and its sibling
# (data.sahab.lib.aws.bucket_policies); each bucket is judged once (_results). Partial documents
# are judged on their known structure, as in SAHAB-ENC-007 (aws.old_tls_denied is three-valued).
_compliant(x) if {
	some doc in x.parsed
	aws.old_tls_denied(doc) == "yes"
}

_pending(x) if {
	some v in x.documents
	aws.opaque_document(v)
}

_pending(x) if {
	some doc in x.parsed
	aws.old_tls_denied(doc) == "unknown"
}

_outcome(x) := ["deferred", sprintf("%s: whether its bucket policy refuses TLS older than 1.2 depends on values only known at deploy time", [x.bucket.name])] if {
	_pending(x)
} else := ["deny", sprintf("%s has no bucket policy that refuses TLS older than 1.2 (s3:TlsVersion)", [x.bucket.name])]

_results contains [kind, plan.finding(x.bucket, message)] if {
	some x in data.sahab.lib.aws.bucket_policies
	not _compliant(x)
	[kind, message] := _outcome(x)
}

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results
