# METADATA
# title: Value helpers
# description: >-
#   Cloud-neutral helpers over the values of the plan document when part of them is only known at
#   deploy time (docs/plan-format.md, "Partial values"): a string built from known text and
#   unknown parts ({"$unknown": true, "$partial": [...]}), the policy document such a string
#   parses to ("$json"), and three-valued decisions on them. A decision is "yes" when the known
#   parts prove the condition, "no" when they refute it (no completion of the unknown parts,
#   each taken as any string, could satisfy it), else "unknown": only that one is deferred.
#   A partial value still carries "$unknown": true, so plan.is_known stays false for it and a rule
#   that does not use these helpers keeps deferring on it.
package sahab.lib.value

import rego.v1

# --- partial values --------------------------------------------------------------------------

# A string built from known text and unknown parts.
is_partial(v) if {
	v["$unknown"] == true
	is_array(v["$partial"])
}

# The document a partial JSON string parses to, unknown parts as markers (absent when the
# planner could not parse it, e.g. when a key holds an unknown part).
json_document(v) := doc if {
	v["$unknown"] == true
	doc := v["$json"]
	_is_collection(doc)
}

_is_collection(doc) if is_object(doc)

_is_collection(doc) if is_array(doc)

# The known text at the start of a value: a known string whole, a partial string's known parts
# up to its first unknown part. Undefined for anything else.
known_prefix(v) := v if {
	is_string(v)
} else := concat("", array.slice(parts, 0, _first_unknown(parts))) if {
	is_partial(v)
	parts := v["$partial"]
}

# The known text at the end: a known string whole, a partial string's known parts after its
# last unknown part.
known_suffix(v) := v if {
	is_string(v)
} else := concat("", array.slice(parts, _last_unknown(parts) + 1, count(parts))) if {
	is_partial(v)
	parts := v["$partial"]
}

_first_unknown(parts) := min({i | some i, p in parts; not is_string(p)} | {count(parts)})

_last_unknown(parts) := max({i | some i, p in parts; not is_string(p)} | {-1})

# A value as text for a finding's message: a partial string with "<unknown>" for each unknown
# part, "<unknown>" for an unknown or secret value, anything else as JSON.
display(v) := v if {
	is_string(v)
} else := concat("", [_display_part(p) | some p in v["$partial"]]) if {
	is_partial(v)
} else := "<unknown>" if {
	v["$unknown"] == true
} else := "<unknown>" if {
	v["$secret"] == true
} else := sprintf("%v", [v])

_display_part(p) := p if is_string(p)

_display_part(p) := "<unknown>" if not is_string(p)

# --- three-valued decisions ------------------------------------------------------------------

# "yes" if any decision is "yes", else "unknown" if any is, else "no" (an empty list is "no").
any_of(decisions) := "yes" if {
	"yes" in decisions
} else := "unknown" if {
	"unknown" in decisions
} else := "no"

# "no" if any decision is "no", else "unknown" if any is, else "yes" (an empty list is "yes").
all_of(decisions) := "no" if {
	"no" in decisions
} else := "unknown" if {
	"unknown" in decisions
} else := "yes"

# The value is the string `s`. A partial string is refuted when its known start or end does
# not fit `s`; an unknown or secret value is "unknown"; any other value (number, object,
# null...) is not a string: "no".
equals(v, s) := _equals(v, s, false)

# The same, ignoring case (IAM compares actions, condition keys and Boolean values that way).
equals_fold(v, s) := _equals(v, s, true)

# The value is one of the strings in `options`.
equals_any(v, options) := any_of([equals(v, s) | some s in options])

# The same, ignoring case.
equals_any_fold(v, options) := any_of([equals_fold(v, s) | some s in options])

_equals(v, s, fold) := _same(_fold(v, fold), _fold(s, fold)) if {
	is_string(v)
} else := "no" if {
	is_partial(v)
	not _fits(_fold(known_prefix(v), fold), _fold(known_suffix(v), fold), _fold(s, fold))
} else := "unknown" if {
	v["$unknown"] == true
} else := "unknown" if {
	v["$secret"] == true
} else := "no"

_fold(text, true) := lower(text)

_fold(text, false) := text

# Some completion of prefix + <unknown> + suffix is `s`.
_fits(prefix, suffix, s) if {
	startswith(s, prefix)
	endswith(s, suffix)
	count(prefix) + count(suffix) <= count(s)
}

_answer(true) := "yes"

_answer(false) := "no"

_same(a, b) := "yes" if a == b

_same(a, b) := "no" if a != b

_at_least(n, floor) := "yes" if n >= floor

_at_least(n, floor) := "no" if n < floor

# The value starts with `prefix`: decided by a partial string's known start when it is long
# enough, "unknown" when it is shorter and still fits.
starts_with(v, prefix) := _answer(startswith(v, prefix)) if {
	is_string(v)
} else := "yes" if {
	startswith(known_prefix(v), prefix)
} else := "unknown" if {
	is_partial(v)
	startswith(prefix, known_prefix(v))
} else := "no" if {
	is_partial(v)
} else := "unknown" if {
	v["$unknown"] == true
} else := "unknown" if {
	v["$secret"] == true
} else := "no"

# The value is a number (or a decimal string) of at least `floor`. A partial string whose known
# start cannot begin a decimal number is "no"; any other partial or unknown value is "unknown".
at_least(v, floor) := _at_least(v, floor) if {
	is_number(v)
} else := _at_least(to_number(v), floor) if {
	is_string(v)
	regex.match(`^[0-9]+(\.[0-9]+)?$`, v)
} else := "no" if {
	is_partial(v)
	not regex.match(`^[0-9]*(\.[0-9]*)?$`, known_prefix(v))
} else := "unknown" if {
	v["$unknown"] == true
} else := "unknown" if {
	v["$secret"] == true
} else := "no"
