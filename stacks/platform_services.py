"""The platform's services on the reference cluster: secrets sync, GPUs, training, the model
registry and model serving, wired to the AWS foundation.

Every namespace is a :class:`ZeroTrustNamespace`; every flow between them is an explicit allow.
Cloud access is IRSA, one role per service account, scoped to the bucket prefix, key and
secrets that service needs. The cluster's API, the database and the VPC interface endpoints
(STS, KMS, ECR, Logs, Secrets Manager) all sit in the VPC, so those egress rules name the VPC's
network; S3 is reached through its gateway endpoint, whose addresses are the entries of the
region's S3 managed prefix list, read at deploy time.

The builders that take only bindings, references and networks (``secret_sync``,
``platform_monitoring``, ``monitored_gpus``, ``github_runners``) are cloud-neutral: the Azure
stack (:mod:`.azure_services`) calls them with its Key Vault stores and Azure networks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, List, Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from sahab.components.aws import (
    ArtifactStore,
    BucketPrefixAccess,
    Cluster,
    EncryptionKeys,
    GpuTrainingPool,
    Network,
    OnlineStoreCache,
    PlatformSecrets,
    PlatformSecretsArgs,
    RegistryDatabase,
    SecretsManagerStore,
    SecretsManagerStoreArgs,
    UaeProvider,
    WorkloadRole,
    WorkloadRoleArgs,
)
from sahab.components.generated_secrets import MLFLOW_ADMIN_PASSWORD, MLFLOW_FLASK_SECRET_KEY, GeneratedSecret
from sahab.components.kubernetes import (
    Allow,
    CiRunners,
    CiRunnersArgs,
    GithubApp,
    GithubRunners,
    FeatureStore,
    FeatureStoreArgs,
    GpuEnablement,
    GpuEnablementArgs,
    Image,
    NamespaceQuota,
    RemoteRef,
    SecretSync,
    SecretSyncArgs,
    TrainingOperator,
    TrainingOperatorArgs,
    TrainingQueue,
    WorkloadIdentityBinding,
    ZeroTrustNamespace,
    ZeroTrustNamespaceArgs,
)
from sahab.components.kubernetes import drift_monitor
from sahab.components.kubernetes.gpu import DCGM_EXPORTER_POD_LABELS, DCGM_EXPORTER_PORT
from sahab.components.kubernetes.alert_routing import AlertReceiver
from sahab.components.kubernetes.monitoring import Monitoring, MonitoringArgs, QueryClient, ScrapeTarget
from sahab.components.kubernetes.platform_alerts import PlatformAlerts
from sahab.components.kubernetes.storage import EncryptedStorageClass, EncryptedStorageClassArgs
from sahab.components.kubernetes.rollouts import CONTROLLER_POD_LABELS
from sahab.components.kubernetes.secrets import SecretStoreBinding, secret_store
from sahab.components.kubernetes.input_logging import METRICS_PORT as INPUTS_METRICS_PORT
from sahab.components.kubernetes.serving import METRICS_PORT, pod_labels

from .ml_services import (
    DRIFT_NAMESPACE,
    MLFLOW_DRIFT_PASSWORD,
    MLFLOW_NAMESPACE,
    MLFLOW_PREFIX,
    MLFLOW_SERVER,
    MLFLOW_SERVING_PASSWORD,
    PROMETHEUS,
    ROLLOUTS_NAMESPACE,
    SERVING_NAMESPACE,
    TRAINING_NAMESPACE,
    RegistryBackend,
    ServiceCloud,
    StorageAccess,
    drift_name,
    model_lifecycle,
)
from .settings import PlatformSettings

CI_NAMESPACE = "ci-runners"
FEATURES_NAMESPACE = "features"
FEATURES_PREFIX = "features"
FEAST_VERSION = "0.67.0"
# The KubeRay operator image (chart kuberay-operator 1.7.0), on AWS and Azure alike.
KUBERAY_OPERATOR_TAG = "v1.7.0"
# Training and serving pods read features from the feature server (FeatureStore's port).
FEATURE_SERVER = Allow("features", ports=[6566], namespace=FEATURES_NAMESPACE,
                       peer_pods={"app.kubernetes.io/name": "feast", "app.kubernetes.io/component": "feature-server"})
# The chart pins no runner image: ARC 0.14.2 builds and tests with runner 2.334.0 (its Makefile's
# RUNNER_VERSION); mirror ghcr.io/actions/actions-runner:2.334.0 in-region.
ACTIONS_RUNNER_VERSION = "2.334.0"
STORE = "aws-secrets"
GRAFANA_ADMIN_PASSWORD = GeneratedSecret("grafana-admin-password", "Grafana admin password (monitoring)")
MONITORING_NAMESPACE = PROMETHEUS.namespace
# The cluster's encrypted gp3 class (EBS CSI driver, the `volumes` CMK) and its default: Prometheus,
# Alertmanager and the CI runners' work volumes keep their data on it.
ENCRYPTED_STORAGE_CLASS = "gp3-encrypted"


@dataclass(frozen=True)
class AwsFoundation:
    """What the AWS stack hands the platform services."""

    provider: UaeProvider
    network: Network
    keys: EncryptionKeys
    artifacts: ArtifactStore
    cluster: Cluster
    gpu_pool: GpuTrainingPool
    database: RegistryDatabase
    feature_cache: OnlineStoreCache


def build_platform_services(settings: PlatformSettings, aws_side: AwsFoundation) -> None:
    name = "ml-%s" % settings.environment
    cluster, keys = aws_side.cluster, aws_side.keys
    kube = k8s.Provider("%s-cluster" % name, kubeconfig=cluster.kubeconfig)
    vpc = aws_side.network.cidr_block
    registry = settings.image_registry
    s3 = aws.ec2.get_prefix_list_output(
        name="com.amazonaws.%s.s3" % aws_side.provider.uae_region,
        opts=pulumi.InvokeOptions(provider=aws_side.provider)).cidr_blocks

    def role(service: str, namespace: str, account: str, *prefix_access: BucketPrefixAccess) -> WorkloadRole:
        return WorkloadRole("%s-%s" % (name, service), WorkloadRoleArgs(
            namespace=namespace, service_account=account, grants=list(prefix_access),
            oidc_provider_arn=cluster.oidc_provider_arn, oidc_issuer_url=cluster.oidc_issuer_url,
            provider=aws_side.provider))

    secret_sync(name, kube, registry, api_server_cidrs=[vpc], cloud_endpoint_cidrs=[vpc])
    secrets = PlatformSecrets("%s-platform" % name, PlatformSecretsArgs(
        kms_key_arn=keys.key_arn("secrets"), provider=aws_side.provider,
        secrets=(MLFLOW_ADMIN_PASSWORD, MLFLOW_FLASK_SECRET_KEY, MLFLOW_SERVING_PASSWORD, GRAFANA_ADMIN_PASSWORD,
                 MLFLOW_DRIFT_PASSWORD)))
    volumes = EncryptedStorageClass("%s-volumes" % name, EncryptedStorageClassArgs(
        provider=kube, volumes=cluster.encrypted_volumes(keys.key_arn("volumes")), class_name=ENCRYPTED_STORAGE_CLASS,
        default_class=True))
    monitoring = _monitoring(name, settings, aws_side, kube, secrets, volumes)
    monitored_gpus(name, kube, registry, [vpc], monitoring)
    cloud = _aws_cloud(settings, aws_side, kube, secrets, s3, role)
    gpu_pool = aws_side.gpu_pool.gpu_pool
    TrainingOperator("%s-training" % name, TrainingOperatorArgs(
        provider=kube, operator_image=Image(registry, "kuberay/operator", tag=KUBERAY_OPERATOR_TAG), api_server_cidrs=[vpc],
        queues=[TrainingQueue(TRAINING_NAMESPACE, quota=NamespaceQuota(
            cpu="256", memory="1Ti", pods=100, gpus=settings.gpu_max_size * gpu_pool.gpus_per_node), egress=[
                *cloud.egress, MLFLOW_SERVER, FEATURE_SERVER])]))

    database = aws_side.database
    model_lifecycle(
        name, kube, cloud, settings,
        registry_identity=cloud.identity("mlflow", MLFLOW_NAMESPACE, [StorageAccess(MLFLOW_PREFIX, read_only=False)]),
        database=RegistryBackend(host=database.address, port=database.port, cidrs=[vpc],
                                 login=RemoteRef(database.master_user_secret_arn, "password")),
        mlflow_image=Image(registry, "mlflow/mlflow-rds", tag="v3.17.2-full"), api_server_cidrs=[vpc],
        serving_egress=[FEATURE_SERVER])
    _ci_runners(name, settings, aws_side, kube, s3, volumes)
    _feature_store(name, settings, aws_side, kube, s3, role)


def _monitoring(name: str, settings: PlatformSettings, aws_side: AwsFoundation, kube: k8s.Provider,
                secrets: PlatformSecrets, volumes: EncryptedStorageClass) -> Monitoring:
    """kube-prometheus-stack and the platform's alerts; Prometheus scrapes DCGM exporter and every
    served model, and answers the Argo Rollouts controller's analysis queries. Alerts go to the
    receiver the stack's settings name (its URL a Secrets Manager secret the store may read)."""
    vpc = aws_side.network.cidr_block
    password = secrets.secret_arn(GRAFANA_ADMIN_PASSWORD.name)
    receiver = settings.alert_receiver
    store = SecretsManagerStore("%s-monitoring-store" % name, SecretsManagerStoreArgs(
        namespace=MONITORING_NAMESPACE, secret_arns=[password, receiver["urlSecretArn"]],
        kms_key_arn=aws_side.keys.key_arn("secrets"),
        oidc_provider_arn=aws_side.cluster.oidc_provider_arn, oidc_issuer_url=aws_side.cluster.oidc_issuer_url,
        provider=aws_side.provider))
    return platform_monitoring(
        name, kube, settings.image_registry, api_server_cidrs=[vpc], node_cidrs=[vpc], volumes=volumes,
        storage_size=settings.prometheus_storage_size, retention=settings.prometheus_retention,
        store=store.binding, store_name=STORE, grafana_admin_password=RemoteRef(password), receiver=receiver,
        receiver_url=RemoteRef(receiver["urlSecretArn"]), served_models=settings.served_models, registry_and_rollouts=True)


