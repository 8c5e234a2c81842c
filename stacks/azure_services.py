"""The platform's Kubernetes services on the reference AKS cluster: the ones that run unchanged on Azure.

The same components, versions and wiring as on AWS (the cloud-neutral builders of
:mod:`.platform_services`), with Azure bindings: every ``SecretStore`` is an Azure Key Vault store
whose workload identity reads exactly its namespace's secrets (:class:`KeyVaultStore`), the
generated credentials live in the platform vault (:class:`PlatformSecrets`), volumes are Azure
disks encrypted through the cluster's disk encryption set. Egress names the Azure network's ranges:
the API server is the VNet-integrated ``apiserver`` subnet, data services (Key Vault, blob storage,
the registry) are private endpoints in the ``endpoints`` subnet, kubelets are in ``nodes``, and
Entra ID's token endpoint (``login.microsoftonline.com``, which has no private endpoint) is the
stack's ``entraCidrs``. Installed: secret sync, monitoring, the NVIDIA GPU operator, KubeRay with
the training queue, the CI runners, and the model lifecycle of :mod:`.ml_services` (MLflow, the
Argo Rollouts controller, served models, drift monitors). MLflow keeps its artifacts in the
artifact account's ``platform`` container and logs in to the Entra-only registry database as its
own workload identity (an Entra token, no password); served models and drift monitors get blob
roles limited to their path prefixes, as IRSA grants prefixes of the bucket on AWS. Not yet on
Azure (docs/stacks.md says why): the feature store.
"""
from __future__ import annotations

import base64
from typing import List, Sequence

import pulumi
import pulumi_azure_native as azure_native
import pulumi_kubernetes as k8s

from sahab.components.azure import (
    Cluster,
    KeyVaultStore,
    KeyVaultStoreArgs,
    PlatformSecrets,
    PlatformSecretsArgs,
    RoleGrant,
    UaeAzureProvider,
    WorkloadIdentity,
    WorkloadIdentityArgs,
)
from sahab.components.generated_secrets import MLFLOW_ADMIN_PASSWORD, MLFLOW_FLASK_SECRET_KEY
from sahab.components.kubernetes import (
    Allow,
    EntraTokenLogin,
    Image,
    NamespaceQuota,
    RemoteRef,
    TrainingOperator,
    TrainingOperatorArgs,
    TrainingQueue,
    WorkloadIdentityBinding,
    ZeroTrustNamespace,
)
from sahab.components.kubernetes.secrets import secret_store
from sahab.components.kubernetes.storage import EncryptedStorageClass, EncryptedStorageClassArgs

from .azure_platform import PLATFORM_CONTAINER, AzureFoundation
from .ml_services import (
    MLFLOW_DRIFT_PASSWORD,
    MLFLOW_NAMESPACE,
    MLFLOW_PREFIX,
    MLFLOW_SERVER,
    MLFLOW_SERVING_PASSWORD,
    TRAINING_NAMESPACE,
    RegistryBackend,
    ServiceCloud,
    StorageAccess,
    model_lifecycle,
)
from .platform_services import (
    CI_NAMESPACE,
    GRAFANA_ADMIN_PASSWORD,
    KUBERAY_OPERATOR_TAG,
    MONITORING_NAMESPACE,
    github_runners,
    monitored_gpus,
    platform_monitoring,
    secret_sync,
)
from .settings import AzurePlatformSettings

STORE = "azure-keyvault"
# The cluster's encrypted Azure disk class (the `disks` CMK through the disk encryption set), its
# default: Prometheus, Alertmanager and the CI runners' work volumes keep their data on it.
ENCRYPTED_STORAGE_CLASS = "managed-csi-encrypted"
# MLflow's registry database port (Azure Database for PostgreSQL flexible server).
POSTGRES_PORT = 5432


def cluster_kubeconfig(cluster: Cluster, provider: UaeAzureProvider) -> pulumi.Output[str]:
    """The cluster's user kubeconfig (``exec`` format: kubelogin gets an Entra token for whoever runs
    Pulumi; local accounts are disabled, so it holds no credential), read at deploy time."""
    credentials = azure_native.containerservice.list_managed_cluster_user_credentials_output(
        resource_group_name=cluster.resource_group_name, resource_name=cluster.cluster_name, format="exec",
        opts=pulumi.InvokeOutputOptions(provider=provider, depends_on=[cluster]))
    return pulumi.Output.secret(credentials.kubeconfigs.apply(lambda configs: base64.b64decode(configs[0].value).decode()))


