"""GPU nodes for training jobs: only where the UAE zone offers the type, tainted, scaled to zero.

* Instance types are checked against the me-central-1 zone catalogue before anything exists: a
  node group spans all its zones, so a type missing in one zone would fail (or silently never
  launch) at deploy time. The refusal lists the types that *are* offered in the chosen zones.
* The ``nvidia.com/gpu=true:NoSchedule`` taint keeps ordinary pods off expensive nodes; training
  pods tolerate it. ``min_size`` defaults to 0 so idle GPUs cost nothing.
* p5en (EFA networking) pools get one EFA interface per network card and a ``cluster``
  placement group, which lives in one availability zone, so such a pool takes exactly one zone
  and no other instance family.

Hardening (IMDSv2, encrypted volumes, no public address, node role) is :mod:`.node_pool`'s.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Tuple

import pulumi

from ..validation import ComponentInputError, require_choice
from ..kubernetes.training import GpuPool
from .catalogue import load_catalogue, require_gpu_types_in_zones
from .node_pool import NodePool, NodePoolArgs, NodePoolShape, NodeTaint, validate_bootstrap, validate_node_pool

COMPONENT = "GpuTrainingPool"
TYPE_TOKEN = "sahab:aws:GpuTrainingPool"
GPU_AMI_TYPES: Tuple[str, ...] = ("AL2023_x86_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA")
GPU_TAINT = NodeTaint(key="nvidia.com/gpu", value="true", effect="NO_SCHEDULE")
POOL_LABELS = {"sahab.io/pool": "gpu-training", "nvidia.com/gpu.present": "true"}
# Network cards per EFA instance type (EC2 "MaximumNetworkCards"); one EFA interface per card.
EFA_NETWORK_CARDS = {"p5en.48xlarge": 16}
EFA_FAMILIES: Tuple[str, ...] = ("p5en",)


def _family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


@dataclass(kw_only=True)
class GpuTrainingPoolArgs(NodePoolArgs):
    """Zones and their private subnets; instance types must be offered in every chosen zone.

    ``spot=True`` asks for Spot capacity (cheaper, can be reclaimed: checkpoint your jobs).
    ``efa_interfaces`` overrides the EFA interface count for EFA types (default: one per card).
    """

    zones: Sequence[str]
    subnet_ids_by_zone: Mapping[str, pulumi.Input[str]]
    instance_types: Sequence[str] = ("g6e.xlarge",)
    ami_type: str = "AL2023_x86_64_NVIDIA"
    spot: bool = False
    min_size: int = 0
    max_size: int = 2
    root_volume_size_gib: int = 200
    efa_interfaces: Optional[int] = None


def _shape(name: str, args: GpuTrainingPoolArgs) -> NodePoolShape:
    """Validate everything and decide the pool's shape; raises before any resource exists."""
    validate_node_pool(COMPONENT, name, args, allow_zero=True, reserved_labels=POOL_LABELS)
    require_choice(COMPONENT, "ami_type", args.ami_type, GPU_AMI_TYPES)
    validate_bootstrap(COMPONENT, args, args.ami_type)
    zones = tuple(args.zones)
    types = require_gpu_types_in_zones(COMPONENT, list(args.instance_types), list(zones), args.region)
    missing = [zone for zone in zones if zone not in args.subnet_ids_by_zone]
    if missing:
        raise ComponentInputError(
            "%s: subnet_ids_by_zone has no subnet for %s; it has %s"
            % (COMPONENT, ", ".join(missing), ", ".join(sorted(args.subnet_ids_by_zone)) or "none")
        )

    efa_types = [t for t in types if _family(t) in EFA_FAMILIES]
    efa_interfaces = 0
    placement = None
    if efa_types:
        others = [t for t in types if _family(t) not in EFA_FAMILIES]
        if others:
            raise ComponentInputError(
                "%s: %s needs EFA networking and a cluster placement group; put it in its own pool, not with %s"
                % (COMPONENT, ", ".join(efa_types), ", ".join(others))
            )
        if len(zones) != 1:
            raise ComponentInputError(
                "%s: %s uses a cluster placement group, which lives in one availability zone; "
                "choose exactly one zone, got %s" % (COMPONENT, ", ".join(efa_types), ", ".join(zones))
            )
        efa_interfaces = args.efa_interfaces if args.efa_interfaces is not None else min(
            EFA_NETWORK_CARDS.get(t, 1) for t in efa_types)
        if efa_interfaces < 1:
            raise ComponentInputError("%s: efa_interfaces must be >= 1, got %d" % (COMPONENT, efa_interfaces))
        placement = "cluster"
    elif args.efa_interfaces is not None:
        raise ComponentInputError(
            "%s: efa_interfaces applies only to EFA instance types (%s)" % (COMPONENT, ", ".join(EFA_FAMILIES))
        )

    return NodePoolShape(
        ami_type=args.ami_type,
        capacity_type="SPOT" if args.spot else "ON_DEMAND",
        instance_types=types,
        subnet_ids=tuple(args.subnet_ids_by_zone[zone] for zone in zones),
        labels={**dict(args.labels), **POOL_LABELS},
        taints=(GPU_TAINT, *args.taints),
        efa_interfaces=efa_interfaces,
        placement_strategy=placement,
        gpu=True,
    )


class GpuTrainingPool(NodePool):
    """An EKS managed node group of NVIDIA GPU nodes for training, pinned to the UAE."""

    def __init__(self, name: str, args: GpuTrainingPoolArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        shape = _shape(name, args)
        super().__init__(TYPE_TOKEN, name, args, shape, opts)
        catalogue = load_catalogue(args.region)
        # What training jobs on the cluster target: the pool's labels and taint, and the GPUs of
        # its smallest node (a job sized for it fits whichever instance type the pool scales).
        self.gpu_pool = GpuPool(node_selector=dict(POOL_LABELS), taint_key=GPU_TAINT.key,
                                gpus_per_node=min(catalogue.gpus[t] for t in shape.instance_types))
