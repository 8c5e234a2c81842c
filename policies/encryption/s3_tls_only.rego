# METADATA
# title: S3 buckets refuse requests without TLS
# description: >-
#   Every S3 bucket the program creates has a bucket policy — an aws:s3/bucketPolicy:BucketPolicy
#   whose `bucket` came from the bucket (propertyDependencies) or names it, or the legacy inline
#   `policy` of the bucket — with a Deny statement for every principal ("*") and every S3
#   action ("s3:*" or "*") under the condition Bool (or BoolIfExists) aws:SecureTransport
#   "false". The policy JSON is parsed when it is known; a bucket whose only policies are
#   unknown before deploy is deferred; a bucket with no policy is denied.
# custom:
#   id: SAHAB-ENC-007
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     The bucket policy document, when it is built from outputs (bucket ARNs) only known after
#     deploy.
#   remediation: >-
#     Attach an aws.s3.BucketPolicy to the bucket with the statement {"Sid":
#     "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource":
#     [<bucket ARN>, <bucket ARN>/*], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}.
#   covers:
#     - aws:s3/bucket:Bucket
#     - aws:s3/bucketV2:BucketV2
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T4.2.1: Information Transfer Procedures"
#     - "UAE IA (NESA) T7.4.1: Policy on the Use of Cryptographic Controls"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
#     - "ISO/IEC 27001:2022 A.5.14: Information transfer"
package sahab.rules.encryption.s3_tls_only

import data.sahab.lib.aws
import data.sahab.lib.plan
import rego.v1

# Bucket policies are gathered and parsed once, for this rule and its sibling
# (data.sahab.lib.aws.bucket_policies); each bucket is judged once (_results).
_compliant(x) if {
	some doc in x.parsed
	aws.denies_insecure_transport(doc)
}

_pending(docs) if {
	some v in docs
	not plan.is_known(v)
}

_outcome(b, docs) := ["deny", sprintf("%s has no bucket policy, so nothing refuses plain-HTTP requests", [b.name])] if {
	count(docs) == 0
} else := ["deferred", sprintf("%s: its bucket policy is only known at deploy time", [b.name])] if {
	_pending(docs)
} else := ["deny", sprintf("%s: no bucket policy denies requests with aws:SecureTransport \"false\" for every principal and S3 action", [b.name])]

_results contains [kind, plan.finding(x.bucket, message)] if {
	some x in data.sahab.lib.aws.bucket_policies
	not _compliant(x)
	[kind, message] := _outcome(x.bucket, x.documents)
}

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results
