"""An S3 bucket for datasets and model artifacts that stays private, encrypted and in the UAE.

Why: artifacts are the crown jewels of an ML platform (training data, weights). The bucket is
SSE-KMS with a customer key, versioned, owner-enforced (no ACLs), blocked from every form of
public access, reachable only over TLS 1.2+ and only through the VPC's S3 endpoint (named admin
principals and AWS service principals excepted, so deploys and log delivery still work), and
access-logged. Replication, if asked for, may only target a bucket in the UAE.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pulumi
import pulumi_aws as aws

from ..validation import ComponentInputError, require_name
from .base import AwsComponent
from .catalogue import UAE_AWS_REGION, UAE_AWS_REGIONS
from .arguments import require_kms_key_arn
from .private_bucket import private_bucket, validate_bucket_arguments
from .provider import UaeProvider, resolve_provider

COMPONENT = "ArtifactStore"
TYPE_TOKEN = "sahab:aws:ArtifactStore"

_S3_ARN = re.compile(r"^arn:aws:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass
class ArtifactStoreArgs:
    """``kms_key_arn``, ``vpc_endpoint_id`` and at least one admin principal are required.

    ``admin_principal_arns`` (the deploy role, break-glass admins) may reach the bucket from
    outside the VPC endpoint; everyone else must come through ``vpc_endpoint_id``. With no
    ``access_log_bucket`` the component makes its own log bucket; a caller's log bucket must
    let ``logging.s3.amazonaws.com`` write to it. Replication needs all three
    ``replication_destination_*`` arguments and a region in the UAE.

    ``kms_key_arn`` also encrypts the component's own log bucket, so its key policy must let
    ``logging.s3.amazonaws.com`` generate data keys (``EncryptionKeys.key_arn("artifacts")`` does).
    """

    kms_key_arn: pulumi.Input[str]
    vpc_endpoint_id: pulumi.Input[str]
    admin_principal_arns: Sequence[pulumi.Input[str]] = ()
    bucket_name: Optional[str] = None
    access_log_bucket: Optional[pulumi.Input[str]] = None
    access_log_retention_days: int = 365
    noncurrent_version_expiration_days: int = 90
    replication_destination_bucket_arn: Optional[pulumi.Input[str]] = None
    replication_destination_region: Optional[str] = None
    replication_destination_kms_key_arn: Optional[pulumi.Input[str]] = None
    tags: Dict[str, str] = field(default_factory=dict)
    provider: Optional[UaeProvider] = None
    region: str = UAE_AWS_REGION


def _validate(name: str, args: ArtifactStoreArgs) -> None:
    resolve_provider(COMPONENT, args.provider, args.region)
    require_name(COMPONENT, name)
    require_kms_key_arn(COMPONENT, "kms_key_arn", args.kms_key_arn)
    validate_bucket_arguments(COMPONENT, vpc_endpoint_id=args.vpc_endpoint_id, admin_principal_arns=args.admin_principal_arns,
                              bucket_name=args.bucket_name, bucket="the bucket", admins="the deploy role that manages it")
    if args.bucket_name is not None and args.access_log_bucket is None and len(args.bucket_name) > 58:
        raise ComponentInputError(
            "%s: bucket_name %r must be at most 58 characters when the component makes its log bucket (<bucket_name>-logs)"
            % (COMPONENT, args.bucket_name)
        )
    for argument in ("access_log_retention_days", "noncurrent_version_expiration_days"):
        value = getattr(args, argument)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ComponentInputError("%s: %s must be a whole number of days >= 1, got %r" % (COMPONENT, argument, value))
    _validate_replication(args)


def _validate_replication(args: ArtifactStoreArgs) -> None:
    given = {
        "replication_destination_bucket_arn": args.replication_destination_bucket_arn,
        "replication_destination_region": args.replication_destination_region,
        "replication_destination_kms_key_arn": args.replication_destination_kms_key_arn,
    }
    if all(value is None for value in given.values()):
        return
    missing = [key for key, value in given.items() if value is None]
    if missing:
        raise ComponentInputError("%s: replication needs %s as well" % (COMPONENT, ", ".join(missing)))
    if args.replication_destination_region not in UAE_AWS_REGIONS:
        raise ComponentInputError(
            "%s: replication_destination_region %r is outside the UAE; artifacts may only be replicated within %s"
            % (COMPONENT, args.replication_destination_region, ", ".join(UAE_AWS_REGIONS))
        )
    bucket_arn = args.replication_destination_bucket_arn
    if isinstance(bucket_arn, str) and not _S3_ARN.match(bucket_arn):
        raise ComponentInputError(
            "%s: replication_destination_bucket_arn %r must be an S3 bucket ARN (arn:aws:s3:::<bucket>)" % (COMPONENT, bucket_arn)
        )
    require_kms_key_arn(COMPONENT, "replication_destination_kms_key_arn", args.replication_destination_kms_key_arn)


def bucket_policy(bucket: str, vpc_endpoint_id: str, exempt_principal_arns: Sequence[str],
                  log_source_bucket: Optional[str] = None, account_id: Optional[str] = None,
                  log_prefix: str = "") -> Dict[str, Any]:
    """TLS-only, TLS 1.2+, VPC-endpoint-only (bar the exempt principals and AWS services).

    ``log_source_bucket`` makes it a log bucket's policy: the S3 logging service may write
    that bucket's access logs, for this account only.
    """
    arn = "arn:aws:s3:::%s" % bucket
    resources = [arn, arn + "/*"]
    statements: List[Dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyTlsOlderThan12",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
        {
            "Sid": "DenyOutsideVpcEndpoint",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {
                "StringNotEquals": {"aws:SourceVpce": vpc_endpoint_id, "aws:PrincipalArn": sorted(exempt_principal_arns)},
                "Bool": {"aws:PrincipalIsAWSService": "false"},
            },
        },
    ]
    if log_source_bucket is not None:
        statements.append({
            "Sid": "AllowS3ServerAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": "%s/%s*" % (arn, log_prefix),
            "Condition": {
                "ArnLike": {"aws:SourceArn": "arn:aws:s3:::%s" % log_source_bucket},
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        })
    return {"Version": "2012-10-17", "Statement": statements}


class ArtifactStore(AwsComponent):
    """A private, KMS-encrypted, versioned, VPC-endpoint-only S3 bucket with access logs."""

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    access_log_bucket_name: pulumi.Output[str]

    def __init__(self, name: str, args: ArtifactStoreArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, region=args.region, opts=opts)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(provider=self.provider, parent=self)).account_id
        # Globally unique and known before deploy (so the bucket policy can be reviewed in the plan).
        main_name: pulumi.Input[str] = args.bucket_name or account_id.apply(lambda account: "%s-%s" % (name, account))
        log_prefix = "s3-access/%s/" % name
        self._args, self._account_id = args, account_id

        replication_role_arn: Optional[pulumi.Output[str]] = None
        replication_role_name = "%s-s3-replication" % name
        if args.replication_destination_bucket_arn is not None:
            replication_role_arn = account_id.apply(lambda account: "arn:aws:iam::%s:role/%s" % (account, replication_role_name))
        exempt = list(args.admin_principal_arns) + ([replication_role_arn] if replication_role_arn is not None else [])

        bucket, versioning = self._bucket(name, main_name, exempt, extra_tags={
            **args.tags,
            **({"sahab:replication": "to-%s" % args.replication_destination_region} if replication_role_arn is not None else {}),
        })

        if args.access_log_bucket is None:
            log_name = pulumi.Output.from_input(main_name).apply(lambda main: main + "-logs")
            log_bucket, _ = self._bucket(
                "%s-logs" % name, log_name, list(args.admin_principal_arns), extra_tags={**args.tags, "sahab:role": "access-logs"},
                log_source=(bucket.bucket, account_id, log_prefix),
                expire_current_after_days=args.access_log_retention_days,
            )
            target_bucket: pulumi.Input[str] = log_bucket.bucket
        else:
            target_bucket = args.access_log_bucket
        aws.s3.BucketLogging(
            name, bucket=bucket.id, target_bucket=target_bucket, target_prefix=log_prefix, opts=self.child_opts(),
        )

        if replication_role_arn is not None:
            self._replication(name, bucket, versioning, replication_role_name)

        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.access_log_bucket_name = pulumi.Output.from_input(target_bucket)
        self.register_outputs({
            "bucket_name": self.bucket_name,
            "bucket_arn": self.bucket_arn,
            "access_log_bucket_name": self.access_log_bucket_name,
        })

    def _bucket(self, logical: str, bucket_name: pulumi.Input[str], exempt: Sequence[pulumi.Input[str]],
                extra_tags: Dict[str, str], log_source: Optional[tuple] = None,
                expire_current_after_days: Optional[int] = None) -> Tuple[aws.s3.Bucket, aws.s3.BucketVersioning]:
        """One bucket with every protection; ``log_source`` makes it that bucket's log target."""
        args = self._args
        made = private_bucket(self, logical, bucket_name=bucket_name, kms_key_arn=args.kms_key_arn, tags=extra_tags)
        bucket, public_access, versioning = made.bucket, made.public_access, made.versioning
        rules = [
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-noncurrent-versions", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=args.noncurrent_version_expiration_days),
            ),
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="abort-incomplete-multipart-uploads", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=7),
            ),
        ]
        if expire_current_after_days is not None:
            rules.append(aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-access-logs", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=expire_current_after_days),
            ))
        aws.s3.BucketLifecycleConfiguration(
            logical, bucket=bucket.id, rules=rules, opts=self.child_opts(depends_on=[versioning]),
        )
        if log_source is None:
            policy = pulumi.Output.all(bucket.bucket, args.vpc_endpoint_id, *exempt).apply(
                lambda v: json.dumps(bucket_policy(v[0], v[1], v[2:]))
            )
        else:
            source_bucket, account_id, prefix = log_source
            policy = pulumi.Output.all(bucket.bucket, args.vpc_endpoint_id, source_bucket, account_id, *exempt).apply(
                lambda v: json.dumps(bucket_policy(v[0], v[1], v[4:], log_source_bucket=v[2], account_id=v[3], log_prefix=prefix))
            )
        # After the public access block, so the policy is never briefly evaluated without it.
        aws.s3.BucketPolicy(logical, bucket=bucket.id, policy=policy, opts=self.child_opts(depends_on=[public_access]))
        return bucket, versioning

    def _replication(self, name: str, bucket: aws.s3.Bucket, versioning: aws.s3.BucketVersioning, role_name: str) -> None:
        """Same-region replication to another UAE bucket, through a role that can do only that."""
        args = self._args
        account_id = self._account_id
        trust = pulumi.Output.all(bucket.bucket, account_id).apply(lambda v: json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "S3ReplicationOfThisBucketOnly",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": v[1]}, "ArnLike": {"aws:SourceArn": "arn:aws:s3:::%s" % v[0]}},
            }],
        }))
        role = aws.iam.Role(
            "%s-replication" % name, name=role_name, assume_role_policy=trust, max_session_duration=3600,
            description="sahab %s: S3 replication within the UAE" % name, opts=self.child_opts(),
        )
        region = args.region
        destination_region = args.replication_destination_region
        policy = pulumi.Output.all(bucket.bucket, args.replication_destination_bucket_arn, args.kms_key_arn,
                                   args.replication_destination_kms_key_arn).apply(lambda v: json.dumps({
                                       "Version": "2012-10-17",
                                       "Statement": [
                                           {"Sid": "ReadSourceConfiguration", "Effect": "Allow",
                                            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                                            "Resource": "arn:aws:s3:::%s" % v[0]},
                                           {"Sid": "ReadSourceVersions", "Effect": "Allow",
                                            "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl",
                                                       "s3:GetObjectVersionTagging"],
                                            "Resource": "arn:aws:s3:::%s/*" % v[0]},
                                           {"Sid": "WriteDestination", "Effect": "Allow",
                                            "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                                            "Resource": "%s/*" % v[1]},
                                           {"Sid": "DecryptSource", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": v[2],
                                            "Condition": {"StringEquals": {"kms:ViaService": "s3.%s.amazonaws.com" % region}}},
                                           {"Sid": "EncryptDestination", "Effect": "Allow", "Action": "kms:Encrypt", "Resource": v[3],
                                            "Condition": {"StringEquals": {"kms:ViaService": "s3.%s.amazonaws.com" % destination_region}}},
                                       ],
                                   }))
        aws.iam.RolePolicy("%s-replication" % name, role=role.id, policy=policy, opts=self.child_opts())
        aws.s3.BucketReplicationConfig(
            "%s-replication" % name,
            bucket=bucket.id,
            role=role.arn,
            rules=[aws.s3.BucketReplicationConfigRuleArgs(
                id="replicate-within-uae",
                status="Enabled",
                filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(status="Enabled"),
                source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                    sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                        status="Enabled"),
                ),
                destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                    bucket=args.replication_destination_bucket_arn,
                    encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                        replica_kms_key_id=args.replication_destination_kms_key_arn),
                ),
            )],
            opts=self.child_opts(depends_on=[versioning]),
        )
