"""CKV_SAHAB_1: GPU workloads tolerate the nvidia.com/gpu NoSchedule taint and set GPU limits.

GPU node groups in sahab's clusters carry the taint ``nvidia.com/gpu:NoSchedule`` so that only
workloads that asked for a GPU land there. A container that requests ``nvidia.com/gpu`` must
(1) set ``resources.limits["nvidia.com/gpu"]`` (Kubernetes schedules extended resources on the
limit; a request alone is rejected or, with some device plugins, ignored) and (2) run in a pod
that tolerates the taint: a toleration with key ``nvidia.com/gpu`` (or an empty key with
operator ``Exists``, which tolerates every taint) and effect ``NoSchedule`` or no effect. The
taint's value differs between clusters, so an ``Equal`` toleration is accepted whatever its value.

Scanned kinds: Pod, PodTemplate, CronJob and the workload controllers. Part of sahab; loaded
with ``--external-checks-dir`` (checkov's BaseK8Check style, one check per file).
"""
from __future__ import annotations

from typing import Any, Dict, List

from checkov.common.bridgecrew.severities import BcSeverities, Severities
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check
from sahab_pod_specs import CONTAINER_LISTS, WORKLOAD_KINDS, pod_spec  # noqa: F401 - shared helpers

GPU = "nvidia.com/gpu"
KINDS = WORKLOAD_KINDS



def _tolerates_gpu(tolerations: Any) -> bool:
    if not isinstance(tolerations, list):
        return False
    for toleration in tolerations:
        if not isinstance(toleration, dict):
            continue
        key = toleration.get("key") or ""
        operator = toleration.get("operator") or "Equal"
        effect = toleration.get("effect") or ""
        if effect not in ("", "NoSchedule"):
            continue
        if key == GPU and operator in ("Exists", "Equal"):
            return True
        if key == "" and operator == "Exists":
            return True
    return False


class GpuScheduling(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="GPU workloads must tolerate the nvidia.com/gpu NoSchedule taint and set nvidia.com/gpu limits",
            id="CKV_SAHAB_1",
            categories=(CheckCategories.KUBERNETES,),
            supported_entities=KINDS,
        )
        self.severity = Severities[BcSeverities.MEDIUM]

    def scan_spec_conf(self, conf: Dict[str, Any]) -> CheckResult:
        spec, prefix = pod_spec(conf)
        if spec is None:
            return CheckResult.UNKNOWN
        gpu_containers: List[str] = []
        missing_limits: List[str] = []
        for field in CONTAINER_LISTS:
            containers = spec.get(field)
            if not isinstance(containers, list):
                continue
            for index, container in enumerate(containers):
                if not isinstance(container, dict):
                    continue
                resources = container.get("resources")
                resources = resources if isinstance(resources, dict) else {}
                limits = resources.get("limits") if isinstance(resources.get("limits"), dict) else {}
                requests = resources.get("requests") if isinstance(resources.get("requests"), dict) else {}
                if GPU not in limits and GPU not in requests:
                    continue
                base = "%s/%s/[%d]/resources" % (prefix, field, index)
                gpu_containers.append(base)
                if limits.get(GPU) in (None, "", 0, "0"):
                    missing_limits.append(base + "/limits/" + GPU)
        if not gpu_containers:
            return CheckResult.PASSED
        self.evaluated_keys = [prefix + "/tolerations"] + missing_limits
        if missing_limits or not _tolerates_gpu(spec.get("tolerations")):
            return CheckResult.FAILED
        return CheckResult.PASSED


check = GpuScheduling()
