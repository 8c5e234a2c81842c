"""The model lifecycle services, cloud-neutral: MLflow (registry), model serving and drift monitors.

Both reference clouds build exactly these objects; a :class:`ServiceCloud` says how one cloud is
reached: the namespaced secret store and the references into it, a workload identity per service
with access to paths of the platform's object store (AWS: prefixes of the artifact bucket through
IRSA; Azure: path prefixes of the artifact container through workload identity and a role
condition), and the networks the pods may reach.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Mapping, Protocol, Sequence, Union

import pulumi
import pulumi_kubernetes as k8s

from sahab.components.generated_secrets import MLFLOW_ADMIN_PASSWORD, MLFLOW_FLASK_SECRET_KEY, GeneratedSecret
from sahab.components.kubernetes import (
    Allow,
    Analysis,
    Canary,
    DriftMonitor,
    DriftMonitorArgs,
    EntraTokenLogin,
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
    SetWeight,
    WorkloadIdentityBinding,
    ZeroTrustNamespace,
    ZeroTrustNamespaceArgs,
    metrics_scrape_allow,
    require_model_uri,
)
from sahab.components.kubernetes.drift_monitor import RegistryEndpoint
from sahab.components.kubernetes.input_logging import InputLogging
from sahab.components.kubernetes.mlflow_server import credentials_template
from sahab.components.kubernetes.rollout_strategy import PrometheusEndpoint
from sahab.components.kubernetes.rollouts import ARGO_ROLLOUTS_VERSION, CONTROLLER_REPOSITORY
from sahab.components.kubernetes.secrets import external_secret

MLFLOW_NAMESPACE = "mlflow"
TRAINING_NAMESPACE = "training"
SERVING_NAMESPACE = "serving"
DRIFT_NAMESPACE = "drift"
MLFLOW_PREFIX = "mlflow"
# Where the serving side logs each model's inputs in the object store (sahab.drift.inputs layout).
INFERENCE_INPUTS_PREFIX = "inference-inputs"
MLFLOW_SERVING_PASSWORD = GeneratedSecret("mlflow-serving-password", "MLflow password of the serving user (read-only on models)")
MLFLOW_DRIFT_PASSWORD = GeneratedSecret("mlflow-drift-password", "MLflow password of the drift user (tags the served models' versions)")
# What the canary analyses query (their default) and what Monitoring installs: one Prometheus.
PROMETHEUS = PrometheusEndpoint()
ROLLOUTS_NAMESPACE = "argo-rollouts"
MLFLOW_SERVER = Allow("mlflow", ports=[5000], namespace=MLFLOW_NAMESPACE, peer_pods={"app.kubernetes.io/name": "mlflow"})
# The images every cloud mirrors into its in-region registry.
SERVING_IMAGE = ("seldonio/mlserver", "1.7.1-mlflow")
INFERENCE_LOG_IMAGE = ("sahab/inference-log", "0.1.0")
DRIFT_IMAGE = ("sahab/drift", "0.1.0")
CANARY = Canary(steps=[SetWeight(20), Pause("10m"), Analysis(), SetWeight(50), Pause("10m"), Analysis(), SetWeight(100)])


@dataclass(frozen=True)
class StorageAccess:
    """Access to one path prefix of the platform's object store (no trailing ``/``)."""

    prefix: str
    read_only: bool


@dataclass(frozen=True)
class ServiceCloud:
    """How the services reach one cloud.

    ``generated(secret)`` is the store reference of a generated secret; ``namespace_store(name,
    namespace, refs)`` puts a SecretStore named ``store_name`` in ``namespace`` whose identity reads
    exactly ``refs``; ``identity(service, namespace, accesses)`` is the binding of a workload identity
    for the service account ``service`` with exactly ``accesses``; ``storage_uri(prefix)`` is the
    object store URI of a prefix. ``storage_cidrs`` are the object store's networks,
    ``cloud_api_cidrs`` the private token and key endpoints' (AWS: the VPC's interface endpoints),
    ``identity_provider_cidrs`` the public networks of a token endpoint with no private endpoint
    (Azure: Entra ID), ``egress`` all of them as namespace allows (443).
    """

    registry: str
    store_name: str
    generated: Callable[[GeneratedSecret], RemoteRef]
    namespace_store: Callable[[str, ZeroTrustNamespace, Sequence[RemoteRef]], None]
    identity: Callable[[str, str, Sequence[StorageAccess]], WorkloadIdentityBinding]
    storage_uri: Callable[[str], pulumi.Output]
    storage_cidrs: Union[Sequence[str], pulumi.Output]
    cloud_api_cidrs: Sequence[str]
    identity_provider_cidrs: Sequence[str]
    egress: Sequence[Allow]

    def endpoint_cidrs(self) -> pulumi.Output:
        """The object store's networks, then the cloud APIs' and identity provider's not among them."""
        api = list(dict.fromkeys([*self.cloud_api_cidrs, *self.identity_provider_cidrs]))
        return pulumi.Output.from_input(self.storage_cidrs).apply(
            lambda cidrs: sorted(cidrs) + [cidr for cidr in api if cidr not in cidrs])


