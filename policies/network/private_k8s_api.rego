# METADATA
# title: Kubernetes API endpoints are private
# description: >-
#   The control plane of a managed Kubernetes cluster must not be reachable from the internet.
#   An AWS eks Cluster needs vpcConfig.endpointPublicAccess set to false (AWS turns the public
#   endpoint on when it is left out); an azure-native containerservice ManagedCluster (AKS) needs
#   apiServerAccessProfile.enablePrivateCluster set to true. A value only known at deploy time is
#   deferred.
# custom:
#   id: SAHAB-NET-002
#   severity: high
#   enforcement: mandatory
#   remediation: >-
#     EKS: set vpc_config.endpoint_public_access=False and endpoint_private_access=True, and
#     reach the API from inside the VPC (a bastion, VPN or CI runners in the VPC). AKS: set
#     api_server_access_profile.enable_private_cluster=True.
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: technical measures to protect personal data"
#     - "UAE IA (NESA) T4 communications: network security management and perimeter protection"
#     - "ISO/IEC 27001:2022 A.8.20: networks security"
#     - "ISO/IEC 27001:2022 A.8.5: secure authentication"
package sahab.rules.network.private_k8s_api

import data.sahab.lib.plan
import rego.v1

# The input at `path`, or the unknown marker when it or anything on the way to it is unknown.
_at(obj, path) := {"$unknown": true} if {
	is_object(obj)
	some n in numbers.range(0, count(path))
	not plan.is_known(object.get(obj, array.slice(path, 0, n), null))
} else := object.get(obj, path, null) if {
	is_object(obj)
} else := null

_created contains r if {
	some r in plan.managed
	object.get(r, "mode", "create") != "read"
}

_azure(r, module, name) if regex.match(sprintf("^azure-native:%s(/v[0-9a-z]+)?:%s$", [module, name]), r.type)

# [resource, the setting's path, its value, the value it must have]
_settings contains [r, "vpcConfig.endpointPublicAccess", raw, value, false] if {
	some r in _created
	r.type == "aws:eks/cluster:Cluster"
	raw := _at(r.inputs, ["vpcConfig", "endpointPublicAccess"])
	value := _default(raw, true)
}

_settings contains [r, "apiServerAccessProfile.enablePrivateCluster", raw, value, true] if {
	some r in _created
	_azure(r, "containerservice", "ManagedCluster")
	raw := _at(r.inputs, ["apiServerAccessProfile", "enablePrivateCluster"])
	value := _default(raw, false)
}

_default(v, d) := d if v == null

else := v

deny contains plan.finding(r, sprintf("%s has a public Kubernetes API endpoint (%s %s, must be %v)", [r.name, path, _state(raw), want])) if {
	some [r, path, raw, value, want] in _settings
	plan.is_known(value)
	value != want
}

deferred contains plan.finding(r, sprintf("%s: %s is only known at deploy time", [r.name, path])) if {
	some [r, path, _, value, _] in _settings
	not plan.is_known(value)
}

_state(v) := "is not set" if v == null

else := sprintf("is %v", [v])
