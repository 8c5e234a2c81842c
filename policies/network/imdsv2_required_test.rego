package sahab.rules.network.imdsv2_required_test

import data.sahab.rules.network.imdsv2_required as rule
import rego.v1

_res(type_token, name, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider",
	"inputs": inputs, "propertyDependencies": deps, "provider": null,
}

_instance(inputs) := _res("aws:ec2/instance:Instance", "vm", object.union({"ami": "ami-1", "instanceType": "t3.micro"}, inputs), {})

_template(inputs) := _res("aws:ec2/launchTemplate:LaunchTemplate", "lt", inputs, {})

test_instance_without_metadata_options_is_denied if {
	p := {"resources": [_instance({})]}
	count(rule.deny) == 1 with input as p
}

test_instance_with_optional_tokens_is_denied if {
	p := {"resources": [_instance({"metadataOptions": {"httpTokens": "optional"}})]}
	some f in rule.deny with input as p
	contains(f.message, "optional")
}

test_instance_requiring_tokens_passes if {
	p := {"resources": [_instance({"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1}})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_instance_with_metadata_disabled_passes if {
	p := {"resources": [_instance({"metadataOptions": {"httpEndpoint": "disabled"}})]}
	count(rule.deny) == 0 with input as p
}

test_launch_template_without_tokens_is_denied if {
	p := {"resources": [_template({"metadataOptions": {"httpEndpoint": "enabled"}})]}
	count(rule.deny) == 1 with input as p
}

test_launch_template_requiring_tokens_passes if {
	p := {"resources": [_template({"metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required"}})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_unknown_tokens_are_deferred if {
	p := {"resources": [_template({"metadataOptions": {"httpTokens": {"$unknown": true}}})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_instance_from_a_template_in_the_plan_is_judged_by_the_template if {
	template := _template({"metadataOptions": {"httpTokens": "optional"}})
	vm := _res("aws:ec2/instance:Instance", "vm", {"launchTemplate": {"id": {"$unknown": true}}}, {"launchTemplate": [template.urn]})
	p := {"resources": [template, vm]}
	count(rule.deny) == 1 with input as p
	some f in rule.deny with input as p
	f.urn == template.urn
}

test_instance_from_a_template_outside_the_plan_is_deferred if {
	p := {"resources": [_instance({"launchTemplate": {"name": "shared-template"}})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}
