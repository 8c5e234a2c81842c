package sahab.rules.workload.no_privileged_pods_test

import data.sahab.rules.workload.no_privileged_pods as rule
import rego.v1

_res(type_token, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::w", [type_token]), "type": type_token, "name": "w",
	"custom": true, "mode": "create", "region": "unknown", "regionSource": "none",
	"inputs": inputs, "propertyDependencies": {}, "provider": null,
}

_container := {"name": "app", "image": "app:1", "securityContext": {"allowPrivilegeEscalation": false, "runAsNonRoot": true}}

_pod(spec) := _res("kubernetes:core/v1:Pod", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "w"}, "spec": spec})

_deployment(spec) := _res("kubernetes:apps/v1:Deployment", {"spec": {"selector": {}, "template": {"spec": spec}}})

_cronjob(spec) := _res("kubernetes:batch/v1:CronJob", {"spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": spec}}}}})

test_privileged_container_is_denied_in_every_kind if {
	spec := {"containers": [object.union(_container, {"securityContext": {"privileged": true}})]}
	every r in [
		_pod(spec),
		_deployment(spec),
		_cronjob(spec),
		_res("kubernetes:apps/v1:DaemonSet", {"spec": {"template": {"spec": spec}}}),
		_res("kubernetes:apps/v1:StatefulSet", {"spec": {"template": {"spec": spec}}}),
		_res("kubernetes:batch/v1:Job", {"spec": {"template": {"spec": spec}}}),
		_res("kubernetes:core/v1:PodTemplate", {"template": {"spec": spec}}),
		_res("kubernetes:apps/v1:DeploymentPatch", {"spec": {"template": {"spec": spec}}}),
	] {
		p := {"resources": [r]}
		count(rule.deny) == 1 with input as p
	}
}

test_privileged_init_and_ephemeral_containers_are_denied if {
	privileged := object.union(_container, {"securityContext": {"privileged": true}})
	p := {"resources": [_pod({"containers": [_container], "initContainers": [privileged], "ephemeralContainers": [privileged]})]}
	count(rule.deny) == 2 with input as p
	some f in rule.deny with input as p
	contains(f.message, "initContainers.0.securityContext.privileged")
}

test_host_namespaces_are_denied if {
	p := {"resources": [_deployment({"containers": [_container], "hostNetwork": true, "hostPID": true, "hostIPC": true})]}
	count(rule.deny) == 3 with input as p
}

test_host_path_volume_is_denied if {
	p := {"resources": [_deployment({"containers": [_container], "volumes": [{"name": "data", "emptyDir": {}}, {"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]})]}
	some f in rule.deny with input as p
	contains(f.message, "docker")
	count(rule.deny) == 1 with input as p
}

test_windows_host_process_is_denied if {
	p := {"resources": [_pod({"containers": [_container], "securityContext": {"windowsOptions": {"hostProcess": true}}})]}
	count(rule.deny) == 1 with input as p
}

test_unprivileged_pods_pass if {
	spec := {"containers": [_container], "hostNetwork": false, "volumes": [{"name": "cache", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "cfg"}}]}
	every r in [_pod(spec), _deployment(spec), _cronjob(spec)] {
		p := {"resources": [r]}
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_other_kinds_are_not_checked if {
	p := {"resources": [_res("kubernetes:core/v1:ConfigMap", {"data": {"privileged": "true"}})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_unknown_pod_spec_is_deferred if {
	p := {"resources": [_res("kubernetes:apps/v1:Deployment", {"spec": {"template": {"$unknown": true}}})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_unknown_privileged_is_deferred if {
	p := {"resources": [_pod({"containers": [object.union(_container, {"securityContext": {"privileged": {"$unknown": true}}})]})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_unknown_volumes_are_deferred if {
	p := {"resources": [_pod({"containers": [_container], "volumes": {"$unknown": true}})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_list_items_are_checked if {
	items := [{"spec": {"template": {"spec": {"containers": [_container]}}}}, {"spec": {"template": {"spec": {"containers": [_container], "hostPID": true}}}}]
	p := {"resources": [_res("kubernetes:apps/v1:DeploymentList", {"items": items})]}
	some f in rule.deny with input as p
	contains(f.message, "items.1.spec.template.spec.hostPID")
}
