# METADATA
# title: Containers cannot escalate privileges
# description: >-
#   Every container (containers, initContainers, ephemeralContainers) of a kubernetes workload
#   (Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
#   CronJob, their Patch and List forms) should set securityContext.allowPrivilegeEscalation to
#   false, as the Pod Security Standards "restricted" profile requires: left out, Linux lets a
#   process gain more privileges than its parent (setuid binaries, file capabilities). Advisory.
#   A value only known at deploy time is deferred.
# custom:
#   id: SAHAB-WKL-002
#   severity: medium
#   enforcement: advisory
#   remediation: >-
#     Set security_context={"allow_privilege_escalation": False} on every container (with
#     run_as_non_root=True and capabilities drop ["ALL"]), or enforce the restricted Pod Security
#     Standard on the namespace (pod-security.kubernetes.io/enforce: restricted).
#   controls:
#     - "UAE IA (NESA) T3 operations management: secure configuration and hardening of systems"
#     - "ISO/IEC 27001:2022 A.8.9: configuration management"
#     - "ISO/IEC 27001:2022 A.8.2: privileged access rights"
package sahab.rules.workload.no_privilege_escalation

import data.sahab.lib.kubernetes as k8s
import data.sahab.lib.plan
import rego.v1

_workloads contains r if {
	some r in plan.managed
	object.get(r, "mode", "create") != "read"
	k8s.is_workload(r)
}

# [resource, where, value of allowPrivilegeEscalation] for every known container.
_settings contains [r, sprintf("%s.%s", [s.where, c.where]), k8s.value_at(c.container, ["securityContext", "allowPrivilegeEscalation"])] if {
	some r in _workloads
	some s in k8s.pod_specs(r)
	plan.is_known(s.spec)
	some c in k8s.containers(s.spec)
	plan.is_known(c.container)
}

deny contains plan.finding(r, sprintf("%s: %s allows privilege escalation (securityContext.allowPrivilegeEscalation %s; set it to false)", [r.name, where, _state(value)])) if {
	some [r, where, value] in _settings
	plan.is_known(value)
	value != false
}

deferred contains plan.finding(r, sprintf("%s: %s.securityContext.allowPrivilegeEscalation is only known at deploy time", [r.name, where])) if {
	some [r, where, value] in _settings
	not plan.is_known(value)
}

deferred contains plan.finding(r, sprintf("%s: the pod spec (%s) is only known at deploy time", [r.name, s.where])) if {
	some r in _workloads
	some s in k8s.pod_specs(r)
	not plan.is_known(s.spec)
}

deferred contains plan.finding(r, sprintf("%s: %s.%s is only known at deploy time", [r.name, s.where, c.where])) if {
	some r in _workloads
	some s in k8s.pod_specs(r)
	plan.is_known(s.spec)
	some c in k8s.containers(s.spec)
	not plan.is_known(c.container)
}

_state(v) := "is not set" if v == null

else := sprintf("is %v", [v])
