package sahab.promotion.quality.metric_thresholds_test

import data.sahab.lib.promotion_test
import data.sahab.promotion.quality.metric_thresholds as rule
import rego.v1

test_a_version_meeting_every_threshold_passes if {
	count(rule.deny) == 0 with input as promotion_test.compliant
}

test_a_metric_below_its_threshold_is_reported if {
	doc := promotion_test.changed({"candidate": {"metrics": {"accuracy": 0.85}}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "metric accuracy of models:/churn/3 is 0.85, below the threshold 0.9 (higher is better)"}} with input as doc
}

test_a_metric_above_its_threshold_is_reported if {
	doc := promotion_test.changed({"candidate": {"metrics": {"rmse": 0.5}}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "metric rmse of models:/churn/3 is 0.5, above the threshold 0.35 (lower is better)"}} with input as doc
}

test_a_missing_or_textual_metric_is_reported if {
	doc := promotion_test.changed({"candidate": {"metrics": {"accuracy": "0.99"}}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "metric accuracy of models:/churn/3 is not recorded as a number"}} with input as doc
}

test_no_configured_metric_is_reported if {
	doc := promotion_test.without("config", "metrics")
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "no metric thresholds are configured (promotion.metrics): nothing would judge the model's quality"}} with input as doc
}

test_an_unknown_direction_is_reported if {
	doc := promotion_test.changed({"config": {"metrics": {"rmse": {"direction": "smaller"}}}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "metric rmse has direction smaller: it must be higher or lower"}} with input as doc
}
