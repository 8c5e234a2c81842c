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
	aws.denies_insecure_transport(doc)
	not aws.policy_document("{broken")
	not aws.policy_document(_unknown)
	not aws.denies_insecure_transport({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
}

test_tls_version_condition if {
	aws.denies_tls_below_1_2({"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["s3:*"], "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}]})
	not aws.denies_tls_below_1_2({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.0"}}}]})
	not aws.denies_tls_below_1_2({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": {"NumericLessThan": {"s3:TlsVersion": "one point two"}}}]})
}
