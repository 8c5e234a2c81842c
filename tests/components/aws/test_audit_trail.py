"""AuditTrail: a validated, KMS-encrypted CloudTrail trail into an Object Lock (COMPLIANCE) bucket in the UAE."""
from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from sahab.components.aws import UaeProvider
from sahab.components.aws.audit_trail import AuditTrail, AuditTrailArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import assert_pinned_and_contained, attempt_plan, one_of_type, plan_resources, resources_of_type

REGION = "me-central-1"
ACCOUNT = "123456789012"
KEY = "arn:aws:kms:me-central-1:123456789012:key/7d1e2f3a-1111-2222-3333-444455556666"
VPCE = "vpce-0a1b2c3d4e5f60718"
ADMIN = "arn:aws:iam::123456789012:role/sahab-admin"
ARTIFACTS = "arn:aws:s3:::ml-artifacts-123456789012"
COMPONENT = "sahab:aws:AuditTrail"
TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET_NAME = "audit-%s" % ACCOUNT
TRAIL_ARN = "arn:aws:cloudtrail:me-central-1:%s:trail/audit" % ACCOUNT


def _trail(**overrides):
    args = {"kms_key_arn": KEY, "vpc_endpoint_id": VPCE, "admin_principal_arns": [ADMIN],
            "data_event_bucket_arns": [ARTIFACTS], "retention_days": 400, **overrides}
    return AuditTrail("audit", AuditTrailArgs(**args))


@pytest.fixture(scope="module")
def plan():
    return plan_resources(lambda: _trail())


def _companion(resources, type_token):
    """The one ``type_token`` resource whose ``bucket`` input comes from the audit bucket."""
    bucket = one_of_type(resources, "aws:s3/bucket:Bucket")
    (found,) = [r for r in resources_of_type(resources, type_token) if r["propertyDependencies"].get("bucket") == [bucket["urn"]]]
    return found


def _statements(resources):
    policy = json.loads(_companion(resources, "aws:s3/bucketPolicy:BucketPolicy")["inputs"]["policy"])
    return {s["Sid"]: s for s in policy["Statement"]}


def test_every_resource_is_pinned_and_inside_the_component(plan):
    assert_pinned_and_contained(plan, COMPONENT)
    assert {r["region"] for r in plan} == {REGION}


def test_callers_uae_provider_is_used():
    resources = plan_resources(lambda: _trail(provider=UaeProvider("uae")))
    assert one_of_type(resources, "pulumi:providers:aws")["name"] == "uae"
    assert_pinned_and_contained(resources, COMPONENT)


def test_trail_is_encrypted_validated_and_records_management_and_artifact_data_events(plan):
    inputs = one_of_type(plan, TRAIL)["inputs"]
    assert (inputs["kmsKeyId"], inputs["enableLogFileValidation"], inputs["enableLogging"]) == (KEY, True, True)
    assert (inputs["isMultiRegionTrail"], inputs["includeGlobalServiceEvents"]) == (True, True)
    assert inputs["s3BucketName"] == BUCKET_NAME
    assert inputs["eventSelectors"] == [{
        "readWriteType": "All", "includeManagementEvents": True,
        "dataResources": [{"type": "AWS::S3::Object", "values": [ARTIFACTS + "/"]}],
    }]


