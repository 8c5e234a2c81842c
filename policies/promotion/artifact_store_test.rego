package sahab.promotion.residency.artifact_store_test

import data.sahab.lib.promotion_test
import data.sahab.promotion.residency.artifact_store as rule
import rego.v1

test_artifacts_in_the_stores_pass if {
	count(rule.deny) == 0 with input as promotion_test.compliant
}

test_artifacts_outside_the_stores_are_reported if {
	doc := promotion_test.changed({"candidate": {"artifact_locations": ["s3://ml-artifacts/1/m", "s3://eu-bucket/1/m"]}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "artifacts of models:/churn/3 are at s3://eu-bucket/1/m, outside the platform's stores (s3://ml-artifacts/, s3://ml-data/)"}} with input as doc
}

test_an_unknown_artifact_location_is_reported if {
	doc := promotion_test.changed({"candidate": {"artifact_locations": []}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "the artifact location of models:/churn/3 is not known"}} with input as doc
}

test_a_location_that_is_not_text_is_reported if {
	doc := promotion_test.changed({"candidate": {"artifact_locations": [null]}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "artifacts of models:/churn/3 are at null, outside the platform's stores (s3://ml-artifacts/, s3://ml-data/)"}} with input as doc
}

test_no_configured_store_is_reported if {
	doc := promotion_test.without("config", "allowed_stores")
	messages := {f.message | some f in rule.deny} with input as doc
	messages == {
		"no stores are configured (promotion.allowed_stores): no artifact location can be shown to be in the UAE",
		"artifacts of models:/churn/3 are at s3://ml-artifacts/1/models/m-3/artifacts, outside the platform's stores ()",
		"artifacts of models:/churn/3 are at s3://ml-artifacts/1/run-3/artifacts, outside the platform's stores ()",
	}
}