def secret_sync(name: str, kube: k8s.Provider, registry: str, *, api_server_cidrs: List[str], cloud_endpoint_cidrs: List[str],
                identity_provider_cidrs: Sequence[str] = ()) -> SecretSync:
    """The External Secrets Operator (cloud-neutral; the clouds differ in the networks it reaches)."""
    return SecretSync("%s-secrets" % name, SecretSyncArgs(
        provider=kube, image=Image(registry, "external-secrets/external-secrets", tag="v2.9.0"),
        api_server_cidrs=api_server_cidrs, cloud_endpoint_cidrs=cloud_endpoint_cidrs,
        identity_provider_cidrs=identity_provider_cidrs))


def monitored_gpus(name: str, kube: k8s.Provider, registry: str, api_server_cidrs: List[str], monitoring: Monitoring) -> GpuEnablement:
    """The GPU operator, its DCGM exporter scraped by the platform's Prometheus."""
    return GpuEnablement("%s-gpu" % name, GpuEnablementArgs(
        provider=kube, registry=registry, api_server_cidrs=api_server_cidrs, metrics_namespace=PROMETHEUS.namespace,
        metrics_pods=dict(PROMETHEUS.pods), service_monitor=True), pulumi.ResourceOptions(depends_on=[monitoring]))


def platform_monitoring(name: str, kube: k8s.Provider, registry: str, *, api_server_cidrs: List[str], node_cidrs: List[str],
                        volumes: EncryptedStorageClass, storage_size: str, retention: str, store: SecretStoreBinding,
                        store_name: str, grafana_admin_password: RemoteRef, receiver: Mapping[str, Any],
                        receiver_url: RemoteRef, served_models: Mapping[str, str], registry_and_rollouts: bool) -> Monitoring:
    """kube-prometheus-stack and the platform's alerts (cloud-neutral: the cloud side hands the
    store's binding and the references into it). Prometheus scrapes DCGM exporter and every served
    model; with ``registry_and_rollouts`` it alerts on MLflow and answers the Argo Rollouts
    controller's analysis queries."""
    targets = [ScrapeTarget("dcgm-exporter", "gpu-operator", DCGM_EXPORTER_POD_LABELS, DCGM_EXPORTER_PORT)]
    targets += [ScrapeTarget(model, SERVING_NAMESPACE, pod_labels(model), METRICS_PORT) for model in sorted(served_models)]
    # Every served model logs its inputs for its DriftMonitor: the sidecar's counters.
    targets += [ScrapeTarget("%s-inputs" % model, SERVING_NAMESPACE, pod_labels(model), INPUTS_METRICS_PORT)
                for model in sorted(served_models)]
    targets += [ScrapeTarget(drift_name(model), DRIFT_NAMESPACE, drift_monitor.pod_labels(drift_name(model)), drift_monitor.METRICS_PORT)
                for model in sorted(served_models)]
    return Monitoring("%s-monitoring" % name, MonitoringArgs(
        provider=kube, registry=registry, api_server_cidrs=api_server_cidrs, node_cidrs=node_cidrs,
        storage_class=volumes, storage_size=storage_size,
        retention=retention, secret_store=store, secret_store_name=store_name,
        grafana_admin_password=grafana_admin_password,
        alerts=PlatformAlerts(training_namespaces=[TRAINING_NAMESPACE],
                              mlflow_namespace=MLFLOW_NAMESPACE if registry_and_rollouts else None,
                              mlflow_deployment="mlflow"),
        alert_receiver=AlertReceiver(kind=receiver["kind"], url=receiver_url,
                                     cidrs=list(receiver["cidrs"]), port=int(receiver["port"])),
        scrape_targets=targets,
        query_clients=[QueryClient("argo-rollouts", ROLLOUTS_NAMESPACE, CONTROLLER_POD_LABELS)] if registry_and_rollouts else []))


