package sahab.rules.identity.workload_identity_test

import data.sahab.rules.identity.workload_identity as rule
import rego.v1

_deployment(containers) := {
	"urn": "urn:pulumi:dev::p::kubernetes:apps/v1:Deployment::trainer", "type": "kubernetes:apps/v1:Deployment",
	"name": "trainer", "custom": true, "mode": "create", "region": "unknown", "regionSource": "none",
	"inputs": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"namespace": "ml"}, "spec": {
		"selector": {"matchLabels": {"app": "trainer"}},
		"template": {"metadata": {"labels": {"app": "trainer"}}, "spec": {"serviceAccountName": "trainer", "containers": containers}},
	}},
	"propertyDependencies": {}, "provider": null,
}

test_literal_aws_key_in_env_is_reported if {
	p := {"resources": [_deployment([{"name": "t", "image": "t:1", "env": [{"name": "AWS_ACCESS_KEY_ID", "value": "AKIA..."}, {"name": "AWS_SECRET_ACCESS_KEY", "value": {"$secret": true}}]}])]}
	count(rule.deny) == 2 with input as p
	some f in rule.deny with input as p
	contains(f.message, "as a literal value")
}

test_key_from_a_secret_is_reported if {
	p := {"resources": [_deployment([{"name": "t", "image": "t:1", "env": [{"name": "AZURE_CLIENT_SECRET", "valueFrom": {"secretKeyRef": {"name": "sp", "key": "secret"}}}]}])]}
	some f in rule.deny with input as p
	contains(f.message, "from a Secret")
}

test_workload_identity_passes if {
	p := {"resources": [_deployment([{"name": "t", "image": "t:1", "env": [{"name": "AWS_REGION", "value": "me-central-1"}, {"name": "AWS_ROLE_ARN", "value": "arn:aws:iam::1:role/t"}]}])]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_unknown_env_is_deferred if {
	p := {"resources": [_deployment([{"name": "t", "image": "t:1", "env": {"$unknown": true}}])]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_unknown_containers_are_deferred if {
	p := {"resources": [_deployment({"$unknown": true})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}
