package sahab.promotion.evidence.required_evidence_test

import data.sahab.lib.promotion_test
import data.sahab.promotion.evidence.required_evidence as rule
import rego.v1

test_recorded_evidence_passes if {
	count(rule.deny) == 0 with input as promotion_test.compliant
}

test_missing_evidence_is_reported if {
	doc := object.union(promotion_test.without("candidate", "tags"), {"candidate": {"tags": {"other": "x"}}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "evidence sahab.drift.status is not recorded on models:/churn/3"}} with input as doc
}

test_evidence_with_a_value_not_accepted_is_reported if {
	doc := promotion_test.changed({"candidate": {"tags": {"sahab.drift.status": "drift"}}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "evidence sahab.drift.status of models:/churn/3 is \"drift\"; accepted: no-drift"}} with input as doc
}

test_no_required_evidence_is_reported if {
	doc := promotion_test.without("config", "required_evidence")
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "no validation evidence is required (promotion.required_evidence): an unvalidated model would pass"}} with input as doc
}
