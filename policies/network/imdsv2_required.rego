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
#   remediation: >-
#     Set metadata_options={"http_tokens": "required", "http_endpoint": "enabled",
#     "http_put_response_hop_limit": 1} on the instance or launch template (hop limit 1 keeps pods
#     from reaching the node's credentials).
#   controls:
#     - "UAE IA (NESA) T5 access control: access to information systems"
#     - "ISO/IEC 27001:2022 A.8.5: secure authentication"
#     - "ISO/IEC 27001:2022 A.8.9: configuration management"
package sahab.rules.network.imdsv2_required

import data.sahab.lib.plan
import rego.v1

# The input at `path`, or the unknown marker when it or anything on the way to it is unknown.
_at(obj, path) := {"$unknown": true} if {
	is_object(obj)
	some n in numbers.range(0, count(path))
	not plan.is_known(object.get(obj, array.slice(path, 0, n), null))
} else := object.get(obj, path, null) if {
	is_object(obj)
} else := null

_created contains r if {
	some r in plan.managed
	object.get(r, "mode", "create") != "read"
}

_instances := {"aws:ec2/instance:Instance", "aws:ec2/spotInstanceRequest:SpotInstanceRequest"}

_template_type := "aws:ec2/launchTemplate:LaunchTemplate"

_checked(r) if r.type in _instances

_checked(r) if r.type == _template_type

_tokens(r) := _at(r.inputs, ["metadataOptions", "httpTokens"])

_endpoint(r) := _at(r.inputs, ["metadataOptions", "httpEndpoint"])

# "yes", "no" or "unknown": does the resource itself require IMDSv2?
_requires(r) := "yes" if {
	_endpoint(r) == "disabled"
} else := "yes" if {
	_tokens(r) == "required"
} else := "unknown" if {
	not plan.is_known(_tokens(r))
} else := "unknown" if {
	not plan.is_known(_endpoint(r))
} else := "no"

# An instance that leaves the setting to the launch template it is launched from.
_from_template(r) if {
	r.type in _instances
	_tokens(r) == null
	_at(r.inputs, ["launchTemplate"]) != null
}

# ... a template in the plan, which this rule checks on its own.
_template_in_plan(r) if {
	some t in plan.resources
	t.type == _template_type
	plan.points_at(r, "launchTemplate", t)
}

deny contains plan.finding(r, sprintf("%s allows IMDSv1 (metadataOptions.httpTokens %s; set it to \"required\")", [r.name, _state(_tokens(r))])) if {
	some r in _created
	_checked(r)
	_requires(r) == "no"
	not _from_template(r)
}

deferred contains plan.finding(r, sprintf("%s: metadataOptions is only known at deploy time", [r.name])) if {
	some r in _created
	_checked(r)
	_requires(r) == "unknown"
	not _from_template(r)
}

deferred contains plan.finding(r, sprintf("%s: takes its metadata options from a launch template outside the plan", [r.name])) if {
	some r in _created
	_checked(r)
	_requires(r) != "yes"
	_from_template(r)
	not _template_in_plan(r)
}

_state(v) := "is not set" if v == null

else := sprintf("is %v", [v])
