# METADATA
# title: A promoted model meets the configured metric thresholds
# description: >-
#   Every metric configured under promotion.metrics must be recorded on the candidate version (its
#   run or logged model) as a number and meet its threshold in its direction (higher or lower is
#   better). A metric that is missing, not a number or configured with an unknown direction is a
#   violation, and so is a configuration with no metric at all: nothing would judge the model.
# custom:
#   id: SAHAB-PRM-001
#   input: promotion
#   severity: high
#   enforcement: mandatory
#   remediation: >-
#     Log the metric in the run (or on the logged model) that produced the version, or improve the
#     model until it meets the threshold; configure at least one metric under promotion.metrics.
#   controls:
#     - "ISO/IEC 27001:2022 A.8.29: Security testing in development and acceptance"
#     - "ISO/IEC 27001:2022 A.8.32: Change management"
package sahab.promotion.quality.metric_thresholds

import data.sahab.lib.promotion
import rego.v1

_metrics := object.get(object.get(input, "config", {}), "metrics", {})

_candidate := object.get(input, "candidate", {})

deny contains promotion.finding("no metric thresholds are configured (promotion.metrics): nothing would judge the model's quality") if {
	count(_metrics) == 0
}

deny contains promotion.finding(sprintf("metric %s has direction %v: it must be higher or lower", [name, object.get(limit, "direction", null)])) if {
	some name, limit in _metrics
	not object.get(limit, "direction", null) in data.sahab.lib.promotion.directions
}

deny contains promotion.finding(sprintf("metric %s of %s is not recorded as a number", [name, data.sahab.lib.promotion.subject.urn])) if {
	some name, _ in _metrics
	not promotion.has_metric(_candidate, name)
}

deny contains promotion.finding(sprintf("metric %s of %s is %v, %s", [name, data.sahab.lib.promotion.subject.urn, value, problem])) if {
	some name, limit in _metrics
	value := _candidate.metrics[name]
	is_number(value)
	problem := promotion.threshold_problem(value, limit)
}
