# METADATA
# title: Load balancers are internal
# description: >-
#   Load balancers must not face the internet. A kubernetes Service of type LoadBalancer must
#   carry an internal annotation (service.beta.kubernetes.io/aws-load-balancer-internal "true",
#   service.beta.kubernetes.io/aws-load-balancer-scheme "internal", or
#   service.beta.kubernetes.io/azure-load-balancer-internal "true"), and neither a Service nor an
#   Ingress may ask the AWS Load Balancer Controller for an "internet-facing" scheme. An Ingress of a
#   controller that makes every load balancer public unless told otherwise needs the internal
#   setting: class azure-application-gateway (AGIC) needs appgw.ingress.kubernetes.io/use-private-ip
#   "true", and class gce (GKE external load balancer) is denied (gce-internal passes). AWS lb and alb
#   LoadBalancer (except gateway load balancers) and classic elb LoadBalancer need internal true
#   (AWS makes them internet-facing when it is left out). An azure-native network LoadBalancer
#   must not have a frontend with a public IP address or prefix. Values only known at deploy time
#   are deferred.
# custom:
#   id: SAHAB-NET-007
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A Service's type or annotations, an Ingress's class or annotations, a load balancer's
#     internal flag, or its frontend IP configurations, when computed at deploy time.
#   remediation: >-
#     Annotate LoadBalancer Services as internal (for example
#     service.beta.kubernetes.io/aws-load-balancer-scheme: internal), set internal=True on AWS
#     load balancers, and use private frontend IPs on Azure load balancers; publish to users
#     through an approved, inspected entry point (VPN, private link, WAF in front of an internal
#     load balancer).
#   covers:
#     - kubernetes:core/v1:Service
#     - kubernetes:networking.k8s.io/v1:Ingress
#     - kubernetes:networking.k8s.io/v1beta1:Ingress
#     - kubernetes:extensions/v1beta1:Ingress
#     - aws:lb/loadBalancer:LoadBalancer
#     - aws:alb/loadBalancer:LoadBalancer
#     - aws:elb/loadBalancer:LoadBalancer
#     - azure-native:network:LoadBalancer
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T4.5.1: Network Controls"
#     - "UAE IA (NESA) T4.5.3: Segregation in Networks"
#     - "ISO/IEC 27001:2022 A.8.20: Networks security"
#     - "ISO/IEC 27001:2022 A.8.22: Segregation of networks"
package sahab.rules.network.internal_load_balancers

import data.sahab.lib.kubernetes as k8s
import data.sahab.lib.plan
import rego.v1

_azure(r, module, name) if regex.match(sprintf("^azure-native:%s(/v[0-9a-z]+)?:%s$", [module, name]), r.type)

# Created resources of an azure-native module and kind (any API version), looked up by type.
_created_azure(module, name) := [r |
	some t, indexes in data.sahab.lib.plan.created_indexes
	_azure({"type": t}, module, name)
	some i in indexes
	r := input.resources[i]
]

# Created Kubernetes objects of a kind (any group and version), looked up by type.
_created_kind(kind_name) := [r |
	some t, indexes in data.sahab.lib.plan.created_indexes
	k8s.is_kubernetes({"type": t})
	k8s.kind({"type": t}) == kind_name
	some i in indexes
	r := input.resources[i]
]

_lower(v) := lower(v) if is_string(v)

else := v

# --- Kubernetes -----------------------------------------------------------------------------

_scheme := "service.beta.kubernetes.io/aws-load-balancer-scheme"

_internal_markers := [
	["service.beta.kubernetes.io/aws-load-balancer-internal", "true"],
	[_scheme, "internal"],
	["service.beta.kubernetes.io/azure-load-balancer-internal", "true"],
]

_annotations(r) := k8s.value_at(r.inputs, ["metadata", "annotations"])

_annotation(r, key) := _lower(object.get(_annotations(r), key, null)) if is_object(_annotations(r))

_internet_facing(r) if _annotation(r, _scheme) == "internet-facing"

_internet_facing(r) if _annotation(r, "alb.ingress.kubernetes.io/scheme") == "internet-facing"

_marked_internal(r) if {
	some [key, value] in _internal_markers
	_annotation(r, key) == value
	not _internet_facing(r)
}

_service_type(r) := k8s.value_at(r.inputs, ["spec", "type"])

deny contains plan.finding(r, sprintf("Service %s is an internet-facing LoadBalancer: annotate it as internal", [r.name])) if {
	some r in k8s.created_of_kind("core", "Service")
	_service_type(r) == "LoadBalancer"
	plan.is_known(_annotations(r))
	not _marked_internal(r)
}

deny contains plan.finding(r, sprintf("%s asks for an internet-facing load balancer scheme", [r.name])) if {
	some r in _created_kind("Ingress")
	_internet_facing(r)
}

