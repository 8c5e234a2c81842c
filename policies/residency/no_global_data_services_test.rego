package sahab.rules.residency.no_global_data_services_test

import data.sahab.rules.residency.no_global_data_services as rule
import rego.v1

_r(type_token, name, region, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": region, "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": {}, "provider": "urn:pulumi:dev::p::pulumi:providers:aws::uae",
}

test_cloudfront_distribution_is_denied if {
	d := _r("aws:cloudfront/distribution:Distribution", "cdn", "me-central-1", {"enabled": true})
	some f in rule.deny with input as {"resources": [d]}
	contains(f.message, "CloudFront")
}

test_global_accelerator_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_r("aws:globalaccelerator/accelerator:Accelerator", "ga", "me-central-1", {"name": "ga"})]}
}

test_dynamodb_global_table_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_r("aws:dynamodb/globalTable:GlobalTable", "gt", "me-central-1", {"replicas": [{"regionName": "me-central-1"}]})]}
}

test_multi_region_access_point_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_r("aws:s3control/multiRegionAccessPoint:MultiRegionAccessPoint", "mrap", "me-central-1", {})]}
}

test_azure_front_door_profile_and_endpoint_are_denied if {
	resources := [
		_r("azure-native:cdn:Profile", "fd", "global", {"sku": {"name": "Standard_AzureFrontDoor"}}),
		_r("azure-native:cdn:AFDEndpoint", "ep", "global", {"profileName": "fd"}),
	]
	count(rule.deny) == 2 with input as {"resources": resources}
}

test_regional_services_pass if {
	resources := [
		_r("aws:lb/loadBalancer:LoadBalancer", "alb", "me-central-1", {"internal": true}),
		_r("aws:dynamodb/table:Table", "t", "me-central-1", {"hashKey": "id"}),
	]
	count(rule.deny) == 0 with input as {"resources": resources}
}

_cosmos(locations) := _r("azure-native:cosmosdb:DatabaseAccount", "cosmos", "uaenorth", {"databaseAccountOfferType": "Standard", "locations": locations})

test_cosmos_with_a_location_outside_the_uae_is_denied if {
	c := _cosmos([{"locationName": "UAE North", "failoverPriority": 0}, {"locationName": "westeurope", "failoverPriority": 1}])
	some f in rule.deny with input as {"resources": [c]}
	contains(f.message, "westeurope")
	count(rule.deny) == 1 with input as {"resources": [c]}
}

test_cosmos_in_the_uae_pair_passes if {
	c := _cosmos([{"locationName": "uaenorth", "failoverPriority": 0}, {"locationName": "UAE Central", "failoverPriority": 1}])
	count(rule.deny) == 0 with input as {"resources": [c]}
	count(rule.deferred) == 0 with input as {"resources": [c]}
}

test_cosmos_unknown_location_is_deferred if {
	c := _cosmos([{"locationName": {"$unknown": true}, "failoverPriority": 0}])
	count(rule.deferred) == 1 with input as {"resources": [c]}
	count(rule.deny) == 0 with input as {"resources": [c]}
}

test_cosmos_unknown_locations_list_is_deferred if {
	count(rule.deferred) == 1 with input as {"resources": [_cosmos({"$unknown": true})]}
}
