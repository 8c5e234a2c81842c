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
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: technical measures to protect personal data"
#     - "UAE IA (NESA) T4 communications: network security management and perimeter protection"
#     - "ISO/IEC 27001:2022 A.8.20: networks security"
#     - "ISO/IEC 27001:2022 A.8.22: segregation of networks"
package sahab.rules.network.public_network_access_disabled

import data.sahab.lib.plan
import rego.v1

# The input at `path`, or the unknown marker when it or anything on the way to it is unknown.
_at(obj, path) := {"$unknown": true} if {
	is_object(obj)
	some n in numbers.range(0, count(path))
	not plan.is_known(object.get(obj, array.slice(path, 0, n), null))
} else := object.get(obj, path, null) if {
	is_object(obj)
} else := null

_created contains r if {
	some r in plan.managed
	object.get(r, "mode", "create") != "read"
}

_azure(r, module, name) if regex.match(sprintf("^azure-native:%s(/v[0-9a-z]+)?:%s$", [module, name]), r.type)

# Where each Azure service keeps its publicNetworkAccess.
_azure_services := [
	["storage", "StorageAccount", ["publicNetworkAccess"]],
	["keyvault", "Vault", ["properties", "publicNetworkAccess"]],
	["containerregistry", "Registry", ["publicNetworkAccess"]],
	["cosmosdb", "DatabaseAccount", ["publicNetworkAccess"]],
]

_rds := {"aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"}

deny contains plan.finding(r, sprintf("%s allows public network access (%s %s; set it to \"Disabled\")", [r.name, concat(".", path), _state(value)])) if {
	some r in _created
	some [module, name, path] in _azure_services
	_azure(r, module, name)
	value := _at(r.inputs, path)
	plan.is_known(value)
	not _disabled(value)
}

deferred contains plan.finding(r, sprintf("%s: %s is only known at deploy time", [r.name, concat(".", path)])) if {
	some r in _created
	some [module, name, path] in _azure_services
	_azure(r, module, name)
	not plan.is_known(_at(r.inputs, path))
}

_disabled(v) if {
	is_string(v)
	lower(v) == "disabled"
}

deny contains plan.finding(r, sprintf("%s is publicly accessible (publiclyAccessible is true)", [r.name])) if {
	some r in _created
	r.type in _rds
	_at(r.inputs, ["publiclyAccessible"]) == true
}

deferred contains plan.finding(r, sprintf("%s: publiclyAccessible is only known at deploy time", [r.name])) if {
	some r in _created
	r.type in _rds
	not plan.is_known(_at(r.inputs, ["publiclyAccessible"]))
}

_state(v) := "is not set" if v == null

else := sprintf("is %v", [v])
