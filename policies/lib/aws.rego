# METADATA
# title: AWS helpers
# description: >-
#   Shared helpers for rules over pulumi-aws resources in the plan document: resources by URN,
#   relations through propertyDependencies, S3 buckets and their companion resources, KMS key
#   references, ARNs and IAM policy documents. Every helper is total over odd input shapes
#   (regorus stops the whole evaluation on a type error, so strings are checked before use).
package sahab.lib.aws

import data.sahab.lib.plan
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

# The region field of an ARN ("" for global services such as S3 buckets and IAM).
arn_region(arn) := parts[3] if {
	is_string(arn)
	startswith(arn, "arn:")
	parts := split(arn, ":")
	count(parts) >= 6
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
#   "cmk"          a customer managed key: a literal key ID, key ARN or alias, or an unknown
#                  value that came from a KMS key or alias resource of the plan
#   "unknown"      unknown before deploy (or secret) and not traceable to a key of the plan
#   "aws-managed"  an AWS managed key (alias/aws/...)
#   "none"         not set: the service falls back to an AWS owned or AWS managed key
#
# One else-chain (the cases exclude each other; the first that holds is the answer).
key_state(r, value, property) := "aws-managed" if {
	aws_managed_key(value)
} else := "cmk" if {
	non_empty(value)
} else := "none" if {
	plan.is_known(value)
} else := "cmk" if {
	depends_on_type(r, property, kms_key_types)
} else := "unknown"

# --- S3 buckets and their companions -------------------------------------------------------

bucket_types := {"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"}

buckets := created_of(bucket_types)

# The policies of every created bucket, gathered (BucketPolicy companions and the inline
# `policy`) and parsed once for all the rules that read them: [{"bucket", "documents": as the
# plan holds them (strings, objects or markers), "parsed": those that are policy documents}].
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

# --- IAM policy documents --------------------------------------------------------------------

# A policy document as an object: parsed from a JSON string, or given as an object.
policy_document(value) := doc if {
	is_string(value)
	json.is_valid(value)
	doc := json.unmarshal(value)
	is_object(doc)
}

policy_document(value) := value if {
	is_object(value)
	plan.is_known(value)
}

# The statements of a policy document (Statement may be a single object).
statements(doc) := doc.Statement if is_array(doc.Statement)

statements(doc) := [doc.Statement] if is_object(doc.Statement)

# A scalar or a list, as a list.
as_list(value) := value if is_array(value)

as_list(value) := [value] if not is_array(value)

# The statement applies to every principal.
any_principal(s) if s.Principal == "*"

any_principal(s) if "*" in as_list(s.Principal.AWS)

# The statement covers every S3 action.
all_s3_actions(s) if {
	some a in as_list(s.Action)
	a in {"*", "s3:*"}
}

# Condition values for `key` (case-insensitive, as IAM compares keys) under an operator in `ops`.
condition_values(s, ops, key) := [v |
	is_object(s.Condition)
	some op, block in s.Condition
	op in ops
	is_object(block)
	some k, value in block
	is_string(k)
	lower(k) == lower(key)
	some v in as_list(value)
]

_false_value(v) if v == false

_false_value(v) if {
	is_string(v)
	lower(v) == "false"
}

# A Deny statement for every principal and S3 action when aws:SecureTransport is false.
denies_insecure_transport(doc) if {
	some s in statements(doc)
	s.Effect == "Deny"
	any_principal(s)
	all_s3_actions(s)
	some v in condition_values(s, {"Bool", "BoolIfExists"}, "aws:SecureTransport")
	_false_value(v)
}

_number(v) := v if is_number(v)

_number(v) := to_number(v) if {
	is_string(v)
	regex.match(`^[0-9]+(\.[0-9]+)?$`, v)
}

# A Deny statement for every principal and S3 action when s3:TlsVersion is below 1.2 (or higher).
denies_tls_below_1_2(doc) if {
	some s in statements(doc)
	s.Effect == "Deny"
	any_principal(s)
	all_s3_actions(s)
	some v in condition_values(s, {"NumericLessThan"}, "s3:TlsVersion")
	_number(v) >= 1.2
}
