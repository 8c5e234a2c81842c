# METADATA
# title: Kubernetes helpers
# description: >-
#   Shared helpers over Kubernetes resources in the sahab plan document: type token parts,
#   unknown-aware reads of nested inputs, pod specs and containers across workload kinds
#   (Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController,
#   Job, CronJob, their Patch and List forms), and the namespace an object lands in.
package sahab.lib.kubernetes

import data.sahab.lib.plan
import rego.v1

# The unknown marker, handed back when a value (or anything on the way to it) is unknown.
unknown_marker := {"$unknown": true}

# A Kubernetes resource: `kubernetes:<group>/<version>:<Kind>` (providers are `pulumi:providers:kubernetes`).
is_kubernetes(r) if {
	startswith(r.type, "kubernetes:")
	count(split(r.type, ":")) == 3
}

# `apps` of kubernetes:apps/v1:Deployment, `core` of kubernetes:core/v1:Pod.
group(r) := split(split(r.type, ":")[1], "/")[0] if is_kubernetes(r)

# The kind in the type token: Deployment, DeploymentPatch, DeploymentList.
kind(r) := split(r.type, ":")[2] if is_kubernetes(r)

is_patch(r) if endswith(kind(r), "Patch")

is_list(r) if endswith(kind(r), "List")

# The kind without its Patch or List suffix.
base_kind(r) := trim_suffix(kind(r), "Patch") if is_patch(r)

else := trim_suffix(kind(r), "List") if is_list(r)

else := kind(r)

# The value at `path` (keys, or indexes into arrays) of `obj`: null when absent, the unknown
# marker when the value or any object on the way to it is unknown or secret.
# (A value that is not an object cannot be unknown or secret: markers are objects. The same as
# plan.value_at.)
value_at(obj, path) := plan.value_at(obj, path)

# The elements of `value` if it is an array, else none.
items(value) := value if is_array(value)

else := []

# A label selector that selects everything: {} or one with only empty matchLabels/matchExpressions.
empty_selector(selector) if {
	is_object(selector)
	plan.is_known(selector)
	every _, v in selector {
		is_known_empty(v)
	}
}

is_known_empty(v) if {
	v == null
}

is_known_empty(v) if {
	is_array(v)
	count(v) == 0
}

is_known_empty(v) if {
	is_object(v)
	count(v) == 0
}

# API groups whose kinds of these names carry pods (custom resources of other groups do not count).
workload_groups := {"core", "apps", "extensions", "batch"}

# Where a kind keeps its pod spec.
pod_spec_paths := {
	"Pod": ["spec"],
	"PodTemplate": ["template", "spec"],
	"Deployment": ["spec", "template", "spec"],
	"StatefulSet": ["spec", "template", "spec"],
	"DaemonSet": ["spec", "template", "spec"],
	"ReplicaSet": ["spec", "template", "spec"],
	"ReplicationController": ["spec", "template", "spec"],
	"Job": ["spec", "template", "spec"],
	"CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
}

# Custom resources that carry pod specs, by API group and kind: the paths of their pod specs,
# where "*" stands for every element of an array (Argo Rollouts, KubeRay). Without them a
# Rollout's or a RayJob's pods would pass every workload rule unseen.
custom_workloads := {
	"argoproj.io": {"Rollout": [["spec", "template", "spec"]]},
	"ray.io": {
		"RayCluster": [["spec", "headGroupSpec", "template", "spec"], ["spec", "workerGroupSpecs", "*", "template", "spec"]],
		"RayJob": [
			["spec", "rayClusterSpec", "headGroupSpec", "template", "spec"],
			["spec", "rayClusterSpec", "workerGroupSpecs", "*", "template", "spec"],
			["spec", "submitterPodTemplate", "spec"],
		],
		"RayService": [
			["spec", "rayClusterConfig", "headGroupSpec", "template", "spec"],
			["spec", "rayClusterConfig", "workerGroupSpecs", "*", "template", "spec"],
		],
	},
}

# A resource that carries pod specs (in any form: plain, Patch or List).
is_workload(r) if {
	group(r) in workload_groups
	pod_spec_paths[base_kind(r)]
}

is_workload(r) if custom_workloads[group(r)][kind(r)]

# The paths of a workload's pod specs ("*": every element of an array there).
spec_paths(r) := [pod_spec_paths[base_kind(r)]] if {
	group(r) in workload_groups
	pod_spec_paths[base_kind(r)]
} else := custom_workloads[group(r)][kind(r)]

# Created (not `read`) workload resources, looked up by type (see plan.created_by_type). A
# type token decides is_workload, so it is asked once per type.
created_workloads := [r |
	some t, indexes in data.sahab.lib.plan.created_indexes
	is_workload({"type": t})
	some i in indexes
	r := input.resources[i]
]

# Managed workload resources, `read` lookups included.
managed_workloads := [r |
	some t, indexes in data.sahab.lib.plan.managed_indexes
	is_workload({"type": t})
	some i in indexes
	r := input.resources[i]
]

# The pod specs of every created workload, read once per evaluation for all the rules that
# look into pods: [{"resource", "where", "spec"}] (see pod_specs).
created_pod_specs := [{"resource": r, "where": s.where, "spec": s.spec} |
	some t, indexes in data.sahab.lib.plan.created_indexes
	path := _workload_paths[t]
	some i in indexes
	r := input.resources[i]
	some s in _pod_specs_at(r, path)
]

