package sahab.rules.network.no_public_ip_test

import data.sahab.rules.network.no_public_ip as rule
import rego.v1

_res(type_token, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::x", [type_token]), "type": type_token, "name": "x",
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider",
	"inputs": inputs, "propertyDependencies": {}, "provider": null,
}

_plan(r) := {"resources": [r]}

test_instance_with_public_ip_is_denied if {
	count(rule.deny) == 1 with input as _plan(_res("aws:ec2/instance:Instance", {"ami": "ami-1", "instanceType": "t3.micro", "associatePublicIpAddress": true}))
}

test_instance_without_public_ip_passes if {
	p := _plan(_res("aws:ec2/instance:Instance", {"ami": "ami-1", "instanceType": "t3.micro", "associatePublicIpAddress": false}))
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_instance_unknown_is_deferred if {
	p := _plan(_res("aws:ec2/instance:Instance", {"associatePublicIpAddress": {"$unknown": true}}))
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_launch_template_public_nic_is_denied if {
	some f in rule.deny with input as _plan(_res("aws:ec2/launchTemplate:LaunchTemplate", {"networkInterfaces": [{"associatePublicIpAddress": "true", "deviceIndex": 0}]}))
	contains(f.message, "networkInterfaces.0.associatePublicIpAddress")
}

test_launch_template_private_nic_passes if {
	p := _plan(_res("aws:ec2/launchTemplate:LaunchTemplate", {"networkInterfaces": [{"associatePublicIpAddress": "false", "securityGroups": [{"$unknown": true}]}]}))
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_launch_template_unknown_nics_are_deferred if {
	p := _plan(_res("aws:ec2/launchTemplate:LaunchTemplate", {"networkInterfaces": {"$unknown": true}}))
	count(rule.deferred) == 1 with input as p
}

test_public_subnet_is_denied if {
	count(rule.deny) == 1 with input as _plan(_res("aws:ec2/subnet:Subnet", {"cidrBlock": "10.0.0.0/24", "mapPublicIpOnLaunch": true}))
}

test_private_subnet_passes if {
	count(rule.deny) == 0 with input as _plan(_res("aws:ec2/subnet:Subnet", {"cidrBlock": "10.0.0.0/24"}))
	count(rule.deny) == 0 with input as _plan(_res("aws:ec2/subnet:Subnet", {"cidrBlock": "10.0.0.0/24", "mapPublicIpOnLaunch": false}))
}

test_default_subnet_maps_public_ips_unless_told_not_to if {
	count(rule.deny) == 1 with input as _plan(_res("aws:ec2/defaultSubnet:DefaultSubnet", {"availabilityZone": "me-central-1a"}))
	count(rule.deny) == 0 with input as _plan(_res("aws:ec2/defaultSubnet:DefaultSubnet", {"availabilityZone": "me-central-1a", "mapPublicIpOnLaunch": false}))
}

test_aks_node_public_ip_is_denied if {
	p := _plan(_res("azure-native:containerservice:ManagedCluster", {"agentPoolProfiles": [{"name": "sys", "mode": "System"}, {"name": "gpu", "enableNodePublicIP": true}]}))
	some f in rule.deny with input as p
	contains(f.message, "agentPoolProfiles.1.enableNodePublicIP")
}

test_aks_private_nodes_pass if {
	p := _plan(_res("azure-native:containerservice:ManagedCluster", {"agentPoolProfiles": [{"name": "sys", "enableNodePublicIP": false}]}))
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_aks_agent_pool_resource if {
	count(rule.deny) == 1 with input as _plan(_res("azure-native:containerservice:AgentPool", {"enableNodePublicIP": true}))
	count(rule.deny) == 0 with input as _plan(_res("azure-native:containerservice:AgentPool", {"count": 3}))
}

test_instance_left_in_a_default_subnet_is_denied if {
	every t in ["aws:ec2/instance:Instance", "aws:ec2/spotInstanceRequest:SpotInstanceRequest"] {
		p := _plan(_res(t, {"ami": "ami-1", "instanceType": "t3.micro"}))
		some f in rule.deny with input as p
		contains(f.message, "default subnet")
	}
}

test_instance_placed_by_subnet_interface_or_template_is_judged_there if {
	every inputs in [
		{"ami": "ami-1", "subnetId": "subnet-1"},
		{"ami": "ami-1", "subnetId": {"$unknown": true}},
		{"ami": "ami-1", "primaryNetworkInterface": {"networkInterfaceId": "eni-1"}},
		{"launchTemplate": {"id": "lt-1", "version": "$Latest"}},
		{"ami": "ami-1", "associatePublicIpAddress": false},
	] {
		p := _plan(_res("aws:ec2/instance:Instance", inputs))
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 0 with input as p
	}
}
