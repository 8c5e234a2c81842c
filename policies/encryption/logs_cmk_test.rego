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

# --- key ARNs built from deploy-time outputs (partial values, docs/plan-format.md) ------------

_account := {"$unknown": true, "of": {"urn": "urn:pulumi:dev::p::aws:index/getCallerIdentity::me", "output": "accountId"}}

_key_arn(region, id) := {"$unknown": true, "$partial": [sprintf("arn:aws:kms:%s:", [region]), _account, ":key/", id]}

_judge_key(key_id) := {"deny": d, "deferred": e} if {
	lg := _r("aws:cloudwatch/logGroup:LogGroup", "lg", {"kmsKeyId": key_id}, {})
	d := [f.message | some f in rule.deny] with input as {"resources": [lg]}
	e := count(rule.deferred) with input as {"resources": [lg]}
}

test_key_outside_the_uae_is_denied_even_when_not_in_the_program if {
	_judge_key(_key_arn("eu-west-1", _unknown)) == {"deny": ["lg is encrypted with a KMS key outside the UAE (its ARN names another Region), not a customer managed key in the UAE"], "deferred": 0}
	_judge_key("arn:aws:kms:eu-west-1:111122223333:key/abc") == {"deny": ["lg is encrypted with a KMS key outside the UAE (its ARN names another Region), not a customer managed key in the UAE"], "deferred": 0}
}

test_partial_key_arn_in_the_uae_with_a_known_key_part_passes if {
	_judge_key({"$unknown": true, "$partial": ["arn:aws:kms:me-central-1:111122223333:key/", _unknown]}) == {"deny": [], "deferred": 0}
}

test_partial_aws_managed_alias_is_denied if {
	_judge_key({"$unknown": true, "$partial": ["arn:aws:kms:me-central-1:", _account, ":alias/aws/logs"]}) == {"deny": ["lg is encrypted with an AWS managed key, not a customer managed key in the UAE"], "deferred": 0}
}

test_partial_key_arn_whose_unknown_part_decides_is_deferred if {
	# In the UAE, but the unknown account comes before the resource part: taken as any text,
	# it does not rule out an AWS managed alias (…:alias/aws/logs), so the key waits for deploy.
	_judge_key(_key_arn("me-central-1", _unknown)) == {"deny": [], "deferred": 1}
}
