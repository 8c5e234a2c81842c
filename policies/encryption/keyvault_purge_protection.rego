# METADATA
# title: Key vaults keep deleted keys recoverable
# description: >-
#   A deleted or purged key makes everything encrypted with it unreadable for good. Every
#   azure-native:keyvault:Vault has properties.enablePurgeProtection true (deleted keys, secrets
#   and certificates cannot be purged before the retention period ends, not even by an
#   administrator) and does not set properties.enableSoftDelete to false. Unknown values are
#   deferred.
# custom:
#   id: SAHAB-ENC-009
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A Key Vault's enableSoftDelete or enablePurgeProtection, when computed at deploy time.
#   remediation: >-
#     Set properties.enable_purge_protection=True (it cannot be turned off again) and leave
#     enable_soft_delete unset or True, with soft_delete_retention_in_days of at least 7 (90 by
#     default).
#   covers:
#     - azure-native:keyvault:Vault
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T7.4.2: Key Management"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
#     - "ISO/IEC 27001:2022 A.8.13: Information backup"
package sahab.rules.encryption.keyvault_purge_protection

import data.sahab.lib.azure
import data.sahab.lib.plan
import rego.v1

_vault_types := {"azure-native:keyvault:Vault"}

_property(r, name) := azure.field(plan.input_at(r, ["properties"]), name)

deny contains plan.finding(r, sprintf("%s: purge protection is not enabled (enablePurgeProtection is %v)", [r.name, value])) if {
	some r in azure.created_of(_vault_types)
	value := _property(r, "enablePurgeProtection")
	plan.is_known(value)
	value != true
}

deny contains plan.finding(r, sprintf("%s: soft delete is disabled (enableSoftDelete is false)", [r.name])) if {
	some r in azure.created_of(_vault_types)
	_property(r, "enableSoftDelete") == false
}

deferred contains plan.finding(r, sprintf("%s: %s is only known at deploy time", [r.name, name])) if {
	some r in azure.created_of(_vault_types)
	some name in ["enablePurgeProtection", "enableSoftDelete"]
	not plan.is_known(_property(r, name))
}
