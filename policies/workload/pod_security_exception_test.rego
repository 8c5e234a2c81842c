package sahab.rules.workload.pod_security_exception_test

import data.sahab.rules.workload.pod_security_exception as rule
import rego.v1

_namespace(metadata) := {
	"urn": "urn:pulumi:dev::p::kubernetes:core/v1:Namespace::gpu", "type": "kubernetes:core/v1:Namespace", "name": "gpu",
	"custom": true, "mode": "create", "region": "unknown", "regionSource": "none",
	"inputs": {"metadata": metadata}, "propertyDependencies": {}, "provider": null,
}

_labels(enforce, logged) := {
	"pod-security.kubernetes.io/enforce": enforce,
	"pod-security.kubernetes.io/audit": logged,
	"pod-security.kubernetes.io/warn": logged,
}

_reason := {"sahab.io/pod-security-exception": "driver DaemonSets load kernel modules"}

test_declared_exception_is_reported_with_level_and_reason if {
	p := {"resources": [_namespace({"name": "gpu", "labels": _labels("privileged", "restricted"), "annotations": _reason})]}
	rule.deny == {{"urn": "urn:pulumi:dev::p::kubernetes:core/v1:Namespace::gpu", "type": "kubernetes:core/v1:Namespace", "message": "Namespace gpu enforces Pod Security \"privileged\" under a declared exception: driver DaemonSets load kernel modules"}} with input as p
}

test_exception_without_restricted_logging_says_so if {
	p := {"resources": [_namespace({"name": "gpu", "labels": _labels("privileged", "privileged"), "annotations": _reason})]}
	some f in rule.deny with input as p
	endswith(f.message, "(audit and warn are not both restricted: relaxed pods are not all logged)")
}

test_restricted_namespace_is_not_reported if {
	p := {"resources": [_namespace({"name": "ml", "labels": _labels("restricted", "restricted"), "annotations": _reason})]}
	count(rule.deny) == 0 with input as p
}

test_namespace_without_exception_is_not_reported_here if {
	p := {"resources": [_namespace({"name": "ml", "labels": _labels("baseline", "restricted")})]}
	count(rule.deny) == 0 with input as p
}
