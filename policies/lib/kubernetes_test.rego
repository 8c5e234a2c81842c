package sahab.lib.kubernetes_test

import data.sahab.lib.kubernetes as k8s
import rego.v1

_res(type_token, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::x", [type_token]), "type": type_token, "name": "x",
	"custom": true, "inputs": inputs, "propertyDependencies": {}, "provider": null,
}

_pod := {"containers": [{"name": "app", "image": "app:1"}], "initContainers": [{"name": "init", "image": "init:1"}]}

test_type_token_parts if {
	r := _res("kubernetes:apps/v1:DeploymentPatch", {})
	k8s.group(r) == "apps"
	k8s.kind(r) == "DeploymentPatch"
	k8s.base_kind(r) == "Deployment"
	k8s.is_patch(r)
	not k8s.is_list(r)
	not k8s.is_kubernetes({"type": "pulumi:providers:kubernetes"})
}

test_value_at_reads_nested_values if {
	k8s.value_at({"a": {"b": [{"c": 1}]}}, ["a", "b", 0, "c"]) == 1
	k8s.value_at({"a": {}}, ["a", "b"]) == null
	k8s.value_at("not an object", ["a"]) == null
}

test_value_at_reports_unknown_on_the_way if {
	k8s.value_at({"a": {"$unknown": true}}, ["a", "b", "c"]) == k8s.unknown_marker
	k8s.value_at({"a": {"b": {"$secret": true}}}, ["a", "b"]) == k8s.unknown_marker
	k8s.value_at({"$unknown": true}, ["a"]) == k8s.unknown_marker
}

test_pod_spec_of_each_kind if {
	specs := {kind: k8s.pod_specs(_res(sprintf("kubernetes:%s:%s", [gv, kind]), inputs))[0].spec |
		some [gv, kind, inputs] in [
			["core/v1", "Pod", {"spec": _pod}],
			["core/v1", "PodTemplate", {"template": {"spec": _pod}}],
			["apps/v1", "Deployment", {"spec": {"template": {"spec": _pod}}}],
			["apps/v1", "StatefulSet", {"spec": {"template": {"spec": _pod}}}],
			["apps/v1", "DaemonSet", {"spec": {"template": {"spec": _pod}}}],
			["apps/v1", "ReplicaSet", {"spec": {"template": {"spec": _pod}}}],
			["core/v1", "ReplicationController", {"spec": {"template": {"spec": _pod}}}],
			["batch/v1", "Job", {"spec": {"template": {"spec": _pod}}}],
			["batch/v1", "CronJob", {"spec": {"jobTemplate": {"spec": {"template": {"spec": _pod}}}}}],
		]
	}
	count(specs) == 9
	every _, spec in specs {
		spec == _pod
	}
}

test_list_has_one_pod_spec_per_item if {
	r := _res("kubernetes:apps/v1:DeploymentList", {"items": [{"spec": {"template": {"spec": _pod}}}, {"spec": {"$unknown": true}}]})
	specs := k8s.pod_specs(r)
	count(specs) == 2
	specs[0].where == "items.0.spec.template.spec"
	specs[1].spec == k8s.unknown_marker
}

test_rollout_and_ray_pod_specs_are_read if {
	rollout := _res("kubernetes:argoproj.io/v1alpha1:Rollout", {"spec": {"template": {"spec": _pod}}})
	[s | some s in k8s.pod_specs(rollout)] == [{"where": "spec.template.spec", "spec": _pod}]
	ray := _res("kubernetes:ray.io/v1:RayJob", {"spec": {"rayClusterSpec": {
		"headGroupSpec": {"template": {"spec": _pod}},
		"workerGroupSpecs": [{"template": {"spec": _pod}}, {"template": {"spec": {"$unknown": true}}}],
	}}})
	wheres := [s.where | some s in k8s.pod_specs(ray)]
	wheres == [
		"spec.rayClusterSpec.headGroupSpec.template.spec",
		"spec.rayClusterSpec.workerGroupSpecs.0.template.spec",
		"spec.rayClusterSpec.workerGroupSpecs.1.template.spec",
		"spec.submitterPodTemplate.spec",
	]
	k8s.pod_specs(ray)[2].spec == k8s.unknown_marker
}

test_unknown_worker_groups_are_one_unknown_spec if {
	ray := _res("kubernetes:ray.io/v1:RayCluster", {"spec": {"headGroupSpec": {"template": {"spec": _pod}}, "workerGroupSpecs": {"$unknown": true}}})
	k8s.pod_specs(ray)[1] == {"where": "spec.workerGroupSpecs.*", "spec": k8s.unknown_marker}
}

test_created_rollout_containers_reach_the_workload_rules if {
	rollout := _res("kubernetes:argoproj.io/v1alpha1:Rollout", {"spec": {"template": {"spec": _pod}}})
	count(k8s.created_containers) == 2 with input as {"resources": [rollout]}
}

test_non_workloads_have_no_pod_specs if {
	count(k8s.pod_specs(_res("kubernetes:core/v1:ConfigMap", {"data": {}}))) == 0
	count(k8s.pod_specs(_res("kubernetes:example.com/v1:Deployment", {"spec": {"template": {"spec": _pod}}}))) == 0
}

test_containers_across_lists if {
	cs := k8s.containers(_pod)
	count(cs) == 2
	{c.where | some c in cs} == {"containers.0", "initContainers.0"}
}

test_unknown_container_list_is_reported if {
	cs := k8s.containers({"containers": {"$unknown": true}})
	cs == [{"where": "containers", "container": k8s.unknown_marker}]
}

test_unknown_pod_spec_gives_unknown_containers if {
	every c in k8s.containers(k8s.unknown_marker) {
		c.container == k8s.unknown_marker
	}
}

test_empty_selector if {
	k8s.empty_selector({})
	k8s.empty_selector({"matchLabels": {}, "matchExpressions": []})
	not k8s.empty_selector({"matchLabels": {"app": "x"}})
	not k8s.empty_selector({"$unknown": true})
}

test_namespace_of if {
	k8s.namespace_of(_res("kubernetes:core/v1:Pod", {"metadata": {"namespace": "apps"}})) == "apps"
	k8s.namespace_of(_res("kubernetes:core/v1:Pod", {"metadata": {"namespace": {"$unknown": true}}})) == k8s.unknown_marker
	k8s.namespace_of(_res("kubernetes:core/v1:Pod", {})) == "default"
}

test_namespace_of_falls_back_to_the_provider if {
	provider := {"urn": "urn:pulumi:dev::p::pulumi:providers:kubernetes::c", "type": "pulumi:providers:kubernetes", "inputs": {"namespace": "team"}}
	pod := object.union(_res("kubernetes:core/v1:Pod", {}), {"provider": provider.urn})
	k8s.namespace_of(pod) == "team" with input as {"resources": [provider, pod]}
}
