"""Customer-managed KMS keys, one per data class, each usable only through its own service.

Why: one key per data class keeps the blast radius of a key policy mistake (or a key deletion)
to one kind of data, and lets the audit trail say which service decrypted what. Each key is
single-region (key material never leaves me-central-1), rotates yearly, and has a key policy
with no ``kms:*`` grant: an admin role administers it but cannot use it, and principals of the
account can use it only *through* the data class's service (``kms:ViaService``), and only when
their own IAM policy also allows it. Deploy as ``admin_role_arn``: KMS refuses a key policy
that would lock its creator out.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import pulumi
import pulumi_aws as aws

from ..validation import ComponentInputError, require_name, require_non_empty
from .base import AwsComponent
from .catalogue import UAE_AWS_REGION
from .provider import UaeProvider, resolve_provider

COMPONENT = "EncryptionKeys"
TYPE_TOKEN = "sahab:aws:EncryptionKeys"

# Data class -> (service whose calls may use the key, description).
DATA_CLASSES: Dict[str, Dict[str, str]] = {
    "artifacts": {"service": "s3", "description": "datasets and model artifacts (S3)"},
    "cluster-secrets": {"service": "eks", "description": "Kubernetes secrets envelope encryption (EKS)"},
    "volumes": {"service": "ec2", "description": "node and training volumes (EBS)"},
    "database": {"service": "rds", "description": "model registry database (RDS)"},
    "logs": {"service": "logs", "description": "CloudWatch log groups and the CloudTrail audit trail"},
    # Not one of the five storage classes of the platform design, but ECR encrypts through its own
    # grant (kms:ViaService ecr), so images cannot share the artifacts (S3-only) key.
    "images": {"service": "ecr", "description": "container images (ECR)"},
    # Platform credentials (PlatformSecrets, and the RDS-managed master password: RDS stores it
    # through Secrets Manager, so the rds-only database key cannot encrypt it).
    "secrets": {"service": "secretsmanager", "description": "platform credentials (Secrets Manager)"},
    # The feature store's online cache (OnlineStoreCache): ElastiCache encrypts its disks, swap
    # and backups with this key at rest.
    "caches": {"service": "elasticache", "description": "feature store online cache (ElastiCache)"},
}
# Services that create grants for the AWS resources they manage (EBS attachments, RDS, EKS, ElastiCache).
_GRANTING_SERVICES = {"ec2", "rds", "eks", "ecr", "elasticache"}

KEY_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
]
KEY_USAGE_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]

_ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]+$")


@dataclass
class EncryptionKeysArgs:
    """``admin_role_arn`` administers every key (and cannot use them).

    ``autoscaling_service_linked_role`` lets the account's Auto Scaling service-linked role
    use the ``volumes`` key, which EKS node groups need to boot from volumes encrypted with it
    (the role must exist when the key is created: ``aws.iam.ServiceLinkedRole`` for
    ``autoscaling.amazonaws.com`` in a fresh account). Turn it off where no node group uses
    the key.
    """

    admin_role_arn: pulumi.Input[str]
    data_classes: Sequence[str] = field(default_factory=lambda: list(DATA_CLASSES))
    deletion_window_in_days: int = 30
    autoscaling_service_linked_role: bool = True
    provider: Optional[UaeProvider] = None
    region: str = UAE_AWS_REGION


def _validate(name: str, args: EncryptionKeysArgs) -> None:
    resolve_provider(COMPONENT, args.provider, args.region)
    require_name(COMPONENT, name)
    if args.admin_role_arn is None or (isinstance(args.admin_role_arn, str) and not args.admin_role_arn.strip()):
        raise ComponentInputError("%s: admin_role_arn is required (the IAM role that administers the keys)" % COMPONENT)
    if isinstance(args.admin_role_arn, str) and not _ROLE_ARN.match(args.admin_role_arn):
        raise ComponentInputError(
            "%s: admin_role_arn %r must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), without wildcards"
            % (COMPONENT, args.admin_role_arn)
        )
    require_non_empty(COMPONENT, "data_classes", list(args.data_classes))
    unknown = [c for c in args.data_classes if c not in DATA_CLASSES]
    if unknown:
        raise ComponentInputError(
            "%s: data class(es) %s are not known; choose from %s" % (COMPONENT, ", ".join(map(repr, unknown)), ", ".join(DATA_CLASSES))
        )
    if len(set(args.data_classes)) != len(list(args.data_classes)):
        raise ComponentInputError("%s: data_classes must not repeat: %s" % (COMPONENT, ", ".join(args.data_classes)))
    if not isinstance(args.autoscaling_service_linked_role, bool):
        raise ComponentInputError(
            "%s: autoscaling_service_linked_role must be True or False, got %r" % (COMPONENT, args.autoscaling_service_linked_role)
        )
    if not isinstance(args.deletion_window_in_days, int) or not 7 <= args.deletion_window_in_days <= 30:
        raise ComponentInputError(
            "%s: deletion_window_in_days must be between 7 and 30, got %r" % (COMPONENT, args.deletion_window_in_days)
        )


def key_policy(data_class: str, account_id: str, admin_role_arn: str, region: str,
               autoscaling_service_linked_role: bool = True) -> Dict[str, Any]:
    """The least-privilege key policy for one data class (a plain dict, for review and tests)."""
    service = DATA_CLASSES[data_class]["service"]
    root = "arn:aws:iam::%s:root" % account_id
    statements: List[Dict[str, Any]] = [{
        "Sid": "KeyAdministration",
        "Effect": "Allow",
        "Principal": {"AWS": admin_role_arn},
        "Action": KEY_ADMIN_ACTIONS,
        "Resource": "*",
    }]
    if service == "logs":
        statements.append({
            "Sid": "CloudWatchLogsUse",
            "Effect": "Allow",
            "Principal": {"Service": "logs.%s.amazonaws.com" % region},
            "Action": KEY_USAGE_ACTIONS,
            "Resource": "*",
            "Condition": {"ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:%s:%s:log-group:*" % (region, account_id),
            }},
        })
        # CloudTrail encrypts the audit trail's log files with this key (AuditTrail): only for
        # this account's trails homed here, and the account's principals may read them back
        # (when their own IAM policy allows it), as AWS documents for CloudTrail's key policy.
        trails = "arn:aws:cloudtrail:%s:%s:trail/*" % (region, account_id)
        trail_context = "arn:aws:cloudtrail:*:%s:trail/*" % account_id
        statements += [
            {
                "Sid": "CloudTrailEncryptLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringLike": {"aws:SourceArn": trails, "kms:EncryptionContext:aws:cloudtrail:arn": trail_context},
                },
            },
            {
                "Sid": "CloudTrailDescribeKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringLike": {"aws:SourceArn": trails}},
            },
            {
                "Sid": "ReadCloudTrailLogs",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::%s:root" % account_id},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:CallerAccount": account_id},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_context},
                },
            },
        ]
    else:
        via = "%s.%s.amazonaws.com" % (service, region)
        statements.append({
            "Sid": "UseThroughServiceOnly",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": KEY_USAGE_ACTIONS,
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": via, "kms:CallerAccount": account_id}},
        })
        if service in _GRANTING_SERVICES:
            statements.append({
                "Sid": "GrantsForServiceResources",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:ViaService": via, "kms:CallerAccount": account_id},
                    "Bool": {"kms:GrantIsForAWSResource": "true"},
                },
            })
        if data_class == "volumes" and autoscaling_service_linked_role:
            # Auto Scaling launches EKS nodes whose volumes use this key; its service-linked role
            # cannot be given an IAM policy, so the key policy names it (as AWS documents).
            autoscaling = "arn:aws:iam::%s:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling" % account_id
            statements.append({
                "Sid": "AutoScalingNodeVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": autoscaling},
                "Action": KEY_USAGE_ACTIONS,
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:CallerAccount": account_id}},
            })
            statements.append({
                "Sid": "AutoScalingNodeVolumeGrants",
                "Effect": "Allow",
                "Principal": {"AWS": autoscaling},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            })
        if data_class == "artifacts":
            # S3 server access logs are written by the logging service into a bucket encrypted
            # with this key (see ArtifactStore); it may only generate data keys for this account.
            statements.append({
                "Sid": "S3ServerAccessLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            })
    return {"Version": "2012-10-17", "Statement": statements}


class EncryptionKeys(AwsComponent):
    """One rotating, single-region, least-privilege KMS key (and alias) per data class."""

    key_arns: Dict[str, pulumi.Output[str]]
    key_ids: Dict[str, pulumi.Output[str]]
    alias_names: Dict[str, str]

    def __init__(self, name: str, args: EncryptionKeysArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, region=args.region, opts=opts)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(provider=self.provider, parent=self)).account_id
        region = args.region

        self.key_arns, self.key_ids, self.alias_names = {}, {}, {}
        for data_class in args.data_classes:
            policy = pulumi.Output.all(account_id, args.admin_role_arn).apply(
                lambda values, data_class=data_class: json.dumps(
                    key_policy(data_class, values[0], values[1], region, args.autoscaling_service_linked_role))
            )
            key = aws.kms.Key(
                "%s-%s" % (name, data_class),
                description="sahab %s: %s" % (name, DATA_CLASSES[data_class]["description"]),
                enable_key_rotation=True,
                multi_region=False,
                deletion_window_in_days=args.deletion_window_in_days,
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                bypass_policy_lockout_safety_check=False,
                policy=policy,
                tags={"sahab:data-class": data_class},
                opts=self.child_opts(),
            )
            alias_name = "alias/%s-%s" % (name, data_class)
            aws.kms.Alias("%s-%s" % (name, data_class), name=alias_name, target_key_id=key.key_id, opts=self.child_opts())
            self.key_arns[data_class] = key.arn
            self.key_ids[data_class] = key.key_id
            self.alias_names[data_class] = alias_name

        self.register_outputs({"key_arns": dict(self.key_arns), "alias_names": dict(self.alias_names)})

    def key_arn(self, data_class: str) -> pulumi.Output[str]:
        """The ARN of one data class's key; an unknown class names the ones this component made."""
        if data_class not in self.key_arns:
            raise ComponentInputError(
                "%s: no key for data class %r; this component has: %s" % (COMPONENT, data_class, ", ".join(self.key_arns))
            )
        return self.key_arns[data_class]
