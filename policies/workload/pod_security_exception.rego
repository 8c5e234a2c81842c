# METADATA
# title: Pod Security exceptions are declared and reported
# description: >-
#   A Namespace that enforces a Pod Security level below restricted and declares why (annotation
#   sahab.io/pod-security-exception) is reported in every gate run, with its level and reason, so
#   the relaxation is reviewed rather than silent. The exception should keep audit and warn at
#   restricted so every relaxed pod is still logged; the finding says when it does not.
# custom:
#   id: SAHAB-WKL-004
#   severity: medium
#   enforcement: advisory
#   remediation: >-
#     Keep the exception only where the workload needs it (node agents such as the GPU driver),
#     with pod-security.kubernetes.io/audit and warn at restricted, and review the reason when
#     the chart or its version changes.
#   controls:
#     - "UAE IA (NESA) T3.2.1: Common Systems Configuration Guidelines"
#     - "ISO/IEC 27001:2022 A.8.2: Privileged access rights"
package sahab.rules.workload.pod_security_exception

import data.sahab.lib.kubernetes as k8s
import rego.v1

_prefix := "pod-security.kubernetes.io/"

deny contains data.sahab.lib.plan.finding(n, sprintf("Namespace %s enforces Pod Security %s under a declared exception: %s%s", [n.name, _level(n), reason, _logging(n)])) if {
	some n in k8s.created_of_kind("core", "Namespace")
	reason := k8s.value_at(n.inputs, ["metadata", "annotations", "sahab.io/pod-security-exception"])
	is_string(reason)
	trim_space(reason) != ""
	_level(n) != "\"restricted\""
}

_level(n) := sprintf("%q", [level]) if {
	level := k8s.value_at(n.inputs, ["metadata", "labels", concat("", [_prefix, "enforce"])])
	is_string(level)
} else := "(level not set or unknown)"

_logging(n) := "" if {
	every mode in ["audit", "warn"] {
		k8s.value_at(n.inputs, ["metadata", "labels", concat("", [_prefix, mode])]) == "restricted"
	}
} else := " (audit and warn are not both restricted: relaxed pods are not all logged)"
