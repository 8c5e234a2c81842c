package sahab.promotion.residency.training_data_test

import data.sahab.lib.promotion_test
import data.sahab.promotion.residency.training_data as rule
import rego.v1

test_data_in_the_stores_passes if {
	count(rule.deny) == 0 with input as promotion_test.compliant
}

test_data_outside_the_stores_is_reported if {
	doc := promotion_test.changed({"candidate": {"datasets": [{"name": "train", "digest": "abc", "location": "https://example.com/train.csv"}]}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "dataset train of models:/churn/3 was read from https://example.com/train.csv, outside the platform's stores (s3://ml-artifacts/, s3://ml-data/)"}} with input as doc
}

test_a_dataset_without_a_location_is_reported if {
	doc := promotion_test.changed({"candidate": {"datasets": [{"name": "train", "digest": "abc", "location": null}]}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "dataset train (digest abc) of models:/churn/3 has no known location"}} with input as doc
}

test_no_logged_dataset_is_reported if {
	doc := promotion_test.changed({"candidate": {"datasets": []}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "models:/churn/3 has no logged dataset inputs: its training data cannot be shown to be in the UAE"}} with input as doc
}

test_a_dataset_missing_every_field_is_still_reported if {
	doc := promotion_test.changed({"candidate": {"datasets": [{}]}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "dataset ? (digest ?) of models:/churn/3 has no known location"}} with input as doc
}
