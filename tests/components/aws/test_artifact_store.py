"""ArtifactStore: SSE-KMS, versioned, private, TLS 1.2+ and VPC-endpoint-only, access-logged."""
from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from sahab.components.aws import UaeProvider
from sahab.components.aws.artifact_store import ArtifactStore, ArtifactStoreArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import assert_pinned_and_contained, attempt_plan, one_of_type, plan_resources, resources_of_type

REGION = "me-central-1"
ACCOUNT = "123456789012"
KEY = "arn:aws:kms:me-central-1:123456789012:key/7d1e2f3a-1111-2222-3333-444455556666"
DR_KEY = "arn:aws:kms:me-central-1:210987654321:key/9f8e7d6c-1111-2222-3333-444455556666"
VPCE = "vpce-0a1b2c3d4e5f60718"
DEPLOY = "arn:aws:iam::123456789012:role/sahab-deploy"
COMPONENT = "sahab:aws:ArtifactStore"
BUCKET = "aws:s3/bucket:Bucket"
MAIN, LOGS = "ml-%s" % ACCOUNT, "ml-%s-logs" % ACCOUNT


def _store(**overrides):
    args = {"kms_key_arn": KEY, "vpc_endpoint_id": VPCE, "admin_principal_arns": [DEPLOY], **overrides}
    return ArtifactStore("ml", ArtifactStoreArgs(**args))


@pytest.fixture(scope="module")
def plan():
    return plan_resources(lambda: _store())



def _bucket(resources, name):
    (bucket,) = [b for b in resources_of_type(resources, BUCKET) if b["inputs"]["bucket"] == name]
    return bucket


def _for_bucket(resources, type_token, bucket_name):
    """The one ``type_token`` resource whose ``bucket`` input comes from the named bucket."""
    urn = _bucket(resources, bucket_name)["urn"]
    (found,) = [r for r in resources_of_type(resources, type_token) if r["propertyDependencies"].get("bucket") == [urn]]
    return found


def _policy(resources, bucket_name):
    return json.loads(_for_bucket(resources, "aws:s3/bucketPolicy:BucketPolicy", bucket_name)["inputs"]["policy"])


def _statement(policy, sid):
    (statement,) = [s for s in policy["Statement"] if s.get("Sid") == sid]
    return statement


def test_every_resource_is_pinned_and_inside_the_component(plan):
    assert_pinned_and_contained(plan, COMPONENT)


def test_callers_uae_provider_is_used():
    resources = plan_resources(lambda: _store(provider=UaeProvider("uae")))
    assert one_of_type(resources, "pulumi:providers:aws")["name"] == "uae"
    assert_pinned_and_contained(resources, COMPONENT)


