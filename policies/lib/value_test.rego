package sahab.lib.value_test

import data.sahab.lib.plan
import data.sahab.lib.value
import rego.v1

# Partial values as the planner writes them (docs/plan-format.md, "Partial values").
_account := {"$unknown": true, "of": {"urn": "urn:pulumi:dev::p::aws:index/getCallerIdentity::me", "output": "accountId"}}

_key_id := {"$unknown": true, "of": {"urn": "urn:pulumi:dev::p::aws:kms/key:Key::k", "output": "keyId"}}

_key_arn := {"$unknown": true, "$partial": ["arn:aws:kms:eu-west-1:", _account, ":key/", _key_id]}

_bucket_objects := {"$unknown": true, "$partial": ["arn:aws:s3:::", {"$unknown": true}, "/*"]}

test_a_partial_value_is_never_known if {
	value.is_partial(_key_arn)
	not plan.is_known(_key_arn)
	not value.is_partial({"$unknown": true})
	not value.is_partial("arn:aws:s3:::b")
	not value.is_partial({"$partial": ["a"]})
}

test_json_document if {
	doc := {"Statement": [{"Effect": "Deny", "Resource": _bucket_objects}]}
	value.json_document({"$unknown": true, "$partial": ["{\"Statement\": [...", _account, "]}"], "$json": doc}) == doc
	not value.json_document({"$unknown": true, "$partial": ["{", _account, ": 1}"]})
	not value.json_document({"$json": doc})
	not value.json_document({"$unknown": true, "$json": "text"})
}

test_known_prefix_and_suffix if {
	value.known_prefix(_key_arn) == "arn:aws:kms:eu-west-1:"
	value.known_suffix(_key_arn) == ""
	value.known_prefix(_bucket_objects) == "arn:aws:s3:::"
	value.known_suffix(_bucket_objects) == "/*"
	value.known_prefix({"$unknown": true, "$partial": [_account, "-data"]}) == ""
	value.known_prefix("text") == "text"
	not value.known_prefix({"$unknown": true})
	not value.known_prefix(3)
}

test_display if {
	value.display(_key_arn) == "arn:aws:kms:eu-west-1:<unknown>:key/<unknown>"
	value.display(_account) == "<unknown>"
	value.display({"$secret": true}) == "<unknown>"
	value.display("alias/data") == "alias/data"
}

test_three_valued_logic if {
	value.any_of(["no", "unknown", "yes"]) == "yes"
	value.any_of(["no", "unknown"]) == "unknown"
	value.any_of(["no"]) == "no"
	value.any_of([]) == "no"
	value.all_of(["yes", "unknown", "no"]) == "no"
	value.all_of(["yes", "unknown"]) == "unknown"
	value.all_of(["yes"]) == "yes"
	value.all_of([]) == "yes"
}

test_equals_decides_on_the_known_parts if {
	value.equals("Deny", "Deny") == "yes"
	value.equals("Allow", "Deny") == "no"
	value.equals(_account, "*") == "unknown"
	value.equals({"$secret": true}, "*") == "unknown"

	# "arn:aws:s3:::" + x + "/*" can never be "*", but can be any object ARN ending in /*.
	value.equals(_bucket_objects, "*") == "no"
	value.equals(_bucket_objects, "arn:aws:s3:::data/*") == "unknown"
	value.equals(_bucket_objects, "arn:aws:s3:::data") == "no"

	# A marker is never read as a real value, and a non-string is no string.
	value.equals({"$unknown": true, "of": {"urn": "u", "output": "*"}}, "*") == "unknown"
	value.equals(null, "*") == "no"
	value.equals(["*"], "*") == "no"
	value.equals(false, "false") == "no"
}

test_equals_fold_and_any if {
	value.equals_fold("S3:*", "s3:*") == "yes"
	value.equals("S3:*", "s3:*") == "no"
	value.equals_fold({"$unknown": true, "$partial": ["FAL", _account]}, "false") == "unknown"
	value.equals_fold({"$unknown": true, "$partial": ["tru", _account]}, "false") == "no"
	value.equals_any("s3:*", {"*", "s3:*"}) == "yes"
	value.equals_any({"$unknown": true, "$partial": ["s3:Get", _account]}, {"*", "s3:*"}) == "no"
	value.equals_any({"$unknown": true, "$partial": ["s3:", _account]}, {"*", "s3:*"}) == "unknown"
	value.equals_any_fold("S3:*", {"*", "s3:*"}) == "yes"
}

test_starts_with if {
	value.starts_with("arn:aws:kms:me-central-1:1:key/x", "arn:aws:kms:") == "yes"
	value.starts_with("alias/x", "arn:") == "no"
	value.starts_with(_key_arn, "arn:aws:kms:") == "yes"
	value.starts_with({"$unknown": true, "$partial": ["arn:", _account]}, "arn:aws:kms:") == "unknown"
	value.starts_with({"$unknown": true, "$partial": ["alias/", _account]}, "arn:") == "no"
	value.starts_with(_account, "arn:") == "unknown"
	value.starts_with(42, "arn:") == "no"
}

test_at_least if {
	value.at_least(1.2, 1.2) == "yes"
	value.at_least("1.3", 1.2) == "yes"
	value.at_least("1.0", 1.2) == "no"
	value.at_least("one point two", 1.2) == "no"
	value.at_least({"$unknown": true, "$partial": ["1.", _account]}, 1.2) == "unknown"
	value.at_least({"$unknown": true, "$partial": ["v", _account]}, 1.2) == "no"
	value.at_least(_account, 1.2) == "unknown"
	value.at_least(null, 1.2) == "no"
}
