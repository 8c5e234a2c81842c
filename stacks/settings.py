"""Per-environment settings of the reference platform, read from ``Pulumi.<stack>.yaml``.

``sahab-platform:cloud`` chooses the cloud (``aws``, the default, or ``azure``); each cloud's
stacks read the settings of that cloud. Environments differ in size and availability only
(zones, pool sizes, spot GPUs, high availability); every security setting is the components'
default and is identical in dev, staging and prod.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List

import pulumi

from sahab.components.validation import ComponentInputError

CLOUDS = ("aws", "azure")


def stack_cloud() -> str:
    """The cloud the stack's configuration chooses (``aws`` when it says nothing)."""
    cloud = pulumi.Config().get("cloud") or "aws"
    if cloud not in CLOUDS:
        raise ComponentInputError(
            "sahab-platform:cloud %r is not a cloud the reference platform builds; set it to one of: %s"
            % (cloud, ", ".join(CLOUDS)))
    return cloud


@dataclass(frozen=True)
class PlatformSettings:
    """The AWS reference platform's settings (me-central-1)."""

    environment: str
    admin_role_arn: str
    network_zones: List[str]
    gpu_zones: List[str]
    gpu_instance_types: List[str]
    gpu_spot: bool
    gpu_max_size: int
    inference_min_size: int
    inference_max_size: int
    production: bool
    github_repository: str
    image_registry: str
    mlflow_replicas: int
    serving_min_replicas: int
    served_models: Dict[str, str]
    ci_runners: Dict[str, Any]
    prometheus_storage_size: str
    prometheus_retention: str
    alert_receiver: Dict[str, Any]
    audit_retention_days: int

    @classmethod
    def from_config(cls) -> "PlatformSettings":
        config = pulumi.Config()
        return cls(
            environment=config.require("environment"),
            admin_role_arn=config.require("adminRoleArn"),
            network_zones=list(config.require_object("networkZones")),
            gpu_zones=list(config.require_object("gpuZones")),
            gpu_instance_types=list(config.require_object("gpuInstanceTypes")),
            gpu_spot=config.get_bool("gpuSpot") or False,
            gpu_max_size=config.require_int("gpuMaxSize"),
            inference_min_size=config.require_int("inferenceMinSize"),
            inference_max_size=config.require_int("inferenceMaxSize"),
            production=config.get_bool("production") or False,
            github_repository=config.require("githubRepository"),
            image_registry=config.require("imageRegistry"),
            mlflow_replicas=config.require_int("mlflowReplicas"),
            serving_min_replicas=config.require_int("servingMinReplicas"),
            served_models=dict(config.get_object("servedModels") or {}),
            ci_runners=dict(config.require_object("ciRunners")),
            prometheus_storage_size=config.require("prometheusStorageSize"),
            prometheus_retention=config.require("prometheusRetention"),
            alert_receiver=dict(config.require_object("alertReceiver")),
            audit_retention_days=config.require_int("auditRetentionDays"),
        )


@dataclass(frozen=True)
class AzurePlatformSettings:
    """The Azure reference platform's settings (a UAE location, uaenorth by default)."""

    environment: str
    location: str
    tenant_id: str
    admin_group_id: str
    admin_group_name: str
    address_space: str
    registry_name: str
    github_repository: str
    gpu_vm_size: str
    gpu_spot: bool
    gpu_max_size: int
    system_min_count: int
    inference_min_size: int
    inference_max_size: int
    production: bool
    artifact_sku: str
    backup_retention_days: int
    audit_retention_days: int
    # "Locked" (the default and what SAHAB-AUD-001 requires). Azure creates an account-level
    # immutability policy only Unlocked: a new environment's first deployment sets "Unlocked"
    # (docs/stacks.md, "A new Azure environment").
    audit_immutability: str
    entra_cidrs: List[str]
    mlflow_replicas: int
    serving_min_replicas: int
    served_models: Dict[str, str]
    prometheus_storage_size: str
    prometheus_retention: str
    alert_receiver: Dict[str, Any]
    ci_runners: Dict[str, Any]

    @property
    def image_registry(self) -> str:
        """The login server of the stack's registry, where every platform image is mirrored."""
        return "%s.azurecr.io" % self.registry_name

    @classmethod
    def from_config(cls) -> "AzurePlatformSettings":
        config = pulumi.Config()
        return cls(
            environment=config.require("environment"),
            location=config.get("location") or "uaenorth",
            tenant_id=config.require("tenantId"),
            admin_group_id=config.require("adminGroupId"),
            admin_group_name=config.require("adminGroupName"),
            address_space=config.require("addressSpace"),
            registry_name=config.require("registryName"),
            github_repository=config.require("githubRepository"),
            gpu_vm_size=config.require("gpuVmSize"),
            gpu_spot=config.get_bool("gpuSpot") or False,
            gpu_max_size=config.require_int("gpuMaxSize"),
            system_min_count=config.require_int("systemMinCount"),
            inference_min_size=config.require_int("inferenceMinSize"),
            inference_max_size=config.require_int("inferenceMaxSize"),
            production=config.get_bool("production") or False,
            artifact_sku=config.require("artifactSku"),
            backup_retention_days=config.require_int("backupRetentionDays"),
            audit_retention_days=config.require_int("auditRetentionDays"),
            audit_immutability=config.get("auditImmutability") or "Locked",
            entra_cidrs=list(config.require_object("entraCidrs")),
            mlflow_replicas=config.require_int("mlflowReplicas"),
            serving_min_replicas=config.require_int("servingMinReplicas"),
            served_models=dict(config.get_object("servedModels") or {}),
            prometheus_storage_size=config.require("prometheusStorageSize"),
            prometheus_retention=config.require("prometheusRetention"),
            alert_receiver=dict(config.require_object("alertReceiver")),
            ci_runners=dict(config.require_object("ciRunners")),
        )
