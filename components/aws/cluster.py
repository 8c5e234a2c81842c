"""The EKS control plane for the platform: private, encrypted, audited, pinned.

Why each default:

* Private API endpoint only. A public endpoint needs ``allow_public_endpoint=True`` *and* a list
  of operator CIDRs (never ``0.0.0.0/0``); the plan then shows ``endpointPublicAccess: true`` and
  a ``sahab:exception`` tag.
* Kubernetes Secrets are envelope-encrypted with the caller's KMS key (required, in the UAE).
* All five control-plane log types go to ``/aws/eks/<name>/cluster``, which this component
  creates first, KMS-encrypted and with a retention, so EKS never creates an unencrypted group
  that keeps logs forever. (The key policy must allow ``logs.<region>.amazonaws.com``.)
* Access entries only (``authentication_mode = "API"``), and the identity that runs Pulumi is
  *not* made cluster admin behind the scenes: admins are listed in ``admin_role_arns``.
* Kubernetes and every add-on version are pinned in code: an upgrade is a reviewed diff.
  ``bootstrap_self_managed_addons = False``: EKS installs no unpinned default add-ons.
* Workload identity both ways: an IAM OIDC provider for IRSA and the EKS Pod Identity agent.
  The VPC CNI and EBS CSI add-ons get their AWS permissions through Pod Identity, so the node
  role stays minimal (see :mod:`.node_pool`).
* Encrypted volumes: the EBS CSI driver may use exactly ``ebs_csi_kms_key_arns``, and
  :meth:`Cluster.encrypted_volumes` hands a StorageClass (``EncryptedStorageClass``) only one of
  those keys, so a class never names a key its driver cannot use.

Add-ons are created with the cluster and node groups are created from its ``cluster_name``
output, so Pulumi builds them in parallel; coredns and the EBS CSI controller become healthy once
an untainted pool with ``min_size >= 1`` (InferencePool's default) has nodes.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Sequence, Tuple

import pulumi
import pulumi_aws as aws

from ..kubernetes.storage import EBS_CSI_PROVISIONER, EncryptedVolumes
from ..validation import ComponentInputError, input_list, known_length, require_choice, require_cidrs, require_name
from .base import AwsComponent
from .catalogue import UAE_AWS_REGION
from .arguments import require_kms_key_arn
from .provider import UaeProvider, resolve_provider

COMPONENT = "Cluster"
TYPE_TOKEN = "sahab:aws:Cluster"
DEFAULT_KUBERNETES_VERSION = "1.33"
CONTROL_PLANE_LOG_TYPES: Tuple[str, ...] = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# Defaults for Kubernetes 1.33, taken from the EKS add-on version listings of 2025. Confirm each
# in me-central-1 before deploying or changing `version`:
#   aws eks describe-addon-versions --kubernetes-version 1.33 --addon-name <addon> \
#     --query 'addons[].addonVersions[].addonVersion'
DEFAULT_ADDON_VERSIONS: Mapping[str, str] = {
    "vpc-cni": "v1.20.1-eksbuild.3",
    "coredns": "v1.12.1-eksbuild.2",
    "kube-proxy": "v1.33.3-eksbuild.6",
    "eks-pod-identity-agent": "v1.3.7-eksbuild.2",
    "aws-ebs-csi-driver": "v1.45.0-eksbuild.2",
}
REQUIRED_ADDONS: Tuple[str, ...] = tuple(DEFAULT_ADDON_VERSIONS)
# SHA-1 of the root CA that signs oidc.eks.<region>.amazonaws.com. IAM validates EKS issuers
# against its own trusted CAs and no longer uses this value, but the API still records one.
EKS_OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
# Add-ons whose controllers call AWS, with their service account and AWS-managed policy.
ADDON_POD_IDENTITIES: Mapping[str, Tuple[str, str]] = {
    "vpc-cni": ("aws-node", "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"),
    "aws-ebs-csi-driver": ("ebs-csi-controller-sa", "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"),
}
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
# The EBS CSI driver's volume types and file systems (aws-ebs-csi-driver v1.45.0 docs/parameters.md).
EBS_VOLUME_TYPES: Tuple[str, ...] = ("gp3", "gp2", "io1", "io2", "st1", "sc1", "standard")
EBS_FILE_SYSTEMS: Tuple[str, ...] = ("ext4", "xfs", "ext3")
LOG_RETENTION_DAYS: Tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)

_VERSION = re.compile(r"^1\.\d{2}$")
_ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+(-eksbuild\.\d+)$")
_THUMBPRINT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(kw_only=True)
class ClusterArgs:
    """Private subnets in at least two zones, and the KMS keys for secrets and logs (both required).

    ``cluster_name`` defaults to the component's name; ``addon_versions`` must pin every one of
    :data:`REQUIRED_ADDONS` (defaults: :data:`DEFAULT_ADDON_VERSIONS`, for Kubernetes 1.33).
    ``ebs_csi_kms_key_arns`` lets the EBS CSI driver create volumes encrypted with those keys.
    """

    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    secrets_kms_key_arn: pulumi.Input[str]
    logs_kms_key_arn: pulumi.Input[str]
    version: str = DEFAULT_KUBERNETES_VERSION
    cluster_name: Optional[str] = None
    addon_versions: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ADDON_VERSIONS))
    log_retention_days: int = 365
    admin_role_arns: Sequence[pulumi.Input[str]] = ()
    oidc_thumbprints: Sequence[str] = (EKS_OIDC_THUMBPRINT,)
    allow_public_endpoint: bool = False
    public_access_cidrs: Sequence[str] = ()
    deletion_protection: bool = True
    ebs_csi_kms_key_arns: Sequence[pulumi.Input[str]] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    provider: Optional[UaeProvider] = None
    region: str = UAE_AWS_REGION


def _validate(name: str, args: ClusterArgs) -> str:
    """Every check, before anything is registered; returns the EKS cluster name."""
    resolve_provider(COMPONENT, args.provider, args.region)
    require_name(COMPONENT, name)
    cluster_name = require_name(COMPONENT, args.cluster_name) if args.cluster_name is not None else name
    subnet_count = known_length(args.subnet_ids)
    if subnet_count is not None and subnet_count < 2:
        raise ComponentInputError(
            "%s: subnet_ids needs private subnets in at least two availability zones, got %d" % (COMPONENT, subnet_count)
        )
    require_kms_key_arn(COMPONENT, "secrets_kms_key_arn", args.secrets_kms_key_arn, allow_alias=False)
    require_kms_key_arn(COMPONENT, "logs_kms_key_arn", args.logs_kms_key_arn, allow_alias=False)
    for i, key in enumerate(args.ebs_csi_kms_key_arns):
        require_kms_key_arn(COMPONENT, "ebs_csi_kms_key_arns[%d]" % i, key, allow_alias=False)
    if not isinstance(args.version, str) or not _VERSION.match(args.version):
        raise ComponentInputError(
            "%s: version %r must be a pinned Kubernetes minor version such as %r"
            % (COMPONENT, args.version, DEFAULT_KUBERNETES_VERSION)
        )
    _validate_addons(args)
    if args.log_retention_days not in LOG_RETENTION_DAYS:
        raise ComponentInputError(
            "%s: log_retention_days %r is not a CloudWatch retention; choose one of: %s"
            % (COMPONENT, args.log_retention_days, ", ".join(str(d) for d in LOG_RETENTION_DAYS))
        )
    if not args.oidc_thumbprints:
        raise ComponentInputError("%s: oidc_thumbprints must not be empty" % COMPONENT)
    for thumbprint in args.oidc_thumbprints:
        if not isinstance(thumbprint, str) or not _THUMBPRINT.match(thumbprint):
            raise ComponentInputError(
                "%s: OIDC thumbprint %r must be 40 lowercase hex characters (a SHA-1 fingerprint)" % (COMPONENT, thumbprint)
            )
    if args.allow_public_endpoint:
        if not args.public_access_cidrs:
            raise ComponentInputError(
                "%s: allow_public_endpoint needs public_access_cidrs: the operator networks allowed to reach the API"
                % COMPONENT
            )
        require_cidrs(COMPONENT, "public_access_cidrs", list(args.public_access_cidrs), private_only=False)
    elif args.public_access_cidrs:
        raise ComponentInputError(
            "%s: public_access_cidrs is set but the endpoint is private; pass allow_public_endpoint=True to open it"
            % COMPONENT
        )
    return cluster_name


def _validate_addons(args: ClusterArgs) -> None:
    versions = dict(args.addon_versions)
    for addon in REQUIRED_ADDONS:
        if addon not in versions:
            raise ComponentInputError(
                "%s: addon_versions has no pinned version for %s; every one of %s must be pinned"
                % (COMPONENT, addon, ", ".join(REQUIRED_ADDONS))
            )
    for addon, version in versions.items():
        if not isinstance(version, str) or not _ADDON_VERSION.match(version):
            raise ComponentInputError(
                "%s: add-on %s version %r is not pinned; give an exact EKS build such as %r "
                "(aws eks describe-addon-versions --addon-name %s)"
                % (COMPONENT, addon, version, DEFAULT_ADDON_VERSIONS.get(addon, "v1.2.3-eksbuild.1"), addon)
            )
    proxy_minor = ".".join(versions["kube-proxy"].lstrip("v").split(".")[:2])
    if proxy_minor != args.version:
        raise ComponentInputError(
            "%s: kube-proxy %s does not match Kubernetes %s; kube-proxy must run the control plane's minor version"
            % (COMPONENT, versions["kube-proxy"], args.version)
        )


def _trust(service: str, actions: Sequence[str] = ("sts:AssumeRole",)) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)}],
    })


class Cluster(AwsComponent):
    """An EKS cluster with a private endpoint, encrypted secrets and logs, and pinned add-ons."""

    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    node_security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        cluster_name = _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, region=args.region, opts=opts)
        tags = {**dict(args.tags), "sahab:component": COMPONENT}
        cluster_tags = dict(tags)
        if args.allow_public_endpoint:
            cluster_tags["sahab:exception"] = "public-endpoint"

        role = aws.iam.Role(
            "%s-cluster" % name,
            description="sahab Cluster %s: EKS control plane" % cluster_name,
            assume_role_policy=_trust("eks.amazonaws.com"),
            tags=tags,
            opts=self.child_opts(),
        )
        role_policy = aws.iam.RolePolicyAttachment(
            "%s-cluster-AmazonEKSClusterPolicy" % name,
            role=role.name,
            policy_arn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
            opts=self.child_opts(),
        )
        self.log_group = aws.cloudwatch.LogGroup(
            "%s-control-plane" % name,
            name="/aws/eks/%s/cluster" % cluster_name,
            kms_key_id=args.logs_kms_key_arn,
            retention_in_days=args.log_retention_days,
            tags=tags,
            opts=self.child_opts(),
        )
        self.cluster = aws.eks.Cluster(
            name,
            name=cluster_name,
            version=args.version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=input_list(args.subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=bool(args.allow_public_endpoint),
                public_access_cidrs=list(args.public_access_cidrs) if args.allow_public_endpoint else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=args.secrets_kms_key_arn),
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=False,
            ),
            bootstrap_self_managed_addons=False,
            deletion_protection=args.deletion_protection,
            tags=cluster_tags,
            opts=self.child_opts(depends_on=[role_policy, self.log_group]),
        )

        issuer = self.cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            "%s-oidc" % name,
            url=issuer,
            client_id_lists=["sts.amazonaws.com"],
            thumbprint_lists=list(args.oidc_thumbprints),
            tags=tags,
            opts=self.child_opts(),
        )

        for i, principal in enumerate(args.admin_role_arns):
            entry = aws.eks.AccessEntry(
                "%s-admin-%d" % (name, i),
                cluster_name=self.cluster.name,
                principal_arn=principal,
                type="STANDARD",
                tags=tags,
                opts=self.child_opts(),
            )
            aws.eks.AccessPolicyAssociation(
                "%s-admin-%d" % (name, i),
                cluster_name=self.cluster.name,
                principal_arn=principal,
                policy_arn=CLUSTER_ADMIN_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=self.child_opts(depends_on=[entry]),
            )

        self.addons: Dict[str, aws.eks.Addon] = {}
        self.addons["eks-pod-identity-agent"] = self._addon(name, "eks-pod-identity-agent", args, tags)
        for addon in REQUIRED_ADDONS + tuple(a for a in args.addon_versions if a not in REQUIRED_ADDONS):
            if addon not in self.addons:
                self.addons[addon] = self._addon(name, addon, args, tags)

        self._ebs_csi_kms_key_arns = list(args.ebs_csi_kms_key_arns)
        self.cluster_name = self.cluster.name
        self.cluster_arn = self.cluster.arn
        self.endpoint = self.cluster.endpoint
        self.oidc_provider_arn = self.oidc_provider.arn
        self.oidc_issuer_url = issuer
        self.cluster_security_group_id = self.cluster.vpc_config.apply(lambda c: c.cluster_security_group_id)
        # Managed node groups join with the cluster security group; pools list it explicitly.
        self.node_security_group_id = self.cluster_security_group_id
        self.kubeconfig = pulumi.Output.all(
            self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.apply(lambda ca: ca.data),
        ).apply(lambda parts: kubeconfig(*parts, region=args.region))
        self.register_outputs({
            "cluster_name": self.cluster_name,
            "cluster_arn": self.cluster_arn,
            "endpoint": self.endpoint,
            "oidc_provider_arn": self.oidc_provider_arn,
            "oidc_issuer_url": self.oidc_issuer_url,
            "cluster_security_group_id": self.cluster_security_group_id,
            "node_security_group_id": self.node_security_group_id,
            "kubeconfig": self.kubeconfig,
        })

    def encrypted_volumes(self, kms_key_arn: pulumi.Input[str], volume_type: str = "gp3",
                          file_system: str = "ext4") -> EncryptedVolumes:
        """Volumes the EBS CSI driver creates encrypted with ``kms_key_arn``, for an
        :class:`~sahab.components.kubernetes.storage.EncryptedStorageClass`. The key must be one
        of ``ebs_csi_kms_key_arns`` (the same value, e.g. ``EncryptionKeys.key_arn("volumes")``):
        the driver's role may use exactly those, so a class naming another key would only fail
        when its first volume is created."""
        if not any(kms_key_arn is key or (isinstance(key, str) and kms_key_arn == key) for key in self._ebs_csi_kms_key_arns):
            shown = repr(kms_key_arn) if isinstance(kms_key_arn, str) else "(a key made in this program)"
            raise ComponentInputError(
                "%s: the EBS CSI driver may not use KMS key %s; pass the same key in ClusterArgs.ebs_csi_kms_key_arns "
                "so its role is granted it" % (COMPONENT, shown))
        require_choice(COMPONENT, "volume_type", volume_type, EBS_VOLUME_TYPES)
        require_choice(COMPONENT, "file_system", file_system, EBS_FILE_SYSTEMS)
        return EncryptedVolumes(
            provisioner=EBS_CSI_PROVISIONER,
            parameters={"type": volume_type, "encrypted": "true", "kmsKeyId": kms_key_arn,
                        "csi.storage.k8s.io/fstype": file_system},
            key="kmsKeyId",
            description="EBS %s volumes encrypted with a customer managed KMS key" % volume_type)

    def _addon(self, name: str, addon: str, args: ClusterArgs, tags: Mapping[str, str]) -> aws.eks.Addon:
        associations = None
        depends_on = []
        if addon in ADDON_POD_IDENTITIES:
            service_account, policy = ADDON_POD_IDENTITIES[addon]
            role = aws.iam.Role(
                "%s-%s" % (name, addon),
                description="sahab Cluster %s: %s add-on (EKS Pod Identity)" % (name, addon),
                assume_role_policy=_trust("pods.eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession")),
                tags=dict(tags),
                opts=self.child_opts(),
            )
            depends_on.append(aws.iam.RolePolicyAttachment(
                "%s-%s-%s" % (name, addon, policy.rsplit("/", 1)[-1]),
                role=role.name,
                policy_arn=policy,
                opts=self.child_opts(),
            ))
            if addon == "aws-ebs-csi-driver" and args.ebs_csi_kms_key_arns:
                depends_on.append(aws.iam.RolePolicy(
                    "%s-%s-kms" % (name, addon),
                    role=role.name,
                    policy=pulumi.Output.all(*args.ebs_csi_kms_key_arns).apply(_ebs_kms_policy),
                    opts=self.child_opts(),
                ))
            associations = [aws.eks.AddonPodIdentityAssociationArgs(role_arn=role.arn, service_account=service_account)]
            depends_on.append(self.addons["eks-pod-identity-agent"])
        return aws.eks.Addon(
            "%s-%s" % (name, addon),
            cluster_name=self.cluster.name,
            addon_name=addon,
            addon_version=args.addon_versions[addon],
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            pod_identity_associations=associations,
            tags=dict(tags),
            opts=self.child_opts(depends_on=depends_on),
        )


def kubeconfig(cluster_name: str, endpoint: str, certificate_authority: str, *, region: str) -> str:
    """A kubeconfig for the Kubernetes provider with no credential in it: every call gets a
    short-lived token from ``aws eks get-token`` for whoever runs Pulumi (an access entry)."""
    user = {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "aws",
        "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"],
        "interactiveMode": "Never",
    }}
    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": cluster_name,
        "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": certificate_authority}}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
        "users": [{"name": cluster_name, "user": user}],
    }, sort_keys=True)


EBS_KMS_GRANT_ACTIONS: Tuple[str, ...] = ("kms:CreateGrant",)
EBS_KMS_USE_ACTIONS: Tuple[str, ...] = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")


def _ebs_kms_policy(key_arns: Sequence[str]) -> str:
    """What the EBS CSI driver needs to create and attach volumes encrypted with these keys, and
    nothing else: EC2 creates the volume's grant on the driver's behalf (CreateVolume and
    AttachVolume need ``kms:CreateGrant``, only for AWS resources), and uses the key. The driver
    never lists or revokes grants (aws-ebs-csi-driver v1.45.0 docs/install.md, "Encrypted EBS
    Volumes via KMS": Decrypt, GenerateDataKeyWithoutPlaintext, CreateGrant)."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": list(EBS_KMS_GRANT_ACTIONS),
                "Resource": list(key_arns),
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
            {
                "Effect": "Allow",
                "Action": list(EBS_KMS_USE_ACTIONS),
                "Resource": list(key_arns),
            },
        ],
    })