# Ingress controllers that build a cloud load balancer for each Ingress, public unless the
# Ingress says otherwise (by its class: spec.ingressClassName, else the kubernetes.io/ingress.class
# annotation): the Azure Application Gateway Ingress Controller gives the listener a public IP
# unless appgw.ingress.kubernetes.io/use-private-ip is "true" (AGIC annotations reference,
# default false); GKE's "gce" class builds an external Application Load Balancer ("gce-internal"
# an internal one). The AWS Load Balancer Controller's "alb" class is internal unless the scheme
# annotation says internet-facing (its default scheme is internal), judged above. Ingresses of
# controllers that run in the cluster (nginx, traefik, ...) are as exposed as the controller's own
# Service, judged below with every Service.
_public_by_default_classes := {
	"azure-application-gateway": "appgw.ingress.kubernetes.io/use-private-ip",
	"azure/application-gateway": "appgw.ingress.kubernetes.io/use-private-ip",
	"gce": "",
}

_ingress_class(r) := class if {
	class := k8s.value_at(r.inputs, ["spec", "ingressClassName"])
	class != null
} else := k8s.value_at(object.get(r.inputs, "metadata", {}), ["annotations", "kubernetes.io/ingress.class"])

deny contains plan.finding(r, sprintf("Ingress %s gets a public load balancer from its class %s (%s)", [r.name, class, _private_hint(marker)])) if {
	some r in _created_kind("Ingress")
	class := _ingress_class(r)
	marker := _public_by_default_classes[_lower(class)]
	plan.is_known(_annotations(r))
	not _annotation(r, marker) == "true"
}

deferred contains plan.finding(r, sprintf("Ingress %s: its class is only known at deploy time", [r.name])) if {
	some r in _created_kind("Ingress")
	not plan.is_known(_ingress_class(r))
}

deferred contains plan.finding(r, sprintf("Ingress %s: its annotations are only known at deploy time", [r.name])) if {
	some r in _created_kind("Ingress")
	_public_by_default_classes[_lower(_ingress_class(r))]
	not plan.is_known(_annotations(r))
}

_private_hint(marker) := "use the gce-internal class for an internal load balancer" if marker == ""

else := sprintf("set the annotation %s: \"true\"", [marker])

deferred contains plan.finding(r, sprintf("Service %s: its type is only known at deploy time", [r.name])) if {
	some r in k8s.created_of_kind("core", "Service")
	not plan.is_known(_service_type(r))
	not _marked_internal(r)
}

deferred contains plan.finding(r, sprintf("Service %s: its annotations are only known at deploy time", [r.name])) if {
	some r in k8s.created_of_kind("core", "Service")
	_service_type(r) == "LoadBalancer"
	not plan.is_known(_annotations(r))
}

deferred contains plan.finding(r, sprintf("Service %s: annotation %s is only known at deploy time", [r.name, key])) if {
	some r in k8s.created_of_kind("core", "Service")
	_service_type(r) in {"LoadBalancer", data.sahab.lib.kubernetes.unknown_marker}
	not _marked_internal(r)
	annotations := _annotations(r)
	is_object(annotations)
	some [key, _] in _internal_markers
	not plan.is_known(object.get(annotations, key, null))
}

# --- AWS ------------------------------------------------------------------------------------

_aws_lbs := {"aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer", "aws:elb/loadBalancer:LoadBalancer"}

_gateway(r) if k8s.value_at(r.inputs, ["loadBalancerType"]) == "gateway"

deny contains plan.finding(r, sprintf("%s is internet-facing (internal %s; set it to true)", [r.name, _state(value)])) if {
	some r in plan.created_of(_aws_lbs)
	not _gateway(r)
	value := k8s.value_at(r.inputs, ["internal"])
	plan.is_known(value)
	value != true
}

deferred contains plan.finding(r, sprintf("%s: internal is only known at deploy time", [r.name])) if {
	some r in plan.created_of(_aws_lbs)
	not _gateway(r)
	not plan.is_known(k8s.value_at(r.inputs, ["internal"]))
}

# --- Azure ----------------------------------------------------------------------------------

_frontends(r) := k8s.value_at(r.inputs, ["frontendIPConfigurations"])

deny contains plan.finding(r, sprintf("%s has a public frontend (frontendIPConfigurations.%d.%s)", [r.name, i, field])) if {
	some r in _created_azure("network", "LoadBalancer")
	some i
	frontend := k8s.items(_frontends(r))[i]
	some field in ["publicIPAddress", "publicIPPrefix"]
	value := k8s.value_at(frontend, [field])
	plan.is_known(value)
	value != null
}

deferred contains plan.finding(r, sprintf("%s: its frontend IP configurations are only known at deploy time", [r.name])) if {
	some r in _created_azure("network", "LoadBalancer")
	_unknown_frontend(r)
}

_unknown_frontend(r) if not plan.is_known(_frontends(r))

_unknown_frontend(r) if {
	some frontend in k8s.items(_frontends(r))
	some field in ["publicIPAddress", "publicIPPrefix"]
	not plan.is_known(k8s.value_at(frontend, [field]))
}

_state(v) := "is not set" if v == null

else := sprintf("is %v", [v])
