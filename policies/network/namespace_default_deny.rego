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
#   remediation: >-
#     Add a NetworkPolicy to each namespace with metadata.namespace set to the namespace's name
#     (namespace.metadata.name), spec.podSelector {} and spec.policyTypes ["Ingress", "Egress"],
#     then allow the flows each workload needs (DNS, its callers, its dependencies) with further
#     policies.
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: technical measures to protect personal data"
#     - "UAE IA (NESA) T4 communications: network security management and network segregation"
#     - "ISO/IEC 27001:2022 A.8.22: segregation of networks"
#     - "ISO/IEC 27001:2022 A.8.20: networks security"
package sahab.rules.network.namespace_default_deny

import data.sahab.lib.kubernetes as k8s
import data.sahab.lib.plan
import rego.v1

_created contains r if {
	some r in plan.managed
	object.get(r, "mode", "create") != "read"
}

_namespaces contains r if {
	some r in _created
	k8s.is_kubernetes(r)
	k8s.group(r) == "core"
	k8s.kind(r) == "Namespace"
}

_name(n) := name if {
	name := k8s.value_at(n.inputs, ["metadata", "name"])
	is_string(name)
} else := k8s.unknown_marker

_policies contains p if {
	some p in plan.managed
	k8s.is_kubernetes(p)
	k8s.group(p) in {"networking.k8s.io", "extensions"}
	k8s.kind(p) == "NetworkPolicy"
}

# --- what a policy does: "yes" it denies by default, "maybe" (unknown values), else "no" ----

_types(p) := k8s.value_at(p.inputs, ["spec", "policyTypes"])

_selector(p) := k8s.value_at(p.inputs, ["spec", "podSelector"])

_allows_all(p) if {
	some direction in ["ingress", "egress"]
	rule := k8s.items(k8s.value_at(p.inputs, ["spec", direction]))[_]
	rule == {}
}

_default_deny(p) if {
	k8s.empty_selector(_selector(p))
	"Ingress" in k8s.items(_types(p))
	"Egress" in k8s.items(_types(p))
	not _allows_all(p)
}

_maybe_default_deny(p) if {
	not _default_deny(p)
	_maybe_empty(_selector(p))
	_may_contain(_types(p), "Ingress")
	_may_contain(_types(p), "Egress")
	not _allows_all(p)
}

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

_candidate(p) if _default_deny(p)

_candidate(p) if _maybe_default_deny(p)

# --- where a policy is: linked to a target {name, provider, urn} -----------------------------

_linked(p, target) if {
	ns := k8s.namespace_of(p)
	is_string(ns)
	ns == target.name
	k8s.provider_urn(p) == target.provider
}

_linked(p, target) if {
	target.urn != null
	target.urn in k8s.metadata_sources(p)
	not _names_differ(k8s.namespace_of(p), target.name)
}

_names_differ(a, b) if {
	is_string(a)
	is_string(b)
	a != b
}

_namespace_urns := {n.urn | some n in _namespaces}

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

_covered(target) if {
	some p in _policies
	_default_deny(p)
	_linked(p, target)
}

_undecided(target) if {
	some p in _policies
	_candidate(p)
	_may_be_in(p, target)
}

_may_be_in(p, target) if _linked(p, target)

_may_be_in(p, _) if _floating(p)

_may_be_in(p, target) if {
	not is_string(target.name)
	k8s.provider_urn(p) == target.provider
	not _elsewhere(p, target)
}

# --- declared namespaces --------------------------------------------------------------------

_target(n) := {"name": _name(n), "provider": k8s.provider_urn(n), "urn": n.urn}

deny contains plan.finding(n, sprintf("Namespace %s has no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress)", [_label(n)])) if {
	some n in _namespaces
	t := _target(n)
	not _covered(t)
	not _undecided(t)
}

deferred contains plan.finding(n, sprintf("Namespace %s: whether a default-deny NetworkPolicy is in it is only known at deploy time", [_label(n)])) if {
	some n in _namespaces
	t := _target(n)
	not _covered(t)
	_undecided(t)
}

_label(n) := sprintf("%q", [_name(n)]) if is_string(_name(n))

else := n.name

# --- namespaces that workloads are placed in, when the plan does not declare them ----------

_workloads contains w if {
	some w in _created
	k8s.is_workload(w)
	not k8s.is_patch(w)
	not k8s.is_list(w)
}

_declared_namespace(w) if {
	some n in _namespaces
	n.urn in k8s.metadata_sources(w)
}

_declared_namespace(w) if {
	ns := k8s.namespace_of(w)
	is_string(ns)
	some n in _namespaces
	_name(n) == ns
	k8s.provider_urn(n) == k8s.provider_urn(w)
}

deny contains plan.finding(w, sprintf("%s runs in namespace %q, which has no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress)", [w.name, ns])) if {
	some w in _workloads
	not _declared_namespace(w)
	ns := k8s.namespace_of(w)
	is_string(ns)
	t := {"name": ns, "provider": k8s.provider_urn(w), "urn": null}
	not _covered(t)
	not _undecided(t)
}

deferred contains plan.finding(w, sprintf("%s: whether its namespace %q has a default-deny NetworkPolicy is only known at deploy time", [w.name, ns])) if {
	some w in _workloads
	not _declared_namespace(w)
	ns := k8s.namespace_of(w)
	is_string(ns)
	t := {"name": ns, "provider": k8s.provider_urn(w), "urn": null}
	not _covered(t)
	_undecided(t)
}

deferred contains plan.finding(w, sprintf("%s: its namespace is only known at deploy time", [w.name])) if {
	some w in _workloads
	not _declared_namespace(w)
	not is_string(k8s.namespace_of(w))
}
