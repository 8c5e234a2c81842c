"""A CloudTrail trail whose records stay in the UAE and cannot be altered or deleted.

Why: an audit trail is only evidence if the people it records cannot rewrite it. The trail (home
region me-central-1) records every management event of the account's enabled regions, and S3
data events of the buckets it is given (the artifact bucket), encrypts its log files with the
customer managed logs key, signs them (log-file validation: digest files), and delivers them to a
dedicated bucket in me-central-1 with S3 Object Lock in COMPLIANCE mode (no one, root included,
can delete or overwrite a record before its retention ends), versioning, every form of public
access blocked, TLS 1.2+ only and the VPC's S3 endpoint only (CloudTrail, an AWS service, and the
admin principals excepted), and to a CloudWatch Logs group encrypted with the same key for queries
and alarms. The gate's SAHAB-AUD-001/002 check the same properties on any program.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pulumi
import pulumi_aws as aws

from ..validation import ComponentInputError, is_whole, require_name
from .arguments import require_kms_key_arn
from .artifact_store import bucket_policy
from .base import AwsComponent
from .catalogue import UAE_AWS_REGION
from .network import LOG_RETENTION_DAYS
from .private_bucket import private_bucket, validate_bucket_arguments
from .provider import UaeProvider, resolve_provider

COMPONENT = "AuditTrail"
TYPE_TOKEN = "sahab:aws:AuditTrail"

# S3 Object Lock's longest default retention is 100 years.
MAX_RETENTION_DAYS = 36500

_S3_ARN = re.compile(r"^arn:aws:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass
class AuditTrailArgs:
    """``kms_key_arn`` (the logs key), ``vpc_endpoint_id`` and an admin principal are required.

    ``retention_days`` is the Object Lock default retention in COMPLIANCE mode: a record cannot
    be deleted or overwritten by anyone before it ends, and it cannot be shortened later. The key
    policy must let CloudTrail use the key (``EncryptionKeys.key_arn("logs")`` does).
    ``data_event_bucket_arns`` are the buckets whose object-level reads and writes are recorded.
    """

    kms_key_arn: pulumi.Input[str]
    vpc_endpoint_id: pulumi.Input[str]
    admin_principal_arns: Sequence[pulumi.Input[str]] = ()
    retention_days: int = 365
    data_event_bucket_arns: Sequence[pulumi.Input[str]] = ()
    log_group_retention_days: int = 365
    multi_region: bool = True
    bucket_name: Optional[str] = None
    tags: Dict[str, str] = field(default_factory=dict)
    provider: Optional[UaeProvider] = None
    region: str = UAE_AWS_REGION


def _validate(name: str, args: AuditTrailArgs) -> None:
    resolve_provider(COMPONENT, args.provider, args.region)
    require_name(COMPONENT, name)
    require_kms_key_arn(COMPONENT, "kms_key_arn", args.kms_key_arn)
    validate_bucket_arguments(COMPONENT, vpc_endpoint_id=args.vpc_endpoint_id, admin_principal_arns=args.admin_principal_arns,
                              bucket_name=args.bucket_name, bucket="the audit bucket", admins="the role that reads the records")
    if not is_whole(args.retention_days) or not 1 <= args.retention_days <= MAX_RETENTION_DAYS:
        raise ComponentInputError(
            "%s: retention_days must be a whole number of days from 1 to %d (S3 Object Lock), got %r"
            % (COMPONENT, MAX_RETENTION_DAYS, args.retention_days)
        )
    if args.log_group_retention_days not in LOG_RETENTION_DAYS:
        raise ComponentInputError(
            "%s: log_group_retention_days %r is not a CloudWatch Logs retention; choose one of %s"
            % (COMPONENT, args.log_group_retention_days, ", ".join(map(str, LOG_RETENTION_DAYS)))
        )
    for arn in args.data_event_bucket_arns:
        if isinstance(arn, str) and not _S3_ARN.match(arn):
            raise ComponentInputError(
                "%s: data_event_bucket_arns entry %r must be an S3 bucket ARN (arn:aws:s3:::<bucket>)" % (COMPONENT, arn)
            )
    if not isinstance(args.multi_region, bool):
        raise ComponentInputError("%s: multi_region must be True or False, got %r" % (COMPONENT, args.multi_region))


def trail_arn(region: str, account_id: str, trail_name: str) -> str:
    return "arn:aws:cloudtrail:%s:%s:trail/%s" % (region, account_id, trail_name)


def audit_bucket_policy(bucket: str, vpc_endpoint_id: str, exempt_principal_arns: Sequence[str],
                        account_id: str, source_trail_arn: str) -> Dict[str, Any]:
    """ArtifactStore's TLS-only, TLS 1.2+, VPC-endpoint-only policy, plus CloudTrail's delivery.

    CloudTrail may read the bucket ACL and write under AWSLogs/<account>/ only for this trail
    (aws:SourceArn, as AWS documents for the CloudTrail bucket policy).
    """
    policy = bucket_policy(bucket, vpc_endpoint_id, exempt_principal_arns)
    arn = "arn:aws:s3:::%s" % bucket
    policy["Statement"] += [
        {
            "Sid": "CloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": arn,
            "Condition": {"StringEquals": {"aws:SourceArn": source_trail_arn}},
        },
        {
            "Sid": "CloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": "%s/AWSLogs/%s/*" % (arn, account_id),
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": source_trail_arn}},
        },
    ]
    return policy


class AuditTrail(AwsComponent):
    """A KMS-encrypted, validated CloudTrail trail into an Object Lock (COMPLIANCE) bucket and a log group."""

    trail_arn: pulumi.Output[str]
    bucket_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: AuditTrailArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, region=args.region, opts=opts)
        region = args.region
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(provider=self.provider, parent=self)).account_id
        source_arn = account_id.apply(lambda account: trail_arn(region, account, name))
        bucket_name: pulumi.Input[str] = args.bucket_name or account_id.apply(lambda account: "%s-%s" % (name, account))

        bucket, bucket_setup = self._bucket(name, bucket_name, args, account_id, source_arn)
        log_group, role, role_policy = self._log_group(name, args, account_id, source_arn)

        selectors: List[aws.cloudtrail.TrailEventSelectorArgs] = [aws.cloudtrail.TrailEventSelectorArgs(
            read_write_type="All",
            include_management_events=True,
            data_resources=[aws.cloudtrail.TrailEventSelectorDataResourceArgs(
                type="AWS::S3::Object",
                values=[pulumi.Output.from_input(arn).apply(lambda a: a + "/") for arn in args.data_event_bucket_arns],
            )] if args.data_event_bucket_arns else None,
        )]
        trail = aws.cloudtrail.Trail(
            name,
            name=name,
            s3_bucket_name=bucket.bucket,
            kms_key_id=args.kms_key_arn,
            enable_log_file_validation=True,
            enable_logging=True,
            include_global_service_events=True,
            is_multi_region_trail=args.multi_region,
            event_selectors=selectors,
            cloud_watch_logs_group_arn=log_group.arn.apply(lambda arn: arn + ":*"),
            cloud_watch_logs_role_arn=role.arn,
            tags=args.tags or None,
            # CloudTrail checks the bucket policy and the log role when the trail is created.
            opts=self.child_opts(depends_on=[*bucket_setup, role_policy]),
        )

        self.trail_arn = trail.arn
        self.bucket_name = bucket.bucket
        self.log_group_name = log_group.name
        self.register_outputs({"trail_arn": self.trail_arn, "bucket_name": self.bucket_name, "log_group_name": self.log_group_name})

    def _bucket(self, name: str, bucket_name: pulumi.Input[str], args: AuditTrailArgs,
                account_id: pulumi.Output[str], source_arn: pulumi.Output[str]) -> Tuple[aws.s3.Bucket, List[pulumi.Resource]]:
        """The record bucket: Object Lock (COMPLIANCE), versioned, SSE-KMS, private, TLS-only; and what the
        trail must wait for (its policy, its lock)."""
        made = private_bucket(self, name, bucket_name=bucket_name, kms_key_arn=args.kms_key_arn,
                              tags={**args.tags, "sahab:role": "audit-trail"}, object_lock=True)
        bucket, public_access, versioning = made.bucket, made.public_access, made.versioning
        lock = aws.s3.BucketObjectLockConfiguration(
            name, bucket=bucket.id, object_lock_enabled="Enabled",
            rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                    mode="COMPLIANCE", days=args.retention_days),
            ),
            opts=self.child_opts(depends_on=[versioning]),
        )
        policy = pulumi.Output.all(bucket.bucket, args.vpc_endpoint_id, account_id, source_arn, *args.admin_principal_arns).apply(
            lambda v: json.dumps(audit_bucket_policy(v[0], v[1], v[4:], account_id=v[2], source_trail_arn=v[3]))
        )
        # After the public access block, so the policy is never briefly evaluated without it.
        bucket_policy_resource = aws.s3.BucketPolicy(
            name, bucket=bucket.id, policy=policy, opts=self.child_opts(depends_on=[public_access]))
        return bucket, [bucket_policy_resource, lock]

    def _log_group(self, name: str, args: AuditTrailArgs, account_id: pulumi.Output[str],
                   source_arn: pulumi.Output[str]) -> Tuple[aws.cloudwatch.LogGroup, aws.iam.Role, aws.iam.RolePolicy]:
        """The log group (the logs key) and the role CloudTrail writes to it with, for this trail only."""
        group_name = "/sahab/%s/cloudtrail" % name
        log_group = aws.cloudwatch.LogGroup(
            name, name=group_name, kms_key_id=args.kms_key_arn, retention_in_days=args.log_group_retention_days,
            opts=self.child_opts(),
        )
        trust = pulumi.Output.all(account_id, source_arn).apply(lambda v: json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "ThisTrailOnly",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": v[0], "aws:SourceArn": v[1]}},
            }],
        }))
        role = aws.iam.Role(
            "%s-cloudtrail-logs" % name,
            description="sahab %s: CloudTrail delivery to %s" % (name, group_name),
            assume_role_policy=trust,
            max_session_duration=3600,
            opts=self.child_opts(),
        )
        group_arn = account_id.apply(lambda account: "arn:aws:logs:%s:%s:log-group:%s" % (args.region, account, group_name))
        role_policy = aws.iam.RolePolicy(
            "%s-cloudtrail-logs" % name,
            role=role.id,
            policy=group_arn.apply(lambda arn: json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "WriteThisLogGroupOnly",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": arn + ":log-stream:*",
                }],
            })),
            opts=self.child_opts(),
        )
        return log_group, role, role_policy
