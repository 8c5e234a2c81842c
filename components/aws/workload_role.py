"""An IAM role for exactly one Kubernetes service account (IRSA), with typed least-privilege grants.

Why: a pod that needs AWS (MLflow writing artifacts, the External Secrets Operator reading a
secret) must not get node credentials or a static access key. EKS signs a token for the pod's
service account; this role trusts that token only when its ``sub`` is
``system:serviceaccount:<namespace>:<service account>`` and its ``aud`` is
``sts.amazonaws.com`` (``StringEquals``, no wildcards), on the cluster's own IAM OIDC provider.

Permissions come only from typed grants, each turned into statements by a pure function:
:class:`BucketPrefixAccess` (objects under one prefix of one bucket, and that bucket's key only
through S3) and :class:`SecretsRead` (exactly the listed secrets, and their key only through
Secrets Manager). There is no free-form policy argument, so no ``*`` action and no resource
wider than what a grant names. The Kubernetes side receives :attr:`WorkloadRole.binding`, a plain
:class:`~sahab.components.kubernetes.identity.WorkloadIdentityBinding`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import pulumi
import pulumi_aws as aws

from ..kubernetes.identity import WorkloadIdentityBinding
from ..validation import ComponentInputError, DNS_LABEL, require_name, require_non_empty
from .arguments import require_kms_key_arn
from .base import AwsComponent
from .catalogue import UAE_AWS_REGION, UAE_AWS_REGIONS
from .ci_identity import trust_policy
from .provider import UaeProvider, resolve_provider

COMPONENT = "WorkloadRole"
TYPE_TOKEN = "sahab:aws:WorkloadRole"
STS_AUDIENCE = "sts.amazonaws.com"
MAX_SESSION_SECONDS = 3600

_DNS_SUBDOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_EKS_ISSUER_HOST = r"oidc\.eks\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/id/[A-Za-z0-9]+"
_ISSUER_URL = re.compile(r"^https://(?P<host>%s)$" % _EKS_ISSUER_HOST)
_OIDC_PROVIDER_ARN = re.compile(r"^arn:aws:iam::\d{12}:oidc-provider/(?P<host>%s)$" % _EKS_ISSUER_HOST)
_BUCKET_ARN = re.compile(r"^arn:aws:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# Secret names use letters, digits and /_+=.@-; the secrets RDS manages are named ``rds!...``.
_SECRET_ARN = re.compile(r"^arn:aws:secretsmanager:(?P<region>[a-z0-9-]+):\d{12}:secret:[A-Za-z0-9/_+=.@!-]+$")
_PREFIX_SEGMENT = re.compile(r"^[A-Za-z0-9_.=-]+$")
_WILDCARDS = ("*", "?")


@dataclass(frozen=True)
class BucketPrefixAccess:
    """Objects under ``<bucket>/<prefix>/`` only: read (``s3:GetObject``), or read and write
    (``PutObject``, ``DeleteObject``) when ``read_only`` is False; listing only under the
    prefix; the bucket's KMS key only through S3 in the UAE."""

    bucket_arn: pulumi.Input[str]
    prefix: str
    read_only: bool
    kms_key_arn: pulumi.Input[str]


@dataclass(frozen=True)
class SecretsRead:
    """``GetSecretValue``/``DescribeSecret`` on exactly these secrets, and ``kms:Decrypt`` on
    their key only through Secrets Manager in the UAE."""

    secret_arns: Sequence[pulumi.Input[str]]
    kms_key_arn: pulumi.Input[str]


Grant = Union[BucketPrefixAccess, SecretsRead]


@dataclass(kw_only=True)
class WorkloadRoleArgs:
    """The service account the role is for, the cluster's OIDC provider (``Cluster.oidc_provider_arn``
    and ``Cluster.oidc_issuer_url``) and at least one grant."""

    namespace: str
    service_account: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    grants: Sequence[Grant]
    description: str = ""
    permissions_boundary_arn: Optional[pulumi.Input[str]] = None
    tags: Mapping[str, str] = field(default_factory=dict)
    provider: Optional[UaeProvider] = None
    region: str = UAE_AWS_REGION


