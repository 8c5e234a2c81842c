# METADATA
# title: A promoted model was trained on data in the platform's UAE stores
# description: >-
#   Every dataset logged as an input of the candidate's run must have a location inside a store
#   the platform provisions (data.sahab.lib.promotion.allowed_stores). A version with no logged dataset, or a
#   dataset whose location is not known, is a violation: where its training data came from
#   cannot be shown.
# custom:
#   id: SAHAB-PRM-004
#   input: promotion
#   severity: critical
#   enforcement: mandatory
#   remediation: >-
#     Train from data in the platform's stores and log it with mlflow.log_input(mlflow.data.from_...(
#     ..., source="s3://<platform bucket>/...")) in the run that logs the model.
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 22: Cross-Border Transfer and Sharing of Personal Data for Processing Purposes if a Proper Protection Level is Available"
#     - "UAE IA (NESA) T6.3.1: Information Security Requirements for Cloud Environments"
#     - "ISO/IEC 27001:2022 A.5.34: Privacy and protection of PII"
package sahab.promotion.residency.training_data

import data.sahab.lib.promotion
import rego.v1

_datasets := object.get(object.get(input, "candidate", {}), "datasets", [])

deny contains promotion.finding(sprintf("%s has no logged dataset inputs: its training data cannot be shown to be in the UAE", [data.sahab.lib.promotion.subject.urn])) if {
	count(_datasets) == 0
}

deny contains promotion.finding(sprintf("dataset %v (digest %v) of %s has no known location", [
	object.get(d, "name", "?"), object.get(d, "digest", "?"), data.sahab.lib.promotion.subject.urn,
])) if {
	some d in _datasets
	not is_string(object.get(d, "location", null))
}

deny contains promotion.finding(sprintf("dataset %v of %s was read from %s, outside the platform's stores (%s)", [
	object.get(d, "name", "?"), data.sahab.lib.promotion.subject.urn, d.location, concat(", ", data.sahab.lib.promotion.allowed_stores),
])) if {
	some d in _datasets
	is_string(object.get(d, "location", null))
	not promotion.in_allowed_store(d.location)
}
