# METADATA
# title: S3 buckets refuse requests without TLS
# description: >-
#   Every S3 bucket the program creates has a bucket policy — an aws:s3/bucketPolicy:BucketPolicy
#   whose `bucket` came from the bucket (propertyDependencies) or names it, or the legacy inline
#   `policy` of the bucket — with a Deny statement for every principal ("*") and every S3
#   action ("s3:*" or "*") under the condition Bool (or BoolIfExists) aws:SecureTransport
#   "false". The policy JSON is parsed when it is known; a policy built from deploy-time outputs
#   is judged on its known structure (unknown parts taken as any value): a statement that is
#   already there passes, a structure that could not hold one is denied, and only a decision
#   that needs an unknown part (or a policy with no readable structure) is deferred. A bucket
#   with no policy is denied.
# custom:
#   id: SAHAB-ENC-007
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A bucket policy that is unknown before deploy as a whole, or whose statement's Effect,
#     Principal, Action or SecureTransport condition is built from outputs only known after
#     deploy (a policy that only puts bucket ARNs in Resource is decided).
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
# (data.sahab.lib.aws.bucket_policies); each bucket is judged once (_results). A document built
# from deploy-time outputs is judged on its known structure (aws.insecure_transport_denied is
# three-valued): a compliant statement passes, a structure that could not hold one is denied,
# and only a decision that depends on an unknown part is deferred.
_compliant(x) if {
	some doc in x.parsed
	aws.insecure_transport_denied(doc) == "yes"
}

# Some policy could still deny plain HTTP once its unknown parts are known: an unreadable one,
# or a partial document whose unknown parts decide.
_pending(x) if {
	some v in x.documents
	aws.opaque_document(v)
}

_pending(x) if {
	some doc in x.parsed
	aws.insecure_transport_denied(doc) == "unknown"
}

_outcome(x) := ["deny", sprintf("%s has no bucket policy, so nothing refuses plain-HTTP requests", [x.bucket.name])] if {
	count(x.documents) == 0
} else := ["deferred", sprintf("%s: whether its bucket policy refuses plain-HTTP requests depends on values only known at deploy time", [x.bucket.name])] if {
	_pending(x)
} else := ["deny", sprintf("%s: no bucket policy denies requests with aws:SecureTransport \"false\" for every principal and S3 action", [x.bucket.name])]

_results contains [kind, plan.finding(x.bucket, message)] if {
	some x in data.sahab.lib.aws.bucket_policies
	not _compliant(x)
	[kind, message] := _outcome(x)
}

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results
