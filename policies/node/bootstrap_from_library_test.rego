package sahab.rules.node.bootstrap_from_library_test

import data.sahab.lib.node_bootstrap
import data.sahab.rules.node.bootstrap_from_library as rule
import rego.v1

_res(type_token, name, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider",
	"inputs": inputs, "propertyDependencies": deps, "provider": null,
}

_template(inputs) := _res("aws:ec2/launchTemplate:LaunchTemplate", "lt", inputs, {})

_group(template) := _res("aws:eks/nodeGroup:NodeGroup", "ng", {"launchTemplate": {"id": {"$unknown": true}, "version": {"$unknown": true}}}, {"launchTemplate": [template.urn]})

_plan(template_inputs) := {"resources": [t, _group(t)]} if t := _template(template_inputs)

test_every_library_render_passes if {
	count(node_bootstrap.renders) == 4
	every text in node_bootstrap.renders {
		p := _plan({"userData": base64.encode(text)})
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_an_edited_render_is_denied if {
	edited := replace(node_bootstrap.renders["cpu-key-only"], "PasswordAuthentication no", "PasswordAuthentication yes")
	p := _plan({"userData": base64.encode(edited)})
	some f in rule.deny with input as p
	contains(f.message, "is not sahab's node bootstrap")
	f.type == "aws:eks/nodeGroup:NodeGroup"
}

test_user_data_not_in_base64_is_denied_not_an_error if {
	p := _plan({"userData": "#!/bin/bash\necho hi"})
	count(rule.deny) == 1 with input as p
}

test_missing_user_data_is_denied if {
	p := _plan({"description": "no user data"})
	some f in rule.deny with input as p
	contains(f.message, "has no user data")
}

test_node_group_without_launch_template_is_denied if {
	p := {"resources": [_res("aws:eks/nodeGroup:NodeGroup", "ng", {"clusterName": "c"}, {})]}
	some f in rule.deny with input as p
	contains(f.message, "has no launch template")
}

test_unknown_user_data_is_deferred if {
	p := _plan({"userData": {"$unknown": true}})
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_secret_user_data_is_deferred if {
	p := _plan({"userData": {"$secret": true}})
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_launch_template_outside_the_plan_is_deferred if {
	p := {"resources": [_res("aws:eks/nodeGroup:NodeGroup", "ng", {"launchTemplate": {"id": "lt-0shared", "version": "3"}}, {})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_a_launch_template_without_node_group_is_not_judged if {
	p := {"resources": [_template({})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}
