package sahab.lib.azure_test

import data.sahab.lib.azure
import rego.v1

test_location_normalises_display_names if {
	azure.location("UAE North") == "uaenorth"
	azure.in_uae("UAE Central")
	not azure.in_uae("West Europe")
	not azure.in_uae({"$unknown": true})
}

test_geo_redundant_skus if {
	azure.geo_redundant_sku("Standard_RAGZRS")
	azure.geo_redundant_sku("standard_grs")
	not azure.geo_redundant_sku("Standard_ZRS")
	not azure.geo_redundant_sku({"$unknown": true})
}

test_account_name_of_id if {
	azure.account_name_of_id("/subscriptions/0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/data01") == "data01"
	not azure.account_name_of_id("/subscriptions/0/resourceGroups/rg")
}

test_key_ref_state if {
	r := {"urn": "urn:x", "type": "azure-native:containerservice:ManagedCluster", "propertyDependencies": {}}
	azure.key_ref_state(r, "https://kv.vault.azure.net/keys/k/1", "securityProfile", azure.key_types) == "set"
	azure.key_ref_state(r, null, "securityProfile", azure.key_types) == "none"
	azure.key_ref_state(r, {"$unknown": true}, "securityProfile", azure.key_types) == "unknown"
}

test_public_network_access_types_match_any_api_version if {
	p := {"resources": [
		{"urn": "urn:a", "type": "azure-native:redis/v20241101:Redis", "custom": true, "mode": "create", "inputs": {}},
		{"urn": "urn:b", "type": "azure-native:sql:Server", "custom": true, "mode": "create", "inputs": {}},
		{"urn": "urn:c", "type": "azure-native:sql:Database", "custom": true, "mode": "create", "inputs": {}},
	]}
	azure.public_network_access_types["azure-native:redis/v20241101:Redis"].kind == "Redis" with input as p
	azure.public_network_access_types["azure-native:sql:Server"].modules == "sql" with input as p
	not azure.public_network_access_types["azure-native:sql:Database"] with input as p
}

test_vnet_injected if {
	path := ["network", "delegatedSubnetResourceId"]
	azure.vnet_injected(_server({"network": {"delegatedSubnetResourceId": "/s/subnets/db"}}), path) == "yes"
	azure.vnet_injected(_server({"network": {}}), path) == "no"
	azure.vnet_injected(_server({}), path) == "no"
	azure.vnet_injected(_server({"network": {"$unknown": true}}), path) == "unknown"
}

_server(inputs) := {"urn": "urn:x", "type": "azure-native:dbforpostgresql:Server", "propertyDependencies": {}, "inputs": inputs}
