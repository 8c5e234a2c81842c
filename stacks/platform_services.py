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
from typing import Any, List, Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from sahab.components.aws import (
    ArtifactStore,
    BucketPrefixAccess,
    Cluster,
    EncryptionKeys,
    GeneratedSecret,
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
from sahab.components.aws.platform_secrets import MLFLOW_ADMIN_PASSWORD, MLFLOW_FLASK_SECRET_KEY
from sahab.components.kubernetes import (
    Allow,
    Analysis,
    Canary,
    CiRunners,
    CiRunnersArgs,
    DriftMonitor,
    DriftMonitorArgs,
    GithubApp,
    GithubRunners,
    FeatureStore,
    FeatureStoreArgs,
    GpuEnablement,
    GpuEnablementArgs,
    Image,
    ModelRegistry,
    ModelRegistryArgs,
    ModelServing,
    ModelServingArgs,
    NamespaceQuota,
    Pause,
    RegistryUser,
    RemoteRef,
    RolloutsController,
    RolloutsControllerArgs,
    SecretSync,
    SecretSyncArgs,
    SetWeight,
    TrainingOperator,
    TrainingOperatorArgs,
    TrainingQueue,
    ZeroTrustNamespace,
    ZeroTrustNamespaceArgs,
    metrics_scrape_allow,
    require_model_uri,
)
from sahab.components.kubernetes import drift_monitor
from sahab.components.kubernetes.drift_monitor import RegistryEndpoint
from sahab.components.kubernetes.gpu import DCGM_EXPORTER_POD_LABELS, DCGM_EXPORTER_PORT
from sahab.components.kubernetes.mlflow_server import credentials_template
from sahab.components.kubernetes.alert_routing import AlertReceiver
from sahab.components.kubernetes.monitoring import Monitoring, MonitoringArgs, QueryClient, ScrapeTarget
from sahab.components.kubernetes.platform_alerts import PlatformAlerts
from sahab.components.kubernetes.storage import EncryptedStorageClass, EncryptedStorageClassArgs
from sahab.components.kubernetes.rollouts import ARGO_ROLLOUTS_VERSION, CONTROLLER_POD_LABELS, CONTROLLER_REPOSITORY
from sahab.components.kubernetes.rollout_strategy import PrometheusEndpoint
from sahab.components.kubernetes.secrets import SecretStoreBinding, external_secret, secret_store
from sahab.components.kubernetes.input_logging import METRICS_PORT as INPUTS_METRICS_PORT
from sahab.components.kubernetes.input_logging import InputLogging
from sahab.components.kubernetes.serving import METRICS_PORT, pod_labels

from .settings import PlatformSettings

MLFLOW_NAMESPACE = "mlflow"
SERVING_NAMESPACE = "serving"
TRAINING_NAMESPACE = "training"
MLFLOW_PREFIX = "mlflow"
CI_NAMESPACE = "ci-runners"
FEATURES_NAMESPACE = "features"
DRIFT_NAMESPACE = "drift"
# Where the serving side logs each model's inputs in the artifact bucket (sahab.drift.inputs layout).
INFERENCE_INPUTS_PREFIX = "inference-inputs"
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
MLFLOW_SERVING_PASSWORD = GeneratedSecret("mlflow-serving-password", "MLflow password of the serving user (read-only on models)")
GRAFANA_ADMIN_PASSWORD = GeneratedSecret("grafana-admin-password", "Grafana admin password (monitoring)")
MLFLOW_DRIFT_PASSWORD = GeneratedSecret("mlflow-drift-password", "MLflow password of the drift user (tags the served models' versions)")
# What the canary analyses query (their default) and what Monitoring installs: one Prometheus.
PROMETHEUS = PrometheusEndpoint()
MONITORING_NAMESPACE = PROMETHEUS.namespace
ROLLOUTS_NAMESPACE = "argo-rollouts"
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

    def artifacts(read_only: bool) -> BucketPrefixAccess:
        return BucketPrefixAccess(bucket_arn=aws_side.artifacts.bucket_arn, prefix=MLFLOW_PREFIX, read_only=read_only,
                                  kms_key_arn=keys.key_arn("artifacts"))

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
    gpu_pool = aws_side.gpu_pool.gpu_pool
    TrainingOperator("%s-training" % name, TrainingOperatorArgs(
        provider=kube, operator_image=Image(registry, "kuberay/operator", tag=KUBERAY_OPERATOR_TAG), api_server_cidrs=[vpc],
        queues=[TrainingQueue(TRAINING_NAMESPACE, quota=NamespaceQuota(
            cpu="256", memory="1Ti", pods=100, gpus=settings.gpu_max_size * gpu_pool.gpus_per_node), egress=[
                Allow("s3", ports=[443], cidrs=s3), Allow("aws-apis", ports=[443], cidr=vpc),
                Allow("mlflow", ports=[5000], namespace=MLFLOW_NAMESPACE, peer_pods={"app.kubernetes.io/name": "mlflow"}),
                FEATURE_SERVER,
            ])]))

    mlflow = _model_registry(name, settings, aws_side, kube, secrets, role("mlflow", MLFLOW_NAMESPACE, "mlflow", artifacts(False)), s3)

    RolloutsController("%s-rollouts" % name, RolloutsControllerArgs(
        provider=kube, image=Image(registry, CONTROLLER_REPOSITORY, tag=ARGO_ROLLOUTS_VERSION), api_server_cidrs=[vpc],
        prometheus=PROMETHEUS, namespace=ROLLOUTS_NAMESPACE))
    _serving(name, settings, aws_side, kube, secrets, mlflow, s3, role)
    _drift(name, settings, aws_side, kube, secrets, s3, role)
    _ci_runners(name, settings, aws_side, kube, s3, volumes)
    _feature_store(name, settings, aws_side, kube, s3, role)
    pulumi.export("mlflowTrackingUri", mlflow.tracking_uri)


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
    targets += [ScrapeTarget(_drift_name(model), DRIFT_NAMESPACE, drift_monitor.pod_labels(_drift_name(model)), drift_monitor.METRICS_PORT)
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


def _model_registry(name: str, settings: PlatformSettings, aws_side: AwsFoundation, kube: k8s.Provider,
                    secrets: PlatformSecrets, identity: WorkloadRole, s3: pulumi.Output) -> ModelRegistry:
    vpc = aws_side.network.cidr_block
    database = aws_side.database
    namespace = ZeroTrustNamespace("%s-mlflow" % name, ZeroTrustNamespaceArgs(
        provider=kube, namespace=MLFLOW_NAMESPACE, quota=NamespaceQuota(cpu="16", memory="32Gi", pods=20)))
    serving_password = RemoteRef(secrets.secret_arn(MLFLOW_SERVING_PASSWORD.name))
    drift_password = RemoteRef(secrets.secret_arn(MLFLOW_DRIFT_PASSWORD.name))
    _secret_store("%s-mlflow" % name, namespace, [
        database.master_user_secret_arn, secrets.secret_arn(MLFLOW_ADMIN_PASSWORD.name),
        secrets.secret_arn(MLFLOW_FLASK_SECRET_KEY.name), serving_password.key, drift_password.key], aws_side, kube)
    served = sorted({require_model_uri("served_models", uri).group("name") for uri in settings.served_models.values()})
    return ModelRegistry("mlflow", ModelRegistryArgs(
        provider=kube,
        image=Image(settings.image_registry, "mlflow/mlflow-rds", tag="v3.17.2-full"),
        namespace=namespace,
        identity=identity.binding,
        database_host=database.address,
        database_port=database.port,
        database_cidrs=[vpc],
        artifacts_destination=aws_side.artifacts.bucket_name.apply(lambda bucket: "s3://%s/%s" % (bucket, MLFLOW_PREFIX)),
        cloud_endpoint_cidrs=s3.apply(lambda cidrs: sorted(cidrs) + [vpc]),
        client_namespaces=[TRAINING_NAMESPACE, SERVING_NAMESPACE, DRIFT_NAMESPACE],
        secret_store=STORE,
        database_password=RemoteRef(database.master_user_secret_arn, "password"),
        admin_password=RemoteRef(secrets.secret_arn(MLFLOW_ADMIN_PASSWORD.name)),
        flask_secret_key=RemoteRef(secrets.secret_arn(MLFLOW_FLASK_SECRET_KEY.name)),
        production=settings.production,
        replicas=settings.mlflow_replicas,
        # Model servers log in as `serving`: READ on exactly the served models.
        # Drift monitors log in as `drift`: EDIT (tags on versions) on exactly the served models.
        users=[RegistryUser("serving", serving_password, models=served),
               RegistryUser("drift", drift_password, models=served, permission="EDIT")] if served else [],
    ), pulumi.ResourceOptions(depends_on=[namespace]))


def _serving(name: str, settings: PlatformSettings, aws_side: AwsFoundation, kube: k8s.Provider, secrets: PlatformSecrets,
             mlflow: ModelRegistry, s3: pulumi.Output, role) -> None:
    """One namespace for served models; each model reads its artifacts through MLflow as the
    read-only ``serving`` user (created by the registry's users Job, READ on exactly the served models).
    A DriftMonitor watches every served model, so every one logs its inputs: its role may write
    ``inference-inputs/<model>/`` of the artifact bucket, and nothing else there."""
    vpc = aws_side.network.cidr_block
    namespace = ZeroTrustNamespace("%s-serving" % name, ZeroTrustNamespaceArgs(
        provider=kube, namespace=SERVING_NAMESPACE,
        quota=NamespaceQuota(cpu="64", memory="128Gi", pods=100),
        ingress=[metrics_scrape_allow(model, PROMETHEUS, logs_inputs=True) for model in settings.served_models],
        egress=[Allow("mlflow", ports=[mlflow.port], namespace=MLFLOW_NAMESPACE, peer_pods={"app.kubernetes.io/name": "mlflow"}),
                Allow("s3", ports=[443], cidrs=s3), Allow("aws-apis", ports=[443], cidr=vpc), FEATURE_SERVER]))
    _secret_store("%s-serving" % name, namespace, [secrets.secret_arn(MLFLOW_SERVING_PASSWORD.name)], aws_side, kube)
    credentials = "mlflow-credentials"
    external_secret("%s-serving-credentials" % name, namespace=SERVING_NAMESPACE, store=STORE, target=credentials,
                    data={"password": RemoteRef(secrets.secret_arn(MLFLOW_SERVING_PASSWORD.name))},
                    template={"credentials": credentials_template("serving")},
                    opts=pulumi.ResourceOptions(provider=kube, parent=namespace, depends_on=[namespace.namespace]))
    for model, uri in sorted(settings.served_models.items()):
        ModelServing(model, ModelServingArgs(
            provider=kube, namespace=SERVING_NAMESPACE, model_uri=uri,
            image=Image(settings.image_registry, "seldonio/mlserver", tag="1.7.1-mlflow"),
            identity=role(model, SERVING_NAMESPACE, model,
                          *serving_grants(aws_side.artifacts.bucket_arn, aws_side.keys.key_arn("artifacts"), model)).binding,
            tracking_uri=mlflow.tracking_uri, tracking_credentials_secret=credentials,
            input_logging=InputLogging(inputs_uri=_inputs_uri(aws_side),
                                       image=Image(settings.image_registry, "sahab/inference-log", tag="0.1.0")),
            strategy=Canary(steps=[SetWeight(20), Pause("10m"), Analysis(), SetWeight(50), Pause("10m"), Analysis(),
                                   SetWeight(100)]),
            production=settings.production, replicas=settings.serving_min_replicas,
        ), pulumi.ResourceOptions(depends_on=[namespace]))


def serving_grants(bucket_arn: pulumi.Input[str], kms_key_arn: pulumi.Input[str], model: str) -> List[BucketPrefixAccess]:
    """A served model's bucket access: read the registry's artifacts, write its own inputs prefix
    (``inference-inputs/<model>/``, where its DriftMonitor reads) and nothing else."""
    return [BucketPrefixAccess(bucket_arn=bucket_arn, prefix=MLFLOW_PREFIX, read_only=True, kms_key_arn=kms_key_arn),
            BucketPrefixAccess(bucket_arn=bucket_arn, prefix="%s/%s" % (INFERENCE_INPUTS_PREFIX, model), read_only=False,
                               kms_key_arn=kms_key_arn)]


def _inputs_uri(aws_side: AwsFoundation) -> pulumi.Output:
    """Where serving logs the inputs and the drift monitors read them."""
    return aws_side.artifacts.bucket_name.apply(lambda bucket: "s3://%s/%s" % (bucket, INFERENCE_INPUTS_PREFIX))


def _drift_name(model: str) -> str:
    return "%s-drift" % model


def _drift(name: str, settings: PlatformSettings, aws_side: AwsFoundation, kube: k8s.Provider, secrets: PlatformSecrets,
           s3: pulumi.Output, role) -> None:
    """A drift monitor per served model in a namespace of their own: each reads its model's logged
    inputs (read-only, ``inference-inputs/<model>/`` of the artifact bucket, through IRSA) and
    writes its verdict to MLflow as the ``drift`` user (EDIT on exactly the served models)."""
    vpc = aws_side.network.cidr_block
    namespace = ZeroTrustNamespace("%s-drift" % name, ZeroTrustNamespaceArgs(
        provider=kube, namespace=DRIFT_NAMESPACE, quota=NamespaceQuota(cpu="8", memory="24Gi", pods=20)))
    password = RemoteRef(secrets.secret_arn(MLFLOW_DRIFT_PASSWORD.name))
    _secret_store("%s-drift" % name, namespace, [password.key], aws_side, kube)
    credentials = "mlflow-credentials"
    external_secret("%s-drift-credentials" % name, namespace=DRIFT_NAMESPACE, store=STORE, target=credentials,
                    data={"password": password}, template={"credentials": credentials_template("drift")},
                    opts=pulumi.ResourceOptions(provider=kube, parent=namespace, depends_on=[namespace.namespace]))
    inputs_uri = _inputs_uri(aws_side)
    for model, uri in sorted(settings.served_models.items()):
        monitor = _drift_name(model)
        DriftMonitor(monitor, DriftMonitorArgs(
            provider=kube, namespace=DRIFT_NAMESPACE, model_uri=uri,
            image=Image(settings.image_registry, "sahab/drift", tag="0.1.0"),
            identity=role(monitor, DRIFT_NAMESPACE, monitor, BucketPrefixAccess(
                bucket_arn=aws_side.artifacts.bucket_arn, prefix="%s/%s" % (INFERENCE_INPUTS_PREFIX, model), read_only=True,
                kms_key_arn=aws_side.keys.key_arn("artifacts"))).binding,
            tracking_credentials_secret=credentials, inputs_uri=inputs_uri,
            storage_cidrs=s3, identity_endpoint_cidrs=[vpc],
            registry=RegistryEndpoint(namespace=MLFLOW_NAMESPACE), prometheus=PROMETHEUS,
        ), pulumi.ResourceOptions(depends_on=[namespace]))


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
