# METADATA
# title: AKS node pools carry sahab's node bootstrap settings
# description: >-
#   AKS runs no user data on its nodes, so the node bootstrap there is the agent pool settings
#   AKS exposes (sahab.components.node_bootstrap.aks_node_configuration): SSH to nodes disabled,
#   or AKS's key-based SSH (securityProfile.sshAccess Disabled or LocalUser), no unsafe sysctls
#   allowed to pods and kubelet refusing to run with swap (kubeletConfig), no swap file
#   (linuxOSConfig). Every created AKS AgentPool (any API version) and every agentPoolProfiles
#   entry of a ManagedCluster (its system pool) must carry exactly one of the library's AKS
#   renders for these three properties (aks_renders in policies/lib/node_bootstrap.rego,
#   generated from the component), so any change, an added setting included, is seen. A property
#   left out leaves the node to AKS's defaults (SSH with the cluster's key) and fails, named.
#   A configuration reviewed outside the library is accepted through a waiver of this rule for
#   that pool or cluster (waivers.yaml: who reviewed it, until when), never silently.
# custom:
#   id: SAHAB-NOD-002
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A pool's securityProfile, kubeletConfig or linuxOSConfig (or a ManagedCluster's
#     agentPoolProfiles), when any part of it is computed at deploy time or secret.
#   remediation: >-
#     Use sahab's Cluster, GpuTrainingPool or InferencePool (bootstrap / system_bootstrap =
#     NodeBootstrap(ssh="disabled" or "key-only")), or pass
#     **sahab.components.node_bootstrap.aks_node_configuration(...) to the AgentPool or the
#     agentPoolProfiles entry and set nothing else in those three properties; for a configuration
#     reviewed elsewhere, record a waiver of SAHAB-NOD-002 for that resource.
#   covers:
#     - azure-native:containerservice:ManagedCluster
#     - azure-native:containerservice:AgentPool
#   controls:
#     - "UAE IA (NESA) T3.2.1: Common Systems Configuration Guidelines"
#     - "ISO/IEC 27001:2022 A.8.5: Secure authentication"
#     - "ISO/IEC 27001:2022 A.8.9: Configuration management"
package sahab.rules.node.aks_bootstrap_from_library

import data.sahab.lib.node_bootstrap
import data.sahab.lib.plan
import rego.v1

_aks(t, kind) if regex.match(sprintf("^azure-native:containerservice(/v[0-9a-z]+)?:%s$", [kind]), t)

# The type tokens (any API version) of the kinds this rule judges, among the plan's.
_cluster_types contains t if {
	some t, _ in data.sahab.lib.plan.created_indexes
	_aks(t, "ManagedCluster")
}

_pool_types contains t if {
	some t, _ in data.sahab.lib.plan.created_indexes
	_aks(t, "AgentPool")
}

# The values the library renders for each property. The generator refuses renders that are not
# every combination of these, so judging each property on its own is judging the whole render.
_library[property] contains value if {
	some render in node_bootstrap.aks_renders
	some property, value in render
}

_items(v) := v if is_array(v)

else := []

# [where, pool] for each node pool a resource declares: an AgentPool is one (where ""), a
# ManagedCluster has its agentPoolProfiles entries ("agentPoolProfiles.<i>.").
_pools(r) := [["", object.get(r, "inputs", {"$unknown": true})]] if {
	r.type in _pool_types
} else := [[sprintf("agentPoolProfiles.%d.", [i]), pool] |
	some i, pool in _items(plan.value_at(object.get(r, "inputs", {"$unknown": true}), ["agentPoolProfiles"]))
]

# Each property of each pool is judged once: ["deny" | "deferred" | "ok", finding].
_results contains [kind, plan.finding(r, message)] if {
	some r in plan.created_of(_cluster_types | _pool_types)
	some [where, pool] in _pools(r)
	some property, values in _library
	[kind, message] := _outcome(r, sprintf("%s%s", [where, property]), values, plan.value_at(pool, [property]))
	kind != "ok"
}

# A cluster whose pool list is only known at deploy time.
_results contains ["deferred", plan.finding(r, sprintf("%s: agentPoolProfiles is only known at deploy time", [r.name]))] if {
	some r in plan.created_of(_cluster_types)
	not plan.is_known(plan.value_at(object.get(r, "inputs", {"$unknown": true}), ["agentPoolProfiles"]))
}

_outcome(r, where, values, value) := ["deny", sprintf("%s: %s is not set: the pool's nodes get AKS's defaults, not sahab's node bootstrap", [r.name, where])] if {
	value == null
} else := ["ok", ""] if {
	value in values
} else := ["deferred", sprintf("%s: %s is only known at deploy time", [r.name, where])] if {
	_holds_unknown(value)
} else := ["deny", sprintf("%s: %s is not sahab's node bootstrap (a changed or foreign setting); use NodeBootstrap, or waive SAHAB-NOD-002 for a reviewed one", [r.name, where])]

_holds_unknown(value) if {
	walk(value, [_, v])
	not plan.is_known(v)
}

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results
