# METADATA
# title: A promoted model carries the required validation evidence
# description: >-
#   Every tag configured under promotion.required_evidence (a drift verdict, a bias review, a
#   security scan) must be recorded on the candidate version with one of its accepted values. A
#   configuration requiring no evidence is a violation too: the gate would accept an unvalidated
#   model.
# custom:
#   id: SAHAB-PRM-005
#   input: promotion
#   severity: high
#   enforcement: mandatory
#   remediation: >-
#     Run the validation and record its result on the model version
#     (MlflowClient().set_model_version_tag(name, version, tag, value)); the drift job records
#     sahab.drift.status itself.
#   controls:
#     - "ISO/IEC 27001:2022 A.8.29: Security testing in development and acceptance"
#     - "ISO/IEC 27001:2022 A.8.32: Change management"
package sahab.promotion.evidence.required_evidence

import data.sahab.lib.promotion
import rego.v1

_required := object.get(object.get(input, "config", {}), "required_evidence", {})

deny contains promotion.finding("no validation evidence is required (promotion.required_evidence): an unvalidated model would pass") if {
	count(_required) == 0
}

deny contains promotion.finding(sprintf("evidence %s is not recorded on %s", [tag, data.sahab.lib.promotion.subject.urn])) if {
	some tag, _ in _required
	not is_string(object.get(data.sahab.lib.promotion.tags, tag, null))
}

deny contains promotion.finding(sprintf("evidence %s of %s is %q; accepted: %s", [tag, data.sahab.lib.promotion.subject.urn, value, concat(", ", accepted)])) if {
	some tag, accepted in _required
	value := data.sahab.lib.promotion.tags[tag]
	is_string(value)
	not value in accepted
}
