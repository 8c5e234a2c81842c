# METADATA
# title: Promotion helpers
# description: >-
#   Shared helpers over the promotion input document (docs/promotion.md): the model version a
#   finding names, metric values and their direction, and the stores the platform provisions.
#   Findings use plan.finding, with the candidate version as the subject.
package sahab.lib.promotion

import data.sahab.lib.plan
import rego.v1

# What a finding names: the candidate version, by its models:/ URI.
subject := {"urn": object.get(object.get(input, "candidate", {}), "uri", "models:/<unknown>"), "type": "mlflow:ModelVersion"}

# A finding about the candidate version (the one result shape of every rule).
finding(message) := plan.finding(data.sahab.lib.promotion.subject, message)

# The candidate's tags (an empty object when none were gathered).
tags := object.get(object.get(input, "candidate", {}), "tags", {})

# The configured stores, prefixes that end with "/" (promotion.allowed_stores).
allowed_stores := object.get(object.get(input, "config", {}), "allowed_stores", [])

# Whether `location` lies inside one of the configured stores. A location that climbs out of its
# prefix with `..` is never inside.
in_allowed_store(location) if {
	is_string(location)
	not contains(location, "/../")
	not endswith(location, "/..")
	some prefix in data.sahab.lib.promotion.allowed_stores
	startswith(location, prefix)
}

# Whether `version` records metric `name` as a number.
has_metric(version, name) if is_number(object.get(object.get(version, "metrics", {}), name, null))

# What is wrong with `value` against `limit` ({direction, threshold}); undefined when it passes.
threshold_problem(value, limit) := sprintf("below the threshold %v (higher is better)", [limit.threshold]) if {
	limit.direction == "higher"
	value < limit.threshold
} else := sprintf("above the threshold %v (lower is better)", [limit.threshold]) if {
	limit.direction == "lower"
	value > limit.threshold
}

# Whether `value` is worse than `best` by more than `margin`, for a metric of `direction`.
worse_than(value, best, direction, margin) if {
	direction == "higher"
	value < best - margin
} else if {
	direction == "lower"
	value > best + margin
}

# The directions a configured metric may have.
directions := {"higher", "lower"}
