"""CKV_ACME_1: Dockerfile base images come from ACME's registry in the UAE (registry.acme.ae).

A checkov custom check (https://www.checkov.io/3.Custom%20Policies/Python%20Custom%20Policies.html),
passed to sahab with --checkov-checks-dir or gate.checkov.checks_dirs and reported like
sahab's own checks.
"""
from __future__ import annotations

from typing import Any, List, Tuple

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.dockerfile.base_dockerfile_check import BaseDockerfileCheck

REGISTRY = "registry.acme.ae/"


class AcmeBaseImages(BaseDockerfileCheck):
    def __init__(self) -> None:
        super().__init__(name="Base images come from registry.acme.ae", id="CKV_ACME_1",
                         categories=(CheckCategories.SUPPLY_CHAIN,), supported_instructions=("FROM",))

    def scan_resource_conf(self, conf: List[Any]) -> Tuple[CheckResult, List[Any]]:
        for instruction in conf:
            image = str(instruction["value"]).split()[0]
            if image.startswith("--platform="):
                image = str(instruction["value"]).split()[1]
            if image != "scratch" and not image.startswith(REGISTRY):
                return CheckResult.FAILED, [instruction]
        return CheckResult.PASSED, conf


check = AcmeBaseImages()
