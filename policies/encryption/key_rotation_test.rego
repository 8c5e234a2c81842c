package sahab.rules.encryption.key_rotation_test

import data.sahab.rules.encryption.key_rotation as rule
import rego.v1

_r(type_token, name, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": {}, "provider": "urn:pulumi:dev::p::pulumi:providers:aws::uae",
}

_unknown := {"$unknown": true}

_key(inputs) := _r("aws:kms/key:Key", "k", inputs)

test_symmetric_key_with_rotation_passes if {
	k := _key({"customerMasterKeySpec": "SYMMETRIC_DEFAULT", "keyUsage": "ENCRYPT_DECRYPT", "enableKeyRotation": true})
	count(rule.deny) == 0 with input as {"resources": [k]}
	count(rule.deferred) == 0 with input as {"resources": [k]}
}

test_key_without_rotation_is_denied if {
	some f in rule.deny with input as {"resources": [_key({"description": "data"})]}
	contains(f.message, "does not rotate")
}

test_key_with_rotation_off_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_key({"enableKeyRotation": false})]}
}

test_rotation_period_over_a_year_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_key({"enableKeyRotation": true, "rotationPeriodInDays": 730})]}
}

test_asymmetric_and_hmac_keys_are_not_checked if {
	keys := [
		_r("aws:kms/key:Key", "sign", {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}),
		_r("aws:kms/key:Key", "mac", {"customerMasterKeySpec": "HMAC_256", "keyUsage": "GENERATE_VERIFY_MAC"}),
	]
	count(rule.deny) == 0 with input as {"resources": keys}
	count(rule.deferred) == 0 with input as {"resources": keys}
}

test_custom_key_store_key_is_not_checked if {
	count(rule.deny) == 0 with input as {"resources": [_key({"customKeyStoreId": "cks-1"})]}
}

test_unknown_rotation_is_deferred if {
	k := _key({"enableKeyRotation": _unknown})
	count(rule.deferred) == 1 with input as {"resources": [k]}
	count(rule.deny) == 0 with input as {"resources": [k]}
}

test_unknown_key_spec_is_deferred if {
	k := _key({"customerMasterKeySpec": _unknown})
	count(rule.deferred) == 1 with input as {"resources": [k]}
	count(rule.deny) == 0 with input as {"resources": [k]}
}

_vault_key(properties) := _r("azure-native:keyvault:Key", "kvk", {"keyName": "k", "properties": properties})

test_azure_key_with_rotation_policy_passes if {
	k := _vault_key({"kty": "RSA", "rotationPolicy": {"lifetimeActions": [{"action": {"type": "rotate"}, "trigger": {"timeAfterCreate": "P1Y"}}]}})
	count(rule.deny) == 0 with input as {"resources": [k]}
	count(rule.deferred) == 0 with input as {"resources": [k]}
}

test_azure_key_without_rotation_policy_is_denied if {
	some f in rule.deny with input as {"resources": [_vault_key({"kty": "RSA"})]}
	contains(f.message, "no rotationPolicy")
}

test_azure_key_with_notify_only_is_denied if {
	k := _vault_key({"kty": "RSA", "rotationPolicy": {"lifetimeActions": [{"action": {"type": "Notify"}, "trigger": {"timeBeforeExpiry": "P30D"}}]}})
	count(rule.deny) == 1 with input as {"resources": [k]}
}

test_azure_key_unknown_rotation_policy_is_deferred if {
	k := _vault_key({"kty": "RSA", "rotationPolicy": _unknown})
	count(rule.deferred) == 1 with input as {"resources": [k]}
	count(rule.deny) == 0 with input as {"resources": [k]}
}
