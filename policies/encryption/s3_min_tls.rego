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
#   deferred_on: >-
#     The bucket policy document, when it is built from outputs (bucket ARNs) only known after
#     deploy.
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
# (data.sahab.lib.aws.bucket_policies); each bucket is judged once (_results).
_compliant(x) if {
	some doc in x.parsed
	aws.denies_tls_below_1_2(doc)
}

_pending(docs) if {
	some v in docs
	not plan.is_known(v)
}

_outcome(b, docs) := ["deferred", sprintf("%s: its bucket policy is only known at deploy time", [b.name])] if {
	_pending(docs)
} else := ["deny", sprintf("%s has no bucket policy that refuses TLS older than 1.2 (s3:TlsVersion)", [b.name])]

_results contains [kind, plan.finding(x.bucket, message)] if {
	some x in data.sahab.lib.aws.bucket_policies
	not _compliant(x)
	[kind, message] := _outcome(x.bucket, x.documents)
}

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results
