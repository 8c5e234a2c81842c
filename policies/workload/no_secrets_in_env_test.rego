package sahab.rules.workload.no_secrets_in_env_test

import data.sahab.rules.workload.no_secrets_in_env as rule
import rego.v1

_deployment(containers) := {
	"urn": "urn:pulumi:dev::p::kubernetes:apps/v1:Deployment::api", "type": "kubernetes:apps/v1:Deployment",
	"name": "api", "custom": true, "mode": "create", "region": "unknown", "regionSource": "none",
	"inputs": {"spec": {"selector": {}, "template": {"spec": {"containers": containers}}}},
	"propertyDependencies": {}, "provider": null,
}

test_secret_key_ref_in_env_is_denied if {
	env := [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]
	p := {"resources": [_deployment([{"name": "api", "image": "api:1", "env": env}])]}
	some f in rule.deny with input as p
	contains(f.message, "takes env var DB_PASSWORD from Secret db")
	count(rule.deny) == 1 with input as p
}

test_secret_value_in_env_is_denied if {
	env := [{"name": "TOKEN", "value": {"$secret": true}}]
	p := {"resources": [_deployment([{"name": "api", "image": "api:1", "env": env}])]}
	some f in rule.deny with input as p
	contains(f.message, "sets env var TOKEN to a secret value")
	count(rule.deferred) == 0 with input as p
}

test_env_from_a_secret_is_denied if {
	p := {"resources": [_deployment([{"name": "api", "image": "api:1", "envFrom": [{"configMapRef": {"name": "cfg"}}, {"secretRef": {"name": "creds"}}]}])]}
	some f in rule.deny with input as p
	contains(f.message, "loads Secret creds into its environment (envFrom.1")
}

test_plain_values_config_maps_and_field_refs_pass if {
	env := [
		{"name": "LOG_LEVEL", "value": "info"},
		{"name": "FEATURE", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "feature"}}},
		{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
		{"name": "ENDPOINT", "value": {"$unknown": true}},
	]
	p := {"resources": [_deployment([{"name": "api", "image": "api:1", "env": env, "envFrom": [{"configMapRef": {"name": "cfg"}}]}])]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_unknown_env_is_deferred if {
	p := {"resources": [_deployment([{"name": "api", "image": "api:1", "env": {"$unknown": true}}])]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_unknown_value_from_is_deferred if {
	p := {"resources": [_deployment([{"name": "api", "image": "api:1", "env": [{"name": "X", "valueFrom": {"$unknown": true}}]}])]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_unknown_containers_are_deferred if {
	p := {"resources": [_deployment({"$unknown": true})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}
