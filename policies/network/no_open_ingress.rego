# METADATA
# title: No ingress from the whole internet
# description: >-
#   Security groups and network security groups must not allow inbound traffic from any address
#   (0.0.0.0/0, ::/0, or Azure's "*", "Internet", "Any"). Checks AWS ec2 SecurityGroup and
#   DefaultSecurityGroup inline ingress (cidrBlocks, ipv6CidrBlocks), ec2 SecurityGroupRule of
#   type ingress, vpc SecurityGroupIngressRule (cidrIpv4, cidrIpv6), and azure-native network
#   NetworkSecurityGroup securityRules and SecurityRule that allow Inbound traffic. A source that
#   is unknown before deploy is deferred.
# custom:
#   id: SAHAB-NET-001
#   severity: critical
#   enforcement: mandatory
#   remediation: >-
#     Allow ingress only from the CIDRs or security groups that need it (the VPC/VNet range, a
#     load balancer's security group, a corporate range); reach workloads through private
#     endpoints, a VPN or an internal load balancer instead of opening them to the internet.
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: technical measures to protect personal data"
#     - "UAE IA (NESA) T4 communications: network security management and perimeter protection"
#     - "ISO/IEC 27001:2022 A.8.20: networks security"
#     - "ISO/IEC 27001:2022 A.8.22: segregation of networks"
package sahab.rules.network.no_open_ingress

import data.sahab.lib.plan
import rego.v1

_open_cidrs := {"0.0.0.0/0", "::/0"}

_open_azure_prefixes := {"*", "0.0.0.0/0", "0.0.0.0", "::/0", "internet", "any"}

_aws_groups := {"aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"}

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

# --- AWS: the CIDR lists of an ingress rule ([where, value]) ---------------------------------

# Inline ingress blocks of a security group.
_aws_sources contains [r, sprintf("ingress.%d.%s", [i, field]), _at(rule, [field])] if {
	some r in _created
	r.type in _aws_groups
	some i
	rule := _items(_at(r.inputs, ["ingress"]))[i]
	some field in ["cidrBlocks", "ipv6CidrBlocks"]
}

_aws_sources contains [r, "ingress", _at(r.inputs, ["ingress"])] if {
	some r in _created
	r.type in _aws_groups
	not plan.is_known(_at(r.inputs, ["ingress"]))
}

_aws_sources contains [r, field, _at(r.inputs, [field])] if {
	some r in _created
	r.type == "aws:ec2/securityGroupRule:SecurityGroupRule"
	_at(r.inputs, ["type"]) == "ingress"
	some field in ["cidrBlocks", "ipv6CidrBlocks"]
}

_aws_sources contains [r, field, [_at(r.inputs, [field])]] if {
	some r in _created
	r.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	some field in ["cidrIpv4", "cidrIpv6"]
}

deny contains plan.finding(r, sprintf("%s allows ingress from %s (%s)", [r.name, cidr, where])) if {
	some [r, where, cidrs] in _aws_sources
	some cidr in _items(cidrs)
	cidr in _open_cidrs
}

deferred contains plan.finding(r, sprintf("%s: the ingress source %s is only known at deploy time", [r.name, where])) if {
	some [r, where, cidrs] in _aws_sources
	_unknown_in(cidrs)
}

deferred contains plan.finding(r, sprintf("%s: whether the rule is ingress is only known at deploy time", [r.name])) if {
	some r in _created
	r.type == "aws:ec2/securityGroupRule:SecurityGroupRule"
	not plan.is_known(_at(r.inputs, ["type"]))
	some field in ["cidrBlocks", "ipv6CidrBlocks"]
	_open_or_unknown(_at(r.inputs, [field]))
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

_azure_rules contains [r, sprintf("securityRules.%d", [i]), rule] if {
	some r in _created
	_azure(r, "network", "NetworkSecurityGroup")
	some i
	rule := _items(_at(r.inputs, ["securityRules"]))[i]
}

_azure_rules contains [r, "securityRules", {"$unknown": true}] if {
	some r in _created
	_azure(r, "network", "NetworkSecurityGroup")
	not plan.is_known(_at(r.inputs, ["securityRules"]))
}

_azure_rules contains [r, "", r.inputs] if {
	some r in _created
	_azure(r, "network", "SecurityRule")
}

_lower(v) := lower(v) if is_string(v)

else := v

# The rule's value for one of its matching fields is this (case-insensitive), or unknown.
_field_is(rule, field, want) := "yes" if {
	_lower(_at(rule, [field])) == want
} else := "unknown" if {
	not plan.is_known(_at(rule, [field]))
}

# The rule's sources: "yes" one is the internet, "unknown" one cannot be read before deploy.
_source_open(rule) := "yes" if {
	_lower(_at(rule, ["sourceAddressPrefix"])) in _open_azure_prefixes
} else := "yes" if {
	some p in _items(_at(rule, ["sourceAddressPrefixes"]))
	_lower(p) in _open_azure_prefixes
} else := "unknown" if {
	some v in [_at(rule, ["sourceAddressPrefix"]), _at(rule, ["sourceAddressPrefixes"])]
	_unknown_in(v)
}

_where(r, where) := r.name if where == ""

else := sprintf("%s %s", [r.name, where])

deny contains plan.finding(r, sprintf("%s allows inbound traffic from %v", [_where(r, where), _sources(rule)])) if {
	some [r, where, rule] in _azure_rules
	_field_is(rule, "direction", "inbound") == "yes"
	_field_is(rule, "access", "allow") == "yes"
	_source_open(rule) == "yes"
}

deferred contains plan.finding(r, sprintf("%s: whether it allows inbound traffic from the internet is only known at deploy time", [_where(r, where)])) if {
	some [r, where, rule] in _azure_rules
	results := [_field_is(rule, "direction", "inbound"), _field_is(rule, "access", "allow"), _source_open(rule)]
	every x in results {
		x in {"yes", "unknown"}
	}
	"unknown" in results
}

_sources(rule) := [p |
	some p in array.concat([_at(rule, ["sourceAddressPrefix"])], _items(_at(rule, ["sourceAddressPrefixes"])))
	_lower(p) in _open_azure_prefixes
]