@dataclass(frozen=True)
class RegistryBackend:
    """The registry's PostgreSQL: address, networks, and how MLflow logs in (the RDS-managed
    password by reference, or its Azure workload identity's Entra token as ``user``)."""

    host: pulumi.Input[str]
    port: pulumi.Input[int]
    cidrs: Sequence[str]
    login: Union[RemoteRef, EntraTokenLogin]
    user: str = "registry_admin"


def served_model_names(served_models: Mapping[str, str]) -> List[str]:
    return sorted({require_model_uri("served_models", uri).group("name") for uri in served_models.values()})


def drift_name(model: str) -> str:
    return "%s-drift" % model


def serving_access(model: str) -> List[StorageAccess]:
    """A served model's object store access: read the registry's artifacts, write its own inputs
    prefix (``inference-inputs/<model>``, where its DriftMonitor reads) and nothing else."""
    return [StorageAccess(MLFLOW_PREFIX, read_only=True), StorageAccess("%s/%s" % (INFERENCE_INPUTS_PREFIX, model), read_only=False)]


def model_registry(name: str, kube: k8s.Provider, cloud: ServiceCloud, *, identity: WorkloadIdentityBinding,
                   database: RegistryBackend, image: Image, served_models: Mapping[str, str], production: bool,
                   replicas: int, depends_on: Sequence[pulumi.Resource] = ()) -> ModelRegistry:
    """MLflow in its own namespace; the store reads the admin, Flask, serving and drift secrets (and
    the database password when there is one)."""
    namespace = ZeroTrustNamespace("%s-mlflow" % name, ZeroTrustNamespaceArgs(
        provider=kube, namespace=MLFLOW_NAMESPACE, quota=NamespaceQuota(cpu="16", memory="32Gi", pods=20)))
    admin, flask = cloud.generated(MLFLOW_ADMIN_PASSWORD), cloud.generated(MLFLOW_FLASK_SECRET_KEY)
    serving, drift = cloud.generated(MLFLOW_SERVING_PASSWORD), cloud.generated(MLFLOW_DRIFT_PASSWORD)
    database_refs = [database.login] if isinstance(database.login, RemoteRef) else []
    cloud.namespace_store("%s-mlflow" % name, namespace, database_refs + [admin, flask, serving, drift])
    served = served_model_names(served_models)
    return ModelRegistry("mlflow", ModelRegistryArgs(
        provider=kube, image=image, namespace=namespace, identity=identity,
        database_host=database.host, database_port=database.port, database_cidrs=list(database.cidrs),
        database_user=database.user, database_password=database.login,
        artifacts_destination=cloud.storage_uri(MLFLOW_PREFIX),
        cloud_endpoint_cidrs=cloud.endpoint_cidrs(),
        client_namespaces=[TRAINING_NAMESPACE, SERVING_NAMESPACE, DRIFT_NAMESPACE],
        secret_store=cloud.store_name, admin_password=admin, flask_secret_key=flask,
        production=production, replicas=replicas,
        # Model servers log in as `serving`: READ on exactly the served models.
        # Drift monitors log in as `drift`: EDIT (tags on versions) on exactly the served models.
        users=[RegistryUser("serving", serving, models=served),
               RegistryUser("drift", drift, models=served, permission="EDIT")] if served else [],
    ), pulumi.ResourceOptions(depends_on=[namespace, *depends_on]))


def _client_credentials(name: str, kube: k8s.Provider, cloud: ServiceCloud, namespace: ZeroTrustNamespace,
                        user: str, password: RemoteRef) -> str:
    """The namespace's store (reading only ``password``) and the MLflow credentials file of ``user``."""
    cloud.namespace_store(name, namespace, [password])
    credentials = "mlflow-credentials"
    external_secret("%s-credentials" % name, namespace=namespace.name, store=cloud.store_name, target=credentials,
                    data={"password": password}, template={"credentials": credentials_template(user)},
                    opts=pulumi.ResourceOptions(provider=kube, parent=namespace, depends_on=[namespace.namespace]))
    return credentials