@pytest.mark.parametrize("bucket_name", [MAIN, LOGS])
def test_encrypted_with_the_customer_key(plan, bucket_name):
    encryption = _for_bucket(plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", bucket_name)
    (rule,) = encryption["inputs"]["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
    assert rule["bucketKeyEnabled"] is True


def test_key_from_the_same_program_is_traced_to_the_key_resource():
    def program():
        provider = UaeProvider("uae")
        key = aws.kms.Key("artifacts", enable_key_rotation=True, opts=pulumi.ResourceOptions(provider=provider))
        ArtifactStore("ml", ArtifactStoreArgs(kms_key_arn=key.arn, vpc_endpoint_id=VPCE, admin_principal_arns=[DEPLOY],
                                              provider=provider))

    resources = plan_resources(program)
    key_urn = one_of_type(resources, "aws:kms/key:Key")["urn"]
    encryption = _for_bucket(resources, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", MAIN)
    assert encryption["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == {"$unknown": True}
    assert key_urn in encryption["propertyDependencies"]["rules"]


@pytest.mark.parametrize("bucket_name", [MAIN, LOGS])
def test_all_public_access_blocked_acls_disabled_versioned(plan, bucket_name):
    block = _for_bucket(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket_name)["inputs"]
    for setting in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block[setting] is True, setting
    ownership = _for_bucket(plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", bucket_name)["inputs"]
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    versioning = _for_bucket(plan, "aws:s3/bucketVersioning:BucketVersioning", bucket_name)["inputs"]
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    assert _bucket(plan, bucket_name)["inputs"]["forceDestroy"] is False


@pytest.mark.parametrize("bucket_name", [MAIN, LOGS])
def test_policy_denies_plain_http_old_tls_and_access_outside_the_endpoint(plan, bucket_name):
    policy = _policy(plan, bucket_name)
    arn = "arn:aws:s3:::%s" % bucket_name
    for sid in ("DenyInsecureTransport", "DenyTlsOlderThan12", "DenyOutsideVpcEndpoint"):
        statement = _statement(policy, sid)
        assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Action"] == "s3:*"
        assert statement["Resource"] == [arn, arn + "/*"]
    assert _statement(policy, "DenyInsecureTransport")["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert _statement(policy, "DenyTlsOlderThan12")["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}
    assert _statement(policy, "DenyOutsideVpcEndpoint")["Condition"] == {
        "StringNotEquals": {"aws:SourceVpce": VPCE, "aws:PrincipalArn": [DEPLOY]},
        "Bool": {"aws:PrincipalIsAWSService": "false"},
    }


def test_policy_waits_for_the_public_access_block(plan):
    policy = _for_bucket(plan, "aws:s3/bucketPolicy:BucketPolicy", MAIN)
    block = _for_bucket(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", MAIN)
    assert block["urn"] in policy["dependencies"]


def test_no_allow_statement_on_the_artifact_bucket(plan):
    assert all(s["Effect"] == "Deny" for s in _policy(plan, MAIN)["Statement"])


def test_access_logs_go_to_a_private_log_bucket_that_does_not_log_itself(plan):
    (logging,) = resources_of_type(plan, "aws:s3/bucketLogging:BucketLogging")
    assert logging["propertyDependencies"]["bucket"] == [_bucket(plan, MAIN)["urn"]]
    assert logging["inputs"]["targetBucket"] == LOGS
    assert logging["inputs"]["targetPrefix"] == "s3-access/ml/"
    delivery = _statement(_policy(plan, LOGS), "AllowS3ServerAccessLogs")
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"] == "arn:aws:s3:::%s/s3-access/ml/*" % LOGS
    assert delivery["Condition"] == {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::%s" % MAIN},
                                     "StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_explicit_bucket_name():
    resources = plan_resources(lambda: _store(bucket_name="acme-ml-artifacts"))
    assert sorted(b["inputs"]["bucket"] for b in resources_of_type(resources, BUCKET)) == ["acme-ml-artifacts", "acme-ml-artifacts-logs"]
    assert _statement(_policy(resources, "acme-ml-artifacts"), "DenyInsecureTransport")["Resource"][0] == "arn:aws:s3:::acme-ml-artifacts"


def test_callers_log_bucket_is_used_instead():
    resources = plan_resources(lambda: _store(access_log_bucket="central-s3-logs"))
    assert [b["inputs"]["bucket"] for b in resources_of_type(resources, BUCKET)] == [MAIN]
    assert one_of_type(resources, "aws:s3/bucketLogging:BucketLogging")["inputs"]["targetBucket"] == "central-s3-logs"


def test_lifecycle_expires_noncurrent_versions_and_aborts_uploads(plan):
    lifecycle = _for_bucket(plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", MAIN)
    rules = {r["id"]: r for r in lifecycle["inputs"]["rules"]}
    assert rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 90}
    assert rules["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert all(r["status"] == "Enabled" for r in rules.values())
    assert "expire-access-logs" not in rules  # artifacts themselves never expire


def test_no_replication_by_default(plan):
    assert resources_of_type(plan, "aws:s3/bucketReplicationConfig:BucketReplicationConfig") == []
    assert resources_of_type(plan, "aws:iam/role:Role") == []


def test_replication_within_the_uae_is_visible_and_least_privilege():
    resources = plan_resources(lambda: _store(
        replication_destination_bucket_arn="arn:aws:s3:::ml-dr", replication_destination_region=REGION,
        replication_destination_kms_key_arn=DR_KEY,
    ))
    assert_pinned_and_contained(resources, COMPONENT)
    config = one_of_type(resources, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    (rule,) = config["inputs"]["rules"]
    assert rule["destination"] == {"bucket": "arn:aws:s3:::ml-dr", "encryptionConfiguration": {"replicaKmsKeyId": DR_KEY}}
    assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
    assert _bucket(resources, MAIN)["inputs"]["tags"]["sahab:replication"] == "to-me-central-1"
    role = one_of_type(resources, "aws:iam/role:Role")
    (trust,) = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": "arn:aws:s3:::" + MAIN}}
    assert config["propertyDependencies"]["role"] == [role["urn"]]
    # The replication role may reach the bucket from outside the endpoint; it is named in the policy.
    exempt = _statement(_policy(resources, MAIN), "DenyOutsideVpcEndpoint")["Condition"]["StringNotEquals"]["aws:PrincipalArn"]
    assert sorted(exempt) == sorted([DEPLOY, "arn:aws:iam::%s:role/ml-s3-replication" % ACCOUNT])
    permissions = json.loads(one_of_type(resources, "aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"])
    for statement in permissions["Statement"]:
        assert statement["Resource"] != "*"
        assert not any(a.endswith(":*") for a in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]))


def test_composes_with_network_and_keys_on_one_provider():
    from sahab.components.aws.encryption_keys import EncryptionKeys, EncryptionKeysArgs
    from sahab.components.aws.network import Network, NetworkArgs

    def program():
        provider = UaeProvider("uae")
        keys = EncryptionKeys("ml", EncryptionKeysArgs(admin_role_arn=DEPLOY, provider=provider))
        network = Network("ml", NetworkArgs(flow_log_kms_key_arn=keys.key_arn("logs"), provider=provider))
        ArtifactStore("ml", ArtifactStoreArgs(kms_key_arn=keys.key_arn("artifacts"), vpc_endpoint_id=network.s3_endpoint_id,
                                              admin_principal_arns=[DEPLOY], provider=provider))

    resources = plan_resources(program)
    assert {r["region"] for r in resources} == {REGION}
    (endpoint,) = [e for e in resources_of_type(resources, "aws:ec2/vpcEndpoint:VpcEndpoint") if e["name"] == "ml-s3"]
    policy = _for_bucket(resources, "aws:s3/bucketPolicy:BucketPolicy", MAIN)
    assert policy["inputs"]["policy"] == {"$unknown": True}  # the endpoint id is only known after deploy
    assert endpoint["urn"] in policy["propertyDependencies"]["policy"]
    (artifacts_key,) = [k for k in resources_of_type(resources, "aws:kms/key:Key")
                        if k["inputs"]["tags"]["sahab:data-class"] == "artifacts"]
    encryption = _for_bucket(resources, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", MAIN)
    assert encryption["propertyDependencies"]["rules"] == [artifacts_key["urn"]]


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, message", [
    ({"region": "eu-west-1"}, "ArtifactStore: region 'eu-west-1' is outside the UAE; sahab pins AWS resources to me-central-1"),
    ({"replication_destination_bucket_arn": "arn:aws:s3:::ml-dr", "replication_destination_region": "eu-west-1",
      "replication_destination_kms_key_arn": DR_KEY},
     "ArtifactStore: replication_destination_region 'eu-west-1' is outside the UAE; artifacts may only be replicated within me-central-1"),
    ({"replication_destination_bucket_arn": "arn:aws:s3:::ml-dr"},
     "ArtifactStore: replication needs replication_destination_region, replication_destination_kms_key_arn as well"),
    ({"replication_destination_bucket_arn": "arn:aws:s3:::ml-dr", "replication_destination_region": REGION,
      "replication_destination_kms_key_arn": "arn:aws:kms:eu-central-1:210987654321:key/x"},
     "ArtifactStore: replication_destination_kms_key_arn 'arn:aws:kms:eu-central-1:210987654321:key/x' is a key in "
     "eu-central-1, outside the UAE; use a key in me-central-1"),
    ({"kms_key_arn": None}, "ArtifactStore: kms_key_arn is required (a KMS key ARN in me-central-1)"),
    ({"kms_key_arn": "alias/aws/s3"},
     "ArtifactStore: kms_key_arn 'alias/aws/s3' is not a KMS key ARN (arn:aws:kms:me-central-1:<account>:key/<id>)"),
    ({"vpc_endpoint_id": "vpc-123"},
     "ArtifactStore: vpc_endpoint_id 'vpc-123' must be the S3 VPC endpoint id (vpce-…), e.g. Network.s3_endpoint_id"),
    ({"admin_principal_arns": []},
     "ArtifactStore: admin_principal_arns must not be empty: the bucket refuses every request from outside the VPC "
     "endpoint, so name the deploy role that manages it"),
    ({"admin_principal_arns": ["arn:aws:iam::123456789012:role/*"]},
     "ArtifactStore: admin_principal_arns entry 'arn:aws:iam::123456789012:role/*' must be an IAM role or user ARN without wildcards"),
    ({"bucket_name": "My.Bucket"},
     "ArtifactStore: bucket_name 'My.Bucket' must be 3-63 lowercase letters, digits or dashes (no dots), "
     "starting and ending with a letter or digit"),
    ({"bucket_name": "a" * 59},
     "ArtifactStore: bucket_name '%s' must be at most 58 characters when the component makes its log bucket "
     "(<bucket_name>-logs)" % ("a" * 59)),
    ({"noncurrent_version_expiration_days": 0},
     "ArtifactStore: noncurrent_version_expiration_days must be a whole number of days >= 1, got 0"),
])
def test_bad_input_registers_nothing(overrides, message):
    resources, error = attempt_plan(lambda: _store(**overrides))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []


def test_empty_name_registers_nothing():
    resources, error = attempt_plan(
        lambda: ArtifactStore("", ArtifactStoreArgs(kms_key_arn=KEY, vpc_endpoint_id=VPCE, admin_principal_arns=[DEPLOY])))
    assert str(error) == "ArtifactStore: name must be a non-empty string"
    assert resources == []


def test_plain_aws_provider_is_refused():
    resources, error = attempt_plan(lambda: _store(provider=aws.Provider("plain", region=REGION)))
    assert isinstance(error, ComponentInputError)
    assert str(error) == ("ArtifactStore: provider must be a sahab UaeProvider (its region is checked); got Provider. "
                          "Create it with sahab.components.aws.UaeProvider(name, region='me-central-1')")
    assert [r["name"] for r in resources] == ["plain"]
