"""The reference AWS platform in me-central-1, composed from the sahab components.

One :class:`UaeProvider` is made here and handed to every component, so nothing relies on a
default provider or an ambient ``AWS_REGION``. Keys come first because every other component
encrypts with them; the network's S3 endpoint gates the artifact bucket; the cluster's
security group is the only way into the registry database.
"""
from __future__ import annotations

import pulumi

from sahab.components.aws import (
    ArtifactStore,
    ArtifactStoreArgs,
    AuditTrail,
    AuditTrailArgs,
    CiIdentity,
    CiIdentityArgs,
    Cluster,
    ClusterArgs,
    EncryptionKeys,
    EncryptionKeysArgs,
    GithubBinding,
    GpuTrainingPool,
    GpuTrainingPoolArgs,
    ImageRegistry,
    ImageRegistryArgs,
    InferencePool,
    InferencePoolArgs,
    Network,
    NetworkArgs,
    OnlineStoreCache,
    OnlineStoreCacheArgs,
    RegistryDatabase,
    RegistryDatabaseArgs,
    UaeProvider,
)

from .platform_services import AwsFoundation
from .settings import PlatformSettings


def build_aws_platform(settings: PlatformSettings) -> AwsFoundation:
    """The AWS foundation; the platform's Kubernetes services run on its cluster."""
    name = "ml-%s" % settings.environment
    provider = UaeProvider(
        "uae",
        default_tags={"sahab:environment": settings.environment, "sahab:managed-by": "pulumi"},
    )
    keys = EncryptionKeys(name, EncryptionKeysArgs(admin_role_arn=settings.admin_role_arn, provider=provider))
    network = Network(name, NetworkArgs(
        flow_log_kms_key_arn=keys.key_arn("logs"), zones=settings.network_zones,
        extra_interface_endpoints=["secretsmanager"], provider=provider))
    artifacts = ArtifactStore("%s-artifacts" % name, ArtifactStoreArgs(
        kms_key_arn=keys.key_arn("artifacts"),
        vpc_endpoint_id=network.s3_endpoint_id,
        admin_principal_arns=[settings.admin_role_arn],
        provider=provider,
    ))
    # The account's audit trail: every management event, and the artifact bucket's data events,
    # locked in me-central-1 for the environment's retention (SAHAB-AUD-001/002).
    audit = AuditTrail("%s-audit" % name, AuditTrailArgs(
        kms_key_arn=keys.key_arn("logs"),
        vpc_endpoint_id=network.s3_endpoint_id,
        admin_principal_arns=[settings.admin_role_arn],
        retention_days=settings.audit_retention_days,
        data_event_bucket_arns=[artifacts.bucket_arn],
        provider=provider,
    ))
    registry = ImageRegistry(name, ImageRegistryArgs(kms_key_arn=keys.key_arn("images"), provider=provider))
    cluster = Cluster(name, ClusterArgs(
        subnet_ids=network.private_subnet_ids,
        secrets_kms_key_arn=keys.key_arn("cluster-secrets"),
        logs_kms_key_arn=keys.key_arn("logs"),
        admin_role_arns=[settings.admin_role_arn],
        ebs_csi_kms_key_arns=[keys.key_arn("volumes")],
        provider=provider,
    ))
    node_security_groups = [cluster.cluster_security_group_id]
    gpu_pool = GpuTrainingPool("%s-gpu" % name, GpuTrainingPoolArgs(
        cluster_name=cluster.cluster_name,
        volumes_kms_key_arn=keys.key_arn("volumes"),
        security_group_ids=node_security_groups,
        zones=settings.gpu_zones,
        subnet_ids_by_zone=network.private_subnet_ids_by_zone,
        instance_types=settings.gpu_instance_types,
        spot=settings.gpu_spot,
        max_size=settings.gpu_max_size,
        provider=provider,
    ))
    InferencePool("%s-serving" % name, InferencePoolArgs(
        cluster_name=cluster.cluster_name,
        volumes_kms_key_arn=keys.key_arn("volumes"),
        security_group_ids=node_security_groups,
        subnet_ids=network.private_subnet_ids,
        min_size=settings.inference_min_size,
        max_size=settings.inference_max_size,
        provider=provider,
    ))
    database = RegistryDatabase("%s-registry" % name, RegistryDatabaseArgs(
        vpc_id=network.vpc_id,
        subnet_ids=network.private_subnet_ids,
        kms_key_arn=keys.key_arn("database"),
        master_user_secret_kms_key_arn=keys.key_arn("secrets"),
        allowed_security_group_ids=node_security_groups,
        production=settings.production,
        deletion_protection=settings.production,
        multi_az=settings.production,
        provider=provider,
    ))
    # The feature store's online store: reachable from the cluster only, like the registry database.
    feature_cache = OnlineStoreCache("%s-features" % name, OnlineStoreCacheArgs(
        vpc_id=network.vpc_id,
        subnet_ids=network.private_subnet_ids,
        kms_key_arn=keys.key_arn("caches"),
        auth_token_kms_key_arn=keys.key_arn("secrets"),
        allowed_security_group_ids=node_security_groups,
        production=settings.production,
        nodes=2 if settings.production else 1,
        provider=provider,
    ))
    ci = CiIdentity(name, CiIdentityArgs(
        github=[GithubBinding(repository=settings.github_repository, environment=settings.environment)],
        provider=provider,
    ))
    pulumi.export("environment", settings.environment)
    pulumi.export("artifactBucket", artifacts.bucket_name)
    pulumi.export("auditTrailBucket", audit.bucket_name)
    pulumi.export("imageRepositories", registry.repository_urls)
    pulumi.export("clusterName", cluster.cluster_name)
    pulumi.export("registryDatabaseEndpoint", database.endpoint)
    pulumi.export("ciRoleArns", ci.role_arns)
    return AwsFoundation(provider=provider, network=network, keys=keys, artifacts=artifacts, cluster=cluster,
                         gpu_pool=gpu_pool, database=database, feature_cache=feature_cache)
