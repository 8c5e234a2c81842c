package sahab.rules.encryption.keyvault_purge_protection_test

import data.sahab.rules.encryption.keyvault_purge_protection as rule
import rego.v1

_vault(properties) := {
	"urn": "urn:pulumi:dev::p::azure-native:keyvault:Vault::kv", "type": "azure-native:keyvault:Vault", "name": "kv",
	"custom": true, "mode": "create", "region": "uaenorth", "regionSource": "provider",
	"inputs": {"resourceGroupName": {"$unknown": true}, "properties": object.union({"tenantId": "t", "sku": {"family": "A", "name": "standard"}}, properties)},
	"propertyDependencies": {}, "provider": "urn:pulumi:dev::p::pulumi:providers:azure-native::uae",
}

test_purge_protection_passes if {
	v := _vault({"enablePurgeProtection": true, "enableRbacAuthorization": true})
	count(rule.deny) == 0 with input as {"resources": [v]}
	count(rule.deferred) == 0 with input as {"resources": [v]}
}

test_missing_purge_protection_is_denied if {
	some f in rule.deny with input as {"resources": [_vault({})]}
	contains(f.message, "purge protection")
}

test_soft_delete_off_is_denied if {
	v := _vault({"enablePurgeProtection": true, "enableSoftDelete": false})
	some f in rule.deny with input as {"resources": [v]}
	contains(f.message, "soft delete")
}

test_unknown_purge_protection_is_deferred if {
	v := _vault({"enablePurgeProtection": {"$unknown": true}})
	count(rule.deferred) == 1 with input as {"resources": [v]}
	count(rule.deny) == 0 with input as {"resources": [v]}
}
