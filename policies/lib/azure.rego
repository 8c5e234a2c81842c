# METADATA
# title: Azure helpers
# description: >-
#   Shared helpers for rules over azure-native resources in the plan document: resources by
#   URN, relations through propertyDependencies, location names and region pairs. Every helper
#   is total over odd input shapes (regorus stops the whole evaluation on a type error).
package sahab.lib.azure

import data.sahab.lib.aws
import data.sahab.lib.plan
import rego.v1

# Cloud-neutral helpers, shared with sahab.lib.aws (see there).
created_of(types) := aws.created_of(types)

sources(r, property) := aws.sources(r, property)

depends_on_type(r, property, types) if aws.depends_on_type(r, property, types)

non_empty(value) if aws.non_empty(value)

items(value) := aws.items(value)

field(value, name) := aws.field(value, name)

# A location as ARM writes it: "UAE North" and "uaenorth" are the same region.
location(name) := lower(replace(name, " ", "")) if is_string(name)

# Azure region pairs inside the UAE: geo-redundant copies of uaenorth go to uaecentral and back.
uae_pairs := {"uaenorth": "uaecentral", "uaecentral": "uaenorth"}

# A location inside the UAE.
in_uae(name) if location(name) in data.sahab.lib.plan.uae_regions

# Storage SKUs that keep a copy in the paired region.
geo_redundant_skus := {"standard_grs", "standard_ragrs", "standard_gzrs", "standard_ragzrs"}

geo_redundant_sku(name) if {
	is_string(name)
	lower(name) in geo_redundant_skus
}

# A storage account's ARM ID names it: /subscriptions/../storageAccounts/<name>.
account_name_of_id(id) := name if {
	is_string(id)
	parts := split(id, "/")
	some i, part in parts
	lower(part) == "storageaccounts"
	name := parts[i + 1]
	name != ""
}

# Key Vault keys: an unknown key URI that came from one is a customer managed key.
key_types := {"azure-native:keyvault:Key"}

# What a customer-managed-key reference `value` (under top-level input `property` of `r`) is:
# "set" (a literal, or an unknown value from a resource of `types`), "unknown" or "none".
# (One else-chain: the cases exclude each other.)
key_ref_state(r, value, property, types) := "set" if {
	non_empty(value)
} else := "none" if {
	plan.is_known(value)
} else := "set" if {
	depends_on_type(r, property, types)
} else := "unknown"
