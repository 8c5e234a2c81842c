# METADATA
# title: In-memory caches are placed in the program's own subnets
# description: >-
#   ElastiCache and MemoryDB have no public endpoint of their own: their nodes only get private
#   addresses in a VPC. What a program can leave out is which VPC: without a subnet group (or,
#   for a serverless cache, subnets) the service places the cache in the account's default VPC,
#   whose subnets are public (routed to an internet gateway, mapping public IPs on launch) and
#   shared with anything else launched there without a network of its own. An AWS elasticache
#   ReplicationGroup and memorydb Cluster need subnetGroupName, an elasticache Cluster needs
#   subnetGroupName unless it joins a replication group (replicationGroupId: placed by the group),
#   and an elasticache ServerlessCache needs subnetIds. A value only known at deploy time that
#   does not come from a subnet group or subnet of the plan is deferred.
# custom:
#   id: SAHAB-NET-011
#   severity: medium
#   enforcement: mandatory
#   remediation: >-
#     Create an aws.elasticache.SubnetGroup (aws.memorydb.SubnetGroup) over the private subnets
#     of the platform VPC and pass its name as subnet_group_name (subnet_ids for a serverless
#     cache), with security_group_ids that admit only the clients.
#   deferred_on: >-
#     A cache's subnetGroupName, subnetIds or replicationGroupId, when computed at deploy time from
#     a resource outside the plan.
#   covers:
#     - aws:elasticache/replicationGroup:ReplicationGroup
#     - aws:elasticache/cluster:Cluster
#     - aws:elasticache/serverlessCache:ServerlessCache
#     - aws:memorydb/cluster:Cluster
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T4.5.3: Segregation in Networks"
#     - "ISO/IEC 27001:2022 A.8.22: Segregation of networks"
package sahab.rules.network.caches_in_own_subnets

import data.sahab.lib.aws
import data.sahab.lib.plan
import rego.v1

# Where each cache names its network. Left out: the default VPC (pulumi-aws 7.51.1 SDK docs,
# memorydb Cluster subnet_group_name: "Defaults to a subnet group consisting of default VPC
# subnets"; ElastiCache uses the default VPC's "default" cache subnet group, and a serverless
# cache the default VPC's subnets).
_placement := {
	"aws:elasticache/replicationGroup:ReplicationGroup": "subnetGroupName",
	"aws:elasticache/cluster:Cluster": "subnetGroupName",
	"aws:elasticache/serverlessCache:ServerlessCache": "subnetIds",
	"aws:memorydb/cluster:Cluster": "subnetGroupName",
}

# What an unknown placement can come from.
_network_types := {
	"aws:elasticache/subnetGroup:SubnetGroup",
	"aws:memorydb/subnetGroup:SubnetGroup",
	"aws:ec2/subnet:Subnet",
}

_cluster_type := "aws:elasticache/cluster:Cluster"

# Each placement is read once (_results).
_results contains [kind, plan.finding(r, message)] if {
	some t, indexes in data.sahab.lib.plan.created_indexes
	key := _placement[t]
	some i in indexes
	r := input.resources[i]
	not _in_group(r)
	state := _state(r, key, plan.value_at(r.inputs, [key]))
	state != "set"
	[kind, message] := _outcome(r, key, state)
}

# An elasticache Cluster that joins a replication group is placed by the group (it cannot
# name a subnet group of its own).
_in_group(r) if {
	r.type == _cluster_type
	plan.value_at(r.inputs, ["replicationGroupId"]) != null
	plan.is_known(plan.value_at(r.inputs, ["replicationGroupId"]))
}

_in_group(r) if {
	r.type == _cluster_type
	aws.depends_on_type(r, "replicationGroupId", {"aws:elasticache/replicationGroup:ReplicationGroup"})
}

# "set": a literal name or a non-empty list; "none": left out or empty; "set" again for an
# unknown value that came from a subnet group or subnet of the plan; otherwise "unknown". An
# elasticache Cluster whose replicationGroupId is unknown and not from the plan is "unknown".
_state(r, key, value) := "set" if {
	aws.non_empty(value)
} else := "set" if {
	is_array(value)
	count(value) > 0
} else := "unknown" if {
	r.type == _cluster_type
	not plan.is_known(plan.value_at(r.inputs, ["replicationGroupId"]))
} else := "none" if {
	plan.is_known(value)
} else := "set" if {
	aws.depends_on_type(r, key, _network_types)
} else := "unknown"

_outcome(r, key, "none") := ["deny", sprintf("%s is placed in the default VPC (%s is not set)", [r.name, key])]

_outcome(r, key, "unknown") := ["deferred", sprintf("%s: %s is only known at deploy time", [r.name, key])]

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results
