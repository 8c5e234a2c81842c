package sahab.lib.aws_test

import data.sahab.lib.aws
import rego.v1

_r(type_token, name, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": deps, "provider": "urn:pulumi:dev::p::pulumi:providers:aws::uae",
}

_unknown := {"$unknown": true}

test_arn_region if {
	aws.arn_region("arn:aws:kms:me-central-1:111122223333:key/abc") == "me-central-1"
	aws.arn_region("arn:aws:s3:::bucket") == ""
	not aws.arn_region("bucket")
	not aws.arn_region(_unknown)
}

test_s3_arn_bucket if {
	aws.s3_arn_bucket("arn:aws:s3:::data-123") == "data-123"
	aws.s3_arn_bucket("arn:aws:s3:::data-123/prefix/*") == "data-123"
	not aws.s3_arn_bucket("arn:aws:kms:me-central-1:1:key/x")
	not aws.s3_arn_bucket(_unknown)
}

test_key_state_literals if {
	r := _r("aws:cloudwatch/logGroup:LogGroup", "lg", {}, {})
	aws.key_state(r, "arn:aws:kms:me-central-1:1:key/x", "kmsKeyId") == "cmk"
	aws.key_state(r, "alias/platform-logs", "kmsKeyId") == "cmk"
	aws.key_state(r, "alias/aws/logs", "kmsKeyId") == "aws-managed"
	aws.key_state(r, "arn:aws:kms:me-central-1:1:alias/aws/s3", "kmsKeyId") == "aws-managed"
	aws.key_state(r, null, "kmsKeyId") == "none"
	aws.key_state(r, "", "kmsKeyId") == "none"
}

test_key_state_unknown_values if {
	key := _r("aws:kms/key:Key", "k", {}, {})
	from_key := _r("aws:cloudwatch/logGroup:LogGroup", "a", {"kmsKeyId": _unknown}, {"kmsKeyId": [key.urn]})
	from_nothing := _r("aws:cloudwatch/logGroup:LogGroup", "b", {"kmsKeyId": _unknown}, {})
	aws.key_state(from_key, _unknown, "kmsKeyId") == "cmk" with input as {"resources": [key, from_key]}
	aws.key_state(from_nothing, _unknown, "kmsKeyId") == "unknown" with input as {"resources": [key, from_nothing]}
	aws.key_state(from_nothing, {"$secret": true}, "kmsKeyId") == "unknown" with input as {"resources": [from_nothing]}
}

test_items_and_field_propagate_unknowns if {
	aws.items([1, 2]) == [1, 2]
	aws.items(null) == []
	aws.items(_unknown) == [_unknown]
	aws.field({"a": 1}, "a") == 1
	aws.field({"a": 1}, "b") == null
	aws.field(_unknown, "a") == _unknown
	aws.field("text", "a") == null
}

test_bucket_companions_by_dependency_and_by_name if {
	b := _r("aws:s3/bucket:Bucket", "b", {"bucket": "data-123"}, {})
	by_dep := _r("aws:s3/bucketPolicy:BucketPolicy", "p1", {"bucket": _unknown}, {"bucket": [b.urn]})
	by_name := _r("aws:s3/bucketPolicy:BucketPolicy", "p2", {"bucket": "data-123"}, {})
	other := _r("aws:s3/bucketPolicy:BucketPolicy", "p3", {"bucket": "other"}, {})
	count(aws.companions_of(b, [by_dep, by_name, other])) == 2
}

test_buckets_named_includes_lookups if {
	looked_up := object.union(_r("aws:s3/bucket:Bucket", "ext", {}, {}), {"mode": "read", "options": {"id": "external-bucket"}})
	count(aws.buckets_named("external-bucket")) == 1 with input as {"resources": [looked_up]}
	count(aws.buckets) == 0 with input as {"resources": [looked_up]}
}

test_policy_documents if {
	doc := aws.policy_document(`{"Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}}`)
	aws.insecure_transport_denied(doc) == "yes"
	not aws.policy_document("{broken")
	not aws.policy_document(_unknown)
	aws.insecure_transport_denied({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}) == "no"
	aws.insecure_transport_denied({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "S3:*", "Condition": {"Bool": {"aws:SecureTransport": false}}}]}) == "yes"
	aws.insecure_transport_denied({}) == "no"
}

