package sahab.rules.encryption.eks_secrets_cmk_test

import data.sahab.rules.encryption.eks_secrets_cmk as rule
import rego.v1

_r(type_token, name, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": deps, "provider": "urn:pulumi:dev::p::pulumi:providers:aws::uae",
}

_unknown := {"$unknown": true}

_key := _r("aws:kms/key:Key", "k", {"enableKeyRotation": true}, {})

_eks(encryption, deps) := _r("aws:eks/cluster:Cluster", "eks", object.union({"roleArn": "arn:aws:iam::1:role/eks", "vpcConfig": {"subnetIds": ["s-1"]}}, encryption), deps)

test_eks_secrets_with_cmk_of_the_plan_passes if {
	c := _eks({"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": _unknown}}}, {"encryptionConfig": [_key.urn]})
	count(rule.deny) == 0 with input as {"resources": [_key, c]}
	count(rule.deferred) == 0 with input as {"resources": [_key, c]}
}

test_eks_without_encryption_config_is_denied if {
	some f in rule.deny with input as {"resources": [_eks({}, {})]}
	contains(f.message, "no encryptionConfig")
}

test_eks_encryption_config_without_secrets_is_denied if {
	c := _eks({"encryptionConfig": {"resources": [], "provider": {"keyArn": "arn:aws:kms:me-central-1:1:key/x"}}}, {})
	some f in rule.deny with input as {"resources": [c]}
	contains(f.message, "secrets")
}

test_eks_encryption_config_without_key_is_denied if {
	c := _eks({"encryptionConfig": {"resources": ["secrets"]}}, {})
	count(rule.deny) == 1 with input as {"resources": [c]}
}

test_eks_untraceable_unknown_key_is_deferred if {
	c := _eks({"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": _unknown}}}, {})
	count(rule.deferred) == 1 with input as {"resources": [c]}
	count(rule.deny) == 0 with input as {"resources": [c]}
}

test_eks_legacy_list_shape_is_read if {
	c := _eks({"encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:me-central-1:1:key/x"}}]}, {})
	count(rule.deny) == 0 with input as {"resources": [c]}
	count(rule.deferred) == 0 with input as {"resources": [c]}
}

_aks(profile, deps) := _r("azure-native:containerservice:ManagedCluster", "aks", object.union({"dnsPrefix": "aks"}, profile), deps)

test_aks_with_key_vault_kms_passes if {
	key := _r("azure-native:keyvault:Key", "key", {"keyName": "k"}, {})
	c := _aks({"securityProfile": {"azureKeyVaultKms": {"enabled": true, "keyId": _unknown, "keyVaultNetworkAccess": "Private"}}}, {"securityProfile": [key.urn]})
	count(rule.deny) == 0 with input as {"resources": [key, c]}
	count(rule.deferred) == 0 with input as {"resources": [key, c]}
}

test_aks_without_kms_is_denied if {
	some f in rule.deny with input as {"resources": [_aks({}, {})]}
	contains(f.message, "azureKeyVaultKms")
}

test_aks_kms_disabled_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_aks({"securityProfile": {"azureKeyVaultKms": {"enabled": false}}}, {})]}
}

test_aks_kms_without_key_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_aks({"securityProfile": {"azureKeyVaultKms": {"enabled": true}}}, {})]}
}

test_aks_unknown_profile_is_deferred if {
	c := _aks({"securityProfile": _unknown}, {})
	count(rule.deferred) == 1 with input as {"resources": [c]}
	count(rule.deny) == 0 with input as {"resources": [c]}
}
