# METADATA
# title: Storage accounts and registries use customer managed keys
# description: >-
#   Stored blobs, files and container images are encrypted with a key the customer controls.
#   Azure: every azure-native:storage:StorageAccount has encryption.keySource
#   "Microsoft.Keyvault" with keyVaultProperties naming the key (keyName) and its vault
#   (keyVaultUri); every azure-native:containerregistry:Registry has encryption.status "enabled"
#   with keyVaultProperties.keyIdentifier (without them Azure uses Microsoft-managed keys).
#   AWS: every aws:ecr/repository:Repository has an encryptionConfigurations entry with
#   encryptionType "KMS" (or "KMS_DSSE") and a kmsKey that is a customer managed key (a literal
#   key ARN that is not AWS managed, or an unknown value that came from a KMS key or alias of the
#   plan); without one ECR uses AES256 or the AWS managed aws/ecr key. Unknown values no key of
#   the plan explains are deferred.
# custom:
#   id: SAHAB-ENC-010
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     The encryption key source, type or key of a storage account, registry or ECR repository,
#     when computed at deploy time or held outside this program.
#   remediation: >-
#     Azure: encryption=EncryptionArgs(key_source="Microsoft.Keyvault",
#     key_vault_properties=KeyVaultPropertiesArgs(key_name=..., key_vault_uri=...),
#     identity=...) on the storage account; encryption=EncryptionPropertyArgs(status="enabled",
#     key_vault_properties=KeyVaultPropertiesArgs(key_identifier=..., identity=...)) on a
#     Premium registry. AWS: encryption_configurations=[
#     RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=<aws.kms.Key>.arn)].
#   covers:
#     - azure-native:storage:StorageAccount
#     - azure-native:containerregistry:Registry
#     - aws:ecr/repository:Repository
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T7.4.1: Policy on the Use of Cryptographic Controls"
#     - "UAE IA (NESA) T7.4.2: Key Management"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
package sahab.rules.encryption.storage_cmk_azure

import data.sahab.lib.aws
import data.sahab.lib.azure
import data.sahab.lib.plan
import rego.v1

# --- Azure storage accounts ----------------------------------------------------------------

_account_types := {"azure-native:storage:StorageAccount"}

_encryption(r) := plan.input_at(r, ["encryption"])

_key_source(r) := source if {
	source := azure.field(_encryption(r), "keySource")
	source != null
}

_key_source(r) := "Microsoft.Storage (the default)" if azure.field(_encryption(r), "keySource") == null

_key_vault(source) if {
	is_string(source)
	lower(source) == "microsoft.keyvault"
}

deny contains plan.finding(r, sprintf("%s: encryption keySource is %v, not Microsoft.Keyvault (a customer managed key)", [r.name, source])) if {
	some r in azure.created_of(_account_types)
	source := _key_source(r)
	plan.is_known(source)
	not _key_vault(source)
}

deny contains plan.finding(r, sprintf("%s: keySource is Microsoft.Keyvault but encryption.keyVaultProperties is missing", [r.name])) if {
	some r in azure.created_of(_account_types)
	_key_vault(_key_source(r))
	azure.field(_encryption(r), "keyVaultProperties") == null
}

deny contains plan.finding(r, sprintf("%s: encryption.keyVaultProperties does not name its %s", [r.name, field])) if {
	some r in azure.created_of(_account_types)
	_key_vault(_key_source(r))
	properties := azure.field(_encryption(r), "keyVaultProperties")
	properties != null
	some field in ["keyName", "keyVaultUri"]
	_absent(azure.field(properties, field))
}

# Known to be missing: null or an empty string (an unknown value may still name it).
_absent(value) if value == null

_absent(value) if value == ""

# --- Azure container registries -------------------------------------------------------------

_registry_types := {"azure-native:containerregistry:Registry"}

_registry_encryption(r) := plan.input_at(r, ["encryption"])

# ARM's default status is "disabled": Microsoft-managed keys.
_registry_status(r) := status if {
	status := azure.field(_registry_encryption(r), "status")
	status != null
} else := "disabled (the default)"

deny contains plan.finding(r, sprintf("%s: encryption.status is %v, not enabled (a customer managed key)", [r.name, status])) if {
	some r in azure.created_of(_registry_types)
	status := _registry_status(r)
	plan.is_known(status)
	not _enabled(status)
}

deny contains plan.finding(r, sprintf("%s: encryption is enabled but keyVaultProperties.keyIdentifier names no key", [r.name])) if {
	some r in azure.created_of(_registry_types)
	_enabled(_registry_status(r))
	_absent(azure.field(azure.field(_registry_encryption(r), "keyVaultProperties"), "keyIdentifier"))
}

deferred contains plan.finding(r, sprintf("%s: the registry's encryption is only known at deploy time", [r.name])) if {
	some r in azure.created_of(_registry_types)
	not plan.is_known(_registry_status(r))
}

_enabled(status) if {
	is_string(status)
	lower(status) == "enabled"
}

deferred contains plan.finding(r, sprintf("%s: the encryption key source is only known at deploy time", [r.name])) if {
	some r in azure.created_of(_account_types)
	not plan.is_known(_key_source(r))
}

# --- ECR repositories ----------------------------------------------------------------------

_repository_types := {"aws:ecr/repository:Repository"}

# The encryption configurations of repository `r`.
_configs(r) := aws.items(plan.input_at(r, ["encryptionConfigurations"]))

deny contains plan.finding(r, sprintf("%s has no encryptionConfigurations: ECR encrypts it with AES256", [r.name])) if {
	some r in aws.created_of(_repository_types)
	aws.items(plan.input_at(r, ["encryptionConfigurations"])) == []
}

deny contains plan.finding(r, sprintf("%s: encryptionType is %v, not KMS with a customer managed key", [r.name, t])) if {
	some r in aws.created_of(_repository_types)
	some c in _configs(r)
	t := aws.field(c, "encryptionType")
	plan.is_known(t)
	not t in {"KMS", "KMS_DSSE"}
}

deferred contains plan.finding(r, sprintf("%s: the encryption type is only known at deploy time", [r.name])) if {
	some r in aws.created_of(_repository_types)
	some c in _configs(r)
	not plan.is_known(aws.field(c, "encryptionType"))
}

deny contains plan.finding(r, sprintf("%s: KMS encryption with %s, not a customer managed key in the UAE", [r.name, _describe[state]])) if {
	some r in aws.created_of(_repository_types)
	some c in _configs(r)
	aws.field(c, "encryptionType") in {"KMS", "KMS_DSSE"}
	state := aws.key_state(r, aws.field(c, "kmsKey"), "encryptionConfigurations")
	state in data.sahab.lib.aws.refused_key_states
}

deferred contains plan.finding(r, sprintf("%s: the KMS key is only known at deploy time and comes from no KMS key of this program", [r.name])) if {
	some r in aws.created_of(_repository_types)
	some c in _configs(r)
	aws.field(c, "encryptionType") in {"KMS", "KMS_DSSE"}
	aws.key_state(r, aws.field(c, "kmsKey"), "encryptionConfigurations") == "unknown"
}

_describe := {"none": "no kmsKey (the AWS managed aws/ecr key)", "aws-managed": "an AWS managed key", "outside-uae": data.sahab.lib.aws.outside_uae_key}
