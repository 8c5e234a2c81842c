package sahab.rules.workload.run_as_non_root_test

import data.sahab.rules.workload.run_as_non_root as rule
import rego.v1

_deployment(pod_security, containers) := {
	"urn": "urn:pulumi:dev::p::kubernetes:apps/v1:Deployment::web", "type": "kubernetes:apps/v1:Deployment",
	"name": "web", "custom": true, "mode": "create", "region": "unknown", "regionSource": "none",
	"inputs": {"spec": {"selector": {}, "template": {"spec": {"securityContext": pod_security, "containers": containers}}}},
	"propertyDependencies": {}, "provider": null,
}

_container(security) := {"name": "web", "image": "web:1", "securityContext": security}

test_nothing_set_is_denied if {
	p := {"resources": [_deployment({}, [{"name": "web", "image": "web:1"}])]}
	some f in rule.deny with input as p
	contains(f.message, "may run as root")
	count(rule.deny) == 1 with input as p
}

test_run_as_user_zero_is_denied_even_with_run_as_non_root if {
	p := {"resources": [_deployment({"runAsNonRoot": true}, [_container({"runAsUser": 0})])]}
	some f in rule.deny with input as p
	contains(f.message, "runs as root (runAsUser 0)")
}

test_container_overrides_the_pod if {
	p := {"resources": [_deployment({"runAsNonRoot": true}, [_container({"runAsNonRoot": false})])]}
	count(rule.deny) == 1 with input as p
}

test_init_containers_are_checked if {
	spec := {"securityContext": {}, "containers": [_container({"runAsNonRoot": true})], "initContainers": [{"name": "init", "image": "i:1"}]}
	r := object.union(_deployment({}, []), {"inputs": {"spec": {"selector": {}, "template": {"spec": spec}}}})
	some f in rule.deny with input as {"resources": [r]}
	contains(f.message, "initContainers.0")
}

test_pod_level_non_root_passes if {
	p := {"resources": [_deployment({"runAsNonRoot": true, "runAsUser": 10001}, [{"name": "web", "image": "web:1"}])]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_container_level_non_zero_user_passes if {
	p := {"resources": [_deployment({}, [_container({"runAsUser": 1000})])]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_unknown_run_as_user_is_deferred if {
	p := {"resources": [_deployment({"runAsNonRoot": true}, [_container({"runAsUser": {"$unknown": true}})])]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_unknown_pod_security_context_is_deferred if {
	p := {"resources": [_deployment({"$unknown": true}, [{"name": "web", "image": "web:1"}])]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_unknown_pod_spec_is_deferred if {
	r := object.union(_deployment({}, []), {"inputs": {"spec": {"selector": {}, "template": {"$unknown": true}}}})
	count(rule.deny) == 0 with input as {"resources": [r]}
	count(rule.deferred) == 1 with input as {"resources": [r]}
}
