"""The hardening every AKS user node pool shares, written once for GpuTrainingPool and InferencePool.

A pool is an ``azure-native:containerservice:AgentPool`` of the cluster made by :class:`.Cluster`
(in that cluster's resource group), so these settings are in the plan rather than left to AKS:

* ``enableNodePublicIP: false``: no node gets a public address; nodes sit in the given subnet.
* ``enableEncryptionAtHost: true``: temp and cache disks are encrypted too; OS and data disks use
  the cluster's disk encryption set (the customer-managed key).
* The node bootstrap's AKS settings (:func:`~..node_bootstrap.aks_node_configuration`): SSH to
  nodes off by default (``securityProfile.sshAccess: Disabled``; use ``kubectl debug``), or
  AKS's key-only SSH with ``NodeBootstrap(ssh="key-only")``; no unsafe sysctls; swap off.
* Autoscaling between ``min_count`` and ``max_count``; the autoscaler owns the current count.
* Zones only where the location has them (all of uaenorth's by default, none in uaecentral).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Sequence, Tuple

import pulumi
import pulumi_azure_native as azure_native

from ..node_bootstrap import NodeBootstrap, aks_node_configuration
from ..regions import canonical_region
from ..validation import ComponentInputError, require_choice, require_labels, require_size_range
from .arguments import DEFAULT_LOCATION, require_zones, zones_of
from .base import AzureComponent
from .provider import UaeAzureProvider, UaeResourceGroup, resolve_placement

TAINT_EFFECTS: Tuple[str, ...] = ("NoSchedule", "PreferNoSchedule", "NoExecute")
OS_SKUS: Tuple[str, ...] = ("Ubuntu", "AzureLinux")
OS_DISK_GB_RANGE = (30, 2048)
# AKS: Linux pool names are 1-12 lowercase letters and digits, starting with a letter.
_POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")


@dataclass(frozen=True)
class NodeTaint:
    """A Kubernetes taint in AKS form: ``key=value:Effect`` (NoSchedule, PreferNoSchedule, NoExecute)."""

    key: str
    value: str
    effect: str

    def __str__(self) -> str:
        return "%s=%s:%s" % (self.key, self.value, self.effect)


@dataclass(kw_only=True)
class NodePoolArgs:
    """What every user pool needs: the cluster (``Cluster.cluster_name`` and ``Cluster.resource_group``)
    and the subnet its nodes join. ``zones=None`` means every zone of the location."""

    cluster_name: pulumi.Input[str]
    resource_group: UaeResourceGroup
    subnet_id: pulumi.Input[str]
    vm_size: str
    pool_name: Optional[str] = None
    min_count: int = 1
    max_count: int = 3
    zones: Optional[Sequence[str]] = None
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: Sequence[NodeTaint] = ()
    os_sku: str = "Ubuntu"
    os_disk_size_gb: int = 128
    max_surge: str = "33%"
    tags: Mapping[str, str] = field(default_factory=dict)
    location: str = DEFAULT_LOCATION
    provider: Optional[UaeAzureProvider] = None
    bootstrap: NodeBootstrap = field(default_factory=NodeBootstrap)


@dataclass(frozen=True)
class NodePoolShape:
    """What a specific pool decided, handed to :class:`NodePool`."""

    vm_size: str
    labels: Dict[str, str]
    taints: Tuple[NodeTaint, ...]
    spot: bool = False
    gpu_driver: Optional[str] = None  # "None": the GPU operator installs the driver
    tags: Mapping[str, str] = field(default_factory=dict)


def pool_name_of(component: str, name: str, args: NodePoolArgs) -> str:
    chosen = args.pool_name if args.pool_name is not None else name
    if not isinstance(chosen, str) or not _POOL_NAME.match(chosen):
        raise ComponentInputError(
            "%s: AKS pool name %r must be 1-12 lowercase letters or digits starting with a letter; %s"
            % (component, chosen, "pass pool_name=..." if args.pool_name is None else "choose another pool_name"))
    return chosen


def validate_node_pool(component: str, name: str, args: NodePoolArgs, *, allow_zero: bool,
                       reserved_labels: Mapping[str, str] = {}) -> Tuple[str, ...]:
    """Checks every pool runs before anything is registered; returns the pool's zones."""
    resolve_placement(component, args.provider, args.location, args.resource_group)
    if args.resource_group is None:
        raise ComponentInputError("%s: resource_group is required: the cluster's (Cluster.resource_group)" % component)
    pool_name_of(component, name, args)
    if args.cluster_name is None or (isinstance(args.cluster_name, str) and not args.cluster_name.strip()):
        raise ComponentInputError("%s: cluster_name is required (Cluster.cluster_name)" % component)
    if args.subnet_id is None or (isinstance(args.subnet_id, str) and not args.subnet_id.strip()):
        raise ComponentInputError("%s: subnet_id is required (a private subnet of the cluster's virtual network)" % component)
    require_size_range(component, args.min_count, args.max_count, allow_zero=allow_zero, names=("min_count", "max_count"))
    require_choice(component, "os_sku", args.os_sku, OS_SKUS)
    low, high = OS_DISK_GB_RANGE
    if not low <= args.os_disk_size_gb <= high:
        raise ComponentInputError("%s: os_disk_size_gb must be between %d and %d, got %d" % (component, low, high, args.os_disk_size_gb))
    require_labels(component, args.labels, reserved_labels)
    if not isinstance(args.bootstrap, NodeBootstrap):
        raise ComponentInputError("%s: bootstrap must be a NodeBootstrap(ssh=...), got %r" % (component, args.bootstrap))
    args.bootstrap.validate(component)
    for taint in args.taints:
        if not isinstance(taint, NodeTaint):
            raise ComponentInputError("%s: taints entries must be NodeTaint(key, value, effect), got %r" % (component, taint))
        require_choice(component, "taint effect", taint.effect, TAINT_EFFECTS)
    location = canonical_region(args.location)
    return zones_of(location) if args.zones is None else require_zones(component, location, args.zones)