def _ci_runners(name: str, settings: PlatformSettings, aws_side: AwsFoundation, kube: k8s.Provider,
                s3: pulumi.Output, volumes: EncryptedStorageClass) -> CiRunners:
    """GitHub Actions runners for the ML pipelines (ARC, kubernetes mode). The store reads only the
    GitHub App's private key; jobs reach AWS with GitHub's OIDC token through the CiIdentity role of
    their repository and environment, so the runners' pods carry no cloud identity."""
    vpc = aws_side.network.cidr_block
    config = settings.ci_runners
    private_key = config["appPrivateKeySecretArn"]
    store = SecretsManagerStore("%s-ci-store" % name, SecretsManagerStoreArgs(
        namespace=CI_NAMESPACE, secret_arns=[private_key], kms_key_arn=aws_side.keys.key_arn("secrets"),
        oidc_provider_arn=aws_side.cluster.oidc_provider_arn, oidc_issuer_url=aws_side.cluster.oidc_issuer_url,
        provider=aws_side.provider))
    return github_runners(
        name, kube, settings.image_registry, config=config, store=store.binding, store_name=STORE,
        private_key=RemoteRef(private_key), api_server_cidrs=[vpc], registry_cidrs=[vpc], cloud_endpoint_cidrs=[vpc],
        s3_cidrs=s3, volumes=volumes)


