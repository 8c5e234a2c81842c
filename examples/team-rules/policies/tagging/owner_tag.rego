# METADATA
# title: Every AWS resource names its owner
# description: >-
#   ACME's rule: every managed AWS resource the program creates carries an `owner` tag with a
#   contact, so an incident reaches a person. A `tags` value only known at deploy time is
#   deferred, never passed.
# custom:
#   id: ACME-TAG-001
#   severity: medium
#   enforcement: mandatory
#   remediation: >-
#     Add tags={"owner": "<team mailbox>"} to the resource (or default_tags on its provider).
#   controls:
#     - "ISO/IEC 27001:2022 A.5.9: Inventory of information and other associated assets"
#   deferred_on: the resource's tags, when they come from another resource's output
package acme.rules.tagging.owner_tag

import data.sahab.lib.plan
import rego.v1

_aws(r) if startswith(r.type, "aws:")

deny contains plan.finding(r, sprintf("%s (%s) has no `owner` tag", [r.name, r.type])) if {
	some r in data.sahab.lib.plan.managed
	_aws(r)
	object.get(r, "mode", "create") == "create"
	tags := plan.value_at(r.inputs, ["tags"])
	plan.is_known(tags)
	not _has_owner(tags)
}

deferred contains plan.finding(r, sprintf("%s: its tags are only known at deploy time", [r.name])) if {
	some r in data.sahab.lib.plan.managed
	_aws(r)
	plan.is_unknown(plan.value_at(r.inputs, ["tags"]))
}

_has_owner(tags) if {
	is_string(tags.owner)
	tags.owner != ""
}
