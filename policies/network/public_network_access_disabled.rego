# METADATA
# title: Data services are not reachable from public networks
# description: >-
#   Data services must be reached over private networking only, including the public endpoints
#   a service opens by itself when a flag is left out. Azure (any API version): storage
#   StorageAccount, containerregistry Registry, cosmosdb DatabaseAccount, sql Server, redis (and
#   cache) Redis, servicebus and eventhub Namespace, machinelearningservices Workspace, search
#   Service, web WebApp and WebAppSlot (function apps included) need publicNetworkAccess
#   "Disabled", keyvault Vault
#   properties.publicNetworkAccess "Disabled", and dbforpostgresql and dbformysql (flexible)
#   Server network.publicNetworkAccess "Disabled" unless network.delegatedSubnetResourceId puts
#   them in a VNet (Azure enables public access when the value is left out). AWS: rds Instance
#   and ClusterInstance (Aurora), neptune ClusterInstance, redshift Cluster, redshiftserverless
#   Workgroup and dms ReplicationInstance must not be publiclyAccessible (DMS is public when it is
#   left out); opensearch and elasticsearch Domain need vpcOptions (without it the domain has a
#   public endpoint); an msk Cluster must not turn on public access
#   (brokerNodeGroupInfo.connectivityInfo.publicAccess.type SERVICE_PROVIDED_EIPS). A value only
#   known at deploy time is deferred.
# custom:
#   id: SAHAB-NET-005
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     publicNetworkAccess, publiclyAccessible, vpcOptions, an MSK cluster's public access type, or
#     the delegated subnet that keeps a flexible server off public networks, when computed at
#     deploy time.
#   remediation: >-
#     Azure: set public_network_access="Disabled" (for a key vault, in properties; for a flexible
#     server, in network, or give it a delegated subnet) and reach the service through a private
#     endpoint in the VNet. AWS: set publicly_accessible=False (explicitly on DMS) and place the
#     service in private subnets, give OpenSearch domains vpc_options, and leave MSK public access
#     DISABLED.
#   covers:
#     - azure-native:storage:StorageAccount
#     - azure-native:keyvault:Vault
#     - azure-native:containerregistry:Registry
#     - azure-native:cosmosdb:DatabaseAccount
#     - azure-native:sql:Server
#     - azure-native:redis:Redis
#     - azure-native:cache:Redis
#     - azure-native:servicebus:Namespace
#     - azure-native:eventhub:Namespace
#     - azure-native:machinelearningservices:Workspace
#     - azure-native:search:Service
#     - azure-native:web:WebApp
#     - azure-native:web:WebAppSlot
#     - azure-native:dbforpostgresql:Server
#     - azure-native:dbformysql:Server
#     - aws:rds/instance:Instance
#     - aws:rds/clusterInstance:ClusterInstance
#     - aws:neptune/clusterInstance:ClusterInstance
#     - aws:redshift/cluster:Cluster
#     - aws:redshiftserverless/workgroup:Workgroup
#     - aws:dms/replicationInstance:ReplicationInstance
#     - aws:opensearch/domain:Domain
#     - aws:elasticsearch/domain:Domain
#     - aws:msk/cluster:Cluster
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T4.5.1: Network Controls"
#     - "UAE IA (NESA) T4.5.3: Segregation in Networks"
#     - "ISO/IEC 27001:2022 A.8.20: Networks security"
#     - "ISO/IEC 27001:2022 A.8.22: Segregation of networks"
package sahab.rules.network.public_network_access_disabled

import data.sahab.lib.azure
import data.sahab.lib.plan
import rego.v1

# --- Azure: the switch of each service (the table is sahab.lib.azure.public_network_access) ----

# Each switch is read once (_results): "Disabled" passes, anything else is denied unless the
# server has a delegated subnet (then it has no public endpoint); an unknown one is deferred.
_results contains [kind, plan.finding(r, message)] if {
	some t, indexes in data.sahab.lib.plan.created_indexes
	entry := data.sahab.lib.azure.public_network_access_types[t]
	some i in indexes
	r := input.resources[i]
	value := plan.value_at(r.inputs, entry.path)
	not _disabled(value)
	[kind, message] := _azure_outcome(r, entry, value)
	kind != "pass"
}

