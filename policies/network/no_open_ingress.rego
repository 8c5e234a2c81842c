# METADATA
# title: No ingress from the whole internet
# description: >-
#   Security groups and network security groups must not allow inbound traffic from any address
#   (0.0.0.0/0, ::/0, or Azure's "*", "Internet", "Any"). Checks AWS ec2 SecurityGroup and
#   DefaultSecurityGroup inline ingress (cidrBlocks, ipv6CidrBlocks), ec2 SecurityGroupRule of
#   type ingress, vpc SecurityGroupIngressRule (cidrIpv4, cidrIpv6), and azure-native network
#   NetworkSecurityGroup securityRules and SecurityRule that allow Inbound traffic. Ingress a
#   service opens by itself counts too: an eks NodeGroup whose remoteAccess names an ec2SshKey
#   without sourceSecurityGroupIds has SSH opened to 0.0.0.0/0 by EKS. An azure-native sql,
#   dbforpostgresql or dbformysql FirewallRule must not start at 0.0.0.0 (the whole internet, or
#   as 0.0.0.0-0.0.0.0 every Azure service of every tenant). A source that is unknown before
#   deploy is deferred.
# custom:
#   id: SAHAB-NET-001
#   severity: critical
#   enforcement: mandatory
#   deferred_on: >-
#     An ingress rule's CIDR sources or direction, or a node group's remoteAccess, when computed
#     at deploy time (a CIDR read from another stack).
#   remediation: >-
#     Allow ingress only from the CIDRs or security groups that need it (the VPC/VNet range, a
#     load balancer's security group, a corporate range); reach workloads through private
#     endpoints, a VPN or an internal load balancer instead of opening them to the internet. On
#     EKS node groups, leave remote_access out (use SSM Session Manager) or give it
#     source_security_group_ids.
#   covers:
#     - aws:ec2/securityGroup:SecurityGroup
#     - aws:ec2/defaultSecurityGroup:DefaultSecurityGroup
#     - aws:ec2/securityGroupRule:SecurityGroupRule
#     - aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule
#     - aws:eks/nodeGroup:NodeGroup
#     - azure-native:network:NetworkSecurityGroup
#     - azure-native:network:SecurityRule
#     - azure-native:sql:FirewallRule
#     - azure-native:dbforpostgresql:FirewallRule
#     - azure-native:dbformysql:FirewallRule
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T4.5.1: Network Controls"
#     - "UAE IA (NESA) T4.5.3: Segregation in Networks"
#     - "ISO/IEC 27001:2022 A.8.20: Networks security"
#     - "ISO/IEC 27001:2022 A.8.22: Segregation of networks"
package sahab.rules.network.no_open_ingress

import data.sahab.lib.plan
import rego.v1

_open_cidrs := {"0.0.0.0/0", "::/0"}

_open_azure_prefixes := {"*", "0.0.0.0/0", "0.0.0.0", "::/0", "internet", "any"}

_aws_groups := {"aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"}

_items(v) := v if is_array(v)

else := []

_azure(r, module, name) if regex.match(sprintf("^azure-native:%s(/v[0-9a-z]+)?:%s$", [module, name]), r.type)

# Created resources of an azure-native module and kind (any API version), looked up by type.
_created_azure(module, name) := [r |
	some t, indexes in data.sahab.lib.plan.created_indexes
	_azure({"type": t}, module, name)
	some i in indexes
	r := input.resources[i]
]

# --- AWS: the CIDR lists of an ingress rule ([where, value]) ---------------------------------

_rule_type := "aws:ec2/securityGroupRule:SecurityGroupRule"

_ingress_rule_type := "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"

_aws_source_types := (_aws_groups | {_rule_type}) | {_ingress_rule_type}

# Inline ingress blocks of a security group.
_aws_sources(r) := _group_sources(plan.value_at(r.inputs, ["ingress"])) if {
	r.type in _aws_groups
} else := _rule_sources(r) if {
	r.type == _rule_type
} else := _ingress_rule_sources(r) if {
	r.type == _ingress_rule_type
}

# (`where` is kept as its parts, [key] or ["ingress", index, key], and written out only for a
# finding.)
_group_sources(ingress) := array.concat(
	[[["ingress", i, field], plan.value_at(rule, [field])] |
		some i
		rule := _items(ingress)[i]
		some field in ["cidrBlocks", "ipv6CidrBlocks"]
	],
	[[["ingress"], ingress] | not plan.is_known(ingress)],
)

_rule_sources(r) := [[[field], plan.value_at(r.inputs, [field])] |
	plan.value_at(r.inputs, ["type"]) == "ingress"
	some field in ["cidrBlocks", "ipv6CidrBlocks"]
]

