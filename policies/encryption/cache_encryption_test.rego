package sahab.rules.encryption.cache_encryption_test

import data.sahab.rules.encryption.cache_encryption as rule
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

_cmk := "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000008"

_secure := {
	"engine": "valkey", "atRestEncryptionEnabled": true, "kmsKeyId": _cmk,
	"transitEncryptionEnabled": true, "transitEncryptionMode": "required",
}

_only(inputs) := {"resources": [_res(_group, "features", inputs, {})]}

test_unencrypted_caches_are_denied if {
	every c in [
		[object.union(_secure, {"atRestEncryptionEnabled": false}), "not encrypted at rest"],
		[object.remove(object.union(_secure, {"engine": "redis"}), ["atRestEncryptionEnabled"]), "not encrypted at rest"],
		[object.remove(_secure, ["engine", "atRestEncryptionEnabled"]), "engine redis (the default)"],
		[object.remove(_secure, ["kmsKeyId"]), "the service's default key"],
		[object.union(_secure, {"kmsKeyId": "alias/aws/elasticache"}), "an AWS managed key"],
		[object.remove(_secure, ["transitEncryptionEnabled"]), "transitEncryptionEnabled is null"],
		[object.union(_secure, {"transitEncryptionEnabled": false}), "transitEncryptionEnabled is false"],
		[object.union(_secure, {"transitEncryptionMode": "preferred"}), "transitEncryptionMode is preferred"],
	] {
		some f in rule.deny with input as _only(c[0])
		contains(f.message, c[1])
	}
}

test_standalone_clusters_and_plain_memorydb_are_denied if {
	every c in [
		[_res(_cluster, "sessions", {"engine": "memcached", "transitEncryptionEnabled": true}, {}), "standalone cache cluster"],
		[_res(_serverless, "sessions", {"engine": "valkey", "subnetIds": ["subnet-1"]}, {}), "not a customer managed key"],
		[_res(_memorydb, "vectors", {"kmsKeyArn": _cmk, "tlsEnabled": false}, {}), "tlsEnabled is false"],
		[_res(_memorydb, "vectors", {"tlsEnabled": true}, {}), "not a customer managed key"],
	] {
		some f in rule.deny with input as {"resources": [c[0]]}
		contains(f.message, c[1])
	}
}

test_encrypted_caches_pass if {
	key := _res("aws:kms/key:Key", "caches", {"enableKeyRotation": true}, {})
	group := _res(_group, "features", object.union(_secure, {"kmsKeyId": {"$unknown": true}}), {"kmsKeyId": [key.urn]})
	every r in [
		group,
		_res(_group, "defaults", object.remove(_secure, ["atRestEncryptionEnabled", "transitEncryptionMode"]), {}),
		_res(_cluster, "replica", {"replicationGroupId": {"$unknown": true}}, {"replicationGroupId": [group.urn]}),
		_res(_cluster, "joined", {"replicationGroupId": "features"}, {}),
		_res(_serverless, "sessions", {"engine": "valkey", "kmsKeyId": _cmk}, {}),
		_res(_memorydb, "vectors", {"kmsKeyArn": _cmk}, {}),
	] {
		p := {"resources": [key, group, r]}
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_deploy_time_values_from_outside_the_plan_are_deferred if {
	every r in [
		_res(_group, "features", object.union(_secure, {"kmsKeyId": {"$unknown": true}}), {}),
		_res(_group, "engine", object.remove(object.union(_secure, {"engine": {"$unknown": true}}), ["atRestEncryptionEnabled"]), {}),
		_res(_group, "transit", object.union(_secure, {"transitEncryptionEnabled": {"$unknown": true}}), {}),
		_res(_group, "secondary", {"globalReplicationGroupId": "ldgnf-features"}, {}),
		_res(_cluster, "replica", {"replicationGroupId": {"$unknown": true}}, {}),
		_res(_memorydb, "vectors", {"kmsKeyArn": _cmk, "tlsEnabled": {"$unknown": true}}, {}),
	] {
		p := {"resources": [r]}
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 1 with input as p
	}
}