def test_bucket_is_object_locked_in_compliance_mode_for_the_retention(plan):
    assert one_of_type(plan, "aws:s3/bucket:Bucket")["inputs"]["objectLockEnabled"] is True
    lock = _companion(plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")["inputs"]
    assert lock["objectLockEnabled"] == "Enabled"
    assert lock["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 400}}


def test_bucket_is_versioned_encrypted_with_the_key_and_private(plan):
    assert _companion(plan, "aws:s3/bucketVersioning:BucketVersioning")["inputs"]["versioningConfiguration"] == {"status": "Enabled"}
    (rule,) = _companion(plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")["inputs"]["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
    block = _companion(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["inputs"]
    assert all(block[flag] is True for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    ownership = _companion(plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")["inputs"]
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_bucket_policy_is_tls_only_and_lets_only_this_trail_write(plan):
    statements = _statements(plan)
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statements["DenyTlsOlderThan12"]["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}
    assert statements["DenyOutsideVpcEndpoint"]["Condition"]["StringNotEquals"] == {"aws:SourceVpce": VPCE, "aws:PrincipalArn": [ADMIN]}
    write = statements["CloudTrailWrite"]
    assert (write["Principal"], write["Action"]) == ({"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject")
    assert write["Resource"] == "arn:aws:s3:::%s/AWSLogs/%s/*" % (BUCKET_NAME, ACCOUNT)
    assert write["Condition"] == {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": TRAIL_ARN}}
    assert statements["CloudTrailAclCheck"]["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    assert [sid for sid, s in statements.items() if s["Effect"] == "Allow"] == ["CloudTrailAclCheck", "CloudTrailWrite"]


def test_trail_waits_for_the_bucket_policy_lock_and_log_role(plan):
    trail = one_of_type(plan, TRAIL)
    needed = {one_of_type(plan, t)["urn"] for t in (
        "aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:iam/rolePolicy:RolePolicy")}
    assert needed <= set(trail["dependencies"])


def test_log_group_is_encrypted_and_the_role_writes_only_there(plan):
    group = one_of_type(plan, "aws:cloudwatch/logGroup:LogGroup")["inputs"]
    assert (group["name"], group["kmsKeyId"], group["retentionInDays"]) == ("/sahab/audit/cloudtrail", KEY, 365)
    trust = json.loads(one_of_type(plan, "aws:iam/role:Role")["inputs"]["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": TRAIL_ARN}}
    (write,) = json.loads(one_of_type(plan, "aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"])["Statement"]
    assert write["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert write["Resource"] == "arn:aws:logs:me-central-1:%s:log-group:/sahab/audit/cloudtrail:log-stream:*" % ACCOUNT


def test_single_region_trail_and_no_data_events_when_asked():
    resources = plan_resources(lambda: _trail(multi_region=False, data_event_bucket_arns=[]))
    inputs = one_of_type(resources, TRAIL)["inputs"]
    assert inputs["isMultiRegionTrail"] is False
    assert inputs["eventSelectors"] == [{"readWriteType": "All", "includeManagementEvents": True}]


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, message", [
    ({"region": "eu-west-1"}, "AuditTrail: region 'eu-west-1' is outside the UAE; sahab pins AWS resources to me-central-1"),
    ({"kms_key_arn": None}, "AuditTrail: kms_key_arn is required (a KMS key ARN in me-central-1)"),
    ({"kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/x"},
     "AuditTrail: kms_key_arn 'arn:aws:kms:eu-west-1:123456789012:key/x' is a key in eu-west-1, outside the UAE; use a key in me-central-1"),
    ({"vpc_endpoint_id": "vpc-123"},
     "AuditTrail: vpc_endpoint_id 'vpc-123' must be the S3 VPC endpoint id (vpce-…), e.g. Network.s3_endpoint_id"),
    ({"admin_principal_arns": []},
     "AuditTrail: admin_principal_arns must not be empty: the audit bucket refuses every request from outside the VPC "
     "endpoint, so name the role that reads the records"),
    ({"admin_principal_arns": ["arn:aws:iam::123456789012:role/*"]},
     "AuditTrail: admin_principal_arns entry 'arn:aws:iam::123456789012:role/*' must be an IAM role or user ARN without wildcards"),
    ({"retention_days": 0}, "AuditTrail: retention_days must be a whole number of days from 1 to 36500 (S3 Object Lock), got 0"),
    ({"retention_days": True}, "AuditTrail: retention_days must be a whole number of days from 1 to 36500 (S3 Object Lock), got True"),
    ({"retention_days": 36501},
     "AuditTrail: retention_days must be a whole number of days from 1 to 36500 (S3 Object Lock), got 36501"),
    ({"log_group_retention_days": 10},
     "AuditTrail: log_group_retention_days 10 is not a CloudWatch Logs retention; choose one of 1, 3, 5, 7, 14, 30, 60, 90, "
     "120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"),
    ({"data_event_bucket_arns": ["ml-artifacts"]},
     "AuditTrail: data_event_bucket_arns entry 'ml-artifacts' must be an S3 bucket ARN (arn:aws:s3:::<bucket>)"),
    ({"multi_region": "yes"}, "AuditTrail: multi_region must be True or False, got 'yes'"),
    ({"bucket_name": "Audit.Logs"},
     "AuditTrail: bucket_name 'Audit.Logs' must be 3-63 lowercase letters, digits or dashes (no dots), "
     "starting and ending with a letter or digit"),
])
def test_bad_input_registers_nothing(overrides, message):
    resources, error = attempt_plan(lambda: _trail(**overrides))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []


def test_empty_name_registers_nothing():
    resources, error = attempt_plan(lambda: AuditTrail("", AuditTrailArgs(kms_key_arn=KEY, vpc_endpoint_id=VPCE, admin_principal_arns=[ADMIN])))
    assert str(error) == "AuditTrail: name must be a non-empty string"
    assert resources == []


def test_plain_aws_provider_is_refused():
    resources, error = attempt_plan(lambda: _trail(provider=aws.Provider("plain", region=REGION)))
    assert isinstance(error, ComponentInputError)
    assert str(error) == ("AuditTrail: provider must be a sahab UaeProvider (its region is checked); got Provider. "
                          "Create it with sahab.components.aws.UaeProvider(name, region='me-central-1')")
    assert [r["name"] for r in resources] == ["plain"]
