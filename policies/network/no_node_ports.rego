# METADATA
# title: Services are not published on node ports
# description: >-
#   A Kubernetes Service of type NodePort opens its port on every node of the cluster, on every
#   node address, around whatever load balancer or ingress is meant to be the entry point; how far
#   it reaches is then up to the nodes' security groups and addresses, not the service. A
#   kubernetes core/v1 Service (or ServicePatch) must not have spec.type NodePort. LoadBalancer
#   Services are judged by SAHAB-NET-007. A type only known at deploy time is deferred.
# custom:
#   id: SAHAB-NET-010
#   severity: medium
#   enforcement: mandatory
#   remediation: >-
#     Use a ClusterIP Service behind an internal load balancer or an ingress controller; to
#     reach a service for debugging, use kubectl port-forward.
#   deferred_on: >-
#     spec.type of a Service, when the program computes it from a value only known at deploy time.
#   covers:
#     - kubernetes:core/v1:Service
#     - kubernetes:core/v1:ServicePatch
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T4.5.1: Network Controls"
#     - "UAE IA (NESA) T4.5.3: Segregation in Networks"
#     - "ISO/IEC 27001:2022 A.8.20: Networks security"
#     - "ISO/IEC 27001:2022 A.8.22: Segregation of networks"
package sahab.rules.network.no_node_ports

import data.sahab.lib.kubernetes as k8s
import data.sahab.lib.plan
import rego.v1

# The created Services (plain and Patch forms, any version), looked up by type.
_services := [r |
	some t, indexes in data.sahab.lib.plan.created_indexes
	k8s.is_kubernetes({"type": t})
	k8s.group({"type": t}) == "core"
	k8s.kind({"type": t}) in {"Service", "ServicePatch"}
	some i in indexes
	r := input.resources[i]
]

deny contains plan.finding(r, sprintf("Service %s is published on a port of every node (spec.type is NodePort)", [r.name])) if {
	some r in _services
	k8s.value_at(r.inputs, ["spec", "type"]) == "NodePort"
}

deferred contains plan.finding(r, sprintf("Service %s: its type is only known at deploy time", [r.name])) if {
	some r in _services
	not plan.is_known(k8s.value_at(r.inputs, ["spec", "type"]))
}
