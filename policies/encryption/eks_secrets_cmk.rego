# METADATA
# title: Kubernetes secrets are envelope-encrypted with a customer managed key
# description: >-
#   Kubernetes Secrets in etcd are envelope-encrypted with a key the customer controls. AWS: an
#   aws:eks/cluster:Cluster has an encryptionConfig whose resources include "secrets" and whose
#   provider.keyArn is a customer managed KMS key (a literal ARN, or an unknown value that came
#   from a KMS key or alias of the plan); EKS's default encryption with an AWS owned key does
#   not count. Azure: an azure-native:containerservice:ManagedCluster has
#   securityProfile.azureKeyVaultKms enabled with a keyId (a literal key URI, or an unknown
#   value from a Key Vault key of the plan). Unknown values no key of the plan explains are
#   deferred.
# custom:
#   id: SAHAB-ENC-003
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     The resources an EKS encryptionConfig covers and its KMS key, or whether AKS Key Vault KMS
#     is on and its key, when only known after deploy.
#   remediation: >-
#     EKS: encryption_config=ClusterEncryptionConfigArgs(resources=["secrets"],
#     provider=ClusterEncryptionConfigProviderArgs(key_arn=<your aws.kms.Key>.arn)). AKS:
#     security_profile.azure_key_vault_kms=AzureKeyVaultKmsArgs(enabled=True,
#     key_id=<Key Vault key URI with version>, key_vault_network_access="Private").
#   covers:
#     - aws:eks/cluster:Cluster
#     - azure-native:containerservice:ManagedCluster
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T7.4.1: Policy on the Use of Cryptographic Controls"
#     - "UAE IA (NESA) T7.4.2: Key Management"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
package sahab.rules.encryption.eks_secrets_cmk

import data.sahab.lib.aws
import data.sahab.lib.azure
import data.sahab.lib.plan
import rego.v1

# --- EKS -----------------------------------------------------------------------------------

_cluster_types := {"aws:eks/cluster:Cluster"}

# The encryptionConfig entries of cluster `r`: one object in pulumi-aws v7 (a list in older SDKs).
_configs(r) := [c |
	value := plan.input_at(r, ["encryptionConfig"])
	value != null
	some c in _as_list(value)
]

_as_list(value) := aws.items(value) if is_array(value)

_as_list(value) := [value] if not is_array(value)

deny contains plan.finding(r, sprintf("%s has no encryptionConfig: its Kubernetes secrets are encrypted only with an AWS owned key", [r.name])) if {
	some r in aws.created_of(_cluster_types)
	count(_configs(r)) == 0
}

_covers_secrets(r) if {
	some c in _configs(r)
	some resource in aws.items(aws.field(c, "resources"))
	resource == "secrets"
}

_pending_resources(r) if {
	some c in _configs(r)
	_unknown_in(aws.field(c, "resources"))
}

_unknown_in(value) if not plan.is_known(value)

_unknown_in(value) if {
	some item in aws.items(value)
	not plan.is_known(item)
}

deny contains plan.finding(r, sprintf("%s: no encryptionConfig covers \"secrets\"", [r.name])) if {
	some r in aws.created_of(_cluster_types)
	count(_configs(r)) > 0
	not _covers_secrets(r)
	not _pending_resources(r)
}

deferred contains plan.finding(r, sprintf("%s: the resources its encryptionConfig covers are only known at deploy time", [r.name])) if {
	some r in aws.created_of(_cluster_types)
	not _covers_secrets(r)
	_pending_resources(r)
}

deny contains plan.finding(r, sprintf("%s: encryptionConfig has %s, not a customer managed key in the UAE", [r.name, _describe[state]])) if {
	some r in aws.created_of(_cluster_types)
	some c in _configs(r)
	state := aws.key_state(r, aws.field(aws.field(c, "provider"), "keyArn"), "encryptionConfig")
	state in data.sahab.lib.aws.refused_key_states
}

deferred contains plan.finding(r, sprintf("%s: the encryptionConfig key is only known at deploy time and comes from no KMS key of this program", [r.name])) if {
	some r in aws.created_of(_cluster_types)
	some c in _configs(r)
	aws.key_state(r, aws.field(aws.field(c, "provider"), "keyArn"), "encryptionConfig") == "unknown"
}

_describe := {"none": "no provider.keyArn", "aws-managed": "an AWS managed key", "outside-uae": data.sahab.lib.aws.outside_uae_key}

# --- AKS -----------------------------------------------------------------------------------

_aks_types := {"azure-native:containerservice:ManagedCluster"}

_kms(r) := azure.field(plan.input_at(r, ["securityProfile"]), "azureKeyVaultKms")

deny contains plan.finding(r, sprintf("%s does not enable Key Vault KMS (securityProfile.azureKeyVaultKms): its secrets are encrypted with platform-managed keys only", [r.name])) if {
	some r in azure.created_of(_aks_types)
	_kms(r) == null
}

deny contains plan.finding(r, sprintf("%s: securityProfile.azureKeyVaultKms.enabled is %v", [r.name, enabled])) if {
	some r in azure.created_of(_aks_types)
	_kms(r) != null
	enabled := azure.field(_kms(r), "enabled")
	plan.is_known(enabled)
	enabled != true
}

deferred contains plan.finding(r, sprintf("%s: whether Key Vault KMS is enabled is only known at deploy time", [r.name])) if {
	some r in azure.created_of(_aks_types)
	not plan.is_known(azure.field(_kms(r), "enabled"))
}

deny contains plan.finding(r, sprintf("%s enables Key Vault KMS without a keyId", [r.name])) if {
	some r in azure.created_of(_aks_types)
	azure.field(_kms(r), "enabled") == true
	azure.key_ref_state(r, azure.field(_kms(r), "keyId"), "securityProfile", data.sahab.lib.azure.key_types) == "none"
}

deferred contains plan.finding(r, sprintf("%s: the Key Vault KMS key is only known at deploy time and comes from no Key Vault key of this program", [r.name])) if {
	some r in azure.created_of(_aks_types)
	azure.field(_kms(r), "enabled") == true
	azure.key_ref_state(r, azure.field(_kms(r), "keyId"), "securityProfile", data.sahab.lib.azure.key_types) == "unknown"
}