test_tls_version_condition if {
	aws.old_tls_denied({"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["s3:*"], "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}]}) == "yes"
	aws.old_tls_denied({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.0"}}}]}) == "no"
	aws.old_tls_denied({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": {"NumericLessThan": {"s3:TlsVersion": "one point two"}}}]}) == "no"
}

# --- partial values (docs/plan-format.md): decided on the known parts -------------------------

_of(urn, output) := {"$unknown": true, "of": {"urn": urn, "output": output}}

_bucket_arn := _of("urn:pulumi:dev::p::aws:s3/bucket:Bucket::b", "arn")

_account := _of("urn:pulumi:dev::p::aws:index/getCallerIdentity::me", "accountId")

_tls_only(overrides) := object.union({
	"Effect": "Deny", "Principal": "*", "Action": "s3:*",
	"Resource": [_bucket_arn, {"$unknown": true, "$partial": [_bucket_arn, "/*"]}],
	"Condition": {"Bool": {"aws:SecureTransport": "false"}},
}, overrides)

# The partial JSON string a json.dumps of such a document becomes, with its parsed document.
_partial_json(doc) := {"$unknown": true, "$partial": ["{\"Statement\": [", _bucket_arn, "]}"], "$json": doc}

test_a_partial_policy_is_read_through_its_json_document if {
	doc := {"Version": "2012-10-17", "Statement": [_tls_only({})]}
	aws.policy_document(_partial_json(doc)) == doc
	not aws.opaque_document(_partial_json(doc))
	aws.opaque_document(_unknown)
	aws.opaque_document({"$unknown": true, "$partial": ["{", _account, "}"]})
	not aws.opaque_document("{broken")
}

test_markers_in_resource_do_not_stop_a_decision if {
	aws.insecure_transport_denied({"Statement": [_tls_only({})]}) == "yes"
	aws.insecure_transport_denied({"Statement": [_tls_only({"Effect": "Allow"})]}) == "no"
	aws.insecure_transport_denied({"Statement": [_tls_only({"Action": {"$unknown": true, "$partial": ["s3:Get", _account]}})]}) == "no"
}

test_a_marker_is_never_read_as_a_wildcard if {
	# Principal, Action, Effect or the condition value unknown: the unknown part decides.
	aws.insecure_transport_denied({"Statement": [_tls_only({"Principal": _account})]}) == "unknown"
	aws.insecure_transport_denied({"Statement": [_tls_only({"Principal": {"AWS": [_account]}})]}) == "unknown"
	aws.insecure_transport_denied({"Statement": [_tls_only({"Principal": {"AWS": {"$unknown": true, "$partial": ["arn:aws:iam::", _account, ":root"]}}})]}) == "no"
	aws.insecure_transport_denied({"Statement": [_tls_only({"Action": _account})]}) == "unknown"
	aws.insecure_transport_denied({"Statement": [_tls_only({"Effect": _account})]}) == "unknown"
	aws.insecure_transport_denied({"Statement": [_tls_only({"Condition": {"Bool": {"aws:SecureTransport": _account}}})]}) == "unknown"
	aws.insecure_transport_denied({"Statement": [_tls_only({"Condition": _unknown})]}) == "unknown"
	aws.insecure_transport_denied({"Statement": _unknown}) == "unknown"
	aws.insecure_transport_denied({"Statement": [_unknown]}) == "unknown"

	# ...unless a known part already decides: one compliant statement is enough, and a
	# statement whose known parts refute it does not become compliant through its unknowns.
	aws.insecure_transport_denied({"Statement": [_tls_only({"Principal": _account}), _tls_only({})]}) == "yes"
	aws.insecure_transport_denied({"Statement": [_tls_only({"Principal": _account, "Effect": "Allow"})]}) == "no"
}

_floor(version) := {"Statement": [_tls_only({"Condition": {"NumericLessThan": {"s3:TlsVersion": version}}})]}

test_tls_floor_on_partial_documents if {
	aws.old_tls_denied(_floor("1.2")) == "yes"
	aws.old_tls_denied(_floor(_account)) == "unknown"
	aws.old_tls_denied(_floor({"$unknown": true, "$partial": ["v", _account]})) == "no"
}

test_arn_region_of_partial_arns if {
	aws.arn_region({"$unknown": true, "$partial": ["arn:aws:kms:eu-west-1:", _account, ":key/", _unknown]}) == "eu-west-1"
	aws.arn_region({"$unknown": true, "$partial": ["arn:aws:s3:::", _bucket_arn]}) == ""
	not aws.arn_region({"$unknown": true, "$partial": ["arn:aws:kms:", _account]})
	not aws.arn_region({"$unknown": true, "$partial": [_account, ":key/x"]})
	not aws.arn_region(_of("urn:pulumi:dev::p::aws:kms/key:Key::k", "arn"))
}

test_key_state_reads_the_region_of_a_key_arn if {
	r := _r("aws:cloudwatch/logGroup:LogGroup", "lg", {}, {})
	aws.key_state(r, "arn:aws:kms:eu-west-1:111122223333:key/abc", "kmsKeyId") == "outside-uae"
	aws.key_state(r, {"$unknown": true, "$partial": ["arn:aws:kms:eu-west-1:", _account, ":key/", _unknown]}, "kmsKeyId") == "outside-uae"
	aws.key_state(r, "arn:aws:kms:me-central-1:111122223333:key/abc", "kmsKeyId") == "cmk"
}

_partial(parts) := {"$unknown": true, "$partial": parts}

test_key_state_of_partial_key_references if {
	r := _r("aws:cloudwatch/logGroup:LogGroup", "lg", {}, {})
	aws.key_state(r, _partial(["arn:aws:kms:me-central-1:111122223333:key/", _unknown]), "kmsKeyId") == "cmk"
	aws.key_state(r, _partial(["arn:aws:kms:me-central-1:111122223333:alias/platform-", _unknown]), "kmsKeyId") == "cmk"
	aws.key_state(r, _partial(["alias/platform-", _unknown]), "kmsKeyId") == "cmk"
	aws.key_state(r, _partial(["alias/aws/", _unknown]), "kmsKeyId") == "aws-managed"
	aws.key_state(r, _partial(["arn:aws:kms:me-central-1:", _account, ":alias/aws/s3"]), "kmsKeyId") == "aws-managed"

	# Known too little to rule out an AWS managed key, and from no key of the plan: unknown.
	aws.key_state(r, _partial(["alias/", _unknown]), "kmsKeyId") == "unknown"
	aws.key_state(r, _partial(["arn:aws:kms:me-central-1:", _account, ":key/", _unknown]), "kmsKeyId") == "unknown"
	aws.key_state(r, _partial([_account, "-key"]), "kmsKeyId") == "unknown"
}
