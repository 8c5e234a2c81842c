package sahab.rules.identity.no_console_passwords_test

import data.sahab.rules.identity.no_console_passwords as rule
import rego.v1

_res(type_token, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::x", [type_token]), "type": type_token, "name": "x",
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider",
	"inputs": inputs, "propertyDependencies": {}, "provider": null,
}

test_login_profile_is_reported if {
	p := {"resources": [_res("aws:iam/userLoginProfile:UserLoginProfile", {"user": "alice", "pgpKey": "keybase:alice"})]}
	count(rule.deny) == 1 with input as p
}

test_user_without_login_profile_passes if {
	p := {"resources": [_res("aws:iam/user:User", {"name": "alice"})]}
	count(rule.deny) == 0 with input as p
}
