# METADATA
# title: Secrets Manager secrets are encrypted with a customer managed key
# description: >-
#   A secret holds the credentials everything else is protected with. Every
#   aws:secretsmanager/secret:Secret the program creates sets kmsKeyId to a customer managed key:
#   a literal key ID, ARN or alias that is not AWS managed, or an unknown value that came from a
#   KMS key or alias of the plan. Without it Secrets Manager encrypts with the AWS managed
#   aws/secretsmanager key, whose policy the customer cannot restrict (any principal of the
#   account allowed to read the secret can decrypt it) and which cannot be shared across
#   accounts. An unknown key no key of the plan explains is deferred.
# custom:
#   id: SAHAB-ENC-013
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     The secret's KMS key, when it is an output of a key outside this program.
#   remediation: >-
#     Set kms_key_id=<your aws.kms.Key>.arn on the secret, with a key policy that allows
#     kms:Decrypt only to the roles that read the secret (through secretsmanager.me-central-1
#     .amazonaws.com, kms:ViaService).
#   covers:
#     - aws:secretsmanager/secret:Secret
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T7.4.1: Policy on the Use of Cryptographic Controls"
#     - "UAE IA (NESA) T7.4.2: Key Management"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
package sahab.rules.encryption.secrets_cmk

import data.sahab.lib.aws
import data.sahab.lib.plan
import rego.v1

_describe := {"none": "no kmsKeyId (the AWS managed aws/secretsmanager key)", "aws-managed": "an AWS managed key", "outside-uae": data.sahab.lib.aws.outside_uae_key}

# Each secret is judged once (_results).
_results contains [kind, plan.finding(r, message)] if {
	some r in aws.created_of({"aws:secretsmanager/secret:Secret"})
	[kind, message] := _outcome(r, aws.key_state(r, plan.input_at(r, ["kmsKeyId"]), "kmsKeyId"))
}

_outcome(r, state) := ["deny", sprintf("%s is encrypted with %s, not a customer managed key in the UAE", [r.name, _describe[state]])] if {
	state in data.sahab.lib.aws.refused_key_states
} else := ["deferred", sprintf("%s: the KMS key is only known at deploy time and comes from no KMS key of this program", [r.name])] if {
	state == "unknown"
}

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results