def service_account_subject(namespace: str, service_account: str) -> str:
    """The ``sub`` claim EKS writes into a service account's token."""
    return "system:serviceaccount:%s:%s" % (namespace, service_account)


def irsa_trust_policy(oidc_provider_arn: str, oidc_issuer_url: str, namespace: str, service_account: str) -> Dict[str, Any]:
    """Trust exactly one service account's token, with STS as its audience."""
    host = oidc_issuer_url[len("https://"):] if oidc_issuer_url.startswith("https://") else oidc_issuer_url
    return trust_policy(oidc_provider_arn, host, STS_AUDIENCE, service_account_subject(namespace, service_account),
                        sid="OneServiceAccountOnly")


def bucket_prefix_statements(grant: BucketPrefixAccess, index: int, region: str = UAE_AWS_REGION) -> List[Dict[str, Any]]:
    """The statements of one :class:`BucketPrefixAccess` whose ARNs are known (strings)."""
    actions = ["s3:GetObject"] if grant.read_only else ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    key_actions = ["kms:Decrypt"] if grant.read_only else ["kms:Decrypt", "kms:GenerateDataKey"]
    return [
        {
            "Sid": "Grant%dObjectsUnderPrefix" % index,
            "Effect": "Allow",
            "Action": actions,
            "Resource": "%s/%s/*" % (grant.bucket_arn, grant.prefix),
        },
        {
            "Sid": "Grant%dListPrefixOnly" % index,
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": grant.bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": ["%s/" % grant.prefix, "%s/*" % grant.prefix]}},
        },
        {
            "Sid": "Grant%dBucketKeyThroughS3" % index,
            "Effect": "Allow",
            "Action": key_actions,
            "Resource": grant.kms_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": "s3.%s.amazonaws.com" % region}},
        },
    ]


def secrets_read_statements(grant: SecretsRead, index: int, region: str = UAE_AWS_REGION) -> List[Dict[str, Any]]:
    """The statements of one :class:`SecretsRead` whose ARNs are known (strings)."""
    return [
        {
            "Sid": "Grant%dReadTheseSecrets" % index,
            "Effect": "Allow",
            "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            "Resource": sorted(set(grant.secret_arns)),
        },
        {
            "Sid": "Grant%dSecretsKeyThroughSecretsManager" % index,
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": grant.kms_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.%s.amazonaws.com" % region}},
        },
    ]


def permissions_policy(grants: Sequence[Grant], region: str = UAE_AWS_REGION) -> Dict[str, Any]:
    """The role's whole permissions policy: the statements of every grant, nothing else."""
    statements: List[Dict[str, Any]] = []
    for index, grant in enumerate(grants):
        if isinstance(grant, BucketPrefixAccess):
            statements += bucket_prefix_statements(grant, index, region)
        else:
            statements += secrets_read_statements(grant, index, region)
    return {"Version": "2012-10-17", "Statement": statements}


def _no_wildcard(component: str, argument: str, value: Any, what: str) -> None:
    if isinstance(value, str) and any(w in value for w in _WILDCARDS):
        raise ComponentInputError("%s: %s %r contains a wildcard; name exactly one %s" % (component, argument, value, what))


def require_service_account(component: str, namespace: Any, service_account: Any) -> None:
    """The namespace and ServiceAccount names the trust policy pins."""
    if not isinstance(namespace, str) or not DNS_LABEL.match(namespace):
        raise ComponentInputError(
            "%s: namespace %r must be a DNS label (lowercase letters, digits and dashes, at most 63)" % (component, namespace))
    if not isinstance(service_account, str) or not _DNS_SUBDOMAIN.match(service_account):
        raise ComponentInputError(
            "%s: service_account %r must be a Kubernetes name (lowercase letters, digits, dashes and dots)"
            % (component, service_account))


