package sahab.rules.network.no_open_ingress_test

import data.sahab.rules.network.no_open_ingress as rule
import rego.v1

_res(type_token, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::r", [type_token]), "type": type_token, "name": "r",
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider",
	"inputs": inputs, "propertyDependencies": {}, "provider": null,
}

_plan(r) := {"resources": [r]}

test_security_group_open_to_the_world_is_denied if {
	r := _res("aws:ec2/securityGroup:SecurityGroup", {"ingress": [{"cidrBlocks": ["10.0.0.0/16", "0.0.0.0/0"], "fromPort": 22, "toPort": 22, "protocol": "tcp"}]})
	some f in rule.deny with input as _plan(r)
	contains(f.message, "0.0.0.0/0")
}

test_security_group_open_over_ipv6_is_denied if {
	r := _res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", {"ingress": [{"ipv6CidrBlocks": ["::/0"], "fromPort": 0, "toPort": 0, "protocol": "-1"}]})
	count(rule.deny) == 1 with input as _plan(r)
}

test_security_group_from_the_vpc_passes if {
	r := _res("aws:ec2/securityGroup:SecurityGroup", {"ingress": [{"cidrBlocks": ["10.0.0.0/16"], "fromPort": 443, "toPort": 443, "protocol": "tcp"}], "egress": []})
	count(rule.deny) == 0 with input as _plan(r)
	count(rule.deferred) == 0 with input as _plan(r)
}

test_security_group_with_unknown_cidrs_is_deferred if {
	r := _res("aws:ec2/securityGroup:SecurityGroup", {"ingress": [{"cidrBlocks": [{"$unknown": true}], "fromPort": 443, "toPort": 443, "protocol": "tcp"}]})
	count(rule.deny) == 0 with input as _plan(r)
	count(rule.deferred) == 1 with input as _plan(r)
}

test_security_group_with_unknown_ingress_is_deferred if {
	r := _res("aws:ec2/securityGroup:SecurityGroup", {"ingress": {"$unknown": true}})
	count(rule.deferred) == 1 with input as _plan(r)
}

test_security_group_rule_ingress_open_is_denied if {
	r := _res("aws:ec2/securityGroupRule:SecurityGroupRule", {"type": "ingress", "cidrBlocks": ["0.0.0.0/0"], "fromPort": 443, "toPort": 443, "protocol": "tcp", "securityGroupId": {"$unknown": true}})
	count(rule.deny) == 1 with input as _plan(r)
}

test_security_group_rule_egress_open_passes if {
	r := _res("aws:ec2/securityGroupRule:SecurityGroupRule", {"type": "egress", "cidrBlocks": ["0.0.0.0/0"], "fromPort": 0, "toPort": 0, "protocol": "-1"})
	count(rule.deny) == 0 with input as _plan(r)
	count(rule.deferred) == 0 with input as _plan(r)
}

test_security_group_rule_of_unknown_type_is_deferred if {
	r := _res("aws:ec2/securityGroupRule:SecurityGroupRule", {"type": {"$unknown": true}, "cidrBlocks": ["0.0.0.0/0"]})
	count(rule.deny) == 0 with input as _plan(r)
	count(rule.deferred) == 1 with input as _plan(r)
}

