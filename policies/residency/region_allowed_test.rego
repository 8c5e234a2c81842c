package sahab.rules.residency.region_allowed_test

import data.sahab.rules.residency.region_allowed
import rego.v1

_bucket(region, source) := {
	"urn": "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b", "type": "aws:s3/bucket:Bucket", "name": "b",
	"custom": true, "region": region, "regionSource": source, "inputs": {},
	"propertyDependencies": {}, "provider": null,
}

test_bucket_outside_the_uae_is_denied if {
	some f in region_allowed.deny with input as {"resources": [_bucket("eu-west-1", "resource")]}
	f.urn == "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b"
	contains(f.message, "eu-west-1")
}

test_bucket_in_me_central_1_passes if {
	count(region_allowed.deny) == 0 with input as {"resources": [_bucket("me-central-1", "provider")]}
}

test_azure_uaenorth_passes if {
	count(region_allowed.deny) == 0 with input as {"resources": [_bucket("uaenorth", "resource")]}
}

test_unknown_own_region_is_deferred if {
	count(region_allowed.deferred) == 1 with input as {"resources": [_bucket("unknown", "resource")]}
	count(region_allowed.deny) == 0 with input as {"resources": [_bucket("unknown", "resource")]}
}

test_provider_outside_the_uae_is_denied if {
	provider := {
		"urn": "urn:pulumi:dev::p::pulumi:providers:aws::eu", "type": "pulumi:providers:aws", "name": "eu",
		"custom": true, "region": "eu-west-1", "regionSource": "resource", "inputs": {"region": "eu-west-1"},
		"propertyDependencies": {}, "provider": null,
	}
	some f in region_allowed.deny with input as {"resources": [provider]}
	f.urn == provider.urn
}

test_component_is_not_a_subject if {
	component := {
		"urn": "urn:pulumi:dev::p::acme:Store::s", "type": "acme:Store", "name": "s",
		"custom": false, "region": "eu-west-1", "regionSource": "provider", "inputs": {},
		"propertyDependencies": {}, "provider": null,
	}
	count(region_allowed.deny) == 0 with input as {"resources": [component]}
}

test_azure_display_name_is_canonicalised if {
	count(region_allowed.deny) == 0 with input as {"resources": [_bucket("UAE North", "resource")]}
}

_typed(type_, region) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::z", [type_]), "type": type_, "name": "z",
	"custom": true, "region": region, "regionSource": "resource", "inputs": {"location": region},
	"propertyDependencies": {}, "provider": null,
}

test_private_dns_zone_and_link_may_be_global if {
	resources := [_typed("azure-native:privatedns:PrivateZone", "global"), _typed("azure-native:privatedns:VirtualNetworkLink", "Global")]
	count(region_allowed.deny) == 0 with input as {"resources": resources}
}

test_other_azure_types_may_not_be_global if {
	some f in region_allowed.deny with input as {"resources": [_typed("azure-native:storage:StorageAccount", "global")]}
	contains(f.message, "\"global\"")
}

test_private_dns_zone_outside_the_uae_is_still_denied if {
	count(region_allowed.deny) == 1 with input as {"resources": [_typed("azure-native:privatedns:PrivateZone", "westeurope")]}
}
