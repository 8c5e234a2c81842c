# METADATA
# title: Namespaces enforce the restricted Pod Security Standard
# description: >-
#   Every kubernetes Namespace the program declares must carry the Pod Security Admission label
#   pod-security.kubernetes.io/enforce=restricted, so the API server itself refuses root,
#   privileged, host-namespace and capability-adding pods, whatever object creates them (a chart,
#   an operator, kubectl). A namespace that cannot run restricted pods (a GPU driver DaemonSet)
#   must say why in the annotation sahab.io/pod-security-exception; it is then reported by
#   SAHAB-WKL-004 instead of being refused here. Labels only known at deploy time are deferred.
# custom:
#   id: SAHAB-WKL-003
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A namespace's Pod Security enforce label or its exception annotation, when computed at
#     deploy time.
#   remediation: >-
#     Label the namespace pod-security.kubernetes.io/enforce=restricted (with audit and warn, and
#     a pinned enforce-version), e.g. with sahab's ZeroTrustNamespace. If its pods truly need more,
#     declare the exception: a lower enforce level and the annotation
#     sahab.io/pod-security-exception with the reason, reviewed like any other exception.
#   covers:
#     - kubernetes:core/v1:Namespace
#   controls:
#     - "UAE IA (NESA) T3.2.1: Common Systems Configuration Guidelines"
#     - "ISO/IEC 27001:2022 A.8.9: Configuration management"
#     - "ISO/IEC 27001:2022 A.8.2: Privileged access rights"
package sahab.rules.workload.pod_security_restricted

import data.sahab.lib.kubernetes as k8s
import data.sahab.lib.plan
import rego.v1

_enforce_label := "pod-security.kubernetes.io/enforce"

_exception_annotation := "sahab.io/pod-security-exception"

_results contains [kind, plan.finding(n, message)] if {
	some n in k8s.created_of_kind("core", "Namespace")
	level := k8s.value_at(n.inputs, ["metadata", "labels", _enforce_label])
	level != "restricted"
	[kind, message] := _outcome(n, level, k8s.value_at(n.inputs, ["metadata", "annotations", _exception_annotation]))
	kind != "ok"
}

_outcome(n, level, _) := ["deferred", sprintf("Namespace %s: its Pod Security enforce level is only known at deploy time", [n.name])] if {
	not plan.is_known(level)
} else := ["ok", ""] if {
	_declared(n)
} else := ["deferred", sprintf("Namespace %s: whether its Pod Security exception is declared is only known at deploy time", [n.name])] if {
	not plan.is_known(k8s.value_at(n.inputs, ["metadata", "annotations"]))
} else := ["deny", sprintf("Namespace %s does not enforce the restricted Pod Security Standard (%s is %s)", [n.name, _enforce_label, _shown(level)])]

# An exception is declared with a reason (a non-empty string).
_declared(n) if {
	reason := k8s.value_at(n.inputs, ["metadata", "annotations", _exception_annotation])
	is_string(reason)
	trim_space(reason) != ""
}

_shown(level) := sprintf("%q", [level]) if is_string(level)

else := "not set"

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results
