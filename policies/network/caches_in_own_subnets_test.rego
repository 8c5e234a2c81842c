package sahab.rules.network.caches_in_own_subnets_test

import data.sahab.rules.network.caches_in_own_subnets as rule
import rego.v1

_res(type_token, name, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider",
	"inputs": inputs, "propertyDependencies": deps, "provider": null,
}

_group := "aws:elasticache/replicationGroup:ReplicationGroup"

_cluster := "aws:elasticache/cluster:Cluster"

_serverless := "aws:elasticache/serverlessCache:ServerlessCache"

_memorydb := "aws:memorydb/cluster:Cluster"

test_caches_left_in_the_default_vpc_are_denied if {
	every c in [
		[_group, {"description": "features", "nodeType": "cache.r7g.large"}, "subnetGroupName"],
		[_cluster, {"engine": "memcached", "nodeType": "cache.t4g.micro"}, "subnetGroupName"],
		[_serverless, {"engine": "valkey", "subnetIds": []}, "subnetIds"],
		[_memorydb, {"nodeType": "db.r7g.large", "subnetGroupName": ""}, "subnetGroupName"],
	] {
		p := {"resources": [_res(c[0], "cache", c[1], {})]}
		some f in rule.deny with input as p
		contains(f.message, c[2])
		count(rule.deferred) == 0 with input as p
	}
}

test_caches_in_their_own_subnets_pass if {
	subnet_group := _res("aws:elasticache/subnetGroup:SubnetGroup", "private", {"subnetIds": ["subnet-1"]}, {})
	group := _res(_group, "features", {"subnetGroupName": {"$unknown": true}}, {"subnetGroupName": [subnet_group.urn]})
	member := _res(_cluster, "replica", {"replicationGroupId": {"$unknown": true}}, {"replicationGroupId": [group.urn]})
	every r in [
		group,
		member,
		_res(_group, "literal", {"subnetGroupName": "ml-prod-cache"}, {}),
		_res(_cluster, "joined", {"replicationGroupId": "features"}, {}),
		_res(_serverless, "sessions", {"subnetIds": [{"$unknown": true}]}, {}),
		_res(_memorydb, "vectors", {"subnetGroupName": "ml-prod-memorydb"}, {}),
	] {
		p := {"resources": [subnet_group, group, r]}
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_placements_from_outside_the_plan_are_deferred if {
	every r in [
		_res(_group, "features", {"subnetGroupName": {"$unknown": true}}, {}),
		_res(_cluster, "cache", {"replicationGroupId": {"$unknown": true}}, {}),
		_res(_serverless, "sessions", {"subnetIds": {"$unknown": true}}, {}),
	] {
		p := {"resources": [r]}
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 1 with input as p
	}
}