_azure_outcome(r, entry, value) := ["deferred", sprintf("%s: %s is only known at deploy time", [r.name, concat(".", entry.path)])] if {
	not plan.is_known(value)
} else := ["pass", ""] if {
	value == null
	azure.vnet_injected(r, entry.subnet) == "yes"
} else := ["deferred", sprintf("%s: whether %s is set (no public endpoint) is only known at deploy time", [r.name, concat(".", entry.subnet)])] if {
	value == null
	azure.vnet_injected(r, entry.subnet) == "unknown"
} else := ["deny", sprintf("%s allows public network access (%s %s; set it to \"Disabled\")", [r.name, concat(".", entry.path), _state(value)])]

_disabled(v) if {
	is_string(v)
	lower(v) == "disabled"
}

# --- AWS: how each service says its endpoint is public ---------------------------------------

# [type, path of the setting, its value when left out, the values (strings lower-cased) that
# make the endpoint public]. Defaults, from the pulumi-aws 7.51.1 SDK docs unless noted:
# rds Instance, ClusterInstance, neptune ClusterInstance and redshift Cluster publiclyAccessible
# "Default is false"; redshiftserverless Workgroup false (a workgroup is created private; neither
# the SDK nor the CreateWorkgroup API reference states the default: not verified from a primary
# source); dms ReplicationInstance true (AWS DMS API, ReplicationInstance PubliclyAccessible:
# "The default value is true"; the SDK leaves it to AWS); opensearch and elasticsearch Domain without vpcOptions get a public
# endpoint (AWS OpenSearch Service "VPC domains": a domain is created with a public endpoint
# unless it is placed in a VPC); msk Cluster publicAccess.type DISABLED unless
# SERVICE_PROVIDED_EIPS (SDK: "Valid values: DISABLED, SERVICE_PROVIDED_EIPS").
_publicly_accessible := [["publiclyAccessible"], false, {true, "true"}]

_aws_endpoints := {
	"aws:rds/instance:Instance": _publicly_accessible,
	"aws:rds/clusterInstance:ClusterInstance": _publicly_accessible,
	"aws:neptune/clusterInstance:ClusterInstance": _publicly_accessible,
	"aws:redshift/cluster:Cluster": _publicly_accessible,
	"aws:redshiftserverless/workgroup:Workgroup": _publicly_accessible,
	"aws:dms/replicationInstance:ReplicationInstance": [["publiclyAccessible"], true, {true, "true"}],
	"aws:opensearch/domain:Domain": [["vpcOptions"], null, {null}],
	"aws:elasticsearch/domain:Domain": [["vpcOptions"], null, {null}],
	"aws:msk/cluster:Cluster": [
		["brokerNodeGroupInfo", "connectivityInfo", "publicAccess", "type"], "DISABLED",
		{"service_provided_eips"},
	],
}

_results contains [kind, plan.finding(r, message)] if {
	some t, indexes in data.sahab.lib.plan.created_indexes
	[path, fallback, public] := _aws_endpoints[t]
	some i in indexes
	r := input.resources[i]
	value := plan.value_at(r.inputs, path)
	[kind, message] := _aws_outcome(r, concat(".", path), value, _lower(_or(value, fallback)), public)
}

_aws_outcome(r, where, value, effective, public) := ["deferred", sprintf("%s: %s is only known at deploy time", [r.name, where])] if {
	not plan.is_known(value)
} else := ["deny", sprintf("%s has a public endpoint (%s %s)", [r.name, where, _aws_state(value)])] if {
	effective in public
}

_aws_state(v) := "is not set, and AWS then makes it public" if v == null

else := sprintf("is %v", [v])

_or(v, fallback) := fallback if v == null

else := v

_lower(v) := lower(v) if is_string(v)

else := v

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results

_state(v) := "is not set" if v == null

else := sprintf("is %v", [v])
