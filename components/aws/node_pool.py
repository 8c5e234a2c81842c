"""The hardening every EKS node pool shares, written once for GpuTrainingPool and InferencePool.

A pool is a managed node group on a launch template the pool owns, so the security settings are
in the plan rather than left to EKS defaults:

* IMDSv2 only, hop limit 1: a container cannot reach the node's instance metadata (and with it
  the node role). Pods get AWS credentials from EKS Pod Identity instead.
* Every EBS volume the node boots with is encrypted with the caller's customer-managed key
  (gp3, deleted with the instance). Bottlerocket has an OS and a data volume; both are listed.
* The primary network interface says ``associate_public_ip_address = false`` and carries the
  security groups, so no subnet setting can give a node a public address.
* Detailed monitoring, tags on instances, volumes and interfaces, no SSH key, no remote access.
* User data: sahab's node bootstrap (:mod:`sahab.components.node_bootstrap`; ``bootstrap=``
  chooses SSH "disabled" or "key-only"): kubelet settings for nodeadm, kernel sysctls, audit
  rules, and the NVIDIA runtime on GPU nodes. Bottlerocket pools cannot take it (``bootstrap=None``).
* A node role per pool with only ``AmazonEKSWorkerNodePolicy`` and
  ``AmazonEC2ContainerRegistryPullOnly``. ``AmazonEKS_CNI_Policy`` is *not* on the node role:
  the Cluster component grants it to the ``aws-node`` service account through Pod Identity, so a
  workload on the node cannot borrow ENI permissions. (On a cluster not made by sahab's Cluster,
  give ``aws-node`` that policy some other way, or nodes never become Ready.)

The module also holds the few argument checks these components share (CIDRs, Kubernetes labels,
list arguments that may be Outputs); they belong in ``components/validation.py``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import pulumi
import pulumi_aws as aws

from ..node_bootstrap import NodeBootstrap, al2023_user_data
from ..validation import (
    ComponentInputError,
    input_list,
    known_length,
    require_choice,
    require_labels,
    require_name,
    require_size_range,
)
from .base import AwsComponent
from .catalogue import UAE_AWS_REGION
from .arguments import require_kms_key_arn
from .provider import UaeProvider, resolve_provider

NODE_ROLE_POLICIES: Tuple[str, ...] = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    # Pull-only is narrower than ...ReadOnly (no describe/list of every repository).
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
)
TAINT_EFFECTS: Tuple[str, ...] = ("NO_EXECUTE", "NO_SCHEDULE", "PREFER_NO_SCHEDULE")
ROOT_VOLUME_GIB_RANGE = (20, 16384)



# -- arguments ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class NodeTaint:
    """A Kubernetes taint in EKS form (effect NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE)."""

    key: str
    value: Optional[str]
    effect: str


@dataclass(kw_only=True)
class NodePoolArgs:
    """What every pool needs. Pools subclass this and change the defaults that differ.

    ``security_group_ids`` go on the launch template's network interface, which replaces the
    security groups EKS would otherwise add, so pass the cluster security group
    (``Cluster.cluster_security_group_id``) plus any extra groups.
    """

    cluster_name: pulumi.Input[str]
    volumes_kms_key_arn: pulumi.Input[str]
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    instance_types: Sequence[str] = ()
    min_size: int = 1
    max_size: int = 3
    desired_size: Optional[int] = None
    root_volume_size_gib: int = 100
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: Sequence[NodeTaint] = ()
    max_unavailable: int = 1
    bootstrap: Optional[NodeBootstrap] = field(default_factory=NodeBootstrap)
    tags: Mapping[str, str] = field(default_factory=dict)
    provider: Optional[UaeProvider] = None
    region: str = UAE_AWS_REGION


@dataclass(frozen=True)
class NodePoolShape:
    """What a specific pool decided, handed to :class:`NodePool`."""

    ami_type: str
    capacity_type: str
    instance_types: Tuple[str, ...]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    labels: Dict[str, str]
    taints: Tuple[NodeTaint, ...]
    efa_interfaces: int = 0  # 0: a single ordinary interface
    placement_strategy: Optional[str] = None
    gpu: bool = False  # the bootstrap configures the NVIDIA runtime


def validate_node_pool(component: str, name: str, args: NodePoolArgs, *, allow_zero: bool,
                       reserved_labels: Mapping[str, str] = {}) -> None:
    """Checks every pool runs before anything is registered."""
    resolve_provider(component, args.provider, args.region)
    require_name(component, name)
    require_size_range(component, args.min_size, args.max_size,
                       args.min_size if args.desired_size is None else args.desired_size, allow_zero=allow_zero)
    require_kms_key_arn(component, "volumes_kms_key_arn", args.volumes_kms_key_arn, allow_alias=False)
    if args.cluster_name is None or (isinstance(args.cluster_name, str) and not args.cluster_name):
        raise ComponentInputError("%s: cluster_name is required" % component)
    if known_length(args.security_group_ids) == 0:
        raise ComponentInputError("%s: security_group_ids must not be empty (include the cluster security group)" % component)
    low, high = ROOT_VOLUME_GIB_RANGE
    if not low <= args.root_volume_size_gib <= high:
        raise ComponentInputError(
            "%s: root_volume_size_gib must be between %d and %d, got %d" % (component, low, high, args.root_volume_size_gib)
        )
    if args.max_unavailable < 1:
        raise ComponentInputError("%s: max_unavailable must be >= 1, got %d" % (component, args.max_unavailable))
    require_labels(component, args.labels, reserved_labels)
    for taint in args.taints:
        require_choice(component, "taint effect", taint.effect, TAINT_EFFECTS)


def validate_bootstrap(component: str, args: NodePoolArgs, ami_type: str) -> None:
    """AL2023 pools boot with sahab's node bootstrap; Bottlerocket pools must say ``bootstrap=None``.

    Bottlerocket takes TOML settings instead of shell user data and has no audit daemon to
    configure, so sahab's bootstrap cannot be honoured there (docs/node-bootstrap.md); SAHAB-NOD-001
    then reports the pool's launch template as having no bootstrap.
    """
    if args.bootstrap is None:
        if not ami_type.startswith("BOTTLEROCKET"):
            raise ComponentInputError(
                "%s: bootstrap=None leaves %s nodes without sahab's hardening; keep the default NodeBootstrap()"
                % (component, ami_type))
        return
    if ami_type.startswith("BOTTLEROCKET"):
        raise ComponentInputError(
            "%s: %s cannot run sahab's node bootstrap (no shell user data, no audit daemon); "
            "use an AL2023 ami_type, or pass bootstrap=None and accept SAHAB-NOD-001's finding" % (component, ami_type))
    args.bootstrap.validate(component)


# -- resources ----------------------------------------------------------------------------------

def _root_devices(ami_type: str) -> Tuple[Tuple[str, bool], ...]:
    """(device, sized) pairs: Bottlerocket keeps the OS on xvda and containers on xvdb."""
    if ami_type.startswith("BOTTLEROCKET"):
        return (("/dev/xvda", False), ("/dev/xvdb", True))
    return (("/dev/xvda", True),)


def _network_interfaces(security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]], efa_interfaces: int
                        ) -> List[aws.ec2.LaunchTemplateNetworkInterfaceArgs]:
    if efa_interfaces <= 0:
        return [aws.ec2.LaunchTemplateNetworkInterfaceArgs(
            device_index=0,
            associate_public_ip_address="false",
            delete_on_termination="true",
            security_groups=input_list(security_group_ids),
        )]
    interfaces = []
    for card in range(efa_interfaces):
        primary = card == 0
        interfaces.append(aws.ec2.LaunchTemplateNetworkInterfaceArgs(
            device_index=0 if primary else 1,
            network_card_index=card,
            interface_type="efa",
            # AWS never auto-assigns a public address when an instance starts with several
            # interfaces; the primary one still says so explicitly.
            associate_public_ip_address="false" if primary else None,
            delete_on_termination="true",
            security_groups=input_list(security_group_ids),
        ))
    return interfaces


class NodePool(AwsComponent):
    """A hardened managed node group; GpuTrainingPool and InferencePool decide its shape.

    Subclasses validate their arguments and work out a :class:`NodePoolShape` first, then call
    ``super().__init__``, which registers the component and its children.
    """

    node_group_name: pulumi.Output[str]
    node_group_arn: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    launch_template_id: pulumi.Output[str]
    placement_group_name: Optional[pulumi.Output[str]]

    def __init__(self, type_token: str, name: str, args: NodePoolArgs, shape: NodePoolShape,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token, name, provider=args.provider, region=args.region, opts=opts)
        component = type_token.split(":")[-1]
        tags = {**dict(args.tags), "sahab:component": component, "sahab:node-pool": name}

        self.role = aws.iam.Role(
            "%s-node" % name,
            description="sahab %s %s: EKS worker nodes" % (component, name),
            assume_role_policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                               "Action": "sts:AssumeRole"}],
            }),
            tags=tags,
            opts=self.child_opts(),
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                "%s-node-%s" % (name, policy.rsplit("/", 1)[-1]),
                role=self.role.name,
                policy_arn=policy,
                opts=self.child_opts(),
            )
            for policy in NODE_ROLE_POLICIES
        ]

        self.placement_group: Optional[aws.ec2.PlacementGroup] = None
        placement = None
        if shape.placement_strategy:
            self.placement_group = aws.ec2.PlacementGroup(
                "%s-placement" % name,
                strategy=shape.placement_strategy,
                tags=tags,
                opts=self.child_opts(),
            )
            placement = aws.ec2.LaunchTemplatePlacementArgs(group_name=self.placement_group.name)

        block_devices = [
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=device,
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    encrypted="true",
                    kms_key_id=args.volumes_kms_key_arn,
                    volume_type="gp3",
                    volume_size=args.root_volume_size_gib if sized else None,
                    delete_on_termination="true",
                ),
            )
            for device, sized in _root_devices(shape.ami_type)
        ]
        self.launch_template = aws.ec2.LaunchTemplate(
            "%s-nodes" % name,
            description="sahab %s %s: hardened EKS nodes" % (component, name),
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
            ),
            block_device_mappings=block_devices,
            network_interfaces=_network_interfaces(args.security_group_ids, shape.efa_interfaces),
            placement=placement,
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            user_data=al2023_user_data(args.bootstrap, gpu=shape.gpu) if args.bootstrap is not None else None,
            tags=tags,
            opts=self.child_opts(),
        )

        desired = args.min_size if args.desired_size is None else args.desired_size
        self.node_group = aws.eks.NodeGroup(
            name,
            cluster_name=args.cluster_name,
            node_role_arn=self.role.arn,
            subnet_ids=input_list(shape.subnet_ids),
            ami_type=shape.ami_type,
            capacity_type=shape.capacity_type,
            instance_types=list(shape.instance_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=args.min_size, desired_size=desired, max_size=args.max_size),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=args.max_unavailable),
            labels=dict(shape.labels),
            taints=[aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value, effect=t.effect)
                    for t in shape.taints] or None,
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=self.launch_template.id,
                version=self.launch_template.latest_version.apply(str),
            ),
            tags=tags,
            # The cluster autoscaler owns the current size; the bounds stay in code.
            opts=self.child_opts(depends_on=attachments, ignore_changes=["scalingConfig.desiredSize"]),
        )

        self.node_group_name = self.node_group.node_group_name
        self.node_group_arn = self.node_group.arn
        self.node_role_arn = self.role.arn
        self.launch_template_id = self.launch_template.id
        self.placement_group_name = self.placement_group.name if self.placement_group is not None else None
        outputs = {
            "node_group_name": self.node_group_name,
            "node_group_arn": self.node_group_arn,
            "node_role_arn": self.node_role_arn,
            "launch_template_id": self.launch_template_id,
        }
        if self.placement_group_name is not None:
            outputs["placement_group_name"] = self.placement_group_name
        self.register_outputs(outputs)
