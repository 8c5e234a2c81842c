# METADATA
# title: Data services are not reachable from public networks
# description: >-
#   Data services must be reached over private networking only. azure-native storage
#   StorageAccount, containerregistry Registry and cosmosdb DatabaseAccount need
#   publicNetworkAccess "Disabled", and keyvault Vault needs properties.publicNetworkAccess
#   "Disabled" (Azure enables public access when the value is left out). AWS rds Instance and
#   ClusterInstance must not set publiclyAccessible to true. A value only known at deploy time is
#   deferred.
# custom:
#   id: SAHAB-NET-005
#   severity: high
#   enforcement: mandatory
#   remediation: >-
#     Set public_network_access="Disabled" (for a key vault, in properties) and reach the
#     service through a private endpoint in the VNet; on AWS set publicly_accessible=False and
#     place the database in private subnets.
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T4.5.1: Network Controls"
#     - "UAE IA (NESA) T4.5.3: Segregation in Networks"
#     - "ISO/IEC 27001:2022 A.8.20: Networks security"
#     - "ISO/IEC 27001:2022 A.8.22: Segregation of networks"
package sahab.rules.network.public_network_access_disabled

import data.sahab.lib.plan
import rego.v1

_azure(r, module, name) if regex.match(sprintf("^azure-native:%s(/v[0-9a-z]+)?:%s$", [module, name]), r.type)

# Created resources of an azure-native module and kind (any API version), looked up by type.
_created_azure(module, name) := [r |
	some t, indexes in data.sahab.lib.plan.created_indexes
	_azure({"type": t}, module, name)
	some i in indexes
	r := input.resources[i]
]

# Where each Azure service keeps its publicNetworkAccess.
_azure_services := [
	["storage", "StorageAccount", ["publicNetworkAccess"]],
	["keyvault", "Vault", ["properties", "publicNetworkAccess"]],
	["containerregistry", "Registry", ["publicNetworkAccess"]],
	["cosmosdb", "DatabaseAccount", ["publicNetworkAccess"]],
]

_rds := {"aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"}

deny contains plan.finding(r, sprintf("%s allows public network access (%s %s; set it to \"Disabled\")", [r.name, concat(".", path), _state(value)])) if {
	some [module, name, path] in _azure_services
	some r in _created_azure(module, name)
	value := plan.value_at(r.inputs, path)
	plan.is_known(value)
	not _disabled(value)
}

deferred contains plan.finding(r, sprintf("%s: %s is only known at deploy time", [r.name, concat(".", path)])) if {
	some [module, name, path] in _azure_services
	some r in _created_azure(module, name)
	not plan.is_known(plan.value_at(r.inputs, path))
}

_disabled(v) if {
	is_string(v)
	lower(v) == "disabled"
}

deny contains plan.finding(r, sprintf("%s is publicly accessible (publiclyAccessible is true)", [r.name])) if {
	some r in plan.created_of(_rds)
	plan.value_at(r.inputs, ["publiclyAccessible"]) == true
}

deferred contains plan.finding(r, sprintf("%s: publiclyAccessible is only known at deploy time", [r.name])) if {
	some r in plan.created_of(_rds)
	not plan.is_known(plan.value_at(r.inputs, ["publiclyAccessible"]))
}

_state(v) := "is not set" if v == null

else := sprintf("is %v", [v])
