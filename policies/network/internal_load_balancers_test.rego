package sahab.rules.network.internal_load_balancers_test

import data.sahab.rules.network.internal_load_balancers as rule
import rego.v1

_res(type_token, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::x", [type_token]), "type": type_token, "name": "x",
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider",
	"inputs": inputs, "propertyDependencies": {}, "provider": null,
}

_service(type, annotations) := _res("kubernetes:core/v1:Service", {
	"apiVersion": "v1", "kind": "Service",
	"metadata": {"name": "web", "namespace": "apps", "annotations": annotations},
	"spec": {"type": type, "ports": [{"port": 443}], "selector": {"app": "web"}},
})

test_public_load_balancer_service_is_denied if {
	p := {"resources": [_service("LoadBalancer", {})]}
	count(rule.deny) == 1 with input as p
}

test_internet_facing_scheme_is_denied if {
	p := {"resources": [_service("LoadBalancer", {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing", "service.beta.kubernetes.io/aws-load-balancer-internal": "true"})]}
	count(rule.deny) == 1 with input as p
}

test_internal_annotations_pass if {
	every annotations in [
		{"service.beta.kubernetes.io/aws-load-balancer-internal": "true"},
		{"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
		{"service.beta.kubernetes.io/azure-load-balancer-internal": "true"},
	] {
		p := {"resources": [_service("LoadBalancer", annotations)]}
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_cluster_ip_service_passes if {
	p := {"resources": [_service("ClusterIP", {})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_unknown_service_type_is_deferred if {
	p := {"resources": [_service({"$unknown": true}, {})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_unknown_annotation_is_deferred if {
	p := {"resources": [_service("LoadBalancer", {"service.beta.kubernetes.io/aws-load-balancer-scheme": {"$unknown": true}})]}
	count(rule.deferred) == 1 with input as p
}

test_internet_facing_ingress_is_denied if {
	ingress := _res("kubernetes:networking.k8s.io/v1:Ingress", {"metadata": {"annotations": {"alb.ingress.kubernetes.io/scheme": "internet-facing"}}, "spec": {}})
	p := {"resources": [ingress]}
	count(rule.deny) == 1 with input as p
}

test_aws_load_balancer_must_be_internal if {
	every c in [["aws:lb/loadBalancer:LoadBalancer", {"loadBalancerType": "application"}], ["aws:alb/loadBalancer:LoadBalancer", {"internal": false}], ["aws:elb/loadBalancer:LoadBalancer", {}]] {
		p := {"resources": [_res(c[0], c[1])]}
		count(rule.deny) == 1 with input as p
	}
}

test_internal_aws_load_balancer_passes if {
	p := {"resources": [_res("aws:lb/loadBalancer:LoadBalancer", {"internal": true, "loadBalancerType": "network"})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
	q := {"resources": [_res("aws:lb/loadBalancer:LoadBalancer", {"loadBalancerType": "gateway"})]}
	count(rule.deny) == 0 with input as q
}

test_aws_load_balancer_unknown_is_deferred if {
	p := {"resources": [_res("aws:lb/loadBalancer:LoadBalancer", {"internal": {"$unknown": true}})]}
	count(rule.deferred) == 1 with input as p
}

test_azure_load_balancer_with_public_frontend_is_denied if {
	p := {"resources": [_res("azure-native:network:LoadBalancer", {"frontendIPConfigurations": [{"name": "fe", "publicIPAddress": {"id": {"$unknown": true}}}]})]}
	count(rule.deny) == 1 with input as p
}

test_azure_load_balancer_with_private_frontend_passes if {
	p := {"resources": [_res("azure-native:network:LoadBalancer", {"frontendIPConfigurations": [{"name": "fe", "subnet": {"id": {"$unknown": true}}, "privateIPAllocationMethod": "Dynamic"}]})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_azure_load_balancer_unknown_frontends_are_deferred if {
	p := {"resources": [_res("azure-native:network:LoadBalancer", {"frontendIPConfigurations": {"$unknown": true}})]}
	count(rule.deferred) == 1 with input as p
}

# --- Ingress classes that build public load balancers by default ------------------------------

_ingress(class_name, annotations) := _res("kubernetes:networking.k8s.io/v1:Ingress", {
	"metadata": {"name": "web", "namespace": "apps", "annotations": annotations},
	"spec": object.union({"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}, _class(class_name)),
})

_class(name) := {} if name == null

else := {"ingressClassName": name}

test_ingress_of_a_public_by_default_class_is_denied if {
	every c in [
		["azure-application-gateway", {}],
		["azure-application-gateway", {"appgw.ingress.kubernetes.io/use-private-ip": "false"}],
		[null, {"kubernetes.io/ingress.class": "azure/application-gateway"}],
		["gce", {}],
		[null, {"kubernetes.io/ingress.class": "gce"}],
	] {
		p := {"resources": [_ingress(c[0], c[1])]}
		some f in rule.deny with input as p
		contains(f.message, "public load balancer")
		count(rule.deferred) == 0 with input as p
	}
}

test_ingress_with_an_internal_load_balancer_passes if {
	every c in [
		["azure-application-gateway", {"appgw.ingress.kubernetes.io/use-private-ip": "true"}],
		["gce-internal", {}],
		["alb", {}],
		["alb", {"alb.ingress.kubernetes.io/scheme": "internal"}],
		["nginx", {}],
	] {
		p := {"resources": [_ingress(c[0], c[1])]}
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_ingress_with_unknown_class_or_annotations_is_deferred if {
	every r in [
		_ingress({"$unknown": true}, {}),
		_res("kubernetes:networking.k8s.io/v1:Ingress", {"metadata": {"name": "web", "annotations": {"$unknown": true}}, "spec": {"ingressClassName": "azure-application-gateway"}}),
	] {
		p := {"resources": [r]}
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 1 with input as p
	}
}
