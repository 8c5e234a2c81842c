# METADATA
# title: Namespaces deny traffic by default
# description: >-
#   Every kubernetes Namespace the program declares, and every namespace it places workloads in
#   (Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs,
#   CronJobs, PodTemplates), needs a NetworkPolicy in that namespace that selects all pods
#   (podSelector {}), lists both Ingress and Egress in policyTypes and has no allow-all ({})
#   rule, so that only traffic another policy allows gets through. A policy belongs to a
#   namespace by its metadata.namespace (else its provider's namespace, else "default") on the
#   same provider, or, when a name is unknown before deploy, by propertyDependencies from its
#   metadata to the Namespace resource. When that cannot be decided before deploy the finding is
#   deferred.
# custom:
#   id: SAHAB-NET-008
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A workload's namespace, or the NetworkPolicies of its namespace, when computed at deploy
#     time.
#   remediation: >-
#     Add a NetworkPolicy to each namespace with metadata.namespace set to the namespace's name
#     (namespace.metadata.name), spec.podSelector {} and spec.policyTypes ["Ingress", "Egress"],
#     then allow the flows each workload needs (DNS, its callers, its dependencies) with further
#     policies.
#   covers:
#     - kubernetes:core/v1:Namespace
#   covers_sets:
#     - kubernetes-pod-workloads
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T4.5.1: Network Controls"
#     - "UAE IA (NESA) T4.5.3: Segregation in Networks"
#     - "ISO/IEC 27001:2022 A.8.22: Segregation of networks"
#     - "ISO/IEC 27001:2022 A.8.20: Networks security"
package sahab.rules.network.namespace_default_deny

import data.sahab.lib.kubernetes as k8s
import data.sahab.lib.plan
import rego.v1

# Policies are looked up in indexes (k8s.network_policies_by_*, by position in input.resources),
# never scanned per namespace or workload, and what each one does is decided once (_levels).
# No rule of this package holds resources (every rule here is part of the gate's answer), so
# the namespaces and workloads come from functions (the argument is unused).

_namespaces(_) := k8s.created_of_kind("core", "Namespace")

_name(n) := name if {
	name := k8s.value_at(n.inputs, ["metadata", "name"])
	is_string(name)
} else := data.sahab.lib.kubernetes.unknown_marker

# --- what a policy does: "yes" it denies by default, "maybe" (unknown values), else "no" ----

# A field of the policy's spec. (A policy without inputs reads as unknown, as the checks
# below did of its undefined fields.)
_spec_value(p, key) := k8s.value_at(object.get(p, "inputs", {"$unknown": true}), ["spec", key])

_allows_all(p) if {
	some direction in ["ingress", "egress"]
	rule := k8s.items(_spec_value(p, direction))[_]
	rule == {}
}

# "deny" (podSelector {}, policyTypes Ingress and Egress, no allow-all rule), "maybe" (the same
# up to values only known at deploy time) or "no"; each field is read once.
_level(p) := _level_of(_spec_value(p, "podSelector"), _spec_value(p, "policyTypes"), _allows_all_value(p))

_allows_all_value(p) := true if {
	_allows_all(p)
} else := false

_level_of(selector, types, allows) := "deny" if {
	not allows
	k8s.empty_selector(selector)
	"Ingress" in k8s.items(types)
	"Egress" in k8s.items(types)
} else := "maybe" if {
	not allows
	_maybe_empty(selector)
	_may_contain(types, "Ingress")
	_may_contain(types, "Egress")
} else := "no"

_maybe_empty(selector) if not plan.is_known(selector)

_maybe_empty(selector) if {
	is_object(selector)
	every _, v in selector {
		_empty_or_unknown(v)
	}
}

_empty_or_unknown(v) if k8s.is_known_empty(v)

_empty_or_unknown(v) if not plan.is_known(v)

_may_contain(types, t) if t in k8s.items(types)

_may_contain(types, _) if not plan.is_known(types)

_may_contain(types, _) if {
	some x in k8s.items(types)
	not plan.is_known(x)
}

# What each NetworkPolicy does, by its position in input.resources, decided once: "deny" (it
# denies by default), "maybe" (it may: unknown values) or "no".
_levels := {i: _level(input.resources[i]) | some i in data.sahab.lib.kubernetes.network_policy_indexes}


