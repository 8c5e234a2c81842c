# METADATA
# title: No public IP addresses on compute
# description: >-
#   Instances, node pools and subnets must not hand out public IP addresses: AWS ec2 Instance and
#   SpotInstanceRequest associatePublicIpAddress (and, left out, an instance that names no
#   subnetId, network interface or launch template: it lands in a default subnet, which maps
#   public IPs), ec2 LaunchTemplate
#   networkInterfaces[].associatePublicIpAddress, ec2 Subnet mapPublicIpOnLaunch (and a
#   DefaultSubnet unless it is set to false, since default subnets map public IPs), and
#   azure-native containerservice ManagedCluster agentPoolProfiles[].enableNodePublicIP and
#   AgentPool enableNodePublicIP. A value only known at deploy time is deferred.
# custom:
#   id: SAHAB-NET-003
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A public IP setting (mapPublicIpOnLaunch, associatePublicIpAddress, enableNodePublicIP),
#     when computed at deploy time.
#   remediation: >-
#     Place compute in private subnets with mapPublicIpOnLaunch=false, set
#     associatePublicIpAddress=false on instances and launch templates, and leave
#     enableNodePublicIP off on AKS node pools; reach the internet through a NAT gateway or VPC
#     endpoints and expose services through internal load balancers.
#   covers:
#     - aws:ec2/instance:Instance
#     - aws:ec2/spotInstanceRequest:SpotInstanceRequest
#     - aws:ec2/launchTemplate:LaunchTemplate
#     - aws:ec2/subnet:Subnet
#     - aws:ec2/defaultSubnet:DefaultSubnet
#     - azure-native:containerservice:ManagedCluster
#     - azure-native:containerservice:AgentPool
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T4.5.1: Network Controls"
#     - "UAE IA (NESA) T4.5.3: Segregation in Networks"
#     - "ISO/IEC 27001:2022 A.8.20: Networks security"
#     - "ISO/IEC 27001:2022 A.8.22: Segregation of networks"
package sahab.rules.network.no_public_ip

import data.sahab.lib.plan
import rego.v1

_items(v) := v if is_array(v)

else := []

_azure(r, module, name) if regex.match(sprintf("^azure-native:%s(/v[0-9a-z]+)?:%s$", [module, name]), r.type)

_instances := {"aws:ec2/instance:Instance", "aws:ec2/spotInstanceRequest:SpotInstanceRequest"}

_template_type := "aws:ec2/launchTemplate:LaunchTemplate"

_subnet_type := "aws:ec2/subnet:Subnet"

_default_subnet_type := "aws:ec2/defaultSubnet:DefaultSubnet"

_aws_types := ((_instances | {_template_type}) | {_subnet_type}) | {_default_subnet_type}

# The type tokens (any API version) of the Azure kinds this rule checks, among the plan's.
_cluster_types contains t if {
	some t, _ in data.sahab.lib.plan.created_indexes
	_azure({"type": t}, "containerservice", "ManagedCluster")
}

_pool_types contains t if {
	some t, _ in data.sahab.lib.plan.created_indexes
	_azure({"type": t}, "containerservice", "AgentPool")
}

# The resources this rule checks, looked up by type.
_checked(aws_types, azure_types) := plan.created_of(aws_types | azure_types)

# [where, value] for resource `r`: the value turns public IPs on when it is true (or "true").
# One else-chain on the type (a default subnet maps public IPs unless told not to).
_switches(r) := [["associatePublicIpAddress", _instance_switch(r, plan.value_at(r.inputs, ["associatePublicIpAddress"]))]] if {
	r.type in _instances
} else := _template_switches(r) if {
	r.type == _template_type
} else := [["mapPublicIpOnLaunch", plan.value_at(r.inputs, ["mapPublicIpOnLaunch"])]] if {
	r.type == _subnet_type
} else := [["mapPublicIpOnLaunch", _or_true(plan.value_at(r.inputs, ["mapPublicIpOnLaunch"]))]] if {
	r.type == _default_subnet_type
} else := _cluster_switches(r) if {
	r.type in _cluster_types
} else := [["enableNodePublicIP", plan.value_at(r.inputs, ["enableNodePublicIP"])]] if {
	r.type in _pool_types
}

# An instance that names no subnet, network interface or launch template is launched into the
# default VPC's default subnet, which maps public IPs on launch (AWS VPC docs, "Default
# subnets": instances launched into a default subnet receive a public IPv4 address): unless it
# sets associatePublicIpAddress, it gets a public address by itself.
_default_subnet := {"$default_subnet": true}

_placements := ["subnetId", "networkInterfaces", "primaryNetworkInterface", "launchTemplate"]

_instance_switch(r, value) := _default_subnet if {
	value == null
	every key in _placements {
		plan.value_at(r.inputs, [key]) == null
	}
} else := value

_template_switches(r) := array.concat(
	[[sprintf("networkInterfaces.%d.associatePublicIpAddress", [i]), plan.value_at(nic, ["associatePublicIpAddress"])] |
		some i
		nic := _items(plan.value_at(r.inputs, ["networkInterfaces"]))[i]
	],
	[["networkInterfaces", nics] |
		nics := plan.value_at(r.inputs, ["networkInterfaces"])
		not plan.is_known(nics)
	],
)

_cluster_switches(r) := array.concat(
	[[sprintf("agentPoolProfiles.%d.enableNodePublicIP", [i]), plan.value_at(pool, ["enableNodePublicIP"])] |
		some i
		pool := _items(plan.value_at(r.inputs, ["agentPoolProfiles"]))[i]
	],
	[["agentPoolProfiles", pools] |
		pools := plan.value_at(r.inputs, ["agentPoolProfiles"])
		not plan.is_known(pools)
	],
)

_or_true(v) := true if v == null

else := v

_on(v) if v == true

_on(v) if {
	is_string(v)
	lower(v) == "true"
}

# Each switch is read once (_results).
_results contains [kind, plan.finding(r, message)] if {
	some r in _checked(_aws_types, _cluster_types | _pool_types)
	some [where, value] in _switches(r)
	value != false
	value != null
	[kind, message] := _outcome(r, where, value)
}

_outcome(r, where, value) := ["deny", sprintf("%s assigns public IP addresses (%s is %v)", [r.name, where, value])] if {
	_on(value)
} else := ["deny", sprintf("%s launches into a default subnet, which assigns public IP addresses (no subnetId, network interface or launch template; %s is not set)", [r.name, where])] if {
	value == _default_subnet
} else := ["deferred", sprintf("%s: %s is only known at deploy time", [r.name, where])] if {
	not plan.is_known(value)
}

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results
