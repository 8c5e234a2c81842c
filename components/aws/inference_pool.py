"""CPU nodes that serve models: always-on by default, never a GPU.

Serving must answer requests, so ``min_size`` is at least 1 (default 2, one per zone) unless
``allow_scale_to_zero=True`` is passed, and then ``minSize: 0`` shows in the plan. GPU and
accelerator families are refused here: they belong in GpuTrainingPool, which checks zone
offerings and taints the nodes. Hardening is :mod:`.node_pool`'s.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import pulumi

from ..validation import ComponentInputError, known_length, require_choice, require_non_empty
from .catalogue import load_catalogue
from .node_pool import NodePool, NodePoolArgs, NodePoolShape, validate_bootstrap, validate_node_pool

COMPONENT = "InferencePool"
TYPE_TOKEN = "sahab:aws:InferencePool"
CPU_AMI_TYPES: Tuple[str, ...] = ("AL2023_x86_64_STANDARD", "BOTTLEROCKET_x86_64")
POOL_LABELS = {"sahab.io/pool": "inference"}
# GPU / accelerator families (NVIDIA, AMD, Inferentia, Trainium, Gaudi, FPGA, video).
_ACCELERATED = re.compile(r"^(p\d|g\d|gr\d|inf\d|trn\d|dl\d|f\d|vt\d)")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")


@dataclass(kw_only=True)
class InferencePoolArgs(NodePoolArgs):
    """Private subnets (one per zone) and CPU instance types for model serving."""

    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    instance_types: Sequence[str] = ("m7i.xlarge",)
    ami_type: str = "AL2023_x86_64_STANDARD"
    min_size: int = 2
    max_size: int = 6
    allow_scale_to_zero: bool = False


def _shape(name: str, args: InferencePoolArgs) -> NodePoolShape:
    validate_node_pool(COMPONENT, name, args, allow_zero=args.allow_scale_to_zero, reserved_labels=POOL_LABELS)
    require_choice(COMPONENT, "ami_type", args.ami_type, CPU_AMI_TYPES)
    validate_bootstrap(COMPONENT, args, args.ami_type)
    if known_length(args.subnet_ids) == 0:
        raise ComponentInputError("%s: subnet_ids must not be empty" % COMPONENT)
    require_non_empty(COMPONENT, "instance_types", args.instance_types)
    accelerated = set(load_catalogue(args.region).accelerated)
    for instance_type in args.instance_types:
        if not _INSTANCE_TYPE.match(instance_type):
            raise ComponentInputError("%s: %r is not an EC2 instance type" % (COMPONENT, instance_type))
        if instance_type in accelerated or _ACCELERATED.match(instance_type):
            raise ComponentInputError(
                "%s: %s is a GPU/accelerator instance type; the inference pool is CPU-only. "
                "Use GpuTrainingPool for GPU nodes (it checks zone offerings and taints the nodes)"
                % (COMPONENT, instance_type)
            )
    return NodePoolShape(
        ami_type=args.ami_type,
        capacity_type="ON_DEMAND",
        instance_types=tuple(args.instance_types),
        subnet_ids=args.subnet_ids,
        labels={**dict(args.labels), **POOL_LABELS},
        taints=tuple(args.taints),
    )


class InferencePool(NodePool):
    """An EKS managed node group of CPU nodes for model serving, pinned to the UAE."""

    def __init__(self, name: str, args: InferencePoolArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        shape = _shape(name, args)
        super().__init__(TYPE_TOKEN, name, args, shape, opts)