def build_azure_platform_services(settings: AzurePlatformSettings, azure_side: AzureFoundation) -> None:
    name = "ml-%s" % settings.environment
    kube = k8s.Provider("%s-cluster" % name, kubeconfig=cluster_kubeconfig(azure_side.cluster, azure_side.provider))
    prefixes = azure_side.network.subnet_prefixes
    api_server, nodes, endpoints = [prefixes["apiserver"]], [prefixes["nodes"]], [prefixes["endpoints"]]
    entra = list(settings.entra_cidrs)
    registry = settings.image_registry

    def store(service: str, namespace: str, secret_ids: List[pulumi.Input[str]]) -> KeyVaultStore:
        return _vault_store("%s-%s" % (name, service), namespace, secret_ids, settings, azure_side)

    # The operator reaches the vault through its private endpoint and Entra ID for the token exchange.
    secret_sync(name, kube, registry, api_server_cidrs=api_server, cloud_endpoint_cidrs=endpoints,
                identity_provider_cidrs=entra)
    secrets = PlatformSecrets("%s-platform" % name, PlatformSecretsArgs(vault=azure_side.vault, secrets=(
        MLFLOW_ADMIN_PASSWORD, MLFLOW_FLASK_SECRET_KEY, MLFLOW_SERVING_PASSWORD, GRAFANA_ADMIN_PASSWORD, MLFLOW_DRIFT_PASSWORD)))
    volumes = EncryptedStorageClass("%s-volumes" % name, EncryptedStorageClassArgs(
        provider=kube, volumes=azure_side.cluster.encrypted_volumes(), class_name=ENCRYPTED_STORAGE_CLASS, default_class=True))

    receiver = settings.alert_receiver
    receiver_secret = receiver["urlSecret"]
    monitoring = platform_monitoring(
        name, kube, registry, api_server_cidrs=api_server, node_cidrs=nodes, volumes=volumes,
        storage_size=settings.prometheus_storage_size, retention=settings.prometheus_retention,
        store=store("monitoring", MONITORING_NAMESPACE, [
            secrets.secret_id(GRAFANA_ADMIN_PASSWORD.name), azure_side.vault.secret_id(receiver_secret)]).binding,
        store_name=STORE, grafana_admin_password=RemoteRef(secrets.secret_name(GRAFANA_ADMIN_PASSWORD.name)),
        receiver=receiver, receiver_url=RemoteRef(receiver_secret), served_models=settings.served_models,
        registry_and_rollouts=True)
    monitored_gpus(name, kube, registry, api_server, monitoring)

    cloud = _azure_cloud(name, settings, azure_side, kube, secrets)
    gpu_pool = azure_side.gpu_pool.gpu_pool
    TrainingOperator("%s-training" % name, TrainingOperatorArgs(
        provider=kube, operator_image=Image(registry, "kuberay/operator", tag=KUBERAY_OPERATOR_TAG), api_server_cidrs=api_server,
        queues=[TrainingQueue(TRAINING_NAMESPACE, quota=NamespaceQuota(
            cpu="256", memory="1Ti", pods=100, gpus=settings.gpu_max_size * gpu_pool.gpus_per_node),
            egress=[*cloud.egress, MLFLOW_SERVER])]))

    # MLflow signs in to the Entra-only database as its own identity: the identity's name is its
    # PostgreSQL role, made an Entra administrator of the server (as the RDS master user on AWS).
    login = "%s_mlflow" % name.replace("-", "_")
    registry_identity = WorkloadIdentity("%s-mlflow" % name, WorkloadIdentityArgs(
        namespace=MLFLOW_NAMESPACE, service_account="mlflow", oidc_issuer_url=azure_side.cluster.oidc_issuer_url,
        grants=_blob_grants(azure_side, [StorageAccess(MLFLOW_PREFIX, read_only=False)]), identity_name=login,
        description="MLflow: artifacts under mlflow/ and the registry database", **_placement(settings, azure_side)))
    database_login = azure_side.database.add_entra_login(login, registry_identity.principal_id)
    model_lifecycle(
        name, kube, cloud, settings, registry_identity=registry_identity.binding,
        database=RegistryBackend(host=azure_side.database.fqdn, port=POSTGRES_PORT,
                                 cidrs=[azure_side.network.subnet_prefixes["database"]], login=EntraTokenLogin(), user=login),
        # The official image unchanged: mlflow[azure] brings azure-identity and azure-storage-blob, and
        # the server's certificate chains to a root in its system trust store (sslrootcert=system).
        mlflow_image=Image(registry, "mlflow/mlflow", tag="v3.17.2-full"), api_server_cidrs=api_server,
        registry_depends_on=[database_login])

    # GitHub Actions runners: the store reads only the GitHub App's key (a vault secret made outside
    # the program); jobs sign in to Azure with GitHub's OIDC token (CiIdentity) at Entra ID.
    config = settings.ci_runners
    private_key = config["appPrivateKeySecret"]
    github_runners(
        name, kube, registry, config=config,
        store=store("ci", CI_NAMESPACE, [azure_side.vault.secret_id(private_key)]).binding, store_name=STORE,
        private_key=RemoteRef(private_key), api_server_cidrs=api_server, registry_cidrs=endpoints,
        cloud_endpoint_cidrs=endpoints, identity_provider_cidrs=entra, volumes=volumes)


