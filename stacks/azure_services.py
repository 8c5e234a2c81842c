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
the training queue and the CI runners. Not yet on Azure (docs/stacks.md says why): MLflow,
serving, drift monitors and the feature store.
"""
from __future__ import annotations

import base64
from typing import List

import pulumi
import pulumi_azure_native as azure_native
import pulumi_kubernetes as k8s

from sahab.components.azure import (
    Cluster,
    KeyVaultStore,
    KeyVaultStoreArgs,
    PlatformSecrets,
    PlatformSecretsArgs,
    UaeAzureProvider,
)
from sahab.components.kubernetes import (
    Allow,
    Image,
    NamespaceQuota,
    RemoteRef,
    TrainingOperator,
    TrainingOperatorArgs,
    TrainingQueue,
)
from sahab.components.kubernetes.storage import EncryptedStorageClass, EncryptedStorageClassArgs

from .azure_platform import AzureFoundation
from .platform_services import (
    CI_NAMESPACE,
    GRAFANA_ADMIN_PASSWORD,
    KUBERAY_OPERATOR_TAG,
    MONITORING_NAMESPACE,
    TRAINING_NAMESPACE,
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
        return KeyVaultStore("%s-%s-store" % (name, service), KeyVaultStoreArgs(
            namespace=namespace, vault_uri=azure_side.vault.vault_uri, secret_ids=secret_ids,
            tenant_id=settings.tenant_id, oidc_issuer_url=azure_side.cluster.oidc_issuer_url,
            location=settings.location, provider=azure_side.provider, resource_group=azure_side.group))

    # The operator reaches the vault through its private endpoint and Entra ID for the token exchange.
    secret_sync(name, kube, registry, api_server_cidrs=api_server, cloud_endpoint_cidrs=endpoints,
                identity_provider_cidrs=entra)
    secrets = PlatformSecrets("%s-platform" % name, PlatformSecretsArgs(vault=azure_side.vault, secrets=(GRAFANA_ADMIN_PASSWORD,)))
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
        receiver=receiver, receiver_url=RemoteRef(receiver_secret), served_models={}, registry_and_rollouts=False)
    monitored_gpus(name, kube, registry, api_server, monitoring)

    gpu_pool = azure_side.gpu_pool.gpu_pool
    TrainingOperator("%s-training" % name, TrainingOperatorArgs(
        provider=kube, operator_image=Image(registry, "kuberay/operator", tag=KUBERAY_OPERATOR_TAG), api_server_cidrs=api_server,
        queues=[TrainingQueue(TRAINING_NAMESPACE, quota=NamespaceQuota(
            cpu="256", memory="1Ti", pods=100, gpus=settings.gpu_max_size * gpu_pool.gpus_per_node), egress=[
                # The artifact store's blob endpoint (and the vault's) are private endpoints in this subnet.
                Allow("private-endpoints", ports=[443], cidr=endpoints[0]),
                # A job with a workload identity exchanges its token at Entra ID.
                *[Allow("entra-%d" % index, ports=[443], cidr=cidr) for index, cidr in enumerate(entra)],
            ])]))

    # GitHub Actions runners: the store reads only the GitHub App's key (a vault secret made outside
    # the program); jobs sign in to Azure with GitHub's OIDC token (CiIdentity) at Entra ID.
    config = settings.ci_runners
    private_key = config["appPrivateKeySecret"]
    github_runners(
        name, kube, registry, config=config,
        store=store("ci", CI_NAMESPACE, [azure_side.vault.secret_id(private_key)]).binding, store_name=STORE,
        private_key=RemoteRef(private_key), api_server_cidrs=api_server, registry_cidrs=endpoints,
        cloud_endpoint_cidrs=endpoints, identity_provider_cidrs=entra, volumes=volumes)
