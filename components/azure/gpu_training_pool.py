"""GPU nodes for training jobs on AKS: catalogued sizes only, tainted, scaled from zero.

* ``vm_size`` is checked against the GPU size catalogue (:mod:`.gpu_catalogue`) before anything
  exists: an uncatalogued size, a size of a retired family (NCv3 and older) or one marked
  unavailable in the location is refused with the valid choices. No stored source confirms which
  GPU sizes the UAE regions offer, so the pool carries ``sahab:gpu-availability`` (``unverified``
  for every shipped size) in the plan: check the size in your subscription before you rely on it.
* The ``nvidia.com/gpu=true:NoSchedule`` taint keeps ordinary pods off expensive nodes; training
  pods tolerate it. ``min_count`` defaults to 0 (AKS allows zero on user pools only).
* ``spot=True`` asks for Spot VMs (evicted when Azure needs them back: checkpoint your jobs).
* The GPU driver is left to the NVIDIA GPU operator (``gpuProfile.driver: None``), which the
  Kubernetes components install; ``aks_installs_driver=True`` lets AKS install it instead. The
  choice applies only when the pool is created.

Hardening (no public IPs, encryption at host, no SSH) is :mod:`.node_pool`'s.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import pulumi

from ..kubernetes.training import GpuPool
from ..regions import canonical_region
from .gpu_catalogue import GpuSize, require_gpu_size
from .node_pool import NodePool, NodePoolArgs, NodePoolShape, NodeTaint, validate_node_pool

COMPONENT = "GpuTrainingPool"
TYPE_TOKEN = "sahab:azure:GpuTrainingPool"
GPU_TAINT = NodeTaint(key="nvidia.com/gpu", value="true", effect="NoSchedule")
POOL_LABELS = {"sahab.io/pool": "gpu-training", "nvidia.com/gpu.present": "true"}
DEFAULT_GPU_SIZE = "Standard_NC24ads_A100_v4"


@dataclass(kw_only=True)
class GpuTrainingPoolArgs(NodePoolArgs):
    """One catalogued GPU size per pool (AKS pools have one VM size)."""

    vm_size: str = DEFAULT_GPU_SIZE
    min_count: int = 0
    max_count: int = 2
    spot: bool = False
    aks_installs_driver: bool = False
    os_disk_size_gb: int = 256


def _shape(name: str, args: GpuTrainingPoolArgs) -> Tuple[NodePoolShape, Tuple[str, ...], GpuSize]:
    zones = validate_node_pool(COMPONENT, name, args, allow_zero=True, reserved_labels=POOL_LABELS)
    size = require_gpu_size(COMPONENT, args.vm_size, canonical_region(args.location))
    shape = NodePoolShape(
        vm_size=size.name,
        labels={**dict(args.labels), **POOL_LABELS},
        taints=(GPU_TAINT, *args.taints),
        spot=args.spot,
        gpu_driver="Install" if args.aks_installs_driver else "None",
        tags={"sahab:gpu-family": size.family, "sahab:gpu-availability": size.availability},
    )
    return shape, zones, size


class GpuTrainingPool(NodePool):
    """An AKS user pool of NVIDIA GPU nodes for training, pinned to the UAE."""

    gpu_size: GpuSize
    gpu_pool: GpuPool

    def __init__(self, name: str, args: GpuTrainingPoolArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        shape, zones, size = _shape(name, args)
        super().__init__(TYPE_TOKEN, name, args, shape, zones, opts)
        self.gpu_size = size
        if size.availability != "verified":
            pulumi.log.warn("%s %s: %s availability in %s is %s in sahab's GPU size catalogue; check it with: az vm list-skus "
                            "--location %s --size %s" % (COMPONENT, name, size.name, self.location, size.availability,
                                                         self.location, size.name), resource=self)
        # What training jobs on the cluster target: the pool's labels and taint, and its GPUs per node.
        self.gpu_pool = GpuPool(node_selector=dict(POOL_LABELS), taint_key=GPU_TAINT.key, gpus_per_node=size.gpus)