def model_serving(name: str, kube: k8s.Provider, cloud: ServiceCloud, mlflow: ModelRegistry, *,
                  served_models: Mapping[str, str], production: bool, replicas: int,
                  extra_egress: Sequence[Allow] = ()) -> None:
    """One namespace for served models; each reads its artifacts through MLflow as the read-only
    ``serving`` user (READ on exactly the served models), logs its inputs for its DriftMonitor and
    rolls out as a canary judged by Prometheus."""
    namespace = ZeroTrustNamespace("%s-serving" % name, ZeroTrustNamespaceArgs(
        provider=kube, namespace=SERVING_NAMESPACE,
        quota=NamespaceQuota(cpu="64", memory="128Gi", pods=100),
        ingress=[metrics_scrape_allow(model, PROMETHEUS, logs_inputs=True) for model in served_models],
        egress=[MLFLOW_SERVER, *cloud.egress, *extra_egress]))
    credentials = _client_credentials("%s-serving" % name, kube, cloud, namespace, "serving",
                                      cloud.generated(MLFLOW_SERVING_PASSWORD))
    inputs_uri = cloud.storage_uri(INFERENCE_INPUTS_PREFIX)
    for model, uri in sorted(served_models.items()):
        ModelServing(model, ModelServingArgs(
            provider=kube, namespace=SERVING_NAMESPACE, model_uri=uri,
            image=Image(cloud.registry, SERVING_IMAGE[0], tag=SERVING_IMAGE[1]),
            identity=cloud.identity(model, SERVING_NAMESPACE, serving_access(model)),
            tracking_uri=mlflow.tracking_uri, tracking_credentials_secret=credentials,
            input_logging=InputLogging(inputs_uri=inputs_uri,
                                       image=Image(cloud.registry, INFERENCE_LOG_IMAGE[0], tag=INFERENCE_LOG_IMAGE[1])),
            strategy=CANARY, production=production, replicas=replicas,
        ), pulumi.ResourceOptions(depends_on=[namespace]))


def drift_monitors(name: str, kube: k8s.Provider, cloud: ServiceCloud, *, served_models: Mapping[str, str]) -> None:
    """A drift monitor per served model in a namespace of their own: each reads its model's logged
    inputs (read-only, ``inference-inputs/<model>``) and writes its verdict to MLflow as the
    ``drift`` user (EDIT on exactly the served models)."""
    namespace = ZeroTrustNamespace("%s-drift" % name, ZeroTrustNamespaceArgs(
        provider=kube, namespace=DRIFT_NAMESPACE, quota=NamespaceQuota(cpu="8", memory="24Gi", pods=20)))
    credentials = _client_credentials("%s-drift" % name, kube, cloud, namespace, "drift", cloud.generated(MLFLOW_DRIFT_PASSWORD))
    inputs_uri = cloud.storage_uri(INFERENCE_INPUTS_PREFIX)
    for model, uri in sorted(served_models.items()):
        monitor = drift_name(model)
        DriftMonitor(monitor, DriftMonitorArgs(
            provider=kube, namespace=DRIFT_NAMESPACE, model_uri=uri,
            image=Image(cloud.registry, DRIFT_IMAGE[0], tag=DRIFT_IMAGE[1]),
            identity=cloud.identity(monitor, DRIFT_NAMESPACE, [
                StorageAccess("%s/%s" % (INFERENCE_INPUTS_PREFIX, model), read_only=True)]),
            tracking_credentials_secret=credentials, inputs_uri=inputs_uri,
            storage_cidrs=cloud.storage_cidrs, identity_endpoint_cidrs=list(cloud.cloud_api_cidrs),
            identity_provider_cidrs=list(cloud.identity_provider_cidrs),
            registry=RegistryEndpoint(namespace=MLFLOW_NAMESPACE), prometheus=PROMETHEUS,
        ), pulumi.ResourceOptions(depends_on=[namespace]))


class LifecycleSettings(Protocol):
    """What the stack's settings say about the model services (the same keys on both clouds:
    ``PlatformSettings`` and ``AzurePlatformSettings`` both have them)."""

    served_models: Mapping[str, str]
    production: bool
    mlflow_replicas: int
    serving_min_replicas: int


def model_lifecycle(name: str, kube: k8s.Provider, cloud: ServiceCloud, settings: LifecycleSettings, *,
                    registry_identity: WorkloadIdentityBinding, database: RegistryBackend, mlflow_image: Image,
                    api_server_cidrs: List[str], serving_egress: Sequence[Allow] = (),
                    registry_depends_on: Sequence[pulumi.Resource] = ()) -> ModelRegistry:
    """MLflow, the Argo Rollouts controller (serving's canaries), served models and their drift monitors."""
    mlflow = model_registry(name, kube, cloud, identity=registry_identity, database=database, image=mlflow_image,
                            served_models=settings.served_models, production=settings.production,
                            replicas=settings.mlflow_replicas, depends_on=registry_depends_on)
    RolloutsController("%s-rollouts" % name, RolloutsControllerArgs(
        provider=kube, image=Image(cloud.registry, CONTROLLER_REPOSITORY, tag=ARGO_ROLLOUTS_VERSION),
        api_server_cidrs=api_server_cidrs, prometheus=PROMETHEUS, namespace=ROLLOUTS_NAMESPACE))
    model_serving(name, kube, cloud, mlflow, served_models=settings.served_models, production=settings.production,
                  replicas=settings.serving_min_replicas, extra_egress=serving_egress)
    drift_monitors(name, kube, cloud, served_models=settings.served_models)
    pulumi.export("mlflowTrackingUri", mlflow.tracking_uri)
    return mlflow
