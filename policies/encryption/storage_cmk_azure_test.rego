package sahab.rules.encryption.storage_cmk_azure_test

import data.sahab.rules.encryption.storage_cmk_azure as rule
import rego.v1

_r(type_token, name, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "uaenorth", "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": deps, "provider": "urn:pulumi:dev::p::pulumi:providers:azure-native::uae",
}

_unknown := {"$unknown": true}

_account(encryption) := _r("azure-native:storage:StorageAccount", "sa", object.union({"kind": "StorageV2", "sku": {"name": "Standard_ZRS"}}, encryption), {})

test_storage_account_with_key_vault_key_passes if {
	sa := _account({"encryption": {"keySource": "Microsoft.Keyvault", "keyVaultProperties": {"keyName": "k", "keyVaultUri": "https://kv.vault.azure.net"}}})
	count(rule.deny) == 0 with input as {"resources": [sa]}
	count(rule.deferred) == 0 with input as {"resources": [sa]}
}

test_storage_account_with_microsoft_keys_is_denied if {
	some f in rule.deny with input as {"resources": [_account({})]}
	contains(f.message, "Microsoft.Storage")
}

test_key_vault_source_without_properties_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_account({"encryption": {"keySource": "Microsoft.Keyvault"}})]}
}

test_unknown_key_source_is_deferred if {
	sa := _account({"encryption": _unknown})
	count(rule.deferred) == 1 with input as {"resources": [sa]}
	count(rule.deny) == 0 with input as {"resources": [sa]}
}

_repository(configs, deps) := _r("aws:ecr/repository:Repository", "repo", {"name": "ml/serving", "encryptionConfigurations": configs}, deps)

test_ecr_with_kms_key_of_the_plan_passes if {
	key := _r("aws:kms/key:Key", "images", {"enableKeyRotation": true}, {})
	repo := _repository([{"encryptionType": "KMS", "kmsKey": _unknown}], {"encryptionConfigurations": [key.urn]})
	count(rule.deny) == 0 with input as {"resources": [key, repo]}
	count(rule.deferred) == 0 with input as {"resources": [key, repo]}
}

test_ecr_aes256_is_denied if {
	some f in rule.deny with input as {"resources": [_repository([{"encryptionType": "AES256"}], {})]}
	contains(f.message, "AES256")
}

test_ecr_without_configuration_is_denied if {
	repo := _r("aws:ecr/repository:Repository", "repo", {"name": "ml/serving"}, {})
	count(rule.deny) == 1 with input as {"resources": [repo]}
}

test_ecr_kms_without_key_is_denied if {
	some f in rule.deny with input as {"resources": [_repository([{"encryptionType": "KMS"}], {})]}
	contains(f.message, "aws/ecr")
}

test_ecr_untraceable_key_is_deferred if {
	repo := _repository([{"encryptionType": "KMS", "kmsKey": _unknown}], {})
	count(rule.deferred) == 1 with input as {"resources": [repo]}
	count(rule.deny) == 0 with input as {"resources": [repo]}
}
