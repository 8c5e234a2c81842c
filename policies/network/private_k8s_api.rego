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
#   deferred_on: >-
#     The API endpoint access settings (endpointPublicAccess, enablePrivateCluster), when computed
#     at deploy time.
#   remediation: >-
#     EKS: set vpc_config.endpoint_public_access=False and endpoint_private_access=True, and
#     reach the API from inside the VPC (a bastion, VPN or CI runners in the VPC). AKS: set
#     api_server_access_profile.enable_private_cluster=True.
#   covers:
#     - aws:eks/cluster:Cluster
#     - azure-native:containerservice:ManagedCluster
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T4.5.1: Network Controls"
#     - "UAE IA (NESA) T4.5.3: Segregation in Networks"
#     - "ISO/IEC 27001:2022 A.8.20: Networks security"
#     - "ISO/IEC 27001:2022 A.8.5: Secure authentication"
package sahab.rules.network.private_k8s_api

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

_eks_type := "aws:eks/cluster:Cluster"

# The clusters this rule checks.
_clusters(eks_type) := array.concat(
	[r | some r in plan.created_of_type(eks_type)],
	_created_azure("containerservice", "ManagedCluster"),
)

# [the setting's path, its raw value, its value, the value it must have] of cluster `r`
_setting(r) := ["vpcConfig.endpointPublicAccess", raw, _default(raw, true), false] if {
	r.type == _eks_type
	raw := plan.value_at(r.inputs, ["vpcConfig", "endpointPublicAccess"])
}

_setting(r) := ["apiServerAccessProfile.enablePrivateCluster", raw, _default(raw, false), true] if {
	_azure(r, "containerservice", "ManagedCluster")
	raw := plan.value_at(r.inputs, ["apiServerAccessProfile", "enablePrivateCluster"])
}

_default(v, d) := d if v == null

else := v

deny contains plan.finding(r, sprintf("%s has a public Kubernetes API endpoint (%s %s, must be %v)", [r.name, path, _state(raw), want])) if {
	some r in _clusters(_eks_type)
	[path, raw, value, want] := _setting(r)
	plan.is_known(value)
	value != want
}

deferred contains plan.finding(r, sprintf("%s: %s is only known at deploy time", [r.name, path])) if {
	some r in _clusters(_eks_type)
	[path, _, value, _] := _setting(r)
	not plan.is_known(value)
}

_state(v) := "is not set" if v == null

else := sprintf("is %v", [v])
