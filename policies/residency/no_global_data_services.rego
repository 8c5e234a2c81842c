# METADATA
# title: No global (edge or multi-Region) data services
# description: >-
#   Services that are not bound to one Region hold, cache or route data outside the UAE. Denied
#   by type: AWS CloudFront distributions (edge caches worldwide), Global Accelerator standard
#   and custom-routing accelerators, DynamoDB global tables (legacy version 2017), S3
#   Multi-Region Access Points, and Azure CDN / Front Door (cdn profiles, endpoints and AFD
#   endpoints, classic frontdoor). Azure Cosmos DB accounts are denied when a location in their
#   `locations` list is outside the UAE (an unknown location is deferred). Decision on services
#   that hold no data (Global Accelerator, a Front Door or CDN with caching off): they are
#   denied too, under the same mandatory enforcement. They terminate client connections at edge
#   locations around the world, decrypting traffic there in the case of CDN and Front Door, and
#   their configuration lives in a global control plane outside the UAE (us-west-2 for Global
#   Accelerator, us-east-1 for CloudFront, "global" for Azure); whether caching is off is not a
#   property the plan can prove for every request path. Accept one through a recorded waiver.
# custom:
#   id: SAHAB-RES-005
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     The location of a data service, when computed at deploy time.
#   remediation: >-
#     Serve from the Region: a regional load balancer (ALB/NLB, Azure Application Gateway) in
#     me-central-1 or uaenorth, regional DynamoDB tables and S3 buckets, and Cosmos DB accounts
#     whose locations are only uaenorth and uaecentral. Where an edge service is accepted, record
#     a waiver with the justification and the data it may see.
#   covers:
#     - aws:cloudfront/distribution:Distribution
#     - aws:dynamodb/globalTable:GlobalTable
#     - aws:globalaccelerator/accelerator:Accelerator
#     - aws:globalaccelerator/customRoutingAccelerator:CustomRoutingAccelerator
#     - aws:s3control/multiRegionAccessPoint:MultiRegionAccessPoint
#     - azure-native:cdn:AFDEndpoint
#     - azure-native:cdn:Endpoint
#     - azure-native:cdn:Profile
#     - azure-native:frontdoor:FrontDoor
#     - azure-native:cosmosdb:DatabaseAccount
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 22: Cross-Border Transfer and Sharing of Personal Data for Processing Purposes if a Proper Protection Level is Available"
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 23: Cross-Border Transfer and Sharing of Personal Data for Processing Purposes if a Proper Protection Level is not Available"
#     - "UAE IA (NESA) T6.3.1: Information Security Requirements for Cloud Environments"
#     - "ISO/IEC 27001:2022 A.5.23: Information security for use of cloud services"
#     - "ISO/IEC 27001:2022 A.5.34: Privacy and protection of PII"
package sahab.rules.residency.no_global_data_services

import data.sahab.lib.azure
import data.sahab.lib.plan
import rego.v1

# Global services, with what they do outside the Region.
_global := {
	"aws:cloudfront/distribution:Distribution": "caches content at CloudFront edge locations worldwide",
	"aws:globalaccelerator/accelerator:Accelerator": "terminates client connections at Global Accelerator edge locations worldwide",
	"aws:globalaccelerator/customRoutingAccelerator:CustomRoutingAccelerator": "terminates client connections at Global Accelerator edge locations worldwide",
	"aws:dynamodb/globalTable:GlobalTable": "replicates a table across Regions (DynamoDB global table)",
	"aws:s3control/multiRegionAccessPoint:MultiRegionAccessPoint": "routes requests to buckets in several Regions over a global endpoint",
	"azure-native:cdn:Profile": "caches and terminates traffic at Azure CDN / Front Door edge locations worldwide",
	"azure-native:cdn:Endpoint": "caches and terminates traffic at Azure CDN edge locations worldwide",
	"azure-native:cdn:AFDEndpoint": "caches and terminates traffic at Azure Front Door edge locations worldwide",
	"azure-native:frontdoor:FrontDoor": "caches and terminates traffic at Azure Front Door edge locations worldwide",
}

deny contains plan.finding(r, sprintf("%s is a global service: it %s, outside the UAE", [r.name, _global[r.type]])) if {
	some r in azure.created_of(object.keys(_global))
}

# Cosmos DB: every location of the account holds a full replica of its data.
_cosmos_types := {"azure-native:cosmosdb:DatabaseAccount"}

# The location names of Cosmos DB account `r`.
_locations(r) := [azure.field(location, "locationName") | some location in azure.items(plan.input_at(r, ["locations"]))]

deny contains plan.finding(r, sprintf("%s keeps a replica of its data in %s, outside the UAE", [r.name, value])) if {
	some r in azure.created_of(_cosmos_types)
	some value in _locations(r)
	azure.non_empty(value)
	not azure.in_uae(value)
}

deferred contains plan.finding(r, sprintf("%s has a location that is only known at deploy time", [r.name])) if {
	some r in azure.created_of(_cosmos_types)
	some value in _locations(r)
	not plan.is_known(value)
}
