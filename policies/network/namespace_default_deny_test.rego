package sahab.rules.network.namespace_default_deny_test

import data.sahab.rules.network.namespace_default_deny as rule
import rego.v1

_urn(type_token, name) := sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name])

_res(type_token, name, inputs, deps) := {
	"urn": _urn(type_token, name), "type": type_token, "name": name, "custom": true, "mode": "create",
	"region": "unknown", "regionSource": "none", "inputs": inputs, "propertyDependencies": deps, "provider": null,
}

_ns_type := "kubernetes:core/v1:Namespace"

_namespace(metadata) := _res(_ns_type, "apps", {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}, {})

_deny_all := {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}

_policy(namespace, spec, deps) := _res("kubernetes:networking.k8s.io/v1:NetworkPolicy", "default-deny", {
	"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
	"metadata": {"namespace": namespace}, "spec": spec,
}, deps)

_deployment(namespace, deps) := _deployment_with({"namespace": namespace}, deps)

_deployment_with(metadata, deps) := _res("kubernetes:apps/v1:Deployment", "web", {
	"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata,
	"spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "web:1"}]}}},
}, deps)

test_namespace_without_a_policy_is_denied if {
	p := {"resources": [_namespace({"name": "apps"})]}
	some f in rule.deny with input as p
	f.urn == _urn(_ns_type, "apps")
}

test_namespace_with_a_default_deny_policy_passes if {
	p := {"resources": [_namespace({"name": "apps"}), _policy("apps", _deny_all, {}), _deployment("apps", {})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_policy_in_another_namespace_does_not_count if {
	p := {"resources": [_namespace({"name": "apps"}), _policy("other", _deny_all, {})]}
	count(rule.deny) == 1 with input as p
}

test_policy_that_is_not_default_deny_does_not_count if {
	every spec in [
		{"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress", "Egress"]},
		{"podSelector": {}, "policyTypes": ["Ingress"]},
		{"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}]},
	] {
		p := {"resources": [_namespace({"name": "apps"}), _policy("apps", spec, {})]}
		count(rule.deny) == 1 with input as p
	}
}

test_selector_with_empty_match_labels_counts if {
	p := {"resources": [_namespace({"name": "apps"}), _policy("apps", {"podSelector": {"matchLabels": {}}, "policyTypes": ["Egress", "Ingress"]}, {})]}
	count(rule.deny) == 0 with input as p
}

test_policy_tied_by_dependency_to_an_unnamed_namespace_passes if {
	ns := _namespace({"labels": {"team": "ml"}})
	p := {"resources": [ns, _policy({"$unknown": true}, _deny_all, {"metadata": [ns.urn]})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_unnamed_namespace_with_an_untied_policy_is_deferred if {
	p := {"resources": [_namespace({}), _policy({"$unknown": true}, _deny_all, {})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_unnamed_namespace_without_any_policy_is_denied if {
	p := {"resources": [_namespace({})]}
	count(rule.deny) == 1 with input as p
}

test_policy_with_unknown_types_is_deferred if {
	p := {"resources": [_namespace({"name": "apps"}), _policy("apps", {"podSelector": {}, "policyTypes": {"$unknown": true}}, {})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_workload_in_an_undeclared_namespace_without_policy_is_denied if {
	p := {"resources": [_deployment("team-a", {})]}
	some f in rule.deny with input as p
	contains(f.message, "team-a")
}

test_workload_in_an_undeclared_namespace_with_policy_passes if {
	p := {"resources": [_deployment("team-a", {}), _policy("team-a", _deny_all, {})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_workload_without_namespace_lands_in_the_provider_namespace if {
	provider := {"urn": "urn:pulumi:dev::p::pulumi:providers:kubernetes::c", "type": "pulumi:providers:kubernetes", "name": "c", "custom": true, "inputs": {"namespace": "team-b"}, "propertyDependencies": {}}
	web := object.union(_deployment_with({}, {}), {"provider": provider.urn})
	policy := object.union(_policy("team-b", _deny_all, {}), {"provider": provider.urn})
	p := {"resources": [provider, web, policy]}
	count(rule.deny) == 0 with input as p
	q := {"resources": [provider, web]}
	some f in rule.deny with input as q
	contains(f.message, "team-b")
}

test_workload_in_the_default_namespace_needs_a_policy_there if {
	web := _deployment_with({"labels": {"app": "web"}}, {})
	p := {"resources": [web]}
	some f in rule.deny with input as p
	contains(f.message, "\"default\"")
	q := {"resources": [web, _policy("default", _deny_all, {})]}
	count(rule.deny) == 0 with input as q
}

test_workload_in_a_declared_namespace_is_judged_with_the_namespace if {
	ns := _namespace({"name": "apps"})
	p := {"resources": [ns, _deployment({"$unknown": true}, {"metadata": [ns.urn]})]}
	count(rule.deny) == 1 with input as p
	some f in rule.deny with input as p
	f.urn == ns.urn
}

test_workload_with_unknown_namespace_is_deferred if {
	p := {"resources": [_deployment({"$unknown": true}, {})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}
