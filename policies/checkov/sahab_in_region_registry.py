"""CKV_SAHAB_2: container images come from an in-region (UAE) registry.

Mirrors the Rego rule SAHAB-RES-006 on the plan. An image is in region when its registry host is

- Amazon ECR in me-central-1: ``<12-digit account>.dkr.ecr.me-central-1.amazonaws.com`` (also the
  dual-stack ``<account>.dkr-ecr.me-central-1.on.aws``), private repositories and pull-through
  caches alike; ``public.ecr.aws`` is not in region; or
- an Azure Container Registry ``<name>.azurecr.io`` that is known to be in the UAE. An ACR login
  server does not name its region, so residency is judged from the plan: sahab passes the
  login servers of the registries the plan creates in ``uaenorth``/``uaecentral`` and that have no
  geo-replica outside them, plus any the project lists, in ``SAHAB_ACR_UAE_REGISTRIES``
  (comma-separated login servers or registry names). Any other ``*.azurecr.io`` fails.

Images without a registry host (``nginx:1.27``) come from Docker Hub and fail. An image unknown
before deploy fails here and sahab reports the finding as deferred (the evaluated key is the image).
"""
from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Optional

from checkov.common.bridgecrew.severities import BcSeverities, Severities
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check
from sahab_pod_specs import CONTAINER_LISTS, WORKLOAD_KINDS, pod_spec  # noqa: F401 - shared helpers

KINDS = WORKLOAD_KINDS
ECR_HOST = re.compile(r"^\d{12}\.(dkr\.ecr\.me-central-1\.amazonaws\.com|dkr-ecr\.me-central-1\.on\.aws)$")
ACR_HOST = re.compile(r"^([a-z0-9]{5,50})\.azurecr\.io$")



def uae_acr_registries() -> set:
    names = set()
    for item in os.environ.get("SAHAB_ACR_UAE_REGISTRIES", "").split(","):
        item = item.strip().lower()
        if item:
            names.add(item if item.endswith(".azurecr.io") else item + ".azurecr.io")
    return names


def registry_host(image: str) -> Optional[str]:
    """The registry host of an image reference, or None for Docker Hub's implicit one."""
    first, _, rest = image.partition("/")
    if not rest:
        return None
    if "." in first or ":" in first or first == "localhost":
        return first.lower()
    return None


def in_region(image: Any, acr: set) -> bool:
    if not isinstance(image, str) or not image:
        return False
    host = registry_host(image)
    if host is None:
        return False
    if ECR_HOST.match(host):
        return True
    return bool(ACR_HOST.match(host)) and host in acr


class InRegionRegistry(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="Container images must come from an in-region registry (ECR me-central-1 or a UAE Azure Container Registry)",
            id="CKV_SAHAB_2",
            categories=(CheckCategories.KUBERNETES,),
            supported_entities=KINDS,
        )
        self.severity = Severities[BcSeverities.HIGH]

    def scan_spec_conf(self, conf: Dict[str, Any]) -> CheckResult:
        spec, prefix = pod_spec(conf)
        if spec is None:
            return CheckResult.UNKNOWN
        acr = uae_acr_registries()
        outside: List[str] = []
        checked: List[str] = []
        for field in CONTAINER_LISTS:
            containers = spec.get(field)
            if not isinstance(containers, list):
                continue
            for index, container in enumerate(containers):
                if not isinstance(container, dict):
                    continue
                key = "%s/%s/[%d]/image" % (prefix, field, index)
                checked.append(key)
                if not in_region(container.get("image"), acr):
                    outside.append(key)
        self.evaluated_keys = outside or checked
        return CheckResult.FAILED if outside else CheckResult.PASSED


check = InRegionRegistry()
