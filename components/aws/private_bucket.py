"""The protections every sahab S3 bucket starts with, written once for ArtifactStore and AuditTrail.

Ownership enforced by the bucket owner (ACLs off), every public-access block on, SSE-KMS with
the caller's customer-managed key (bucket keys keep KMS calls down) and versioning. What differs
per bucket (its policy, lifecycle, Object Lock rule, replication) stays with the component.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

import pulumi
import pulumi_aws as aws

from .base import AwsComponent


@dataclass(frozen=True)
class PrivateBucket:
    """The bucket, and the two resources later settings must wait for."""

    bucket: aws.s3.Bucket
    public_access: aws.s3.BucketPublicAccessBlock
    versioning: aws.s3.BucketVersioning


def private_bucket(owner: AwsComponent, logical: str, *, bucket_name: pulumi.Input[str], kms_key_arn: pulumi.Input[str],
                   tags: Optional[Mapping[str, str]], object_lock: bool = False) -> PrivateBucket:
    """A bucket of ``owner`` with the protections above; ``object_lock`` can only be chosen at creation."""
    bucket = aws.s3.Bucket(logical, bucket=bucket_name, object_lock_enabled=True if object_lock else None,
                           force_destroy=False, tags=dict(tags) if tags else None, opts=owner.child_opts())
    aws.s3.BucketOwnershipControls(
        logical, bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=owner.child_opts(),
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        logical, bucket=bucket.id,
        block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
        opts=owner.child_opts(),
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        logical, bucket=bucket.id,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn,
            ),
            bucket_key_enabled=True,
        )],
        opts=owner.child_opts(),
    )
    versioning = aws.s3.BucketVersioning(
        logical, bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=owner.child_opts(),
    )
    return PrivateBucket(bucket, public_access, versioning)
