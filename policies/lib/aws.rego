# METADATA
# title: AWS helpers
# description: >-
#   Shared helpers for rules over pulumi-aws resources in the plan document: resources by URN,
#   relations through propertyDependencies, S3 buckets and their companion resources, KMS key
#   references, ARNs and IAM policy documents. Every helper is total over odd input shapes
#   (regorus stops the whole evaluation on a type error, so strings are checked before use).
package sahab.lib.aws

import data.sahab.lib.plan
import data.sahab.lib.value as values
import rego.v1

# Every resource by URN, built once per evaluation (see plan.by_urn).
by_urn := data.sahab.lib.plan.by_urn

# Managed resources this program creates (providers, components and `read` lookups of
# existing resources, whose configuration the program does not set, left out) whose type is in
# `types`, looked up by type (see plan.created_indexes).
created_of(types) := plan.created_of(types)

# Resources of the plan that input `property` of `r` came from (by propertyDependencies).
sources(r, property) := [s |
	deps := r.propertyDependencies[property]
	is_array(deps)
	some urn in deps
	s := by_urn[urn]
]

# Input `property` of `r` came from a resource of one of `types`.
depends_on_type(r, property, types) if {
	some s in sources(r, property)
	s.type in types
}

# The string `value` if it is one and not empty.
non_empty(value) if {
	is_string(value)
	value != ""
}

# The elements of a list; an unknown (or secret) list is one unknown element, so that rules
# iterating with `items` and `field` see an unknown leaf instead of nothing.
# (Else-chains with the markers tested inline: rules call these for most values they read.)
items(value) := value if {
	is_array(value)
} else := [value] if {
	value["$unknown"] == true
} else := [value] if {
	value["$secret"] == true
} else := []

# A field of an object (null when absent); a field of an unknown value is that unknown value.
field(value, name) := value if {
	value["$unknown"] == true
} else := value if {
	value["$secret"] == true
} else := object.get(value, name, null) if {
	is_object(value)
} else := null

# --- ARNs ----------------------------------------------------------------------------------

# The region field of an ARN ("" for global services such as S3 buckets and IAM): of a known
# ARN, or of a partial one whose known start already holds it
# (["arn:aws:kms:eu-west-1:", <account>, ":key/", <id>] is in eu-west-1).
arn_region(arn) := parts[3] if {
	is_string(arn)
	startswith(arn, "arn:")
	parts := split(arn, ":")
	count(parts) >= 6
} else := parts[3] if {
	values.is_partial(arn)
	prefix := values.known_prefix(arn)
	startswith(prefix, "arn:")
	parts := split(prefix, ":")
	count(parts) >= 5
}

# The bucket name in an S3 bucket (or object) ARN: arn:aws:s3:::bucket[/key].
s3_arn_bucket(arn) := name if {
	is_string(arn)
	parts := split(arn, ":")
	count(parts) == 6
	parts[0] == "arn"
	parts[2] == "s3"
	name := split(parts[5], "/")[0]
	name != ""
}

# --- KMS -----------------------------------------------------------------------------------

# Resource types whose ARN or ID is a customer managed KMS key (an alias resource can only
# name a customer managed key: the `alias/aws/` prefix is reserved for AWS managed keys).
kms_key_types := {
	"aws:kms/key:Key",
	"aws:kms/externalKey:ExternalKey",
	"aws:kms/replicaKey:ReplicaKey",
	"aws:kms/replicaExternalKey:ReplicaExternalKey",
	"aws:kms/alias:Alias",
}

# A reference to an AWS managed key (alias/aws/s3, arn:aws:kms:...:alias/aws/rds, ...).
aws_managed_key(value) if {
	is_string(value)
	startswith(value, "alias/aws/")
}

aws_managed_key(value) if {
	is_string(value)
	startswith(value, "arn:")
	contains(value, ":alias/aws/")
}