test_vpc_ingress_rule_open_is_denied if {
	r := _res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {"cidrIpv6": "::/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443})
	count(rule.deny) == 1 with input as _plan(r)
}

test_vpc_ingress_rule_from_a_security_group_passes if {
	r := _res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {"referencedSecurityGroupId": {"$unknown": true}, "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432})
	count(rule.deny) == 0 with input as _plan(r)
	count(rule.deferred) == 0 with input as _plan(r)
}

test_vpc_ingress_rule_with_unknown_cidr_is_deferred if {
	r := _res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {"cidrIpv4": {"$unknown": true}, "ipProtocol": "tcp"})
	count(rule.deferred) == 1 with input as _plan(r)
}

_nsg_rule(direction, access, prefix) := {"name": "r1", "priority": 100, "protocol": "Tcp", "direction": direction, "access": access, "sourceAddressPrefix": prefix, "destinationAddressPrefix": "*", "destinationPortRange": "443", "sourcePortRange": "*"}

test_nsg_inbound_allow_from_internet_is_denied if {
	every prefix in ["*", "Internet", "0.0.0.0/0", "Any"] {
		r := _res("azure-native:network:NetworkSecurityGroup", {"securityRules": [_nsg_rule("Inbound", "Allow", prefix)]})
		count(rule.deny) == 1 with input as _plan(r)
	}
}

test_nsg_inbound_deny_or_outbound_passes if {
	r := _res("azure-native:network:NetworkSecurityGroup", {"securityRules": [_nsg_rule("Inbound", "Deny", "*"), _nsg_rule("Outbound", "Allow", "*"), _nsg_rule("Inbound", "Allow", "10.0.0.0/8")]})
	count(rule.deny) == 0 with input as _plan(r)
	count(rule.deferred) == 0 with input as _plan(r)
}

test_security_rule_with_open_prefixes_is_denied if {
	inputs := object.union(object.remove(_nsg_rule("Inbound", "Allow", ""), ["sourceAddressPrefix"]), {"sourceAddressPrefixes": ["10.0.0.0/8", "Internet"], "networkSecurityGroupName": "nsg"})
	r := _res("azure-native:network:SecurityRule", inputs)
	some f in rule.deny with input as _plan(r)
	contains(f.message, "Internet")
}

test_security_rule_with_unknown_source_is_deferred if {
	r := _res("azure-native:network:SecurityRule", _nsg_rule("Inbound", "Allow", {"$unknown": true}))
	count(rule.deny) == 0 with input as _plan(r)
	count(rule.deferred) == 1 with input as _plan(r)
}

test_read_resources_are_not_checked if {
	r := object.union(_res("aws:ec2/securityGroup:SecurityGroup", {"ingress": [{"cidrBlocks": ["0.0.0.0/0"]}]}), {"mode": "read"})
	count(rule.deny) == 0 with input as _plan(r)
}

# --- EKS node group remote access ------------------------------------------------------------

_node_group(access) := _res("aws:eks/nodeGroup:NodeGroup", {"clusterName": "ml", "remoteAccess": access})

test_node_group_ssh_key_without_source_groups_is_denied if {
	every access in [{"ec2SshKey": "ops"}, {"ec2SshKey": "ops", "sourceSecurityGroupIds": []}] {
		some f in rule.deny with input as _plan(_node_group(access))
		contains(f.message, "0.0.0.0/0")
		count(rule.deferred) == 0 with input as _plan(_node_group(access))
	}
}

test_node_group_without_key_or_with_source_groups_passes if {
	every inputs in [
		{"clusterName": "ml"},
		{"clusterName": "ml", "remoteAccess": {"sourceSecurityGroupIds": ["sg-1"]}},
		{"clusterName": "ml", "remoteAccess": {"ec2SshKey": "ops", "sourceSecurityGroupIds": [{"$unknown": true}]}},
	] {
		p := _plan(_res("aws:eks/nodeGroup:NodeGroup", inputs))
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_node_group_unknown_remote_access_is_deferred if {
	every access in [{"$unknown": true}, {"ec2SshKey": {"$unknown": true}}, {"ec2SshKey": "ops", "sourceSecurityGroupIds": {"$unknown": true}}] {
		p := _plan(_node_group(access))
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 1 with input as p
	}
}

# --- Azure database firewall rules -----------------------------------------------------------

test_firewall_rules_from_anywhere_are_denied if {
	every c in [
		["azure-native:sql:FirewallRule", "0.0.0.0", "255.255.255.255", "internet"],
		["azure-native:dbforpostgresql:FirewallRule", "0.0.0.0", "0.0.0.0", "every Azure service"],
		["azure-native:dbformysql/v20230630:FirewallRule", "0.0.0.0", "10.0.0.0", "internet"],
	] {
		p := _plan(_res(c[0], {"serverName": "db", "startIpAddress": c[1], "endIpAddress": c[2]}))
		some f in rule.deny with input as p
		contains(f.message, c[3])
	}
}

test_firewall_rules_for_known_ranges_pass if {
	p := _plan(_res("azure-native:sql:FirewallRule", {"serverName": "db", "startIpAddress": "203.0.113.10", "endIpAddress": "203.0.113.20"}))
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_firewall_rule_unknown_start_is_deferred if {
	p := _plan(_res("azure-native:dbforpostgresql:FirewallRule", {"startIpAddress": {"$unknown": true}, "endIpAddress": "10.0.0.1"}))
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}