def require_cluster_oidc(component: str, oidc_provider_arn: Any, oidc_issuer_url: Any) -> None:
    """The cluster's IAM OIDC provider and issuer: required; literal ones must be an EKS issuer in
    the UAE, and the same issuer."""
    hosts = []
    for argument, value, pattern, shape in (
        ("oidc_provider_arn", oidc_provider_arn, _OIDC_PROVIDER_ARN,
         "arn:aws:iam::<account>:oidc-provider/oidc.eks.%s.amazonaws.com/id/<id>"),
        ("oidc_issuer_url", oidc_issuer_url, _ISSUER_URL, "https://oidc.eks.%s.amazonaws.com/id/<id>"),
    ):
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ComponentInputError("%s: %s is required (pass the cluster's Cluster.%s)" % (component, argument, argument))
        if isinstance(value, str):
            match = pattern.match(value)
            if match is None:
                raise ComponentInputError("%s: %s %r must look like %s" % (component, argument, value, shape % UAE_AWS_REGION))
            if match.group("region") not in UAE_AWS_REGIONS:
                raise ComponentInputError(
                    "%s: %s %r belongs to a cluster in %s, outside the UAE" % (component, argument, value, match.group("region")))
            hosts.append(match.group("host"))
    if len(hosts) == 2 and hosts[0] != hosts[1]:
        raise ComponentInputError(
            "%s: oidc_provider_arn is for %s but oidc_issuer_url is %s; pass both from the same cluster"
            % (component, hosts[0], hosts[1]))


def require_prefix(component: str, argument: str, prefix: Any) -> None:
    """An exact object key prefix: no wildcard, no leading or trailing '/', no '.' or '..' segment."""
    if not isinstance(prefix, str) or not prefix:
        raise ComponentInputError(
            "%s: %s must be a non-empty object key prefix such as 'mlflow/artifacts'" % (component, argument))
    if any(w in prefix for w in _WILDCARDS):
        raise ComponentInputError(
            "%s: %s %r contains a wildcard; give the exact prefix (the grant itself covers the objects under it)"
            % (component, argument, prefix))
    if prefix.startswith("/") or prefix.endswith("/"):
        raise ComponentInputError("%s: %s %r must not start or end with '/'" % (component, argument, prefix))
    if any(s in ("", ".", "..") or not _PREFIX_SEGMENT.match(s) for s in prefix.split("/")):
        raise ComponentInputError(
            "%s: %s %r must be '/'-separated segments of letters, digits, '_', '.', '=' or '-' (no empty, '.' or '..' segment)"
            % (component, argument, prefix))


def require_secret_arns(component: str, argument: str, secret_arns: Any) -> None:
    """A non-empty list of exact Secrets Manager ARNs; literal ones must be in the UAE."""
    if isinstance(secret_arns, (str, pulumi.Output)) or not isinstance(secret_arns, Sequence):
        raise ComponentInputError("%s: %s must be a list of secret ARNs" % (component, argument))
    require_non_empty(component, argument, list(secret_arns))
    for i, arn in enumerate(secret_arns):
        item = "%s[%d]" % (argument, i)
        _no_wildcard(component, item, arn, "secret")
        if isinstance(arn, str):
            match = _SECRET_ARN.match(arn)
            if match is None:
                raise ComponentInputError(
                    "%s: %s %r is not a Secrets Manager secret ARN (arn:aws:secretsmanager:%s:<account>:secret:<name>)"
                    % (component, item, arn, UAE_AWS_REGION))
            if match.group("region") not in UAE_AWS_REGIONS:
                raise ComponentInputError(
                    "%s: %s %r is a secret in %s, outside the UAE; use a secret in %s"
                    % (component, item, arn, match.group("region"), ", ".join(UAE_AWS_REGIONS)))


