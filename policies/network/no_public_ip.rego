# METADATA
# title: No public IP addresses on compute
# description: >-
#   Instances, node pools and subnets must not hand out public IP addresses: AWS ec2 Instance and
#   SpotInstanceRequest associatePublicIpAddress, ec2 LaunchTemplate
#   networkInterfaces[].associatePublicIpAddress, ec2 Subnet mapPublicIpOnLaunch (and a
#   DefaultSubnet unless it is set to false, since default subnets map public IPs), and
#   azure-native containerservice ManagedCluster agentPoolProfiles[].enableNodePublicIP and
#   AgentPool enableNodePublicIP. A value only known at deploy time is deferred.
# custom:
#   id: SAHAB-NET-003
#   severity: high
#   enforcement: mandatory
#   remediation: >-
#     Place compute in private subnets with mapPublicIpOnLaunch=false, set
#     associatePublicIpAddress=false on instances and launch templates, and leave
#     enableNodePublicIP off on AKS node pools; reach the internet through a NAT gateway or VPC
#     endpoints and expose services through internal load balancers.
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: technical measures to protect personal data"
#     - "UAE IA (NESA) T4 communications: network security management and perimeter protection"
#     - "ISO/IEC 27001:2022 A.8.20: networks security"
#     - "ISO/IEC 27001:2022 A.8.22: segregation of networks"
package sahab.rules.network.no_public_ip

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

_items(v) := v if is_array(v)

else := []

_created contains r if {
	some r in plan.managed
	object.get(r, "mode", "create") != "read"
}

_azure(r, module, name) if regex.match(sprintf("^azure-native:%s(/v[0-9a-z]+)?:%s$", [module, name]), r.type)

_instances := {"aws:ec2/instance:Instance", "aws:ec2/spotInstanceRequest:SpotInstanceRequest"}

# [resource, where, value]: the value turns public IPs on when it is true (or "true").
_switches contains [r, "associatePublicIpAddress", _at(r.inputs, ["associatePublicIpAddress"])] if {
	some r in _created
	r.type in _instances
}

_switches contains [r, sprintf("networkInterfaces.%d.associatePublicIpAddress", [i]), _at(nic, ["associatePublicIpAddress"])] if {
	some r in _created
	r.type == "aws:ec2/launchTemplate:LaunchTemplate"
	some i
	nic := _items(_at(r.inputs, ["networkInterfaces"]))[i]
}

_switches contains [r, "networkInterfaces", nics] if {
	some r in _created
	r.type == "aws:ec2/launchTemplate:LaunchTemplate"
	nics := _at(r.inputs, ["networkInterfaces"])
	not plan.is_known(nics)
}

_switches contains [r, "mapPublicIpOnLaunch", _at(r.inputs, ["mapPublicIpOnLaunch"])] if {
	some r in _created
	r.type == "aws:ec2/subnet:Subnet"
}

# A default subnet maps public IPs unless told not to.
_switches contains [r, "mapPublicIpOnLaunch", value] if {
	some r in _created
	r.type == "aws:ec2/defaultSubnet:DefaultSubnet"
	raw := _at(r.inputs, ["mapPublicIpOnLaunch"])
	value := _or_true(raw)
}

_switches contains [r, sprintf("agentPoolProfiles.%d.enableNodePublicIP", [i]), _at(pool, ["enableNodePublicIP"])] if {
	some r in _created
	_azure(r, "containerservice", "ManagedCluster")
	some i
	pool := _items(_at(r.inputs, ["agentPoolProfiles"]))[i]
}

_switches contains [r, "agentPoolProfiles", pools] if {
	some r in _created
	_azure(r, "containerservice", "ManagedCluster")
	pools := _at(r.inputs, ["agentPoolProfiles"])
	not plan.is_known(pools)
}

_switches contains [r, "enableNodePublicIP", _at(r.inputs, ["enableNodePublicIP"])] if {
	some r in _created
	_azure(r, "containerservice", "AgentPool")
}

_or_true(v) := true if v == null

else := v

_on(v) if v == true

_on(v) if {
	is_string(v)
	lower(v) == "true"
}

deny contains plan.finding(r, sprintf("%s assigns public IP addresses (%s is %v)", [r.name, where, value])) if {
	some [r, where, value] in _switches
	_on(value)
}

deferred contains plan.finding(r, sprintf("%s: %s is only known at deploy time", [r.name, where])) if {
	some [r, where, value] in _switches
	not plan.is_known(value)
}
