"""The protections every sahab S3 bucket starts with, written once for ArtifactStore and AuditTrail.

Ownership enforced by the bucket owner (ACLs off), every public-access block on, SSE-KMS with
the caller's customer-managed key (bucket keys keep KMS calls down) and versioning. What differs
per bucket (its policy, lifecycle, Object Lock rule, replication) stays with the component.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

from ..validation import ComponentInputError
from .base import AwsComponent

_VPCE = re.compile(r"^vpce-[0-9a-f]{8,17}$")
_PRINCIPAL = re.compile(r"^arn:aws:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


def validate_bucket_arguments(component: str, *, vpc_endpoint_id: Any, admin_principal_arns: Sequence[Any],
                              bucket_name: Optional[str], bucket: str, admins: str) -> None:
    """The arguments every private bucket takes: the S3 VPC endpoint its policy admits, the admins
    outside it, and an optional literal name. ``bucket`` and ``admins`` word the error
    ("the bucket", "the deploy role that manages it")."""
    if vpc_endpoint_id is None or (isinstance(vpc_endpoint_id, str) and not _VPCE.match(vpc_endpoint_id)):
        raise ComponentInputError(
            "%s: vpc_endpoint_id %r must be the S3 VPC endpoint id (vpce-…), e.g. Network.s3_endpoint_id"
            % (component, vpc_endpoint_id)
        )
    if not admin_principal_arns:
        raise ComponentInputError(
            "%s: admin_principal_arns must not be empty: %s refuses every request from outside the VPC "
            "endpoint, so name %s" % (component, bucket, admins)
        )
    for arn in admin_principal_arns:
        if isinstance(arn, str) and not _PRINCIPAL.match(arn):
            raise ComponentInputError(
                "%s: admin_principal_arns entry %r must be an IAM role or user ARN without wildcards" % (component, arn)
            )
    if bucket_name is not None and (not isinstance(bucket_name, str) or not _BUCKET.match(bucket_name)):
        raise ComponentInputError(
            "%s: bucket_name %r must be 3-63 lowercase letters, digits or dashes (no dots), starting and ending with a letter or digit"
            % (component, bucket_name)
        )


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