def _validate_grant(index: int, grant: Any) -> None:
    where = "grants[%d]" % index
    if isinstance(grant, BucketPrefixAccess):
        _no_wildcard(COMPONENT, where + ".bucket_arn", grant.bucket_arn, "bucket")
        if isinstance(grant.bucket_arn, str) and not _BUCKET_ARN.match(grant.bucket_arn):
            raise ComponentInputError(
                "%s: %s.bucket_arn %r is not an S3 bucket ARN (arn:aws:s3:::<bucket>)" % (COMPONENT, where, grant.bucket_arn))
        require_prefix(COMPONENT, where + ".prefix", grant.prefix)
        if not isinstance(grant.read_only, bool):
            raise ComponentInputError("%s: %s.read_only must be True or False, got %r" % (COMPONENT, where, grant.read_only))
    elif isinstance(grant, SecretsRead):
        require_secret_arns(COMPONENT, where + ".secret_arns", grant.secret_arns)
    else:
        raise ComponentInputError(
            "%s: %s must be a BucketPrefixAccess or SecretsRead, got %s" % (COMPONENT, where, type(grant).__name__))
    require_kms_key_arn(COMPONENT, where + ".kms_key_arn", grant.kms_key_arn, allow_alias=False)


def validate(name: str, args: WorkloadRoleArgs) -> None:
    """Every check, before anything registers."""
    resolve_provider(COMPONENT, args.provider, args.region)
    require_name(COMPONENT, name)
    require_service_account(COMPONENT, args.namespace, args.service_account)
    require_cluster_oidc(COMPONENT, args.oidc_provider_arn, args.oidc_issuer_url)
    if isinstance(args.grants, (str, pulumi.Output)) or not isinstance(args.grants, Sequence):
        raise ComponentInputError("%s: grants must be a list of BucketPrefixAccess / SecretsRead" % COMPONENT)
    require_non_empty(COMPONENT, "grants", list(args.grants))
    for index, grant in enumerate(args.grants):
        _validate_grant(index, grant)


def _known(grant: Grant) -> pulumi.Output[Grant]:
    """The grant with every ARN resolved (an Output stays unknown in preview until its inputs are)."""
    if isinstance(grant, BucketPrefixAccess):
        return pulumi.Output.all(grant.bucket_arn, grant.kms_key_arn).apply(
            lambda v: BucketPrefixAccess(v[0], grant.prefix, grant.read_only, v[1]))
    return pulumi.Output.all(grant.kms_key_arn, *grant.secret_arns).apply(
        lambda v: SecretsRead(list(v[1:]), v[0]))


class WorkloadRole(AwsComponent):
    """One IRSA role for one service account, with an inline policy built from typed grants."""

    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]
    binding: WorkloadIdentityBinding

    def __init__(self, name: str, args: WorkloadRoleArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, region=args.region, opts=opts)
        region = args.region
        subject = service_account_subject(args.namespace, args.service_account)
        description = args.description or "sahab WorkloadRole %s for %s/%s" % (name, args.namespace, args.service_account)
        tags = {**dict(args.tags), "sahab:component": COMPONENT, "sahab:service-account": subject[:256]}

        self.role = aws.iam.Role(
            name,
            description=description[:1000],
            assume_role_policy=pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer_url).apply(
                lambda v: json.dumps(irsa_trust_policy(v[0], v[1], args.namespace, args.service_account))),
            max_session_duration=MAX_SESSION_SECONDS,
            permissions_boundary=args.permissions_boundary_arn,
            tags=tags,
            opts=self.child_opts(),
        )
        aws.iam.RolePolicy(
            "%s-grants" % name,
            role=self.role.name,
            policy=pulumi.Output.all(*[_known(g) for g in args.grants]).apply(
                lambda grants: json.dumps(permissions_policy(grants, region))),
            opts=self.child_opts(),
        )

        self.role_arn = self.role.arn
        self.role_name = self.role.name
        self.binding = WorkloadIdentityBinding.aws_irsa(args.namespace, args.service_account, self.role_arn, description)
        self.register_outputs({"role_arn": self.role_arn, "role_name": self.role_name})
