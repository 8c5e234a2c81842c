"""CPU nodes that serve models on AKS: always on by default, never a GPU.

Serving must answer requests, so ``min_count`` is at least 1 (default 2) unless
``allow_scale_to_zero=True``. N-series sizes (GPUs, FPGAs) are refused here: they belong in
GpuTrainingPool, which checks the catalogue and taints the nodes. Hardening is :mod:`.node_pool`'s.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple

import pulumi

from ..validation import ComponentInputError
from .gpu_catalogue import is_gpu_size_name
from .node_pool import NodePool, NodePoolArgs, NodePoolShape, validate_node_pool

COMPONENT = "InferencePool"
TYPE_TOKEN = "sahab:azure:InferencePool"
POOL_LABELS = {"sahab.io/pool": "inference"}
_VM_SIZE = re.compile(r"^Standard_[A-Za-z0-9_]+$", re.IGNORECASE)


@dataclass(kw_only=True)
class InferencePoolArgs(NodePoolArgs):
    """A CPU VM size for model serving."""

    vm_size: str = "Standard_D4ds_v5"
    min_count: int = 2
    max_count: int = 6
    allow_scale_to_zero: bool = False


def _shape(name: str, args: InferencePoolArgs) -> Tuple[NodePoolShape, Tuple[str, ...]]:
    zones = validate_node_pool(COMPONENT, name, args, allow_zero=args.allow_scale_to_zero, reserved_labels=POOL_LABELS)
    if not isinstance(args.vm_size, str) or not _VM_SIZE.match(args.vm_size):
        raise ComponentInputError("%s: vm_size %r is not an Azure VM size such as 'Standard_D4ds_v5'" % (COMPONENT, args.vm_size))
    if is_gpu_size_name(args.vm_size):
        raise ComponentInputError(
            "%s: %s is an N-series (GPU/FPGA) size; the inference pool is CPU-only. "
            "Use GpuTrainingPool for GPU nodes (it checks the GPU size catalogue and taints the nodes)" % (COMPONENT, args.vm_size))
    return NodePoolShape(vm_size=args.vm_size, labels={**dict(args.labels), **POOL_LABELS}, taints=tuple(args.taints)), zones


class InferencePool(NodePool):
    """An AKS user pool of CPU nodes for model serving, pinned to the UAE."""

    def __init__(self, name: str, args: InferencePoolArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        shape, zones = _shape(name, args)
        super().__init__(TYPE_TOKEN, name, args, shape, zones, opts)
