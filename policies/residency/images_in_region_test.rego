package sahab.rules.residency.images_in_region_test

import data.sahab.rules.residency.images_in_region
import rego.v1

_deployment(image) := {
	"urn": "urn:pulumi:dev::p::kubernetes:apps/v1:Deployment::serve", "type": "kubernetes:apps/v1:Deployment",
	"name": "serve", "custom": true, "mode": "create", "region": "unknown", "regionSource": "none",
	"provider": "urn:pulumi:dev::p::pulumi:providers:kubernetes::k8s", "propertyDependencies": {},
	"inputs": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "serve", "namespace": "ml"},
		"spec": {"template": {"spec": {"containers": [{"name": "model", "image": image}]}}}},
}

_acr(name, location) := {
	"urn": sprintf("urn:pulumi:dev::p::azure-native:containerregistry:Registry::%s", [name]),
	"type": "azure-native:containerregistry:Registry", "name": name, "custom": true, "region": location,
	"regionSource": "resource", "provider": "urn:pulumi:dev::p::pulumi:providers:azure-native::az",
	"propertyDependencies": {}, "inputs": {"registryName": name, "location": location},
}

test_docker_hub_image_is_denied if {
	p := {"resources": [_deployment("nginx:1.27")]}
	some f in images_in_region.deny with input as p
	f.urn == "urn:pulumi:dev::p::kubernetes:apps/v1:Deployment::serve"
	contains(f.message, "nginx:1.27")
}

test_ecr_in_another_region_is_denied if {
	p := {"resources": [_deployment("111122223333.dkr.ecr.eu-west-1.amazonaws.com/model:1")]}
	count(images_in_region.deny) == 1 with input as p
}

test_ecr_in_me_central_1_passes if {
	p := {"resources": [_deployment("111122223333.dkr.ecr.me-central-1.amazonaws.com/model@sha256:abc")]}
	count(images_in_region.deny) == 0 with input as p
	count(images_in_region.deferred) == 0 with input as p
}

test_acr_declared_in_uae_north_passes if {
	p := {"resources": [_deployment("mlreg.azurecr.io/model:1"), _acr("mlreg", "uaenorth")]}
	count(images_in_region.deny) == 0 with input as p
}

test_acr_declared_outside_the_uae_is_denied if {
	p := {"resources": [_deployment("mlreg.azurecr.io/model:1"), _acr("mlreg", "westeurope")]}
	count(images_in_region.deny) == 1 with input as p
}

test_undeclared_acr_is_denied if {
	p := {"resources": [_deployment("elsewhere.azurecr.io/model:1")]}
	count(images_in_region.deny) == 1 with input as p
}

test_unknown_image_is_deferred if {
	p := {"resources": [_deployment({"$unknown": true})]}
	count(images_in_region.deferred) == 1 with input as p
	count(images_in_region.deny) == 0 with input as p
}

# --- images built from deploy-time outputs (partial values, docs/plan-format.md) --------------

_tag := {"$unknown": true, "of": {"urn": "urn:pulumi:dev::p::docker-build:index:Image::model", "output": "digest"}}

_repository_url := {"$unknown": true, "of": {"urn": "urn:pulumi:dev::p::aws:ecr/repository:Repository::model", "output": "repositoryUrl"}}

_judge(image) := {"deny": d, "deferred": e} if {
	d := [f.message | some f in images_in_region.deny] with input as {"resources": [_deployment(image)]}
	e := count(images_in_region.deferred) with input as {"resources": [_deployment(image)]}
}

test_partial_image_with_a_known_registry_is_decided if {
	_judge({"$unknown": true, "$partial": ["111122223333.dkr.ecr.me-central-1.amazonaws.com/model@", _tag]}) == {"deny": [], "deferred": 0}
	_judge({"$unknown": true, "$partial": ["111122223333.dkr.ecr.eu-west-1.amazonaws.com/model@", _tag]}) == {
		"deny": ["serve: spec.template.spec.containers.0 pulls 111122223333.dkr.ecr.eu-west-1.amazonaws.com/model@<unknown> from outside the UAE's registries"],
		"deferred": 0,
	}
	_judge({"$unknown": true, "$partial": ["docker.io/library/", _tag]}) == {
		"deny": ["serve: spec.template.spec.containers.0 pulls docker.io/library/<unknown> from outside the UAE's registries"],
		"deferred": 0,
	}
}

test_partial_image_whose_registry_is_unknown_is_deferred if {
	_judge({"$unknown": true, "$partial": [_repository_url, ":1.0"]}) == {"deny": [], "deferred": 1}
	_judge({"$unknown": true, "$partial": ["111122223333.dkr.ecr.me-central-1.amazonaws", _tag]}) == {"deny": [], "deferred": 1}
}
