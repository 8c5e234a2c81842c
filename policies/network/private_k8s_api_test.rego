package sahab.rules.network.private_k8s_api_test

import data.sahab.rules.network.private_k8s_api as rule
import rego.v1

_res(type_token, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::c", [type_token]), "type": type_token, "name": "c",
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider",
	"inputs": inputs, "propertyDependencies": {}, "provider": null,
}

_eks(vpc) := _res("aws:eks/cluster:Cluster", {"name": "c", "roleArn": {"$unknown": true}, "vpcConfig": vpc})

_aks(profile) := _res("azure-native:containerservice:ManagedCluster", object.union({"resourceGroupName": "rg", "dnsPrefix": "c"}, profile))

test_eks_public_endpoint_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_eks({"endpointPublicAccess": true, "subnetIds": ["s-1"]})]}
}

test_eks_endpoint_left_to_the_default_is_denied if {
	some f in rule.deny with input as {"resources": [_eks({"subnetIds": ["s-1"]})]}
	contains(f.message, "endpointPublicAccess")
}

test_eks_private_endpoint_passes if {
	p := {"resources": [_eks({"endpointPrivateAccess": true, "endpointPublicAccess": false, "subnetIds": {"$unknown": true}})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_eks_unknown_vpc_config_is_deferred if {
	p := {"resources": [_eks({"$unknown": true})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_aks_public_api_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_aks({})]}
	count(rule.deny) == 1 with input as {"resources": [_aks({"apiServerAccessProfile": {"enablePrivateCluster": false}})]}
}

test_aks_private_cluster_passes if {
	p := {"resources": [_aks({"apiServerAccessProfile": {"enablePrivateCluster": true}})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_aks_unknown_is_deferred if {
	p := {"resources": [_aks({"apiServerAccessProfile": {"enablePrivateCluster": {"$unknown": true}}})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}
