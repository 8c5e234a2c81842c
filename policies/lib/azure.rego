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

# --- public network access -------------------------------------------------------------------

# Where each Azure service keeps its public network access switch: the azure-native modules
# (a module renamed across SDK majors is listed under both names), the kind, the path of the
# switch, and for servers that can be injected into a VNet, the path of the delegated subnet.
# Left out, every one of these switches means public access (sources, pulumi-azure-native
# 3.29.0 SDK docs: Service Bus and Event Hubs "By default it is enabled"; web apps "Enabled,
# Disabled or an empty string", empty meaning no restriction; the other resource providers'
# ARM references default to Enabled). A flexible server with a delegated subnet has no public
# endpoint ("only supported for servers that are not integrated into a virtual network",
# PostgreSQL; "Value is 'Disabled' when server has VNet integration", MySQL).
public_network_access := [
	{"modules": "storage", "kind": "StorageAccount", "path": ["publicNetworkAccess"]},
	{"modules": "keyvault", "kind": "Vault", "path": ["properties", "publicNetworkAccess"]},
	{"modules": "containerregistry", "kind": "Registry", "path": ["publicNetworkAccess"]},
	{"modules": "cosmosdb", "kind": "DatabaseAccount", "path": ["publicNetworkAccess"]},
	{"modules": "sql", "kind": "Server", "path": ["publicNetworkAccess"]},
	{"modules": "redis|cache", "kind": "Redis", "path": ["publicNetworkAccess"]},
	{"modules": "servicebus", "kind": "Namespace", "path": ["publicNetworkAccess"]},
	{"modules": "eventhub", "kind": "Namespace", "path": ["publicNetworkAccess"]},
	{"modules": "machinelearningservices", "kind": "Workspace", "path": ["publicNetworkAccess"]},
	{"modules": "search", "kind": "Service", "path": ["publicNetworkAccess"]},
	{"modules": "web", "kind": "WebApp", "path": ["publicNetworkAccess"]},
	{"modules": "web", "kind": "WebAppSlot", "path": ["publicNetworkAccess"]},
	{
		"modules": "dbforpostgresql", "kind": "Server", "path": ["network", "publicNetworkAccess"],
		"subnet": ["network", "delegatedSubnetResourceId"],
	},
	{
		"modules": "dbformysql", "kind": "Server", "path": ["network", "publicNetworkAccess"],
		"subnet": ["network", "delegatedSubnetResourceId"],
	},
]

# The entry of public_network_access for each type token among the plan's created resources,
# decided once per type (any API version: azure-native:<module>/v20240801:<Kind>).
public_network_access_types[t] := entry if {
	some t, _ in data.sahab.lib.plan.created_indexes
	startswith(t, "azure-native:")
	some entry in public_network_access
	regex.match(sprintf("^azure-native:(%s)(/v[0-9a-z]+)?:%s$", [entry.modules, entry.kind]), t)
}

# The network resources a delegated subnet ID can come from.
_subnet_sources := `^azure-native:network(/v[0-9a-z]+)?:(Subnet|VirtualNetwork)$`

# Whether server `r` is injected into a VNet through the delegated subnet at `path`: "yes" (a
# literal subnet ID, or an unknown one that came from a subnet or VNet of the plan), "no"
# (none), or "unknown".
vnet_injected(r, path) := "yes" if {
	non_empty(plan.value_at(r.inputs, path))
} else := "no" if {
	plan.is_known(plan.value_at(r.inputs, path))
} else := "yes" if {
	some s in sources(r, path[0])
	regex.match(_subnet_sources, s.type)
} else := "unknown"

# --- diagnostic settings' destinations (the audit rules, policies/audit) ----------------------

# The storage accounts of the plan a diagnostic setting sends to: the one its storageAccountId
# came from, or the account its literal ARM ID names.
storage_accounts_of(setting) := array.concat(
	[a | some a in sources(setting, "storageAccountId"); a.type == "azure-native:storage:StorageAccount"],
	[a |
		name := account_name_of_id(plan.input_at(setting, ["storageAccountId"]))
		some a in created_of({"azure-native:storage:StorageAccount"})
		plan.input_at(a, ["accountName"]) == name
	],
)

# The Log Analytics workspaces of the plan a diagnostic setting sends to (by propertyDependencies).
workspaces_of(setting) := [w | some w in sources(setting, "workspaceId"); w.type == "azure-native:operationalinsights:Workspace"]
