package sahab.rules.workload.no_privilege_escalation_test

import data.sahab.rules.workload.no_privilege_escalation as rule
import rego.v1

_deployment(containers) := {
	"urn": "urn:pulumi:dev::p::kubernetes:apps/v1:Deployment::web", "type": "kubernetes:apps/v1:Deployment",
	"name": "web", "custom": true, "mode": "create", "region": "unknown", "regionSource": "none",
	"inputs": {"spec": {"selector": {}, "template": {"spec": {"containers": containers}}}},
	"propertyDependencies": {}, "provider": null,
}

test_escalation_allowed_is_reported if {
	p := {"resources": [_deployment([{"name": "web", "image": "web:1", "securityContext": {"allowPrivilegeEscalation": true}}])]}
	count(rule.deny) == 1 with input as p
}

test_escalation_left_to_the_default_is_reported if {
	p := {"resources": [_deployment([{"name": "web", "image": "web:1"}])]}
	some f in rule.deny with input as p
	contains(f.message, "containers.0")
}

test_escalation_off_passes if {
	p := {"resources": [_deployment([{"name": "web", "image": "web:1", "securityContext": {"allowPrivilegeEscalation": false}}])]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_unknown_security_context_is_deferred if {
	p := {"resources": [_deployment([{"name": "web", "image": "web:1", "securityContext": {"$unknown": true}}])]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_unknown_containers_are_deferred if {
	p := {"resources": [_deployment({"$unknown": true})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_several_unknown_container_lists_are_each_deferred if {
	r := object.remove(_deployment([]), ["inputs"])
	w := object.union(r, {"inputs": {"spec": {"template": {"spec": {"containers": {"$unknown": true}, "initContainers": {"$unknown": true}}}}}})
	p := {"resources": [w]}
	count(rule.deferred) == 2 with input as p
}
