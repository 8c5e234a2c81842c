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

test_key_vault_properties_must_name_the_key_and_vault if {
	sa := _account({"encryption": {"keySource": "Microsoft.Keyvault", "keyVaultProperties": {"keyVaultUri": ""}}})
	denied := {f.message | some f in rule.deny} with input as {"resources": [sa]}
	denied == {"sa: encryption.keyVaultProperties does not name its keyName", "sa: encryption.keyVaultProperties does not name its keyVaultUri"}
}

test_key_vault_properties_from_unknown_values_pass if {
	sa := _account({"encryption": {"keySource": "Microsoft.Keyvault", "keyVaultProperties": {"keyName": _unknown, "keyVaultUri": _unknown}}})
	count(rule.deny) == 0 with input as {"resources": [sa]}
}

_registry(encryption) := _r("azure-native:containerregistry:Registry", "acr", object.union({"sku": {"name": "Premium"}}, encryption), {})

test_registry_with_key_vault_key_passes if {
	acr := _registry({"encryption": {"status": "enabled", "keyVaultProperties": {"keyIdentifier": _unknown, "identity": "id"}}})
	count(rule.deny) == 0 with input as {"resources": [acr]}
	count(rule.deferred) == 0 with input as {"resources": [acr]}
}

test_registry_without_encryption_is_denied if {
	denied := {f.message | some f in rule.deny} with input as {"resources": [_registry({})]}
	denied == {"acr: encryption.status is disabled (the default), not enabled (a customer managed key)"}
}

test_registry_with_encryption_disabled_is_denied if {
	acr := _registry({"encryption": {"status": "disabled"}})
	count(rule.deny) == 1 with input as {"resources": [acr]}
}

test_registry_enabled_without_a_key_is_denied if {
	acr := _registry({"encryption": {"status": "Enabled", "keyVaultProperties": {"identity": "id"}}})
	denied := {f.message | some f in rule.deny} with input as {"resources": [acr]}
	denied == {"acr: encryption is enabled but keyVaultProperties.keyIdentifier names no key"}
}

test_registry_unknown_encryption_is_deferred if {
	acr := _registry({"encryption": _unknown})
	count(rule.deferred) == 1 with input as {"resources": [acr]}
	count(rule.deny) == 0 with input as {"resources": [acr]}
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
