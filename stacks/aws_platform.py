"""The reference AWS platform in me-central-1.

Every resource goes through one explicit provider pinned to the UAE region: nothing relies on a
default provider or an ambient ``AWS_REGION``. The components of issue #3 replace the direct
resources below as they land.
"""
from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

UAE_REGION = "me-central-1"


def build_aws_platform() -> None:
    config = pulumi.Config()
    environment = config.require("environment")
    provider = aws.Provider(
        "uae",
        region=UAE_REGION,
        default_tags={"tags": {"sahab:environment": environment, "sahab:managed-by": "pulumi"}},
    )
    pinned = pulumi.ResourceOptions(provider=provider)
    artifacts_key = aws.kms.Key(
        "artifacts",
        description="sahab %s: datasets and model artifacts" % environment,
        enable_key_rotation=True,
        multi_region=False,
        opts=pinned,
    )
    bucket = aws.s3.Bucket("artifacts", opts=pinned)
    aws.s3.BucketServerSideEncryptionConfiguration(
        "artifacts",
        bucket=bucket.id,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=artifacts_key.arn),
            bucket_key_enabled=True,
        )],
        opts=pinned,
    )
    aws.s3.BucketPublicAccessBlock(
        "artifacts",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=pinned,
    )
    aws.s3.BucketPolicy(
        "artifacts-tls-only",
        bucket=bucket.id,
        policy=bucket.arn.apply(lambda arn: json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, arn + "/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }],
        })),
        opts=pinned,
    )
    pulumi.export("environment", environment)
    pulumi.export("artifactBucket", bucket.id)