_ingress_rule_sources(r) := [[[field], [plan.value_at(r.inputs, [field])]] |
	some field in ["cidrIpv4", "cidrIpv6"]
]

_source_where(parts) := parts[0] if {
	count(parts) == 1
} else := sprintf("ingress.%d.%s", [parts[1], parts[2]])

# A list of known values, none of them an open CIDR: nothing to report (most sources).
_quiet(cidrs) if {
	is_array(cidrs)
	every cidr in cidrs {
		not cidr in _open_cidrs
		plan.is_known(cidr)
	}
}

# A security group whose inline ingress rules, or an ingress rule whose CIDRs, are all known
# and none of them open: none of its sources has anything to report (most resources).
_quiet_resource(r) if {
	r.type in _aws_groups
	ingress := plan.value_at(r.inputs, ["ingress"])
	is_array(ingress)
	every rule in ingress {
		is_object(rule)
		not rule["$unknown"] == true
		not rule["$secret"] == true
		_plain(object.get(rule, "cidrBlocks", null))
		_plain(object.get(rule, "ipv6CidrBlocks", null))
	}
}

_quiet_resource(r) if {
	r.type == _ingress_rule_type
	inputs := r.inputs
	is_object(inputs)
	not inputs["$unknown"] == true
	not inputs["$secret"] == true
	_plain([object.get(inputs, "cidrIpv4", null)])
	_plain([object.get(inputs, "cidrIpv6", null)])
}

# Absent, or a list of known values (not objects: markers are objects) none of which is open.
_plain(v) if v == null

_plain(v) if {
	is_array(v)
	every cidr in v {
		not is_object(cidr)
		not cidr in _open_cidrs
	}
}

# Each source is read once (_aws_results): an open CIDR in it is a violation, an unknown one
# is deferred.
_aws_results contains [kind, plan.finding(r, message)] if {
	some r in plan.created_of(_aws_source_types)
	not _quiet_resource(r)
	some [parts, cidrs] in _aws_sources(r)
	not _quiet(cidrs)
	some [kind, message] in _source_outcomes(r, _source_where(parts), cidrs)
}

_source_outcomes(r, where, cidrs) := array.concat(
	[["deny", sprintf("%s allows ingress from %s (%s)", [r.name, cidr, where])] |
		some cidr in _items(cidrs)
		cidr in _open_cidrs
	],
	[["deferred", sprintf("%s: the ingress source %s is only known at deploy time", [r.name, where])] | _unknown_in(cidrs)],
)

deny contains f if some ["deny", f] in _aws_results

deferred contains f if some ["deferred", f] in _aws_results

# --- AWS: the ingress an EKS managed node group opens by itself -----------------------------

# EKS opens port 22 (3389 on Windows) on the nodes to 0.0.0.0/0 when remoteAccess names an SSH
# key and no source security groups (pulumi-aws 7.51.1 SDK docs, NodeGroupRemoteAccess: "If you
# specify ec2_ssh_key, but do not specify this configuration when you create an EKS Node Group,
# port 22 on the worker nodes is opened to the Internet (0.0.0.0/0)"). Without an SSH key
# nothing is opened; with source groups, only to them.
_node_group_type := "aws:eks/nodeGroup:NodeGroup"

_node_group_results contains [kind, plan.finding(r, message)] if {
	some r in plan.created_of_type(_node_group_type)
	access := plan.value_at(r.inputs, ["remoteAccess"])
	access != null
	[kind, message] := _remote_access_outcome(r, plan.value_at(access, ["ec2SshKey"]), plan.value_at(access, ["sourceSecurityGroupIds"]))
	kind != "pass"
}

_remote_access_outcome(r, key, groups) := ["pass", ""] if {
	is_array(groups)
	count(groups) > 0
} else := ["pass", ""] if {
	key in {null, ""}
} else := ["deny", sprintf("%s opens SSH (RDP on Windows) on its nodes to 0.0.0.0/0: remoteAccess names an SSH key and no sourceSecurityGroupIds", [r.name])] if {
	plan.is_known(key)
	groups in {null, []}
} else := ["deferred", sprintf("%s: whether remoteAccess opens SSH to the internet is only known at deploy time", [r.name])]

deny contains f if some ["deny", f] in _node_group_results

deferred contains f if some ["deferred", f] in _node_group_results

# --- Azure: database server firewall rules ---------------------------------------------------

