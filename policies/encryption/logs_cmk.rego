# METADATA
# title: CloudWatch log groups are encrypted with a customer managed key
# description: >-
#   Logs carry request data, identities and errors. Every aws:cloudwatch/logGroup:LogGroup the
#   program creates sets kmsKeyId to a customer managed key: a literal key ARN that is not AWS
#   managed, or an unknown value that came from a KMS key or alias of the plan. Without it
#   CloudWatch Logs encrypts with its own service key, which the customer can neither restrict
#   nor revoke. An unknown key no key of the plan explains is deferred.
# custom:
#   id: SAHAB-ENC-005
#   severity: medium
#   enforcement: mandatory
#   deferred_on: >-
#     The log group's KMS key, when it is an output of a key outside this program.
#   remediation: >-
#     Set kms_key_id=<your aws.kms.Key>.arn on the log group, with a key policy that lets
#     logs.me-central-1.amazonaws.com use the key for this account's log groups
#     (kms:EncryptionContext:aws:logs:arn).
#   covers:
#     - aws:cloudwatch/logGroup:LogGroup
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T7.4.1: Policy on the Use of Cryptographic Controls"
#     - "UAE IA (NESA) T3.6.4: Protection of Log Information"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
#     - "ISO/IEC 27001:2022 A.8.15: Logging"
package sahab.rules.encryption.logs_cmk

import data.sahab.lib.aws
import data.sahab.lib.plan
import rego.v1

_describe := {"none": "no kmsKeyId (the CloudWatch Logs service key)", "aws-managed": "an AWS managed key", "outside-uae": data.sahab.lib.aws.outside_uae_key}

# Each log group is judged once (_results).
_results contains [kind, plan.finding(r, message)] if {
	some r in aws.created_of({"aws:cloudwatch/logGroup:LogGroup"})
	[kind, message] := _outcome(r, aws.key_state(r, plan.input_at(r, ["kmsKeyId"]), "kmsKeyId"))
}

_outcome(r, state) := ["deny", sprintf("%s is encrypted with %s, not a customer managed key in the UAE", [r.name, _describe[state]])] if {
	state in data.sahab.lib.aws.refused_key_states
} else := ["deferred", sprintf("%s: the KMS key is only known at deploy time and comes from no KMS key of this program", [r.name])] if {
	state == "unknown"
}

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results
