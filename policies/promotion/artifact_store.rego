# METADATA
# title: A promoted model's artifacts are in the platform's UAE stores
# description: >-
#   The candidate's artifact locations (the logged model's artifacts and its run's artifact root)
#   must each lie inside a store the platform provisions (data.sahab.lib.promotion.allowed_stores: S3 buckets in
#   me-central-1, Azure containers in uaenorth or uaecentral). A location that is unknown, or a
#   configuration listing no store, is a violation: a model stored elsewhere would be served from
#   outside the UAE.
# custom:
#   id: SAHAB-PRM-003
#   input: promotion
#   severity: critical
#   enforcement: mandatory
#   remediation: >-
#     Log the model to an experiment whose artifact location is in one of the platform's stores
#     (or through a tracking server whose artifacts destination is), then register it again; list
#     the platform's stores under data.sahab.lib.promotion.allowed_stores.
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 22: Cross-Border Transfer and Sharing of Personal Data for Processing Purposes if a Proper Protection Level is Available"
#     - "UAE IA (NESA) T6.3.1: Information Security Requirements for Cloud Environments"
#     - "ISO/IEC 27001:2022 A.5.23: Information security for use of cloud services"
package sahab.promotion.residency.artifact_store

import data.sahab.lib.promotion
import rego.v1

_locations := object.get(object.get(input, "candidate", {}), "artifact_locations", [])

deny contains promotion.finding("no stores are configured (promotion.allowed_stores): no artifact location can be shown to be in the UAE") if {
	count(promotion.allowed_stores) == 0
}

deny contains promotion.finding(sprintf("the artifact location of %s is not known", [data.sahab.lib.promotion.subject.urn])) if {
	count(_locations) == 0
}

deny contains promotion.finding(sprintf("artifacts of %s are at %v, outside the platform's stores (%s)", [
	data.sahab.lib.promotion.subject.urn, location, concat(", ", data.sahab.lib.promotion.allowed_stores),
])) if {
	some location in _locations
	not promotion.in_allowed_store(location)
}