# A server-level firewall rule admits the IPv4 range startIpAddress..endIpAddress. One that
# starts at 0.0.0.0 admits the whole internet (to 255.255.255.255) or, as 0.0.0.0..0.0.0.0,
# "all Azure-internal IP addresses" (pulumi-azure-native 3.29.0 SDK docs, sql FirewallRule):
# every service of every Azure tenant (CIS Azure Foundations treats both as ingress from any IP).
_firewall_rule_results contains [kind, plan.finding(r, message)] if {
	some t, indexes in data.sahab.lib.plan.created_indexes
	regex.match(`^azure-native:(sql|dbforpostgresql|dbformysql)(/v[0-9a-z]+)?:FirewallRule$`, t)
	some i in indexes
	r := input.resources[i]
	start := plan.value_at(r.inputs, ["startIpAddress"])
	start != null
	[kind, message] := _firewall_outcome(r, start, plan.value_at(r.inputs, ["endIpAddress"]))
	kind != "pass"
}

_firewall_outcome(r, start, end) := ["deferred", sprintf("%s: the firewall rule's startIpAddress is only known at deploy time", [r.name])] if {
	not plan.is_known(start)
} else := ["pass", ""] if {
	start != "0.0.0.0"
} else := ["deny", sprintf("%s admits every Azure service of every tenant (0.0.0.0 to 0.0.0.0)", [r.name])] if {
	end == "0.0.0.0"
} else := ["deny", sprintf("%s admits the internet (%s to %v)", [r.name, start, end])]

deny contains f if some ["deny", f] in _firewall_rule_results

deferred contains f if some ["deferred", f] in _firewall_rule_results

deferred contains plan.finding(r, sprintf("%s: whether the rule is ingress is only known at deploy time", [r.name])) if {
	some r in plan.created_of_type(_rule_type)
	not plan.is_known(plan.value_at(r.inputs, ["type"]))
	some field in ["cidrBlocks", "ipv6CidrBlocks"]
	_open_or_unknown(plan.value_at(r.inputs, [field]))
}

_unknown_in(v) if not plan.is_known(v)

_unknown_in(v) if {
	some x in _items(v)
	not plan.is_known(x)
}

_open_or_unknown(v) if _unknown_in(v)

_open_or_unknown(v) if {
	some x in _items(v)
	x in _open_cidrs
}

# --- Azure: inbound allow rules ([where, rule]) ----------------------------------------------

_azure_owners(kinds) := [r |
	some [module, name] in kinds
	some r in _created_azure(module, name)
]

_azure_kinds := [["network", "NetworkSecurityGroup"], ["network", "SecurityRule"]]

_azure_rules(r) := array.concat(
	[[sprintf("securityRules.%d", [i]), rule] |
		some i
		rule := _items(plan.value_at(r.inputs, ["securityRules"]))[i]
	],
	[["securityRules", {"$unknown": true}] | not plan.is_known(plan.value_at(r.inputs, ["securityRules"]))],
) if _azure(r, "network", "NetworkSecurityGroup")

_azure_rules(r) := [["", r.inputs]] if _azure(r, "network", "SecurityRule")

_lower(v) := lower(v) if is_string(v)

else := v

# The rule's value for one of its matching fields is this (case-insensitive), or unknown.
_field_is(rule, field, want) := "yes" if {
	_lower(plan.value_at(rule, [field])) == want
} else := "unknown" if {
	not plan.is_known(plan.value_at(rule, [field]))
}

# The rule's sources: "yes" one is the internet, "unknown" one cannot be read before deploy.
_source_open(rule) := "yes" if {
	_lower(plan.value_at(rule, ["sourceAddressPrefix"])) in _open_azure_prefixes
} else := "yes" if {
	some p in _items(plan.value_at(rule, ["sourceAddressPrefixes"]))
	_lower(p) in _open_azure_prefixes
} else := "unknown" if {
	some v in [plan.value_at(rule, ["sourceAddressPrefix"]), plan.value_at(rule, ["sourceAddressPrefixes"])]
	_unknown_in(v)
}

_where(r, where) := r.name if where == ""

else := sprintf("%s %s", [r.name, where])

deny contains plan.finding(r, sprintf("%s allows inbound traffic from %v", [_where(r, where), _sources(rule)])) if {
	some r in _azure_owners(_azure_kinds)
	some [where, rule] in _azure_rules(r)
	_field_is(rule, "direction", "inbound") == "yes"
	_field_is(rule, "access", "allow") == "yes"
	_source_open(rule) == "yes"
}

deferred contains plan.finding(r, sprintf("%s: whether it allows inbound traffic from the internet is only known at deploy time", [_where(r, where)])) if {
	some r in _azure_owners(_azure_kinds)
	some [where, rule] in _azure_rules(r)
	results := [_field_is(rule, "direction", "inbound"), _field_is(rule, "access", "allow"), _source_open(rule)]
	every x in results {
		x in {"yes", "unknown"}
	}
	"unknown" in results
}

_sources(rule) := [p |
	some p in array.concat([plan.value_at(rule, ["sourceAddressPrefix"])], _items(plan.value_at(rule, ["sourceAddressPrefixes"])))
	_lower(p) in _open_azure_prefixes
]
