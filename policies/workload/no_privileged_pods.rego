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
#   remediation: >-
#     Remove privileged: true and hostProcess, drop hostNetwork/hostPID/hostIPC, and replace
#     hostPath volumes with persistent volumes, emptyDir, ConfigMaps, Secrets or CSI volumes.
#     Node agents that truly need host access belong in a separately governed system namespace
#     under a documented exception.
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: technical measures to protect personal data"
#     - "UAE IA (NESA) T3 operations management: secure configuration and hardening of systems"
#     - "ISO/IEC 27001:2022 A.8.9: configuration management"
#     - "ISO/IEC 27001:2022 A.8.2: privileged access rights"
#     - "ISO/IEC 27001:2022 A.8.22: segregation of networks"
package sahab.rules.workload.no_privileged_pods

import data.sahab.lib.kubernetes as k8s
import data.sahab.lib.plan
import rego.v1

_workloads contains r if {
	some r in plan.managed
	object.get(r, "mode", "create") != "read"
	k8s.is_workload(r)
}

# [resource, pod spec entry] for every pod spec whose value is known.
_specs contains [r, s] if {
	some r in _workloads
	some s in k8s.pod_specs(r)
	plan.is_known(s.spec)
}

# [resource, where, value]: a violation when the value is true.
_switches contains [r, sprintf("%s.%s", [s.where, field]), k8s.value_at(s.spec, [field])] if {
	some [r, s] in _specs
	some field in ["hostNetwork", "hostPID", "hostIPC"]
}

_switches contains [r, sprintf("%s.securityContext.windowsOptions.hostProcess", [s.where]), k8s.value_at(s.spec, ["securityContext", "windowsOptions", "hostProcess"])] if {
	some [r, s] in _specs
}

_switches contains [r, sprintf("%s.%s.securityContext.%s", [s.where, c.where, concat(".", path)]), k8s.value_at(c.container, array.concat(["securityContext"], path))] if {
	some [r, s] in _specs
	some c in k8s.containers(s.spec)
	some path in [["privileged"], ["windowsOptions", "hostProcess"]]
}

deny contains plan.finding(r, sprintf("%s: %s is true", [r.name, where])) if {
	some [r, where, value] in _switches
	value == true
}

deferred contains plan.finding(r, sprintf("%s: %s is only known at deploy time", [r.name, where])) if {
	some [r, where, value] in _switches
	not plan.is_known(value)
}

# --- hostPath volumes -----------------------------------------------------------------------

_volumes(s) := k8s.value_at(s.spec, ["volumes"])

deny contains plan.finding(r, sprintf("%s: volume %s mounts a hostPath (%s.volumes.%d)", [r.name, _volume_name(volume), s.where, i])) if {
	some [r, s] in _specs
	volume := k8s.items(_volumes(s))[i]
	host_path := k8s.value_at(volume, ["hostPath"])
	plan.is_known(host_path)
	host_path != null
}

_volume_name(volume) := name if {
	name := k8s.value_at(volume, ["name"])
	is_string(name)
} else := "(unnamed)"

deferred contains plan.finding(r, sprintf("%s: the volumes of %s are only known at deploy time", [r.name, s.where])) if {
	some [r, s] in _specs
	_unknown_volume(_volumes(s))
}

_unknown_volume(volumes) if not plan.is_known(volumes)

_unknown_volume(volumes) if {
	volume := k8s.items(volumes)[_]
	not plan.is_known(k8s.value_at(volume, ["hostPath"]))
}

# --- pod specs only known at deploy time ----------------------------------------------------

deferred contains plan.finding(r, sprintf("%s: the pod spec (%s) is only known at deploy time", [r.name, s.where])) if {
	some r in _workloads
	some s in k8s.pod_specs(r)
	not plan.is_known(s.spec)
}
