"""Per-environment settings of the reference platform, read from ``Pulumi.<env>.yaml``.

Environments differ in size and availability only (zones, pool sizes, spot GPUs, Multi-AZ);
every security setting is the components' default and is identical in dev, staging and prod.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List

import pulumi


@dataclass(frozen=True)
class PlatformSettings:
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
        )
