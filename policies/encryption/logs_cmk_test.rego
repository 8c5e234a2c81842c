package sahab.rules.encryption.logs_cmk_test

import data.sahab.rules.encryption.logs_cmk as rule
import rego.v1

_r(type_token, name, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": deps, "provider": "urn:pulumi:dev::p::pulumi:providers:aws::uae",
}

_unknown := {"$unknown": true}

test_log_group_with_key_of_the_plan_passes if {
	key := _r("aws:kms/key:Key", "logs", {"enableKeyRotation": true}, {})
	lg := _r("aws:cloudwatch/logGroup:LogGroup", "lg", {"retentionInDays": 365, "kmsKeyId": _unknown}, {"kmsKeyId": [key.urn]})
	count(rule.deny) == 0 with input as {"resources": [key, lg]}
	count(rule.deferred) == 0 with input as {"resources": [key, lg]}
}

test_log_group_with_alias_of_the_plan_passes if {
	alias := _r("aws:kms/alias:Alias", "logs", {"name": "alias/logs"}, {})
	lg := _r("aws:cloudwatch/logGroup:LogGroup", "lg", {"kmsKeyId": _unknown}, {"kmsKeyId": [alias.urn]})
	count(rule.deny) == 0 with input as {"resources": [alias, lg]}
	count(rule.deferred) == 0 with input as {"resources": [alias, lg]}
}

test_log_group_with_literal_key_passes if {
	lg := _r("aws:cloudwatch/logGroup:LogGroup", "lg", {"kmsKeyId": "arn:aws:kms:me-central-1:1:key/x"}, {})
	count(rule.deny) == 0 with input as {"resources": [lg]}
}

test_log_group_without_key_is_denied if {
	lg := _r("aws:cloudwatch/logGroup:LogGroup", "lg", {"retentionInDays": 30}, {})
	some f in rule.deny with input as {"resources": [lg]}
	contains(f.message, "no kmsKeyId")
}

test_log_group_with_unknown_key_from_elsewhere_is_deferred if {
	role := _r("aws:iam/role:Role", "r", {}, {})
	lg := _r("aws:cloudwatch/logGroup:LogGroup", "lg", {"kmsKeyId": _unknown}, {"kmsKeyId": [role.urn]})
	count(rule.deferred) == 1 with input as {"resources": [role, lg]}
	count(rule.deny) == 0 with input as {"resources": [role, lg]}
}
