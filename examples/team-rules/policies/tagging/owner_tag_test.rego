package acme.rules.tagging.owner_tag_test

import data.acme.rules.tagging.owner_tag
import rego.v1

_key(name, tags) := {
	"urn": sprintf("urn:pulumi:dev::p::aws:kms/key:Key::%s", [name]),
	"type": "aws:kms/key:Key", "name": name, "custom": true, "mode": "create",
	"inputs": {"tags": tags},
}

test_key_without_owner_is_denied if {
	findings := owner_tag.deny with input as {"resources": [_key("scratch", {"purpose": "scratch"})]}
	{f.message | some f in findings} == {"scratch (aws:kms/key:Key) has no `owner` tag"}
}

test_untagged_key_is_denied if {
	count(owner_tag.deny) == 1 with input as {"resources": [_key("bare", null)]}
}

test_owner_tag_passes if {
	count(owner_tag.deny) == 0 with input as {"resources": [_key("data", {"owner": "ml@acme.ae"})]}
}

test_unknown_tags_are_deferred_not_passed if {
	resources := [_key("later", {"$unknown": true})]
	count(owner_tag.deny) == 0 with input as {"resources": resources}
	count(owner_tag.deferred) == 1 with input as {"resources": resources}
}

test_provider_and_non_aws_resources_are_not_subjects if {
	provider := {"urn": "urn:pulumi:dev::p::pulumi:providers:aws::uae", "type": "pulumi:providers:aws",
		"name": "uae", "custom": true, "mode": "create", "inputs": {"region": "me-central-1"}}
	other := object.union(_key("x", {}), {"type": "random:index/randomId:RandomId"})
	count(owner_tag.deny) == 0 with input as {"resources": [provider, other]}
}