class NodePool(AzureComponent):
    """A hardened AKS user pool; GpuTrainingPool and InferencePool decide its shape.

    Subclasses validate their arguments and work out a :class:`NodePoolShape` first, then call
    ``super().__init__``, which registers the component and the pool.
    """

    pool_name: str
    agent_pool_id: pulumi.Output[str]

    def __init__(self, type_token: str, name: str, args: NodePoolArgs, shape: NodePoolShape, zones: Tuple[str, ...],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token, name, provider=args.provider, location=args.location,
                         resource_group=args.resource_group, opts=opts)
        component = type_token.split(":")[-1]
        self.pool_name = pool_name_of(component, name, args)
        spot = {}
        if shape.spot:
            # Spot VMs are evicted, not deallocated, when Azure needs the capacity back; -1 pays up
            # to the on-demand price. AKS taints spot nodes kubernetes.azure.com/scalesetpriority=spot.
            spot = dict(scale_set_priority="Spot", scale_set_eviction_policy="Delete", spot_max_price=-1)
        self.agent_pool = azure_native.containerservice.AgentPool(
            name,
            resource_group_name=self.resource_group_name,
            resource_name_=args.cluster_name,
            agent_pool_name=self.pool_name,
            mode="User",
            os_type="Linux",
            os_sku=args.os_sku,
            vm_size=shape.vm_size,
            count=args.min_count,
            enable_auto_scaling=True,
            min_count=args.min_count,
            max_count=args.max_count,
            availability_zones=list(zones) or None,
            vnet_subnet_id=args.subnet_id,
            enable_node_public_ip=False,
            enable_encryption_at_host=True,
            os_disk_type="Managed",
            os_disk_size_gb=args.os_disk_size_gb,
            node_labels=dict(shape.labels),
            node_taints=[str(t) for t in shape.taints] or None,
            gpu_profile=azure_native.containerservice.GPUProfileArgs(driver=shape.gpu_driver) if shape.gpu_driver else None,
            upgrade_settings=azure_native.containerservice.AgentPoolUpgradeSettingsArgs(max_surge=args.max_surge),
            tags={**dict(args.tags), **dict(shape.tags), "sahab:component": component},
            # The cluster autoscaler owns the current count; the bounds stay in code.
            opts=self.child_opts(ignore_changes=["count"]),
            **spot,
            **aks_node_configuration(args.bootstrap),
        )
        self.agent_pool_id = self.agent_pool.id
        self.register_outputs({"pool_name": self.pool_name, "agent_pool_id": self.agent_pool_id})