def _placement(settings: AzurePlatformSettings, azure_side: AzureFoundation) -> dict:
    return dict(provider=azure_side.provider, resource_group=azure_side.group, location=settings.location)


def _vault_store(store: str, namespace: str, secret_ids: Sequence[pulumi.Input[str]], settings: AzurePlatformSettings,
                 azure_side: AzureFoundation) -> KeyVaultStore:
    """A Key Vault store's workload identity for ``namespace``, allowed to read exactly ``secret_ids``."""
    return KeyVaultStore("%s-store" % store, KeyVaultStoreArgs(
        namespace=namespace, vault_uri=azure_side.vault.vault_uri, secret_ids=list(secret_ids),
        tenant_id=settings.tenant_id, oidc_issuer_url=azure_side.cluster.oidc_issuer_url, **_placement(settings, azure_side)))


def _blob_grants(azure_side: AzureFoundation, accesses: Sequence[StorageAccess]) -> List[RoleGrant]:
    """Object store access as the artifact account's data-only blob roles on the platform
    container, each limited to its prefix (no container management, no user delegation keys)."""
    return [azure_side.artifacts.prefix_grant(PLATFORM_CONTAINER, access.prefix + "/", read_only=access.read_only)
            for access in accesses]


def _azure_cloud(name: str, settings: AzurePlatformSettings, azure_side: AzureFoundation, kube: k8s.Provider,
                 secrets: PlatformSecrets) -> ServiceCloud:
    """The model services' view of Azure: Key Vault stores granted per secret, workload identities
    with prefix-limited blob roles, blob storage through its private endpoint, tokens from Entra ID."""
    endpoints = azure_side.network.subnet_prefixes["endpoints"]
    entra = list(settings.entra_cidrs)
    generated_ids = {secrets.secret_names[secret]: secrets.secret_ids[secret] for secret in secrets.secret_names}
    account = azure_side.artifacts.account_name

    def namespace_store(store: str, namespace: ZeroTrustNamespace, refs: Sequence[RemoteRef]) -> None:
        binding = _vault_store(store, namespace.name, [generated_ids.get(ref.key) or azure_side.vault.secret_id(ref.key)
                                                       for ref in refs], settings, azure_side).binding
        secret_store("%s-store" % store, STORE, binding,
                     pulumi.ResourceOptions(provider=kube, parent=namespace, depends_on=[namespace.namespace]))

    def identity(service: str, namespace: str, accesses: Sequence[StorageAccess]) -> WorkloadIdentityBinding:
        return WorkloadIdentity("%s-%s" % (name, service), WorkloadIdentityArgs(
            namespace=namespace, service_account=service, oidc_issuer_url=azure_side.cluster.oidc_issuer_url,
            grants=_blob_grants(azure_side, accesses), **_placement(settings, azure_side))).binding

    return ServiceCloud(
        registry=settings.image_registry, store_name=STORE,
        generated=lambda secret: RemoteRef(secrets.secret_name(secret.name)),
        namespace_store=namespace_store, identity=identity,
        storage_uri=lambda prefix: account.apply(
            lambda account_name: "wasbs://%s@%s.blob.core.windows.net/%s" % (PLATFORM_CONTAINER, account_name, prefix)),
        storage_cidrs=[endpoints], cloud_api_cidrs=[], identity_provider_cidrs=entra,
        # Blob storage and the vault are private endpoints in this subnet; tokens come from Entra ID.
        egress=[Allow("private-endpoints", ports=[443], cidr=endpoints),
                *[Allow("entra-%d" % index, ports=[443], cidr=cidr) for index, cidr in enumerate(entra)]])
