# METADATA
# title: No privileged pods or host access
# description: >-
#   Pods must not break out of their isolation: no container (containers, initContainers,
#   ephemeralContainers) with securityContext.privileged true or a Windows hostProcess, no
#   hostNetwork, hostPID or hostIPC, and no hostPath volumes. Checks kubernetes Pod, PodTemplate,
#   Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job and CronJob (the
#   job template), their Patch and List forms, and the same objects from yaml.ConfigFile or
#   charts that appear in the plan. A value only known at deploy time is deferred.
# custom:
#   id: SAHAB-WKL-001
#   severity: critical
#   enforcement: mandatory
#   deferred_on: >-
#     A pod spec, its volumes, or a privileged or host switch (privileged, hostProcess,
#     hostNetwork, hostPID, hostIPC), when computed at deploy time.
#   remediation: >-
#     Remove privileged: true and hostProcess, drop hostNetwork/hostPID/hostIPC, and replace
#     hostPath volumes with persistent volumes, emptyDir, ConfigMaps, Secrets or CSI volumes.
#     Node agents that truly need host access belong in a separately governed system namespace
#     under a documented exception.
#   covers_sets:
#     - kubernetes-pod-workloads
#     - kubernetes-pod-workload-patches-and-lists
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T3.2.1: Common Systems Configuration Guidelines"
#     - "ISO/IEC 27001:2022 A.8.9: Configuration management"
#     - "ISO/IEC 27001:2022 A.8.2: Privileged access rights"
#     - "ISO/IEC 27001:2022 A.8.22: Segregation of networks"
package sahab.rules.workload.no_privileged_pods

import data.sahab.lib.kubernetes as k8s
import data.sahab.lib.plan
import rego.v1

# Pod specs and containers come from k8s.created_pod_specs and k8s.created_containers, read once
# per evaluation for all the workload rules.

# The switches of a pod spec and of a container (under its securityContext).
_spec_paths := [["hostNetwork"], ["hostPID"], ["hostIPC"], ["securityContext", "windowsOptions", "hostProcess"]]

_container_paths := [["privileged"], ["windowsOptions", "hostProcess"]]

# [resource, where, value] for every switch that is set to something other than false: the
# others (null or false, most of them) have nothing to report, so their `where` is never written.
_switches(specs, containers) := array.concat(
	[[s.resource, sprintf("%s.%s", [s.where, concat(".", path)]), value] |
		some s in specs
		plan.is_known(s.spec)
		some path in _spec_paths
		value := k8s.value_at(s.spec, path)
		value != null
		value != false
	],
	[[c.resource, sprintf("%s.securityContext.%s", [c.where, concat(".", path)]), value] |
		some c in containers
		some path in _container_paths
		value := k8s.value_at(c.container, array.concat(["securityContext"], path))
		value != null
		value != false
	],
)

# Each switch is read once (_results).
_results contains [kind, plan.finding(r, message)] if {
	some [r, where, value] in _switches(data.sahab.lib.kubernetes.created_pod_specs, data.sahab.lib.kubernetes.created_containers)
	[kind, message] := _switch_outcome(r, where, value)
}

_switch_outcome(r, where, value) := ["deny", sprintf("%s: %s is true", [r.name, where])] if {
	value == true
} else := ["deferred", sprintf("%s: %s is only known at deploy time", [r.name, where])] if {
	not plan.is_known(value)
}

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results

# --- hostPath volumes -----------------------------------------------------------------------

_volumes(s) := k8s.value_at(s.spec, ["volumes"])

deny contains plan.finding(s.resource, sprintf("%s: volume %s mounts a hostPath (%s.volumes.%d)", [s.resource.name, _volume_name(volume), s.where, i])) if {
	some s in data.sahab.lib.kubernetes.created_pod_specs
	plan.is_known(s.spec)
	volume := k8s.items(_volumes(s))[i]
	host_path := k8s.value_at(volume, ["hostPath"])
	plan.is_known(host_path)
	host_path != null
}

_volume_name(volume) := name if {
	name := k8s.value_at(volume, ["name"])
	is_string(name)
} else := "(unnamed)"

deferred contains plan.finding(s.resource, sprintf("%s: the volumes of %s are only known at deploy time", [s.resource.name, s.where])) if {
	some s in data.sahab.lib.kubernetes.created_pod_specs
	plan.is_known(s.spec)
	_unknown_volume(_volumes(s))
}

_unknown_volume(volumes) if not plan.is_known(volumes)

_unknown_volume(volumes) if {
	volume := k8s.items(volumes)[_]
	not plan.is_known(k8s.value_at(volume, ["hostPath"]))
}

# --- pod specs only known at deploy time ----------------------------------------------------

deferred contains plan.finding(s.resource, sprintf("%s: the pod spec (%s) is only known at deploy time", [s.resource.name, s.where])) if {
	some s in data.sahab.lib.kubernetes.created_pod_specs
	not plan.is_known(s.spec)
}
