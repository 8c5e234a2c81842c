package sahab.rules.workload.pod_security_restricted_test

import data.sahab.rules.workload.pod_security_restricted as rule
import rego.v1

_namespace(metadata) := {
	"urn": "urn:pulumi:dev::p::kubernetes:core/v1:Namespace::ns", "type": "kubernetes:core/v1:Namespace", "name": "ns",
	"custom": true, "mode": "create", "region": "unknown", "regionSource": "none",
	"inputs": {"metadata": metadata}, "propertyDependencies": {}, "provider": null,
}

_restricted := {"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.33"}

test_restricted_namespace_passes if {
	p := {"resources": [_namespace({"name": "ml", "labels": _restricted})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_namespace_without_labels_is_denied if {
	p := {"resources": [_namespace({"name": "ml"})]}
	rule.deny == {{"urn": "urn:pulumi:dev::p::kubernetes:core/v1:Namespace::ns", "type": "kubernetes:core/v1:Namespace", "message": "Namespace ns does not enforce the restricted Pod Security Standard (pod-security.kubernetes.io/enforce is not set)"}} with input as p
}

test_baseline_without_exception_is_denied if {
	p := {"resources": [_namespace({"name": "ml", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}})]}
	some f in rule.deny with input as p
	contains(f.message, "is \"baseline\"")
}

test_declared_exception_is_not_denied_here if {
	metadata := {"name": "gpu", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}, "annotations": {"sahab.io/pod-security-exception": "driver DaemonSets load kernel modules"}}
	p := {"resources": [_namespace(metadata)]}
	count(rule.deny) == 0 with input as p
}

test_blank_exception_reason_does_not_count if {
	metadata := {"name": "gpu", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}, "annotations": {"sahab.io/pod-security-exception": "  "}}
	p := {"resources": [_namespace(metadata)]}
	count(rule.deny) == 1 with input as p
}

test_unknown_labels_are_deferred if {
	p := {"resources": [_namespace({"name": "ml", "labels": {"$unknown": true}})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}
