package sahab.rules.network.public_network_access_disabled_test

import data.sahab.rules.network.public_network_access_disabled as rule
import rego.v1

_res(type_token, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::x", [type_token]), "type": type_token, "name": "x",
	"custom": true, "mode": "create", "region": "uaenorth", "regionSource": "resource",
	"inputs": inputs, "propertyDependencies": {}, "provider": null,
}

_plan(r) := {"resources": [r]}

test_azure_services_with_public_access_are_denied if {
	every c in [
		["azure-native:storage:StorageAccount", {"publicNetworkAccess": "Enabled"}],
		["azure-native:storage:StorageAccount", {}],
		["azure-native:keyvault:Vault", {"properties": {"publicNetworkAccess": "enabled", "tenantId": "t"}}],
		["azure-native:containerregistry:Registry", {"sku": {"name": "Premium"}}],
		["azure-native:cosmosdb:DatabaseAccount", {"publicNetworkAccess": "Enabled"}],
		["azure-native:storage/v20230101:StorageAccount", {"publicNetworkAccess": "Enabled"}],
	] {
		p := _plan(_res(c[0], c[1]))
		count(rule.deny) == 1 with input as p
	}
}

test_azure_services_with_public_access_disabled_pass if {
	every c in [
		["azure-native:storage:StorageAccount", {"publicNetworkAccess": "Disabled"}],
		["azure-native:keyvault:Vault", {"properties": {"publicNetworkAccess": "disabled", "tenantId": "t"}}],
		["azure-native:containerregistry:Registry", {"publicNetworkAccess": "Disabled"}],
		["azure-native:cosmosdb:DatabaseAccount", {"publicNetworkAccess": "Disabled"}],
	] {
		p := _plan(_res(c[0], c[1]))
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_key_vault_with_unknown_properties_is_deferred if {
	p := _plan(_res("azure-native:keyvault:Vault", {"properties": {"$unknown": true}}))
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_public_rds_instance_is_denied if {
	p := _plan(_res("aws:rds/instance:Instance", {"engine": "postgres", "publiclyAccessible": true}))
	count(rule.deny) == 1 with input as p
}

test_private_rds_instance_passes if {
	p := _plan(_res("aws:rds/clusterInstance:ClusterInstance", {"engine": "aurora-postgresql", "publiclyAccessible": false}))
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
	q := _plan(_res("aws:rds/instance:Instance", {"engine": "postgres"}))
	count(rule.deny) == 0 with input as q
}

test_rds_unknown_is_deferred if {
	p := _plan(_res("aws:rds/instance:Instance", {"publiclyAccessible": {"$unknown": true}}))
	count(rule.deferred) == 1 with input as p
}
