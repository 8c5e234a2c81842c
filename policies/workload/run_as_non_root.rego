# METADATA
# title: Containers run as a non-root user
# description: >-
#   Every container (containers, initContainers, ephemeralContainers) of a kubernetes workload
#   (Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
#   CronJob, their Patch and List forms, Argo Rollouts and KubeRay pods) must run as a non-root
#   user: securityContext.runAsNonRoot true, or a runAsUser other than 0, on the container or
#   inherited from the pod's securityContext (the container's own setting wins), and never
#   runAsUser 0. Left out, the image's USER decides, and most images run as root: one step from the
#   node when anything else gives way. Mandatory: one of the zero-trust controls sahab promises
#   (docs/controls.md), enforced here whether or not checkov runs (its CKV_K8S_23 checks the same).
#   A value only known at deploy time is deferred.
# custom:
#   id: SAHAB-WKL-005
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A pod spec, a container, or the runAsNonRoot / runAsUser of the pod's or the container's
#     securityContext, when computed at deploy time.
#   remediation: >-
#     Set security_context={"run_as_non_root": True, "run_as_user": <uid other than 0>} on the pod
#     (or on every container), and build the image with a non-root USER.
#   covers_sets:
#     - kubernetes-pod-workloads
#     - kubernetes-pod-workload-patches-and-lists
#   controls:
#     - "UAE IA (NESA) T3.2.1: Common Systems Configuration Guidelines"
#     - "ISO/IEC 27001:2022 A.8.9: Configuration management"
#     - "ISO/IEC 27001:2022 A.8.2: Privileged access rights"
package sahab.rules.workload.run_as_non_root

import data.sahab.lib.kubernetes as k8s
import data.sahab.lib.plan
import rego.v1

# The pod's and each container's securityContext are read once (_results); the container's own
# setting overrides the pod's, as in Kubernetes.
_results contains [kind, plan.finding(s.resource, message)] if {
	some s in data.sahab.lib.kubernetes.created_pod_specs
	plan.is_known(s.spec)
	pod := k8s.value_at(s.spec, ["securityContext"])
	some c in k8s.containers(s.spec)
	[kind, message] := _outcome(s, c, pod)
	kind != "ok"
}

_outcome(s, c, pod) := ["deferred", sprintf("%s: %s.%s is only known at deploy time", [s.resource.name, s.where, c.where])] if {
	not plan.is_known(c.container)
} else := ["deferred", sprintf("%s: %s.%s: whether it runs as root is only known at deploy time", [s.resource.name, s.where, c.where])] if {
	not plan.is_known(_effective(c.container, pod, "runAsUser"))
} else := ["deny", sprintf("%s: %s.%s runs as root (runAsUser 0)", [s.resource.name, s.where, c.where])] if {
	_effective(c.container, pod, "runAsUser") == 0
} else := ["ok", ""] if {
	_non_root_user(_effective(c.container, pod, "runAsUser"))
} else := ["deferred", sprintf("%s: %s.%s: whether it runs as root is only known at deploy time", [s.resource.name, s.where, c.where])] if {
	not plan.is_known(_effective(c.container, pod, "runAsNonRoot"))
} else := ["ok", ""] if {
	_effective(c.container, pod, "runAsNonRoot") == true
} else := ["deny", sprintf("%s: %s.%s may run as root (securityContext.runAsNonRoot is not true and no runAsUser other than 0 is set)", [s.resource.name, s.where, c.where])]

# The container's setting, else the pod's (null when neither sets it).
_effective(container, pod, key) := value if {
	value := k8s.value_at(container, ["securityContext", key])
	value != null
} else := k8s.value_at(pod, [key])

_non_root_user(uid) if {
	is_number(uid)
	uid > 0
}

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results

deferred contains plan.finding(s.resource, sprintf("%s: the pod spec (%s) is only known at deploy time", [s.resource.name, s.where])) if {
	some s in data.sahab.lib.kubernetes.created_pod_specs
	not plan.is_known(s.spec)
}
