# METADATA
# title: Instance metadata requires IMDSv2
# description: >-
#   EC2 instances must require session tokens for the instance metadata service (IMDSv2), which
#   blocks the SSRF-style theft of node credentials that IMDSv1 allows. AWS ec2 Instance,
#   SpotInstanceRequest and LaunchTemplate need metadataOptions.httpTokens "required" (or the
#   metadata endpoint disabled); left out, AWS allows IMDSv1. An instance without its own
#   setting that is launched from a LaunchTemplate in the plan is judged by that template; from a
#   template outside the plan, it is deferred, as is any value only known at deploy time.
# custom:
#   id: SAHAB-NET-006
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     metadataOptions, when computed at deploy time or taken from a launch template outside the
#     plan.
#   remediation: >-
#     Set metadata_options={"http_tokens": "required", "http_endpoint": "enabled",
#     "http_put_response_hop_limit": 1} on the instance or launch template (hop limit 1 keeps pods
#     from reaching the node's credentials).
#   covers:
#     - aws:ec2/instance:Instance
#     - aws:ec2/launchTemplate:LaunchTemplate
#     - aws:ec2/spotInstanceRequest:SpotInstanceRequest
#   controls:
#     - "UAE IA (NESA) T5.6.1: Information Access Restriction"
#     - "ISO/IEC 27001:2022 A.8.5: Secure authentication"
#     - "ISO/IEC 27001:2022 A.8.9: Configuration management"
package sahab.rules.network.imdsv2_required

import data.sahab.lib.plan
import rego.v1

_instances := {"aws:ec2/instance:Instance", "aws:ec2/spotInstanceRequest:SpotInstanceRequest"}

_template_type := "aws:ec2/launchTemplate:LaunchTemplate"

# The created resources this rule checks, looked up by type.
_checked(types) := [r | some t in types; some r in plan.created_of_type(t)]

_checked_types := _instances | {_template_type}

# (A resource without inputs reads as unknown, as `not plan.is_known(...)` of its undefined
# settings did.)
_tokens(r) := plan.value_at(object.get(r, "inputs", {"$unknown": true}), ["metadataOptions", "httpTokens"])

_endpoint(r) := plan.value_at(object.get(r, "inputs", {"$unknown": true}), ["metadataOptions", "httpEndpoint"])

# "yes", "no" or "unknown": does the resource itself require IMDSv2?
_requires(tokens, endpoint) := "yes" if {
	endpoint == "disabled"
} else := "yes" if {
	tokens == "required"
} else := "unknown" if {
	not plan.is_known(tokens)
} else := "unknown" if {
	not plan.is_known(endpoint)
} else := "no"

# An instance that leaves the setting to the launch template it is launched from.
_from_template(r, tokens) if {
	r.type in _instances
	tokens == null
	plan.value_at(r.inputs, ["launchTemplate"]) != null
}

# ... a template in the plan, which this rule checks on its own.
_template_in_plan(r) if {
	some _ in plan.points_to(r, "launchTemplate", _template_type)
}

# Each resource is judged once (_results), its metadata options read once.
_results contains [kind, plan.finding(r, message)] if {
	some r in _checked(_checked_types)
	tokens := _tokens(r)
	requires := _requires(tokens, _endpoint(r))
	requires != "yes"
	[kind, message] := _outcome(r, tokens, requires)
	kind != "ok"
}

_outcome(r, tokens, requires) := ["deferred", sprintf("%s: takes its metadata options from a launch template outside the plan", [r.name])] if {
	_from_template(r, tokens)
	not _template_in_plan(r)
} else := ["ok", ""] if {
	_from_template(r, tokens)
} else := ["deny", sprintf("%s allows IMDSv1 (metadataOptions.httpTokens %s; set it to \"required\")", [r.name, _state(tokens)])] if {
	requires == "no"
} else := ["deferred", sprintf("%s: metadataOptions is only known at deploy time", [r.name])]

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results

_state(v) := "is not set" if v == null

else := sprintf("is %v", [v])
