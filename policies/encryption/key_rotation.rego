# METADATA
# title: Customer managed keys rotate automatically
# description: >-
#   Key material is rotated at least yearly without anyone having to remember it. AWS: every
#   symmetric encryption aws:kms/key:Key (customerMasterKeySpec unset or SYMMETRIC_DEFAULT,
#   keyUsage unset or ENCRYPT_DECRYPT, not in a custom key store) has enableKeyRotation true,
#   and rotationPeriodInDays, where set, is at most 365. Asymmetric, HMAC, custom-key-store and
#   imported-material (aws:kms/externalKey:ExternalKey) keys cannot rotate automatically and are
#   not checked. Azure: every azure-native:keyvault:Key has properties.rotationPolicy with a
#   lifetime action of type Rotate. Unknown values are deferred.
# custom:
#   id: SAHAB-ENC-006
#   severity: medium
#   enforcement: mandatory
#   deferred_on: >-
#     enableKeyRotation of a KMS key, or the rotation policy of a Key Vault key, when computed at
#     deploy time.
#   remediation: >-
#     AWS: enable_key_rotation=True (optionally rotation_period_in_days <= 365). Azure: set
#     properties.rotation_policy with lifetime_actions=[{action: {type: "rotate"}, trigger:
#     {time_after_create: "P1Y"}}] and an expiry (attributes.expiry_time).
#   covers:
#     - aws:kms/key:Key
#     - azure-native:keyvault:Key
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T7.4.2: Key Management"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
package sahab.rules.encryption.key_rotation

import data.sahab.lib.aws
import data.sahab.lib.azure
import data.sahab.lib.plan
import rego.v1

# --- AWS KMS -------------------------------------------------------------------------------

_key_types := {"aws:kms/key:Key"}

_defaults := {"customerMasterKeySpec": "SYMMETRIC_DEFAULT", "keyUsage": "ENCRYPT_DECRYPT"}

# The key can rotate automatically: symmetric encryption, AWS KMS key material.
_rotatable(r) if {
	every input_name, fallback in _defaults {
		plan.input_at(r, [input_name]) in {null, fallback}
	}
	plan.input_at(r, ["customKeyStoreId"]) in {null, ""}
	plan.input_at(r, ["xksKeyId"]) in {null, ""}
}

_undecided(r) if {
	some input_name in ["customerMasterKeySpec", "keyUsage", "customKeyStoreId", "xksKeyId"]
	not plan.is_known(plan.input_at(r, [input_name]))
}

# Each key is judged once (_results).
_results contains [kind, plan.finding(r, message)] if {
	some r in aws.created_of(_key_types)
	some [kind, message] in _key_outcomes(r)
}

_key_outcomes(r) := array.concat(_rotation_outcome(r), _period_outcome(r)) if {
	_rotatable(r)
} else := [["deferred", sprintf("%s: whether it rotates is only known at deploy time", [r.name])]] if {
	_undecided(r)
} else := []

_rotation_outcome(r) := [["deferred", sprintf("%s: whether it rotates is only known at deploy time", [r.name])]] if {
	not plan.is_known(plan.input_at(r, ["enableKeyRotation"]))
} else := [["deny", sprintf("%s does not rotate its key material (enableKeyRotation is %v)", [r.name, enabled])]] if {
	enabled := plan.input_at(r, ["enableKeyRotation"])
	enabled != true
} else := []

_period_outcome(r) := [["deny", sprintf("%s rotates only every %v days; rotate at least yearly (365 days)", [r.name, days])]] if {
	days := plan.input_at(r, ["rotationPeriodInDays"])
	is_number(days)
	days > 365
} else := []

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results

# --- Azure Key Vault keys ------------------------------------------------------------------

_vault_key_types := {"azure-native:keyvault:Key"}

_policy(r) := plan.input_at(r, ["properties", "rotationPolicy"])

_rotates(r) if {
	some action in azure.items(azure.field(_policy(r), "lifetimeActions"))
	type_ := azure.field(azure.field(action, "action"), "type")
	is_string(type_)
	lower(type_) == "rotate"
}

_rotation_unknown(r) if not plan.is_known(plan.input_at(r, ["properties"]))

_rotation_unknown(r) if not plan.is_known(_policy(r))

_rotation_unknown(r) if {
	some action in azure.items(azure.field(_policy(r), "lifetimeActions"))
	not plan.is_known(azure.field(azure.field(action, "action"), "type"))
}

deny contains plan.finding(r, sprintf("%s has no rotationPolicy", [r.name])) if {
	some r in azure.created_of(_vault_key_types)
	_policy(r) == null
	plan.is_known(plan.input_at(r, ["properties"]))
}

deny contains plan.finding(r, sprintf("%s: its rotationPolicy has no Rotate lifetime action", [r.name])) if {
	some r in azure.created_of(_vault_key_types)
	_policy(r) != null
	not _rotates(r)
	not _rotation_unknown(r)
}

deferred contains plan.finding(r, sprintf("%s: its rotation policy is only known at deploy time", [r.name])) if {
	some r in azure.created_of(_vault_key_types)
	not _rotates(r)
	_rotation_unknown(r)
}