# What the key reference `value` (found under top-level input `property` of `r`) is:
#   "outside-uae"  a key ARN naming a region outside the UAE: known, or in the known start of a
#                  partial ARN (["arn:aws:kms:eu-west-1:", <account>, ":key/", <id>]), so even
#                  a key that is not in the program tells where its key material is
#   "cmk"          a customer managed key: a literal key ID, key ARN or alias, a partial value
#                  whose known start rules out an AWS managed key, or an unknown value that came
#                  from a KMS key or alias resource of the plan
#   "unknown"      unknown before deploy (or secret) and not traceable to a key of the plan
#   "aws-managed"  an AWS managed key (alias/aws/...), literal or in a partial value's known text
#   "none"         not set: the service falls back to an AWS owned or AWS managed key
#
# One else-chain (the cases exclude each other; the first that holds is the answer).
key_state(r, value, property) := "outside-uae" if {
	region := arn_region(value)
	non_empty(region)
	not region in data.sahab.lib.plan.uae_regions
} else := "aws-managed" if {
	aws_managed_key(value)
} else := "cmk" if {
	non_empty(value)
} else := "aws-managed" if {
	_partial_aws_managed_key(value)
} else := "cmk" if {
	_partial_customer_key(value)
} else := "none" if {
	plan.is_known(value)
} else := "cmk" if {
	depends_on_type(r, property, kms_key_types)
} else := "unknown"

# The key states the encryption rules refuse, and how their messages name a key outside the UAE.
refused_key_states := {"none", "aws-managed", "outside-uae"}

outside_uae_key := "a KMS key outside the UAE (its ARN names another Region)"

# A partial key reference that is an AWS managed key whatever its unknown parts are: its known
# start already is one, or it is an ARN with ":alias/aws/" in a known part.
_partial_aws_managed_key(ref) if aws_managed_key(values.known_prefix(ref))

_partial_aws_managed_key(ref) if {
	values.starts_with(ref, "arn:") == "yes"
	some part in ref["$partial"]
	is_string(part)
	contains(part, ":alias/aws/")
}

# A partial key reference whose known start rules out an AWS managed key: a key ID or another
# alias, or an ARN whose resource part is known far enough (key/..., alias/<not aws/>...).
_partial_customer_key(ref) if {
	prefix := values.known_prefix(ref)
	values.is_partial(ref)
	prefix != ""
	not _may_start(prefix, "alias/aws/")
	not _may_start(prefix, "arn:")
}

_partial_customer_key(ref) if {
	values.is_partial(ref)
	parts := split(values.known_prefix(ref), ":")
	count(parts) >= 6
	parts[0] == "arn"
	resource := concat(":", array.slice(parts, 5, count(parts)))
	not _may_start(resource, "alias/aws/")
	_key_or_alias(resource)
}

_key_or_alias(resource) if startswith(resource, "key/")

_key_or_alias(resource) if startswith(resource, "alias/")

# Some string that starts with `prefix` also starts with `start`.
_may_start(prefix, start) if startswith(prefix, start)

_may_start(prefix, start) if startswith(start, prefix)

# --- S3 buckets and their companions -------------------------------------------------------

bucket_types := {"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"}

buckets := created_of(bucket_types)

# The policies of every created bucket, gathered (BucketPolicy companions and the inline
# `policy`) and parsed once for all the rules that read them: [{"bucket", "documents": as the
# plan holds them (strings, objects or markers), "parsed": those that are policy documents,
# partial ones included (policy_document)}].
bucket_policies := [{"bucket": b, "documents": docs, "parsed": [doc | some v in docs; doc := policy_document(v)]} |
	some b in buckets
	docs := array.concat(
		[p.inputs.policy | some p in bucket_companions(b, {"aws:s3/bucketPolicy:BucketPolicy"})],
		[v | v := plan.input_at(b, ["policy"]); v != null; v != ""],
	)
]

# Companion `c` configures bucket `b`: its `bucket` input came from `b`, or names `b` literally.
configures(c, b) if {
	deps := c.propertyDependencies.bucket
	is_array(deps)
	b.urn in deps
}

