package sahab.rules.encryption.secrets_cmk_test

import data.sahab.rules.encryption.secrets_cmk as rule
import rego.v1

_r(type_token, name, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": deps, "provider": "urn:pulumi:dev::p::pulumi:providers:aws::uae",
}

_unknown := {"$unknown": true}

_secret := "aws:secretsmanager/secret:Secret"

test_secret_with_key_of_the_plan_passes if {
	key := _r("aws:kms/key:Key", "secrets", {"enableKeyRotation": true}, {})
	s := _r(_secret, "db-password", {"name": "app/db", "kmsKeyId": _unknown}, {"kmsKeyId": [key.urn]})
	count(rule.deny) == 0 with input as {"resources": [key, s]}
	count(rule.deferred) == 0 with input as {"resources": [key, s]}
}

test_secret_with_literal_customer_key_passes if {
	s := _r(_secret, "db-password", {"kmsKeyId": "arn:aws:kms:me-central-1:111122223333:key/1234"}, {})
	count(rule.deny) == 0 with input as {"resources": [s]}
	count(rule.deferred) == 0 with input as {"resources": [s]}
}

test_secret_without_key_is_denied if {
	s := _r(_secret, "db-password", {"name": "app/db"}, {})
	some f in rule.deny with input as {"resources": [s]}
	f.message == "db-password is encrypted with no kmsKeyId (the AWS managed aws/secretsmanager key), not a customer managed key in the UAE"
}

test_secret_with_aws_managed_key_is_denied if {
	s := _r(_secret, "db-password", {"kmsKeyId": "alias/aws/secretsmanager"}, {})
	some f in rule.deny with input as {"resources": [s]}
	contains(f.message, "an AWS managed key")
}

test_secret_with_unknown_key_from_elsewhere_is_deferred if {
	role := _r("aws:iam/role:Role", "r", {}, {})
	s := _r(_secret, "db-password", {"kmsKeyId": _unknown}, {"kmsKeyId": [role.urn]})
	count(rule.deferred) == 1 with input as {"resources": [role, s]}
	count(rule.deny) == 0 with input as {"resources": [role, s]}
}

test_secret_looked_up_is_not_judged if {
	s := object.union(_r(_secret, "existing", {}, {}), {"mode": "read"})
	count(rule.deny) == 0 with input as {"resources": [s]}
}
