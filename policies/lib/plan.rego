# METADATA
# title: Plan helpers
# description: >-
#   Shared helpers over the sahab plan document (docs/plan-format.md): resource selection,
#   unknown and secret markers, relations through propertyDependencies, the UAE region set.
package sahab.lib.plan

import rego.v1

# The regions data may stay in: AWS Middle East (UAE) and Azure UAE North / UAE Central.
uae_regions := {"me-central-1", "uaenorth", "uaecentral"}

# A region or location in canonical form: Azure accepts display names ("UAE North") as well as
# names ("uaenorth"); AWS region codes are already canonical.
canonical_region(name) := lower(replace(name, " ", "")) if is_string(name)

# Every resource the program declared (providers and components included).
resources := input.resources

# Resources of one type token.
of_type(type_token) := [r | some r in input.resources; r.type == type_token]

# Managed (custom) resources that are not providers.
managed contains r if {
	some r in input.resources
	r.custom
	not is_provider(r)
}

is_provider(r) if startswith(r.type, "pulumi:providers:")

# A value the planner could not know before deploy.
is_unknown(value) if {
	is_object(value)
	value["$unknown"] == true
}

# A value that holds a secret (never readable in the plan).
is_secret(value) if {
	is_object(value)
	value["$secret"] == true
}

# A known, plain value: neither unknown nor secret.
is_known(value) if {
	not is_unknown(value)
	not is_secret(value)
}

# The input at a dotted path of a resource, e.g. input_at(r, ["vpcConfig", "endpointPublicAccess"]).
input_at(r, path) := object.get(r.inputs, path, null)

# Resources whose input `property` came from `target` (by URN): how a companion resource
# (an encryption configuration, a public access block) is tied to what it configures when the
# target's ID is still unknown.
points_at(r, property, target) if {
	some urn in object.get(r.propertyDependencies, property, [])
	urn == target.urn
}

# Companions of `target` of type `type_token` that reference it through `property`.
companions(target, type_token, property) := [c |
	some c in input.resources
	c.type == type_token
	points_at(c, property, target)
]

# The provider resource of `r`, if it uses an explicit one.
provider_of(r) := p if {
	some p in input.resources
	p.urn == r.provider
}

# A finding's shape: every rule's `deny` and `deferred` sets hold these.
finding(r, message) := {"urn": r.urn, "type": r.type, "message": message}