configures(c, b) if {
	non_empty(c.inputs.bucket)
	c.inputs.bucket == b.inputs.bucket
}

# The companions among `candidates` that configure bucket `b`.
companions_of(b, candidates) := [c | some c in candidates; configures(c, b)]

# The created resources of a type in `types` that configure bucket `b`: the same as
# companions_of(b, created_of(types)), as a set. Types in indexed_companion_types are looked up
# in indexes built once per evaluation; others are scanned.
bucket_companions(b, types) := (({c |
	some t in types
	t in indexed_companion_types
	some c in _companions_by_bucket_urn[[t, b.urn]]
} | {c |
	some t in types
	t in indexed_companion_types
	some c in _companions_by_bucket_name[[t, b.inputs.bucket]]
}) | {c |
	some t in types
	not t in indexed_companion_types
	some c in plan.created_of_type(t)
	configures(c, b)
})

# Some created resource of a type in `types` configures bucket `b`:
# count(bucket_companions(b, types)) > 0, without building the set.
has_bucket_companion(b, types) if {
	some t in types
	t in indexed_companion_types
	_companions_by_bucket_urn[[t, b.urn]]
}

has_bucket_companion(b, types) if {
	some t in types
	t in indexed_companion_types
	_companions_by_bucket_name[[t, b.inputs.bucket]]
}

has_bucket_companion(b, types) if {
	some t in types
	not t in indexed_companion_types
	some c in plan.created_of_type(t)
	configures(c, b)
}

# The companion types the rules look up (bucket_companions).
indexed_companion_types := {
	"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
	"aws:s3/bucketPolicy:BucketPolicy",
}

# Created companions by [type, URN their `bucket` input came from] and [type, literal bucket name].
_companions_by_bucket_urn[key] contains c if {
	some c in created_of(indexed_companion_types)
	deps := c.propertyDependencies.bucket
	is_array(deps)
	some urn in deps
	key := [c.type, urn]
}

_companions_by_bucket_name[key] contains c if {
	some c in created_of(indexed_companion_types)
	non_empty(c.inputs.bucket)
	key := [c.type, c.inputs.bucket]
}

# The buckets of the plan (created or looked up) with the literal name `name`.
buckets_named(name) := [b |
	some t in bucket_types
	some b in plan.of_type(t)
	_bucket_name(b) == name
]

_bucket_name(b) := b.inputs.bucket if non_empty(b.inputs.bucket)

# (`object.get`, not `b.inputs.bucket`: OPA makes `not f(ref)` itself undefined when the ref is,
# where regorus negates it; tests/gate/test_real_opa.py found the difference.)
_bucket_name(b) := b.options.id if {
	not non_empty(object.get(b.inputs, "bucket", null))
	b.mode == "read"
	non_empty(b.options.id)
}

# The buckets of the plan a CloudTrail trail delivers to: the one its s3BucketName came from,
# or those of that literal name (the audit rules, policies/audit).
trail_buckets(t) := array.concat(
	[b | some b in sources(t, "s3BucketName"); b.type in bucket_types],
	[b | name := plan.input_at(t, ["s3BucketName"]); non_empty(name); some b in buckets_named(name)],
)

# --- IAM policy documents --------------------------------------------------------------------
#
# Decisions on policy documents are three-valued (sahab.lib.value): "yes" when the known parts
# prove them, "no" when no completion of the unknown parts could satisfy them, else "unknown".
# A document built from deploy-time outputs holds unknown markers where those outputs went
# (a Resource, an account in a principal); a marker is never read as a real value.

# A policy document as an object: parsed from a JSON string, given as an object (possibly with
# unknown markers inside), or the document a partial JSON string parses to ("$json").
policy_document(value) := doc if {
	is_string(value)
	json.is_valid(value)
	doc := json.unmarshal(value)
	is_object(doc)
} else := value if {
	is_object(value)
	plan.is_known(value)
} else := doc if {
	doc := values.json_document(value)
	is_object(doc)
}

