"""CKV_SAHAB_3: no hostPath volumes.

checkov's own library only flags a hostPath that mounts the Docker socket (CKV_K8S_27). Any
hostPath gives a pod the node's file system: a path out of the container boundary that
zero-trust workloads must not have. Scanned: pod specs of Pod, PodTemplate, CronJob and the
workload controllers, and PersistentVolumes with ``spec.hostPath``.
"""
from __future__ import annotations

from typing import Any, Dict, List

from checkov.common.bridgecrew.severities import BcSeverities, Severities
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check
from sahab_pod_specs import CONTAINER_LISTS, WORKLOAD_KINDS, pod_spec  # noqa: F401 - shared helpers

KINDS = WORKLOAD_KINDS + ("PersistentVolume",)



class NoHostPath(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="Pods must not mount hostPath volumes",
            id="CKV_SAHAB_3",
            categories=(CheckCategories.KUBERNETES,),
            supported_entities=KINDS,
        )
        self.severity = Severities[BcSeverities.HIGH]

    def scan_spec_conf(self, conf: Dict[str, Any]) -> CheckResult:
        if conf.get("kind") == "PersistentVolume":
            spec = conf.get("spec")
            self.evaluated_keys = ["spec/hostPath"]
            return CheckResult.FAILED if isinstance(spec, dict) and spec.get("hostPath") else CheckResult.PASSED
        spec, prefix = pod_spec(conf)
        if spec is None:
            return CheckResult.UNKNOWN
        volumes = spec.get("volumes")
        found: List[str] = []
        if isinstance(volumes, list):
            for index, volume in enumerate(volumes):
                if isinstance(volume, dict) and volume.get("hostPath"):
                    found.append("%s/volumes/[%d]/hostPath" % (prefix, index))
        self.evaluated_keys = found or [prefix + "/volumes"]
        return CheckResult.FAILED if found else CheckResult.PASSED


check = NoHostPath()