# --- where a policy is: linked to a target {name, provider, urn} -----------------------------

# The policies (positions) linked to `target`: in the namespace of its name with its provider,
# or taken from its Namespace resource (metadata) without naming another namespace.
_linked(target) := {i |
	some i in data.sahab.lib.kubernetes.network_policies_by_namespace[[target.name, target.provider]]
} | {i |
	target.urn != null
	some i in data.sahab.lib.kubernetes.network_policies_by_source[target.urn]
	not _names_differ(k8s.namespace_of(input.resources[i]), target.name)
}

_names_differ(a, b) if {
	is_string(a)
	is_string(b)
	a != b
}

_namespace_urns := {n.urn | some n in _namespaces(true)}

# [name, provider URN] of every declared namespace.
_namespace_keys := {[_name(n), k8s.provider_urn(n)] | some n in _namespaces(true)}

# Taken from another Namespace resource than the target.
_elsewhere(p, target) if {
	some u in k8s.metadata_sources(p)
	u in _namespace_urns
	u != target.urn
}

# Its namespace is unknown and it names no Namespace resource: it may be anywhere.
_floating(p) if {
	not is_string(k8s.namespace_of(p))
	count(k8s.metadata_sources(p) & _namespace_urns) == 0
}

# Some policy that may deny by default may be in any namespace.
_floating_candidate if {
	some i, level in _levels
	level != "no"
	_floating(input.resources[i])
}

_covered(target) if {
	some i in _linked(target)
	_levels[i] == "deny"
}

_undecided(target) if {
	some i in _linked(target)
	_levels[i] != "no"
}

_undecided(_) if _floating_candidate

_undecided(target) if {
	not is_string(target.name)
	some i in data.sahab.lib.kubernetes.network_policies_by_provider[target.provider]
	_levels[i] != "no"
	not _elsewhere(input.resources[i], target)
}

# --- declared namespaces --------------------------------------------------------------------

_target(n) := {"name": _name(n), "provider": k8s.provider_urn(n), "urn": n.urn}

# Each namespace and each workload is judged once (_results).
_results contains [kind, plan.finding(n, message)] if {
	some n in _namespaces(true)
	t := _target(n)
	not _covered(t)
	[kind, message] := _namespace_outcome(n, t)
}

_namespace_outcome(n, t) := ["deferred", sprintf("Namespace %s: whether a default-deny NetworkPolicy is in it is only known at deploy time", [_label(n)])] if {
	_undecided(t)
} else := ["deny", sprintf("Namespace %s has no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress)", [_label(n)])]

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results

_label(n) := sprintf("%q", [_name(n)]) if is_string(_name(n))

else := n.name

# --- namespaces that workloads are placed in, when the plan does not declare them ----------

# Created workloads, without Patch and List forms (decided per type token).
_workloads(_) := [input.resources[i] |
	some t, indexes in data.sahab.lib.plan.created_indexes
	k8s.is_workload({"type": t})
	not k8s.is_patch({"type": t})
	not k8s.is_list({"type": t})
	some i in indexes
]

_declared_namespace(w) if {
	some u in k8s.metadata_sources(w)
	u in _namespace_urns
}

_declared_namespace(w) if {
	ns := k8s.namespace_of(w)
	is_string(ns)
	[ns, k8s.provider_urn(w)] in _namespace_keys
}

_results contains [kind, plan.finding(w, message)] if {
	some w in _workloads(true)
	not _declared_namespace(w)
	[kind, message] := _workload_outcome(w, k8s.namespace_of(w))
	kind != "ok"
}

_workload_outcome(w, ns) := ["deferred", sprintf("%s: its namespace is only known at deploy time", [w.name])] if {
	not is_string(ns)
} else := ["ok", ""] if {
	_covered({"name": ns, "provider": k8s.provider_urn(w), "urn": null})
} else := ["deferred", sprintf("%s: whether its namespace %q has a default-deny NetworkPolicy is only known at deploy time", [w.name, ns])] if {
	_undecided({"name": ns, "provider": k8s.provider_urn(w), "urn": null})
} else := ["deny", sprintf("%s runs in namespace %q, which has no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress)", [w.name, ns])]
