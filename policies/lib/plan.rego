# METADATA
# title: Plan helpers
# description: >-
#   Shared helpers over the sahab plan document (docs/plan-format.md): resource selection,
#   unknown and secret markers, relations through propertyDependencies, the UAE region set.
#   Indexes over the plan (by type, by URN) are complete rules, so each is built once per
#   evaluation; rules look resources up in them instead of scanning input.resources per resource.
package sahab.lib.plan

import rego.v1

# The regions data may stay in: AWS Middle East (UAE) and Azure UAE North / UAE Central.
uae_regions := {"me-central-1", "uaenorth", "uaecentral"}

# A region or location in canonical form: Azure accepts display names ("UAE North") as well as
# names ("uaenorth"); AWS region codes are already canonical.
canonical_region(name) := lower(replace(name, " ", "")) if is_string(name)

# Every resource the program declared (providers and components included).
resources := input.resources

# Resources of one type token, in plan order.
of_type(type_token) := [input.resources[i] | some i in _indexes_by_type[type_token]]

# Managed (custom) resources that are not providers.
managed contains r if {
	some r in input.resources
	r.custom
	not is_provider(r)
}

# --- indexes ---------------------------------------------------------------------------------
#
# Built once per evaluation (complete rules), as positions in input.resources: sets of numbers
# are cheap to build and to look up. Read them through the functions below, or iterate
# `some t, indexes in data.sahab.lib.plan.created_indexes` with `input.resources[i]`.
# (Inside a function, name a rule of another package by its full path: regorus 0.13 can lose a
# rule reached through an import alias from a function.)

# Positions in input.resources by type token. (The key is bound in the body: regorus 0.13 fails
# the whole rule on a resource without a type when the head reads `r.type` itself.)
_indexes_by_type[t] contains i if {
	some i, r in input.resources
	t := r.type
}

# Positions of managed (custom, not provider) resources by type token.
managed_indexes := {t: (indexes - _not_custom) |
	some t, indexes in _indexes_by_type
	not is_provider({"type": t})
}

# Positions of the managed resources this program creates (`read` lookups of existing
# resources left out) by type token. (It also builds by_urn, which every evaluation uses: a plan
# with two different resources under one URN stops the evaluation, whatever rules it needs.)
created_indexes := by_type if {
	by_urn
	by_type := {t: (indexes - _read) | some t, indexes in managed_indexes}
}

# The few exceptions, gathered in one pass each and taken out of the per-type sets.
_not_custom := {i | some i, r in input.resources; not r.custom}

_read := {i | some i, r in input.resources; r.mode == "read"}

# Every resource by URN. (Two different resources with one URN make this a conflict, which
# stops the evaluation: a plan never has them; see created_indexes.)
by_urn := {r.urn: r | some r in input.resources}

# The created resources of type token `t`.
created_of_type(t) := [input.resources[i] | some i in created_indexes[t]]

# The created resources whose type token is in `types`.
created_of(types) := [input.resources[i] |
	some t in {x | some x in types}
	some i in created_indexes[t]
]

# Provider resources (pulumi:providers:*).
providers := [input.resources[i] |
	some t, indexes in _indexes_by_type
	is_provider({"type": t})
	some i in indexes
]

# Managed resources without a type token (not in the indexes above; a plan never has them,
# but they count where every managed resource does). Only looked for when some resource is
# missing from _indexes_by_type.
untyped_managed := [r |
	count(input.resources) != sum([count(indexes) | some indexes in _indexes_by_type])
	some r in input.resources
	not _typed(r)
	r.custom
	not is_provider(r)
]

_typed(r) if _ := r.type

# Every managed resource (see managed_indexes), in no particular order.
managed_list := array.concat([input.resources[i] | some indexes in managed_indexes; some i in indexes], untyped_managed)

# Providers and managed resources: everything that has a region of its own.
providers_and_managed := array.concat(providers, managed_list)

is_provider(r) if startswith(r.type, "pulumi:providers:")

# A value the planner could not know before deploy. (Only an object can hold the key: a
# lookup in a string, number, array or set is undefined, so no is_object test is needed.)
is_unknown(value) if value["$unknown"] == true

# A value that holds a secret (never readable in the plan).
is_secret(value) if value["$secret"] == true

# A known, plain value: neither unknown nor secret. Called for nearly every value a rule reads,
# so it tests the markers inline rather than through is_unknown and is_secret.
is_known(value) if {
	not value["$unknown"] == true
	not value["$secret"] == true
}

# Any of `values` is unknown or secret.
any_unknown(values) if {
	some v in values
	v["$unknown"] == true
}

any_unknown(values) if {
	some v in values
	v["$secret"] == true
}

# The value at `path` (keys, or indexes into arrays) of object `obj`: null when absent (or when
# `obj` is not an object), an unknown marker when the value or anything on the way to it,
# `obj` included, is unknown or secret (the value's own marker when it is one, so that a partial
# value keeps its known parts: sahab.lib.value). Rules call it for nearly every input they read:
# it tests `obj` and the value first, then the objects in between, one else-chain.
value_at(obj, path) := _checked_at(obj, object.get(obj, path, null), path) if {
	is_object(obj)
} else := null

_checked_at(obj, value, path) := {"$unknown": true} if {
	obj["$unknown"] == true
} else := {"$unknown": true} if {
	obj["$secret"] == true
} else := value if {
	value["$unknown"] == true
} else := {"$unknown": true} if {
	value["$secret"] == true
} else := value if {
	count(path) < 2
} else := {"$unknown": true} if {
	any_unknown([object.get(obj, array.slice(path, 0, 1), null)])
} else := value if {
	count(path) < 3
} else := {"$unknown": true} if {
	any_unknown([object.get(obj, array.slice(path, 0, n), null) | some n in numbers.range(2, count(path) - 1)])
} else := value

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
	some c in of_type(type_token)
	points_at(c, property, target)
]

# Resources of type `type_token` that input `property` of `r` came from.
points_to(r, property, type_token) := [t |
	some urn in object.get(r.propertyDependencies, property, [])
	t := by_urn[urn]
	t.type == type_token
]

# The provider resource of `r`, if it uses an explicit one.
provider_of(r) := by_urn[r.provider]

# A finding's shape: every rule's `deny` and `deferred` sets hold these.
finding(r, message) := {"urn": r.urn, "type": r.type, "message": message}
