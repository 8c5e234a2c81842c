package sahab.rules.residency.kms_single_region_test

import data.sahab.rules.residency.kms_single_region as rule
import rego.v1

_r(type_token, name, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": {}, "provider": "urn:pulumi:dev::p::pulumi:providers:aws::uae",
}

test_multi_region_key_is_denied if {
	some f in rule.deny with input as {"resources": [_r("aws:kms/key:Key", "k", {"multiRegion": true, "enableKeyRotation": true})]}
	contains(f.message, "multi-Region")
}

test_multi_region_external_key_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_r("aws:kms/externalKey:ExternalKey", "k", {"multiRegion": true})]}
}

test_single_region_key_passes if {
	keys := [_r("aws:kms/key:Key", "a", {"multiRegion": false}), _r("aws:kms/key:Key", "b", {})]
	count(rule.deny) == 0 with input as {"resources": keys}
	count(rule.deferred) == 0 with input as {"resources": keys}
}

test_unknown_multi_region_is_deferred if {
	k := _r("aws:kms/key:Key", "k", {"multiRegion": {"$unknown": true}})
	count(rule.deferred) == 1 with input as {"resources": [k]}
	count(rule.deny) == 0 with input as {"resources": [k]}
}

test_replica_key_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_r("aws:kms/replicaKey:ReplicaKey", "rk", {"primaryKeyArn": {"$unknown": true}})]}
}

test_replica_external_key_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_r("aws:kms/replicaExternalKey:ReplicaExternalKey", "rk", {"primaryKeyArn": "arn:aws:kms:me-central-1:1:key/mrk-1"})]}
}
