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
#   remediation: >-
#     Attach an aws.s3.BucketPolicy to the bucket with the statement {"Sid":
#     "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource":
#     [<bucket ARN>, <bucket ARN>/*], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}.
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: security of personal data (encryption)"
#     - "UAE IA (NESA) T4.2.1: information transfer (encryption in transit)"
#     - "UAE IA (NESA) T7.4.1: policy on the use of cryptographic controls"
#     - "ISO/IEC 27001:2022 A.8.24: use of cryptography"
#     - "ISO/IEC 27001:2022 A.5.14: information transfer"
package sahab.rules.encryption.s3_tls_only

import data.sahab.lib.aws
import data.sahab.lib.plan
import rego.v1

_policies := aws.created_of({"aws:s3/bucketPolicy:BucketPolicy"})

# The policy documents of bucket `b`, as the plan holds them (strings, objects or markers).
_documents(b) := array.concat(
	[p.inputs.policy | some p in aws.companions_of(b, _policies)],
	[v | v := plan.input_at(b, ["policy"]); v != null; v != ""],
)

_compliant(b) if {
	some v in _documents(b)
	aws.denies_insecure_transport(aws.policy_document(v))
}

_pending(b) if {
	some v in _documents(b)
	not plan.is_known(v)
}

deny contains plan.finding(b, sprintf("%s has no bucket policy, so nothing refuses plain-HTTP requests", [b.name])) if {
	some b in aws.buckets
	count(_documents(b)) == 0
}

deny contains plan.finding(b, sprintf("%s: no bucket policy denies requests with aws:SecureTransport \"false\" for every principal and S3 action", [b.name])) if {
	some b in aws.buckets
	count(_documents(b)) > 0
	not _compliant(b)
	not _pending(b)
}

deferred contains plan.finding(b, sprintf("%s: its bucket policy is only known at deploy time", [b.name])) if {
	some b in aws.buckets
	not _compliant(b)
	_pending(b)
}