def github_runners(name: str, kube: k8s.Provider, registry: str, *, config: Mapping[str, Any], store: SecretStoreBinding,
                   store_name: str, private_key: RemoteRef, api_server_cidrs: List[str], registry_cidrs: List[str],
                   cloud_endpoint_cidrs: List[str], volumes: EncryptedStorageClass, s3_cidrs: Optional[pulumi.Output] = None,
                   identity_provider_cidrs: Sequence[str] = ()) -> CiRunners:
    """GitHub Actions runners (ARC, kubernetes mode) from the stack's ``ciRunners`` settings
    (cloud-neutral: the store's binding, the key's reference and the networks come from the cloud side)."""
    return CiRunners("%s-ci" % name, CiRunnersArgs(
        provider=kube,
        forge=GithubRunners(
            config_url=config["configUrl"],
            controller_image=Image(registry, "actions/gha-runner-scale-set-controller", tag="0.14.2"),
            runner_image=Image(registry, "actions/actions-runner", tag=ACTIONS_RUNNER_VERSION),
            app=GithubApp(app_id=str(config["appId"]), installation_id=str(config["installationId"]),
                          private_key=private_key)),
        namespace=CI_NAMESPACE,
        secret_store=store,
        api_server_cidrs=api_server_cidrs, forge_cidrs=list(config["forgeCidrs"]), registry_cidrs=registry_cidrs,
        cloud_endpoint_cidrs=cloud_endpoint_cidrs, s3_cidrs=s3_cidrs, identity_provider_cidrs=identity_provider_cidrs,
        min_runners=int(config["minRunners"]), max_runners=int(config["maxRunners"]),
        storage_class=volumes.class_name, secret_store_name=store_name), pulumi.ResourceOptions(depends_on=[volumes]))


def _secret_store(name: str, namespace: ZeroTrustNamespace, secret_arns: List[pulumi.Input[str]], aws_side: AwsFoundation,
                  kube: k8s.Provider) -> None:
    """A namespaced SecretStore whose IRSA role reads exactly ``secret_arns``."""
    store = SecretsManagerStore("%s-store" % name, SecretsManagerStoreArgs(
        namespace=namespace.name, secret_arns=secret_arns, kms_key_arn=aws_side.keys.key_arn("secrets"),
        oidc_provider_arn=aws_side.cluster.oidc_provider_arn, oidc_issuer_url=aws_side.cluster.oidc_issuer_url,
        provider=aws_side.provider))
    secret_store("%s-store" % name, STORE, store.binding,
                 pulumi.ResourceOptions(provider=kube, parent=namespace, depends_on=[namespace.namespace]))


