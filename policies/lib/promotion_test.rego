package sahab.lib.promotion_test

import data.sahab.lib.promotion
import rego.v1

# A promotion every rule accepts; the rules' tests change one thing in it.
compliant := {
	"action": "promote",
	"model": "churn",
	"target": {"to": "production", "alias": "champion"},
	"candidate": {
		"uri": "models:/churn/3", "version": "3", "status": "READY",
		"artifact_locations": ["s3://ml-artifacts/1/models/m-3/artifacts", "s3://ml-artifacts/1/run-3/artifacts"],
		"metrics": {"accuracy": 0.93, "rmse": 0.30},
		"tags": {"sahab.drift.status": "no-drift"},
		"datasets": [{"name": "train", "digest": "abc", "location": "s3://ml-data/churn/train.parquet"}],
	},
	"champion": {
		"uri": "models:/churn/2", "version": "2",
		"metrics": {"accuracy": 0.92, "rmse": 0.31},
	},
	"config": {
		"metrics": {
			"accuracy": {"direction": "higher", "threshold": 0.9, "margin": 0.01},
			"rmse": {"direction": "lower", "threshold": 0.35, "margin": 0},
		},
		"allowed_stores": ["s3://ml-artifacts/", "s3://ml-data/"],
		"required_evidence": {"sahab.drift.status": ["no-drift"]},
	},
}

test_a_location_inside_a_store_is_allowed if {
	promotion.in_allowed_store("s3://ml-data/churn/train.parquet") with input as compliant
}

test_a_bucket_sharing_a_prefix_is_not_the_store if {
	not promotion.in_allowed_store("s3://ml-data-eu/churn/train.parquet") with input as compliant
}

test_climbing_out_of_a_store_is_not_inside_it if {
	not promotion.in_allowed_store("s3://ml-data/../elsewhere/x") with input as compliant
	not promotion.in_allowed_store("s3://ml-data/a/..") with input as compliant
}

test_thresholds_in_both_directions if {
	promotion.threshold_problem(0.8, {"direction": "higher", "threshold": 0.9}) == "below the threshold 0.9 (higher is better)"
	promotion.threshold_problem(0.4, {"direction": "lower", "threshold": 0.35}) == "above the threshold 0.35 (lower is better)"
	not promotion.threshold_problem(0.9, {"direction": "higher", "threshold": 0.9})
	not promotion.threshold_problem(0.35, {"direction": "lower", "threshold": 0.35})
}

test_the_subject_is_the_candidate if {
	promotion.finding("m") == {"urn": "models:/churn/3", "type": "mlflow:ModelVersion", "message": "m"} with input as compliant
}

# `compliant` with `change` merged into it (object.union merges nested objects).
changed(change) := object.union(compliant, change)

# `compliant` with the key `key` of its part `part` (candidate, config) removed.
without(part, key) := object.union(object.remove(compliant, {part}), {part: object.remove(compliant[part], {key})})
