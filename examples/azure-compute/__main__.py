"""The Azure compute layer of the sahab platform in UAE North, on the Azure foundation.

A private AKS cluster whose disks use the ``disks`` key, a GPU training pool (catalogued size,
scaled from zero) and a CPU inference pool, the model registry's PostgreSQL server (``database``
key, private access, Entra-only), MLflow's workload identity and keyless CI identities.
The cluster's and database's audit logs go to an AuditTrail, as a platform stack's must.
Gate it with ``sahab gate examples/azure-compute --stack dev``.
"""
import pulumi

from sahab.components.azure import (
    ArtifactStore, ArtifactStoreArgs, AuditTarget, AuditTrail, AuditTrailArgs, CiIdentity, CiIdentityArgs, Cluster, ClusterArgs, EncryptionKeys, EncryptionKeysArgs,
    EntraAdmin, GithubBinding, GitlabBinding, GpuTrainingPool, GpuTrainingPoolArgs, InferencePool, InferencePoolArgs, KeyVault,
    KeyVaultArgs, Network, NetworkArgs, RegistryDatabase, RegistryDatabaseArgs, RoleGrant, UaeAzureProvider, UaeResourceGroup,
    WorkloadIdentity, WorkloadIdentityArgs,
)

config = pulumi.Config()
tenant_id = config.require("tenantId")
admins = config.require("adminGroupId")
provider = UaeAzureProvider("uae", location="uaenorth")
group = UaeResourceGroup("ml-platform", provider=provider)
placement = dict(provider=provider, resource_group=group)

network = Network("ml", NetworkArgs(address_space="10.20.0.0/16", **placement))
vault = KeyVault("mlkeys", KeyVaultArgs(tenant_id=tenant_id, private_link=network.private_link("vault"), **placement))
keys = EncryptionKeys("ml", EncryptionKeysArgs(vault=vault))
store = ArtifactStore("mlartifacts", ArtifactStoreArgs(key=keys.key("artifacts"), private_link=network.private_link("blob"), **placement))

cluster = Cluster("ml", ClusterArgs(subnet_id=network.subnet_ids["nodes"], api_server_subnet_id=network.subnet_ids["apiserver"],
                                    disk_key=keys.key("disks"), secrets_key=keys.key("cluster-secrets"),
                                    admin_group_object_ids=[admins], tenant_id=tenant_id, **placement))
pool = dict(cluster_name=cluster.cluster_name, resource_group=cluster.resource_group, subnet_id=network.subnet_ids["nodes"],
            provider=provider)
gpus = GpuTrainingPool("gpu", GpuTrainingPoolArgs(vm_size="Standard_NC24ads_A100_v4", max_count=4, **pool))
serving = InferencePool("serve", InferencePoolArgs(**pool))

database = RegistryDatabase("registry", RegistryDatabaseArgs(
    delegated_subnet_id=network.subnet_ids["database"], private_dns_zone_id=network.private_dns_zone_ids["postgres"],
    key=keys.key("database"), tenant_id=tenant_id,
    entra_admin=EntraAdmin(object_id=admins, principal_name="ml-platform-admins"), **placement))

mlflow = WorkloadIdentity("mlflow", WorkloadIdentityArgs(
    namespace="mlflow", service_account="mlflow", oidc_issuer_url=cluster.oidc_issuer_url,
    grants=[RoleGrant(role="Storage Blob Data Contributor", scope=store.account_id)], **placement))
ci = CiIdentity("ci", CiIdentityArgs(
    github=[GithubBinding(repository="uae-ml/platform", environment="production",
                          grants=[RoleGrant(role="Storage Blob Data Reader", scope=store.account_id)])],
    gitlab=[GitlabBinding(project_path="uae-ml/platform", branch="main")], **placement))

audit = AuditTrail("mlaudit", AuditTrailArgs(
    key=keys.key("logs"), private_link=network.private_link("blob"),
    targets=[AuditTarget(name="cluster", kind="aks", resource_id=cluster.cluster_id),
             AuditTarget(name="registry-db", kind="postgresql", resource_id=database.server_id)],
    **placement))

pulumi.export("cluster_name", cluster.cluster_name)
pulumi.export("oidc_issuer_url", cluster.oidc_issuer_url)
pulumi.export("database_fqdn", database.fqdn)
pulumi.export("mlflow_client_id", mlflow.client_id)