def bucket_grants(bucket_arn: pulumi.Input[str], kms_key_arn: pulumi.Input[str],
                  accesses: Sequence[StorageAccess]) -> List[BucketPrefixAccess]:
    """Object store access as IRSA grants on prefixes of the artifact bucket (with its key)."""
    return [BucketPrefixAccess(bucket_arn=bucket_arn, prefix=access.prefix, read_only=access.read_only, kms_key_arn=kms_key_arn)
            for access in accesses]


def _aws_cloud(settings: PlatformSettings, aws_side: AwsFoundation, kube: k8s.Provider, secrets: PlatformSecrets,
               s3: pulumi.Output, role: Callable[..., WorkloadRole]) -> ServiceCloud:
    """The model services' view of AWS: Secrets Manager stores, IRSA roles on prefixes of the
    artifact bucket (with the artifacts key), S3 through its gateway endpoint, the other AWS APIs
    through the VPC's interface endpoints."""
    vpc = aws_side.network.cidr_block
    bucket = aws_side.artifacts

    def identity(service: str, namespace: str, accesses: Sequence[StorageAccess]) -> WorkloadIdentityBinding:
        return role(service, namespace, service, *bucket_grants(bucket.bucket_arn, aws_side.keys.key_arn("artifacts"), accesses)).binding

    return ServiceCloud(
        registry=settings.image_registry, store_name=STORE,
        generated=lambda secret: RemoteRef(secrets.secret_arn(secret.name)),
        namespace_store=lambda store, namespace, refs: _secret_store(store, namespace, [ref.key for ref in refs], aws_side, kube),
        identity=identity,
        storage_uri=lambda prefix: bucket.bucket_name.apply(lambda name: "s3://%s/%s" % (name, prefix)),
        storage_cidrs=s3, cloud_api_cidrs=[vpc], identity_provider_cidrs=[],
        egress=[Allow("s3", ports=[443], cidrs=s3), Allow("aws-apis", ports=[443], cidr=vpc)])


def _feature_store(name: str, settings: PlatformSettings, aws_side: AwsFoundation, kube: k8s.Provider, s3: pulumi.Output,
                   role) -> FeatureStore:
    """Feast in its own namespace: the registry in its own database on the registry's PostgreSQL,
    the online store on the OnlineStoreCache (TLS, AUTH token by reference), the offline store
    under the artifact bucket's ``features/`` prefix, read through IRSA; read by training and serving."""
    vpc = aws_side.network.cidr_block
    database, cache = aws_side.database, aws_side.feature_cache
    namespace = ZeroTrustNamespace("%s-features" % name, ZeroTrustNamespaceArgs(
        provider=kube, namespace=FEATURES_NAMESPACE, quota=NamespaceQuota(cpu="16", memory="32Gi", pods=20)))
    _secret_store("%s-features" % name, namespace, [database.master_user_secret_arn, cache.auth_token_secret_arn], aws_side, kube)
    identity = role("feast", FEATURES_NAMESPACE, "feast", BucketPrefixAccess(
        bucket_arn=aws_side.artifacts.bucket_arn, prefix=FEATURES_PREFIX, read_only=True,
        kms_key_arn=aws_side.keys.key_arn("artifacts")))
    return FeatureStore("feast", FeatureStoreArgs(
        provider=kube,
        image=Image(settings.image_registry, "feastdev/feature-server", tag=FEAST_VERSION),
        namespace=namespace,
        identity=identity.binding,
        project="ml_%s" % settings.environment,
        registry_host=database.address,
        registry_password=RemoteRef(database.master_user_secret_arn, "password"),
        database_cidrs=[vpc],
        cache_host=cache.primary_endpoint,
        cache_port=cache.port,
        cache_auth_token=RemoteRef(cache.auth_token_secret_arn),
        cache_cidrs=[vpc],
        offline_store_uri=aws_side.artifacts.bucket_name.apply(lambda bucket: "s3://%s/%s" % (bucket, FEATURES_PREFIX)),
        cloud_endpoint_cidrs=s3.apply(lambda cidrs: sorted(cidrs) + [vpc]),
        client_namespaces=[TRAINING_NAMESPACE, SERVING_NAMESPACE],
        secret_store=STORE,
        production=settings.production,
        replicas=2 if settings.production else 1,
    ), pulumi.ResourceOptions(depends_on=[namespace]))