# The pod spec paths of each workload type among the plan's, and the List types: decided once
# per type token (pod_specs decides them per resource).
_workload_paths := {t: spec_paths({"type": t}) |
	some t, _ in data.sahab.lib.plan.managed_indexes
	is_workload({"type": t})
}

_list_types := {t | some t, _ in _workload_paths; is_list({"type": t})}

# pod_specs(r) of a workload `r` whose type's pod spec paths are `paths`.
_pod_specs_at(r, paths) := [s |
	some path in paths
	some s in _specs_on(r.inputs, path)
] if {
	not r.type in _list_types
} else := _list_pod_specs(r)

# The pod specs at `path` of `inputs`: one, or one per element where the path has a "*" (an
# unknown array there is one unknown spec).
_specs_on(inputs, path) := [{"where": concat(".", path), "spec": value_at(inputs, path)}] if {
	not "*" in path
} else := _specs_under(inputs, array.slice(path, 0, n), array.slice(path, n + 1, count(path))) if {
	some n
	path[n] == "*"
}

_specs_under(inputs, prefix, suffix) := [{"where": concat(".", array.concat(prefix, ["*"])), "spec": unknown_marker}] if {
	not plan.is_known(value_at(inputs, prefix))
} else := [{"where": concat(".", array.concat(array.concat(prefix, [sprintf("%d", [i])]), suffix)), "spec": value_at(element, suffix)} |
	some i, element in items(value_at(inputs, prefix))
]

# Every container of the created workloads' known pod specs (see containers):
# [{"resource", "spec": the pod spec entry's where, "where": "<spec where>.<container where>",
# "container"}]; an unknown container list or container appears as the unknown marker.
created_containers := [{"resource": s.resource, "spec": s.where, "where": sprintf("%s.%s", [s.where, c.where]), "container": c.container} |
	some s in created_pod_specs
	plan.is_known(s.spec)
	some c in containers(s.spec)
]

# Created resources of the given group and kind (any version; plain kind, not Patch or List).
created_of_kind(group_name, kind_name) := [r |
	some t, indexes in data.sahab.lib.plan.created_indexes
	is_kubernetes({"type": t})
	group({"type": t}) == group_name
	kind({"type": t}) == kind_name
	some i in indexes
	r := input.resources[i]
]

# The pod specs of a workload resource: [{"where": dotted path, "spec": value}], where a spec may
# be the unknown marker. A List has one per item.
pod_specs(r) := [s |
	some path in spec_paths(r)
	some s in _specs_on(r.inputs, path)
] if {
	is_workload(r)
	not is_list(r)
} else := _list_pod_specs(r) if {
	is_workload(r)
} else := []

_list_pod_specs(r) := [{"where": "items", "spec": unknown_marker}] if {
	not plan.is_known(value_at(r.inputs, ["items"]))
} else := [{"where": concat(".", array.concat(["items", sprintf("%d", [i])], path)), "spec": value_at(r.inputs, array.concat(["items", i], path))} |
	some i
	_ := items(value_at(r.inputs, ["items"]))[i]
	path := pod_spec_paths[base_kind(r)]
]

# The container lists of a pod spec.
container_fields := ["containers", "initContainers", "ephemeralContainers"]

# Every container of a pod spec: [{"where": "containers.0", "container": value}]; a container
# list or container that is unknown appears as the unknown marker.
containers(spec) := [entry |
	some field in container_fields
	some entry in _containers_of(value_at(spec, [field]), field)
]

_containers_of(list, field) := [{"where": field, "container": unknown_marker}] if {
	not plan.is_known(list)
} else := [{"where": sprintf("%s.%d", [field, i]), "container": c} |
	some i
	c := items(list)[i]
]

# The namespace a namespaced object lands in: metadata.namespace, else its provider's
# `namespace`, else "default". The unknown marker when it cannot be known before deploy.
namespace_of(r) := ns if {
	ns := value_at(r.inputs, ["metadata", "namespace"])
	ns != null
} else := ns if {
	p := plan.provider_of(r)
	ns := value_at(p.inputs, ["namespace"])
	ns != null
} else := "default"

# The provider URN of a resource (null: the default provider), for telling clusters apart.
provider_urn(r) := object.get(r, "provider", null)

# URNs that `r`'s metadata came from (a Namespace whose name it uses, for instance).
metadata_sources(r) := {u | some u in items(object.get(object.get(r, "propertyDependencies", {}), "metadata", []))}

# --- NetworkPolicies by where they are -------------------------------------------------------

# Positions in input.resources of the NetworkPolicies the program manages (`read` lookups
# included), looked up by type.
network_policy_indexes := [i |
	some t, indexes in data.sahab.lib.plan.managed_indexes
	is_kubernetes({"type": t})
	group({"type": t}) in {"networking.k8s.io", "extensions"}
	kind({"type": t}) == "NetworkPolicy"
	some i in indexes
]

# The NetworkPolicies the program manages.
network_policies := [input.resources[i] | some i in network_policy_indexes]

# Positions of NetworkPolicies by [namespace, provider URN], where the namespace is known.
network_policies_by_namespace[key] contains i if {
	some i in network_policy_indexes
	p := input.resources[i]
	ns := namespace_of(p)
	is_string(ns)
	key := [ns, provider_urn(p)]
}

# Positions of NetworkPolicies by each URN their metadata came from (see metadata_sources).
network_policies_by_source[u] contains i if {
	some i in network_policy_indexes
	some u in metadata_sources(input.resources[i])
}

# Positions of NetworkPolicies by provider URN (null: the default provider).
network_policies_by_provider[u] contains i if {
	some i in network_policy_indexes
	u := provider_urn(input.resources[i])
}
