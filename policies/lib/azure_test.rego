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
