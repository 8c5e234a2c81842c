"""The reference Azure platform in a UAE location (uaenorth by default), composed from the sahab components.

One :class:`UaeAzureProvider` pinned to the stack's location and one :class:`UaeResourceGroup` on
it are handed to every component, so nothing relies on a default provider or an ambient
``azure-native:location``. The vault and its keys come first because every other component
encrypts with them; every data service is reached through the network's private endpoints or
VNet integration; the audit trail receives the Activity Log and the audit logs of the vault, the
artifact store, the cluster and the registry database.
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi

from sahab.components.azure import (
    ArtifactStore,
    ArtifactStoreArgs,
    AuditTarget,
    AuditTrail,
    AuditTrailArgs,
    CiIdentity,
    CiIdentityArgs,
    Cluster,
    ClusterArgs,
    EncryptionKeys,
    EncryptionKeysArgs,
    EntraAdmin,
    GithubBinding,
    GpuTrainingPool,
    GpuTrainingPoolArgs,
    ImageRegistry,
    ImageRegistryArgs,
    InferencePool,
    InferencePoolArgs,
    KeyVault,
    KeyVaultArgs,
    Network,
    NetworkArgs,
    RegistryDatabase,
    RegistryDatabaseArgs,
    RoleGrant,
    UaeAzureProvider,
    UaeResourceGroup,
)
from sahab.components.azure.roles import assign_role

from .settings import AzurePlatformSettings


# The artifact account's container for the platform's own data, laid out as the AWS bucket is:
# mlflow/ (MLflow's artifacts) and inference-inputs/<model>/ (served models' inputs, for drift).
PLATFORM_CONTAINER = "platform"


@dataclass(frozen=True)
class AzureFoundation:
    """What the Azure stack hands the platform services."""

    provider: UaeAzureProvider
    group: UaeResourceGroup
    network: Network
    vault: KeyVault
    artifacts: ArtifactStore
    cluster: Cluster
    gpu_pool: GpuTrainingPool
    database: RegistryDatabase


def build_azure_platform(settings: AzurePlatformSettings) -> AzureFoundation:
    """The Azure foundation; the platform's Kubernetes services run on its cluster."""
    name = "ml-%s" % settings.environment
    compact = "ml%s" % settings.environment
    provider = UaeAzureProvider("uae", location=settings.location)
    group = UaeResourceGroup(name, provider=provider, tags={"sahab:environment": settings.environment,
                                                            "sahab:managed-by": "pulumi"})
    placement = dict(provider=provider, resource_group=group, location=settings.location)

    network = Network(name, NetworkArgs(address_space=settings.address_space, **placement))
    vault = KeyVault("%skeys" % compact, KeyVaultArgs(
        tenant_id=settings.tenant_id, private_link=network.private_link("vault"),
        key_officer_object_ids=[settings.admin_group_id], **placement))
    keys = EncryptionKeys(name, EncryptionKeysArgs(vault=vault))
    artifacts = ArtifactStore("%sartifacts" % compact, ArtifactStoreArgs(
        key=keys.key("artifacts"), private_link=network.private_link("blob"), sku=settings.artifact_sku,
        containers=["datasets", "models", PLATFORM_CONTAINER], **placement))
    registry = ImageRegistry(name, ImageRegistryArgs(
        key=keys.key("images"), private_link=network.private_link("registry"), registry_name=settings.registry_name,
        **placement))
    cluster = Cluster(name, ClusterArgs(
        subnet_id=network.subnet_ids["nodes"], api_server_subnet_id=network.subnet_ids["apiserver"],
        disk_key=keys.key("disks"), secrets_key=keys.key("cluster-secrets"),
        admin_group_object_ids=[settings.admin_group_id], tenant_id=settings.tenant_id,
        system_min_count=settings.system_min_count, system_max_count=settings.system_min_count + 2, **placement))
    # The nodes pull every platform image from the stack's registry (no other registry is reachable):
    # AcrPull on that one registry for the kubelet identity AKS creates.
    assign_role("%s-kubelet-acrpull" % name, role="AcrPull", scope=registry.registry_id,
                principal_id=cluster.managed_cluster.identity_profile.apply(lambda p: p["kubeletidentity"].object_id),
                opts=pulumi.ResourceOptions(provider=provider, parent=cluster))
    pools = dict(cluster_name=cluster.cluster_name, resource_group=cluster.resource_group,
                 subnet_id=network.subnet_ids["nodes"], provider=provider, location=settings.location)
    gpu_pool = GpuTrainingPool("gpu", GpuTrainingPoolArgs(
        vm_size=settings.gpu_vm_size, max_count=settings.gpu_max_size, spot=settings.gpu_spot, **pools))
    InferencePool("serving", InferencePoolArgs(
        min_count=settings.inference_min_size, max_count=settings.inference_max_size, **pools))
    database = RegistryDatabase("%s-registry" % name, RegistryDatabaseArgs(
        delegated_subnet_id=network.subnet_ids["database"], private_dns_zone_id=network.private_dns_zone_ids["postgres"],
        key=keys.key("database"), tenant_id=settings.tenant_id,
        entra_admin=EntraAdmin(object_id=settings.admin_group_id, principal_name=settings.admin_group_name),
        production=settings.production, high_availability=None if settings.production else "Disabled",
        backup_retention_days=settings.backup_retention_days, **placement))
    # The deployment environment's GitHub Actions jobs push the images the platform runs.
    ci = CiIdentity(name, CiIdentityArgs(
        github=[GithubBinding(repository=settings.github_repository, environment=settings.environment,
                              grants=[RoleGrant(role="AcrPush", scope=registry.registry_id)])],
        **placement))
    # The subscription's Activity Log and the audit logs of every data service, locked in the stack's
    # location for the environment's retention (SAHAB-AUD-001/002).
    audit = AuditTrail("%saudit" % compact, AuditTrailArgs(
        key=keys.key("logs"), private_link=network.private_link("blob"), retention_days=settings.audit_retention_days,
        immutability_state=settings.audit_immutability,
        targets=[AuditTarget(name="vault", kind="key_vault", resource_id=vault.vault_id),
                 AuditTarget(name="artifacts", kind="storage", resource_id=artifacts.account_id),
                 AuditTarget(name="cluster", kind="aks", resource_id=cluster.cluster_id),
                 AuditTarget(name="registry-db", kind="postgresql", resource_id=database.server_id)],
        **placement))
    pulumi.export("environment", settings.environment)
    pulumi.export("location", settings.location)
    pulumi.export("artifactAccount", artifacts.account_name)
    pulumi.export("auditAccount", audit.account_name)
    pulumi.export("imageRegistry", registry.login_server)
    pulumi.export("clusterName", cluster.cluster_name)
    pulumi.export("registryDatabaseFqdn", database.fqdn)
    pulumi.export("ciClientIds", ci.client_ids)
    return AzureFoundation(provider=provider, group=group, network=network, vault=vault, artifacts=artifacts, cluster=cluster,
                           gpu_pool=gpu_pool, database=database)
