# METADATA
# title: Containers cannot escalate privileges
# description: >-
#   Every container (containers, initContainers, ephemeralContainers) of a kubernetes workload
#   (Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
#   CronJob, their Patch and List forms, Argo Rollouts and KubeRay pods) must set
#   securityContext.allowPrivilegeEscalation to false, as the Pod Security Standards "restricted"
#   profile requires: left out, Linux lets a process gain more privileges than its parent (setuid
#   binaries, file capabilities). Mandatory: one of the zero-trust controls sahab promises
#   (docs/controls.md), enforced here whether or not checkov runs. A value only known at deploy
#   time is deferred.
# custom:
#   id: SAHAB-WKL-002
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A pod spec, a container, or its securityContext.allowPrivilegeEscalation, when computed at
#     deploy time.
#   remediation: >-
#     Set security_context={"allow_privilege_escalation": False} on every container (with
#     run_as_non_root=True and capabilities drop ["ALL"]), or enforce the restricted Pod Security
#     Standard on the namespace (pod-security.kubernetes.io/enforce: restricted).
#   covers_sets:
#     - kubernetes-pod-workloads
#     - kubernetes-pod-workload-patches-and-lists
#   controls:
#     - "UAE IA (NESA) T3.2.1: Common Systems Configuration Guidelines"
#     - "ISO/IEC 27001:2022 A.8.9: Configuration management"
#     - "ISO/IEC 27001:2022 A.8.2: Privileged access rights"
package sahab.rules.workload.no_privilege_escalation

import data.sahab.lib.kubernetes as k8s
import data.sahab.lib.plan
import rego.v1

# Pod specs and containers come from k8s.created_pod_specs and k8s.created_containers, read once
# per evaluation for all the workload rules.

# securityContext.allowPrivilegeEscalation of a container entry.
_setting(c) := k8s.value_at(c.container, ["securityContext", "allowPrivilegeEscalation"])

deny contains plan.finding(c.resource, sprintf("%s: %s allows privilege escalation (securityContext.allowPrivilegeEscalation %s; set it to false)", [c.resource.name, c.where, _state(value)])) if {
	some c in data.sahab.lib.kubernetes.created_containers
	plan.is_known(c.container)
	value := _setting(c)
	plan.is_known(value)
	value != false
}

deferred contains plan.finding(c.resource, sprintf("%s: %s.securityContext.allowPrivilegeEscalation is only known at deploy time", [c.resource.name, c.where])) if {
	some c in data.sahab.lib.kubernetes.created_containers
	plan.is_known(c.container)
	not plan.is_known(_setting(c))
}

deferred contains plan.finding(s.resource, sprintf("%s: the pod spec (%s) is only known at deploy time", [s.resource.name, s.where])) if {
	some s in data.sahab.lib.kubernetes.created_pod_specs
	not plan.is_known(s.spec)
}

deferred contains plan.finding(c.resource, sprintf("%s: %s is only known at deploy time", [c.resource.name, c.where])) if {
	some c in data.sahab.lib.kubernetes.created_containers
	not plan.is_known(c.container)
}

_state(v) := "is not set" if v == null

else := sprintf("is %v", [v])
