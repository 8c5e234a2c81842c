package sahab.rules.network.no_node_ports_test

import data.sahab.rules.network.no_node_ports as rule
import rego.v1

_service(type_token, spec) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::api", [type_token]), "type": type_token, "name": "api",
	"custom": true, "mode": "create", "region": "unknown", "regionSource": "none",
	"inputs": {"metadata": {"name": "api", "namespace": "ml"}, "spec": spec}, "propertyDependencies": {}, "provider": null,
}

_plan(r) := {"resources": [r]}

test_node_port_services_are_denied if {
	every t in ["kubernetes:core/v1:Service", "kubernetes:core/v1:ServicePatch"] {
		p := _plan(_service(t, {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}))
		some f in rule.deny with input as p
		contains(f.message, "NodePort")
	}
}

test_cluster_ip_and_load_balancer_services_pass if {
	every spec in [{"ports": [{"port": 80}]}, {"type": "ClusterIP"}, {"type": "LoadBalancer"}, {"type": "ExternalName", "externalName": "db.internal"}] {
		p := _plan(_service("kubernetes:core/v1:Service", spec))
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_unknown_type_is_deferred if {
	every spec in [{"type": {"$unknown": true}}, {"$unknown": true}] {
		p := _plan(_service("kubernetes:core/v1:Service", spec))
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 1 with input as p
	}
}

test_node_port_objects_of_other_groups_are_not_judged if {
	p := _plan(_service("kubernetes:serving.knative.dev/v1:Service", {"type": "NodePort"}))
	count(rule.deny) == 0 with input as p
}
