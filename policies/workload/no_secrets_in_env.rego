# METADATA
# title: Secrets reach containers as files, not environment variables
# description: >-
#   No container (containers, initContainers, ephemeralContainers) of a kubernetes workload (Pod,
#   PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
#   CronJob, their Patch and List forms, Argo Rollouts and KubeRay pods) takes a secret through its
#   environment: no env entry with valueFrom.secretKeyRef, no envFrom secretRef, and no env value
#   that is a Pulumi secret. The environment leaks into crash dumps, logs, `kubectl describe`,
#   child processes and /proc; a file mounted from a Secret volume (or the CSI secrets store) does
#   not. Mandatory: one of the zero-trust controls sahab promises (docs/controls.md), enforced here
#   whether or not checkov runs (its CKV_K8S_35 checks the Secret references). A pod spec,
#   container or environment list only known at deploy time is deferred.
# custom:
#   id: SAHAB-WKL-006
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A pod spec, a container, its env or envFrom list, or an env entry's name or valueFrom, when
#     computed at deploy time.
#   remediation: >-
#     Mount the Secret as a volume (or use the CSI secrets store driver) and have the program read
#     the file; for a tool that only reads its environment, load a mounted dotenv file at start.
#   covers_sets:
#     - kubernetes-pod-workloads
#     - kubernetes-pod-workload-patches-and-lists
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T5.2.3: User Security Credentials Management"
#     - "ISO/IEC 27001:2022 A.5.17: Authentication information"
#     - "ISO/IEC 27001:2022 A.8.9: Configuration management"
package sahab.rules.workload.no_secrets_in_env

import data.sahab.lib.kubernetes as k8s
import data.sahab.lib.plan
import rego.v1

# Pod specs and containers come from k8s.created_pod_specs and k8s.created_containers, read once
# per evaluation for all the workload rules.

_env(c) := k8s.value_at(c.container, ["env"])

_env_from(c) := k8s.value_at(c.container, ["envFrom"])

# A Pulumi secret is {"$secret": true} in the plan (value_at reads it as unknown: test it raw).
_is_secret(value) if value["$secret"] == true

deny contains plan.finding(c.resource, sprintf("%s: %s takes env var %s from Secret %s (mount the Secret as a file)", [c.resource.name, c.where, _name(item), _ref_name(ref)])) if {
	some c in data.sahab.lib.kubernetes.created_containers
	plan.is_known(c.container)
	item := k8s.items(_env(c))[_]
	ref := k8s.value_at(item, ["valueFrom", "secretKeyRef"])
	plan.is_known(ref)
	ref != null
}

deny contains plan.finding(c.resource, sprintf("%s: %s sets env var %s to a secret value (mount it as a file)", [c.resource.name, c.where, _name(item)])) if {
	some c in data.sahab.lib.kubernetes.created_containers
	plan.is_known(c.container)
	item := k8s.items(_env(c))[_]
	_is_secret(object.get(item, "value", null))
}

deny contains plan.finding(c.resource, sprintf("%s: %s loads Secret %s into its environment (envFrom.%d; mount it as a file)", [c.resource.name, c.where, _ref_name(ref), i])) if {
	some c in data.sahab.lib.kubernetes.created_containers
	plan.is_known(c.container)
	some i
	item := k8s.items(_env_from(c))[i]
	ref := k8s.value_at(item, ["secretRef"])
	plan.is_known(ref)
	ref != null
}

_name(item) := name if {
	name := k8s.value_at(item, ["name"])
	is_string(name)
} else := "(unnamed)"

_ref_name(ref) := name if {
	name := k8s.value_at(ref, ["name"])
	is_string(name)
} else := "(name unknown)"

deferred contains plan.finding(c.resource, sprintf("%s: the environment of %s is only known at deploy time", [c.resource.name, c.where])) if {
	some c in data.sahab.lib.kubernetes.created_containers
	plan.is_known(c.container)
	_unknown_env(c)
}

_unknown_env(c) if not plan.is_known(_env(c))

_unknown_env(c) if not plan.is_known(_env_from(c))

_unknown_env(c) if {
	item := k8s.items(_env(c))[_]
	not _is_secret(object.get(item, "value", null))
	not plan.is_known(k8s.value_at(item, ["valueFrom"]))
}

_unknown_env(c) if {
	item := k8s.items(_env_from(c))[_]
	not plan.is_known(k8s.value_at(item, ["secretRef"]))
}

deferred contains plan.finding(s.resource, sprintf("%s: the pod spec (%s) is only known at deploy time", [s.resource.name, s.where])) if {
	some s in data.sahab.lib.kubernetes.created_pod_specs
	not plan.is_known(s.spec)
}

deferred contains plan.finding(c.resource, sprintf("%s: %s is only known at deploy time", [c.resource.name, c.where])) if {
	some c in data.sahab.lib.kubernetes.created_containers
	not plan.is_known(c.container)
}
