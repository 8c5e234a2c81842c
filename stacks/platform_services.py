"""The platform's services on the reference cluster: secrets sync, GPUs, training, the model
registry and model serving, wired to the AWS foundation.

Every namespace is a :class:`ZeroTrustNamespace`; every flow between them is an explicit allow.
Cloud access is IRSA, one role per service account, scoped to the bucket prefix, key and
secrets that service needs. The cluster's API, the database and the VPC interface endpoints
(STS, KMS, ECR, Logs, Secrets Manager) all sit in the VPC, so those egress rules name the VPC's
network; S3 is reached through its gateway endpoint, whose addresses are the entries of the
region's S3 managed prefix list, read at deploy time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List

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
from sahab.components.kubernetes.rollouts import ARGO_ROLLOUTS_VERSION, CONTROLLER_REPOSITORY
from sahab.components.kubernetes.rollout_strategy import PrometheusEndpoint
from sahab.components.kubernetes.secrets import external_secret, secret_store

from .settings import PlatformSettings

MLFLOW_NAMESPACE = "mlflow"
SERVING_NAMESPACE = "serving"
TRAINING_NAMESPACE = "training"
MLFLOW_PREFIX = "mlflow"
STORE = "aws-secrets"
MLFLOW_SERVING_PASSWORD = GeneratedSecret("mlflow-serving-password", "MLflow password of the serving user (read-only on models)")
PROMETHEUS = PrometheusEndpoint()


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


def build_platform_services(settings: PlatformSettings, aws_side: AwsFoundation) -> None:
    name = "ml-%s" % settings.environment
    cluster, keys = aws_side.cluster, aws_side.keys
    kube = k8s.Provider("%s-cluster" % name, kubeconfig=cluster.kubeconfig)
    vpc = aws_side.network.cidr_block
    registry = settings.image_registry
    s3 = aws.ec2.get_prefix_list_output(
        name="com.amazonaws.%s.s3" % aws_side.provider.uae_region,
        opts=pulumi.InvokeOptions(provider=aws_side.provider)).cidr_blocks

    def role(service: str, namespace: str, account: str, prefix_access: BucketPrefixAccess) -> WorkloadRole:
        return WorkloadRole("%s-%s" % (name, service), WorkloadRoleArgs(
            namespace=namespace, service_account=account, grants=[prefix_access],
            oidc_provider_arn=cluster.oidc_provider_arn, oidc_issuer_url=cluster.oidc_issuer_url,
            provider=aws_side.provider))

    def artifacts(read_only: bool) -> BucketPrefixAccess:
        return BucketPrefixAccess(bucket_arn=aws_side.artifacts.bucket_arn, prefix=MLFLOW_PREFIX, read_only=read_only,
                                  kms_key_arn=keys.key_arn("artifacts"))

    SecretSync("%s-secrets" % name, SecretSyncArgs(
        provider=kube, image=Image(registry, "external-secrets/external-secrets", tag="v2.9.0"),
        api_server_cidrs=[vpc], cloud_endpoint_cidrs=[vpc]))
    GpuEnablement("%s-gpu" % name, GpuEnablementArgs(
        provider=kube, registry=registry, api_server_cidrs=[vpc], metrics_namespace=PROMETHEUS.namespace,
        metrics_pods=dict(PROMETHEUS.pods)))
    gpu_pool = aws_side.gpu_pool.gpu_pool
    TrainingOperator("%s-training" % name, TrainingOperatorArgs(
        provider=kube, operator_image=Image(registry, "kuberay/operator", tag="v1.7.0"), api_server_cidrs=[vpc],
        queues=[TrainingQueue(TRAINING_NAMESPACE, quota=NamespaceQuota(
            cpu="256", memory="1Ti", pods=100, gpus=settings.gpu_max_size * gpu_pool.gpus_per_node), egress=[
                Allow("s3", ports=[443], cidrs=s3), Allow("aws-apis", ports=[443], cidr=vpc),
                Allow("mlflow", ports=[5000], namespace=MLFLOW_NAMESPACE, peer_pods={"app.kubernetes.io/name": "mlflow"}),
            ])]))

    secrets = PlatformSecrets("%s-platform" % name, PlatformSecretsArgs(
        kms_key_arn=keys.key_arn("secrets"), provider=aws_side.provider,
        secrets=(MLFLOW_ADMIN_PASSWORD, MLFLOW_FLASK_SECRET_KEY, MLFLOW_SERVING_PASSWORD)))
    mlflow = _model_registry(name, settings, aws_side, kube, secrets, role("mlflow", MLFLOW_NAMESPACE, "mlflow", artifacts(False)), s3)

    RolloutsController("%s-rollouts" % name, RolloutsControllerArgs(
        provider=kube, image=Image(registry, CONTROLLER_REPOSITORY, tag=ARGO_ROLLOUTS_VERSION), api_server_cidrs=[vpc],
        prometheus=PROMETHEUS))
    _serving(name, settings, aws_side, kube, secrets, mlflow, s3, role)
    pulumi.export("mlflowTrackingUri", mlflow.tracking_uri)


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
    _secret_store("%s-mlflow" % name, namespace, [
        database.master_user_secret_arn, secrets.secret_arn(MLFLOW_ADMIN_PASSWORD.name),
        secrets.secret_arn(MLFLOW_FLASK_SECRET_KEY.name), serving_password.key], aws_side, kube)
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
        client_namespaces=[TRAINING_NAMESPACE, SERVING_NAMESPACE],
        secret_store=STORE,
        database_password=RemoteRef(database.master_user_secret_arn, "password"),
        admin_password=RemoteRef(secrets.secret_arn(MLFLOW_ADMIN_PASSWORD.name)),
        flask_secret_key=RemoteRef(secrets.secret_arn(MLFLOW_FLASK_SECRET_KEY.name)),
        production=settings.production,
        replicas=settings.mlflow_replicas,
        # Model servers log in as `serving`: READ on exactly the served models.
        users=[RegistryUser("serving", serving_password, models=served)] if served else [],
    ), pulumi.ResourceOptions(depends_on=[namespace]))


def _serving(name: str, settings: PlatformSettings, aws_side: AwsFoundation, kube: k8s.Provider, secrets: PlatformSecrets,
             mlflow: ModelRegistry, s3: pulumi.Output, role) -> None:
    """One namespace for served models; each model reads its artifacts through MLflow as the
    read-only ``serving`` user (created by the registry's users Job, READ on exactly the served models)."""
    vpc = aws_side.network.cidr_block
    namespace = ZeroTrustNamespace("%s-serving" % name, ZeroTrustNamespaceArgs(
        provider=kube, namespace=SERVING_NAMESPACE,
        quota=NamespaceQuota(cpu="64", memory="128Gi", pods=100),
        ingress=[metrics_scrape_allow(model, PROMETHEUS) for model in settings.served_models],
        egress=[Allow("mlflow", ports=[mlflow.port], namespace=MLFLOW_NAMESPACE, peer_pods={"app.kubernetes.io/name": "mlflow"}),
                Allow("s3", ports=[443], cidrs=s3), Allow("aws-apis", ports=[443], cidr=vpc)]))
    _secret_store("%s-serving" % name, namespace, [secrets.secret_arn(MLFLOW_SERVING_PASSWORD.name)], aws_side, kube)
    credentials = "mlflow-credentials"
    external_secret("%s-serving-credentials" % name, namespace=SERVING_NAMESPACE, store=STORE, target=credentials,
                    data={"password": RemoteRef(secrets.secret_arn(MLFLOW_SERVING_PASSWORD.name))},
                    template={"credentials": "[mlflow]\nmlflow_tracking_username = serving\n"
                                             "mlflow_tracking_password = {{ .password }}\n"},
                    opts=pulumi.ResourceOptions(provider=kube, parent=namespace, depends_on=[namespace.namespace]))
    for model, uri in sorted(settings.served_models.items()):
        ModelServing(model, ModelServingArgs(
            provider=kube, namespace=SERVING_NAMESPACE, model_uri=uri,
            image=Image(settings.image_registry, "seldonio/mlserver", tag="1.7.1-mlflow"),
            identity=role(model, SERVING_NAMESPACE, model, BucketPrefixAccess(
                bucket_arn=aws_side.artifacts.bucket_arn, prefix=MLFLOW_PREFIX, read_only=True,
                kms_key_arn=aws_side.keys.key_arn("artifacts"))).binding,
            tracking_uri=mlflow.tracking_uri, tracking_credentials_secret=credentials,
            strategy=Canary(steps=[SetWeight(20), Pause("10m"), Analysis(), SetWeight(50), Pause("10m"), Analysis(),
                                   SetWeight(100)]),
            production=settings.production, replicas=settings.serving_min_replicas,
        ), pulumi.ResourceOptions(depends_on=[namespace]))