# The statements of a policy document (Statement may be a single object, or unknown: then one
# unknown statement).
statements(doc) := doc.Statement if {
	is_array(doc.Statement)
} else := [doc.Statement] if {
	is_object(doc.Statement)
} else := []

# A policy value the rules cannot read before deploy: unknown (or secret) and no document
# either (a plain unknown, or a partial string that is not JSON).
opaque_document(value) if {
	not plan.is_known(value)
	not policy_document(value)
}

# A scalar or a list, as a list.
as_list(value) := value if is_array(value)

as_list(value) := [value] if not is_array(value)

# The condition values for `key` (IAM compares keys ignoring case) under an operator in `ops`;
# an unknown Condition or operator block is one unknown value (it could hold anything).
_condition_values(condition, ops, key) := [condition] if {
	not plan.is_known(condition)
} else := [v |
	is_object(condition)
	some op, block in condition
	op in ops
	some v in _block_values(block, key)
]

_block_values(block, key) := [block] if {
	not plan.is_known(block)
} else := [v |
	is_object(block)
	some k, value in block
	is_string(k)
	lower(k) == lower(key)
	some v in as_list(value)
]

_condition_test(v, "false") := "yes" if {
	v == false
} else := values.equals_fold(v, "false")

_condition_test(v, "tls-1.2") := values.at_least(v, 1.2)

# Some statement denies every principal every S3 action under the condition: "yes" when one is
# there in known parts (a marker never equals a literal, so the plain comparisons of _proves
# only hold on known values: the same cost as for a known document), "unknown" when no known part
# rules one out (_could_deny, on the three-valued helpers), else "no".
_denies_s3_when(doc, ops, key, test) := "yes" if {
	some s in statements(doc)
	_proves(s, ops, key, test)
} else := "unknown" if {
	some s in statements(doc)
	_could_deny(s, ops, key, test)
} else := "no"

_proves(s, ops, key, test) if {
	s.Effect == "Deny"
	_any_principal(s)
	_all_s3_actions(s)
	some v in _condition_values(s.Condition, ops, key)
	_condition_proven(v, test)
}

# A known condition value that passes `test` (the "yes" of _condition_test, without its calls).
_condition_proven(v, "false") if v == false

_condition_proven(v, "false") if {
	is_string(v)
	lower(v) == "false"
}

_condition_proven(v, "tls-1.2") if {
	is_number(v)
	v >= 1.2
}

_condition_proven(v, "tls-1.2") if {
	is_string(v)
	regex.match(`^[0-9]+(\.[0-9]+)?$`, v)
	to_number(v) >= 1.2
}

_any_principal(s) if s.Principal == "*"

_any_principal(s) if "*" in as_list(s.Principal.AWS)

_all_s3_actions(s) if {
	some a in as_list(s.Action)
	a in {"*", "s3:*", "S3:*"}
}

_could_deny(s, ops, key, test) if {
	values.equals(field(s, "Effect"), "Deny") != "no"
	_could_be_any_principal(field(s, "Principal"))
	_could_be_all_s3_actions(field(s, "Action"))
	some v in _condition_values(field(s, "Condition"), ops, key)
	_condition_test(v, test) != "no"
}

_could_be_any_principal(principal) if values.equals(principal, "*") != "no"

_could_be_any_principal(principal) if {
	some p in as_list(field(principal, "AWS"))
	values.equals(p, "*") != "no"
}

_could_be_all_s3_actions(actions) if {
	some a in as_list(actions)
	values.equals_any_fold(a, {"*", "s3:*"}) != "no"
}

# A statement denies every principal every S3 action when aws:SecureTransport is false
# (IAM ignores the case of actions and condition keys).
insecure_transport_denied(doc) := _denies_s3_when(doc, {"Bool", "BoolIfExists"}, "aws:SecureTransport", "false")

# A statement denies every principal every S3 action when s3:TlsVersion is below 1.2 (or a
# higher floor).
old_tls_denied(doc) := _denies_s3_when(doc, {"NumericLessThan"}, "s3:TlsVersion", "tls-1.2")
