# METADATA
# title: A promoted model does not regress against the current holder of the alias
# description: >-
#   When the target alias (champion for production, staging for staging) is held by another
#   version, the candidate may be worse than it on a configured metric by at most that metric's
#   margin. A holder without the metric cannot be compared, which is a violation, not a pass. A
#   rollback returns to an earlier version on purpose and is judged by the other rules only.
# custom:
#   id: SAHAB-PRM-002
#   input: promotion
#   severity: high
#   enforcement: mandatory
#   remediation: >-
#     Improve the candidate until it is no worse than the current version by more than the margin
#     (promotion.regression_margin, or the metric's own margin), or log the metric on the current
#     version's run so the two can be compared.
#   controls:
#     - "ISO/IEC 27001:2022 A.8.29: Security testing in development and acceptance"
#     - "ISO/IEC 27001:2022 A.8.32: Change management"
package sahab.promotion.quality.no_regression

import data.sahab.lib.promotion
import rego.v1

_metrics := object.get(object.get(input, "config", {}), "metrics", {})

_candidate := object.get(input, "candidate", {})

# The other version holding the target alias, when this is a promotion.
_holder := input.champion if {
	input.action == "promote"
	is_object(input.champion)
	object.get(input.champion, "version", null) != object.get(_candidate, "version", null)
}

deny contains promotion.finding(sprintf("metric %s of %s is %v, worse than %v of the current %s version %v by more than the margin %v", [
	name, data.sahab.lib.promotion.subject.urn, value, best, object.get(object.get(input, "target", {}), "alias", "?"),
	object.get(_holder, "version", "?"), margin,
])) if {
	some name, limit in _metrics
	value := _candidate.metrics[name]
	is_number(value)
	best := _holder.metrics[name]
	is_number(best)
	margin := object.get(limit, "margin", 0)
	promotion.worse_than(value, best, object.get(limit, "direction", null), margin)
}

deny contains promotion.finding(sprintf("the current %s version %v has no metric %s to compare %s with", [
	object.get(object.get(input, "target", {}), "alias", "?"), object.get(_holder, "version", "?"), name, data.sahab.lib.promotion.subject.urn,
])) if {
	is_object(_holder)
	some name, _ in _metrics
	not promotion.has_metric(_holder, name)
}
