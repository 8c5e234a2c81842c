package sahab.promotion.quality.no_regression_test

import data.sahab.lib.promotion_test
import data.sahab.promotion.quality.no_regression as rule
import rego.v1

test_a_version_within_the_margin_passes if {
	# accuracy 0.915 is 0.005 below the champion's 0.92: inside the 0.01 margin
	count(rule.deny) == 0 with input as promotion_test.changed({"candidate": {"metrics": {"accuracy": 0.915}}})
}

test_a_regression_beyond_the_margin_is_reported if {
	doc := promotion_test.changed({"candidate": {"metrics": {"accuracy": 0.905}}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "metric accuracy of models:/churn/3 is 0.905, worse than 0.92 of the current champion version 2 by more than the margin 0.01"}} with input as doc
}

test_a_lower_is_better_regression_is_reported if {
	doc := promotion_test.changed({"candidate": {"metrics": {"rmse": 0.32}}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "metric rmse of models:/churn/3 is 0.32, worse than 0.31 of the current champion version 2 by more than the margin 0"}} with input as doc
}

test_a_champion_without_the_metric_is_reported if {
	doc := promotion_test.changed({"champion": {"metrics": {"rmse": "n/a"}}})
	rule.deny == {{"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "the current champion version 2 has no metric rmse to compare models:/churn/3 with"}} with input as doc
}

test_no_champion_means_nothing_to_regress_against if {
	count(rule.deny) == 0 with input as promotion_test.changed({"champion": null, "candidate": {"metrics": {"accuracy": 0.5}}})
}

test_a_rollback_is_not_compared_with_the_version_it_replaces if {
	count(rule.deny) == 0 with input as promotion_test.changed({"action": "rollback", "candidate": {"metrics": {"accuracy": 0.5}}})
}
