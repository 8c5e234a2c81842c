"""The feature store: Feast's feature server and materialisation, as Kubernetes objects sahab writes.

``FeatureStore`` runs the configuration rendered by :mod:`.feast_config` (read its docstring for
how each secret reaches Feast without an environment variable) in its own
:class:`ZeroTrustNamespace`:

* a ServiceAccount carrying the cloud identity's binding (the offline store's prefix of the
  artifact bucket through IRSA or Azure workload identity, no static keys; no API token);
* an ExternalSecret that the External Secrets Operator renders from the cloud's secret store into
  ``feature_store.yaml`` (the registry database's password and the cache's AUTH token), mounted
  read-only;
* a Deployment from :mod:`.workload`'s secure builders (non-root, read-only root filesystem, all
  capabilities dropped, RuntimeDefault seccomp, requests and limits, probes on ``/health``) whose
  init container creates the registry's own database when it is missing; rolling updates that never
  drop below capacity and, in production, replicas spread over zones;
* an internal ClusterIP Service, a PodDisruptionBudget and a HorizontalPodAutoscaler (the
  Deployment leaves ``replicas`` to the autoscaler, as :class:`.ModelRegistry` does);
* a CronJob that materialises the feature views incrementally (offline store to online store) on
  ``materialize_schedule``, one run at a time;
* NetworkPolicies on top of the namespace's default deny: ingress to the feature server's port only
  from ``client_namespaces``; egress only to the registry database (``database_cidrs`` on its
  port), the cache (``cache_cidrs`` on its port) and, on 443, the object store and identity
  endpoints (``cloud_endpoint_cidrs``, e.g. the S3 prefix list and the VPC's STS endpoint). DNS is
  the namespace's own allow.

Feast's own authorisation is off (``auth: no_auth``): who may read features is decided by the
NetworkPolicy (named client namespaces only), not by Feast permissions.

The image must contain feast 0.67 with the ``redis``, ``postgres`` and ``aws`` extras (psycopg 3,
redis-py, s3fs/boto3 for the Parquet files in S3), ``/bin/sh`` and ``date``, and trust the
database's CA in its system store (as ``images/mlflow`` does for RDS).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Union

import pulumi
import pulumi_kubernetes as k8s

from ..validation import ComponentInputError, DNS_LABEL, require_cidrs, require_name, require_non_empty, require_port
from . import feast_config
from .base import KubernetesComponent, require_provider
from .feast_config import FeastConfig
from .identity import WorkloadIdentityBinding, require_binding
from .images import Image, require_image
from .namespace import NAMESPACE_NAME_LABEL, ZeroTrustNamespace
from .secrets import RemoteRef, external_secret
from .workload import (
    SERVER_PORT_NAME, Resources, http_probe, internal_server, require_server_scale, scratch_volume, secret_volume, secure_container,
    secure_pod_spec,
)

COMPONENT = "FeatureStore"
TYPE_TOKEN = "sahab:kubernetes:FeatureStore"
HTTPS_PORT = 443
SCRATCH_SIZE = "2Gi"
ZONE_KEY = "topology.kubernetes.io/zone"
HOSTNAME_KEY = "kubernetes.io/hostname"
CLUSTER_DOMAIN = "cluster.local"
INIT_RESOURCES = Resources("100m", "128Mi", "500m", "256Mi")

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_OFFLINE_URI = re.compile(r"^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
                          r"|abfss://[a-z0-9][a-z0-9-]{1,61}[a-z0-9]@[a-z0-9]{3,24}\.dfs\.core\.windows\.net)(/[^\s]*)?$")
# A five-field cron schedule (minute hour day-of-month month day-of-week); no @-macros.
_CRON = re.compile(r"^(\S+\s+){4}\S+$")


@dataclass(kw_only=True)
class FeatureStoreArgs:
    """Where the feature store runs, what it connects to, and who may read features.

    ``identity`` is the cloud side's binding for ``namespace``/``<name>``. ``registry_password`` is a
    reference into the cloud's store read by the namespaced ESO ``secret_store`` (for RDS, the
    managed master secret's ``password``); ``cache_auth_token`` the cache's AUTH token
    (``OnlineStoreCache.auth_token_secret_arn``). ``registry_host``/``cache_host`` and
    ``offline_store_uri`` may be deploy-time values (checked when they are strings), and so may
    ``cloud_endpoint_cidrs``.
    """

    provider: k8s.Provider
    image: Image
    namespace: ZeroTrustNamespace
    identity: WorkloadIdentityBinding
    project: str
    registry_host: pulumi.Input[str]
    registry_password: RemoteRef
    database_cidrs: Sequence[str]
    cache_host: pulumi.Input[str]
    cache_auth_token: RemoteRef
    cache_cidrs: Sequence[str]
    offline_store_uri: pulumi.Input[str]
    cloud_endpoint_cidrs: Union[Sequence[str], pulumi.Output]
    client_namespaces: Sequence[str]
    secret_store: str
    registry_port: int = 5432
    registry_database: str = "feast"
    registry_user: str = "registry_admin"
    cache_port: int = 6379
    materialize_schedule: Optional[str] = "*/30 * * * *"
    production: bool = True
    replicas: int = 2
    max_replicas: int = 4
    workers: int = 2
    port: int = 6566
    resources: Resources = field(default_factory=lambda: Resources("250m", "512Mi", "1", "1Gi"))
    materialize_resources: Resources = field(default_factory=lambda: Resources("500m", "1Gi", "2", "4Gi"))


def _validate_scale(args: FeatureStoreArgs) -> None:
    require_server_scale(COMPONENT, replicas=args.replicas, max_replicas=args.max_replicas, production=args.production,
                         workers=args.workers, port=args.port)
    args.resources.validate(COMPONENT, "resources")
    args.materialize_resources.validate(COMPONENT, "materialize_resources")
    schedule = args.materialize_schedule
    if schedule is not None and (not isinstance(schedule, str) or not _CRON.match(schedule.strip())):
        raise ComponentInputError(
            "%s: materialize_schedule %r must be a five-field cron schedule such as '*/30 * * * *' (or None for no "
            "scheduled materialisation)" % (COMPONENT, schedule))


def _validate_connections(args: FeatureStoreArgs) -> None:
    if not isinstance(args.project, str) or not feast_config.PROJECT.match(args.project):
        raise ComponentInputError(
            "%s: project %r must start with a letter and use lowercase letters, digits or underscores (Feast's rule)"
            % (COMPONENT, args.project))
    for argument in ("registry_host", "cache_host"):
        value = getattr(args, argument)
        if not isinstance(value, pulumi.Output) and (not isinstance(value, str) or not value):
            raise ComponentInputError("%s: %s is required (e.g. %s)" % (
                COMPONENT, argument, "RegistryDatabase.address" if argument == "registry_host" else "OnlineStoreCache.primary_endpoint"))
    require_port(COMPONENT, "registry_port", args.registry_port)
    require_port(COMPONENT, "cache_port", args.cache_port)
    for argument in ("registry_database", "registry_user"):
        value = getattr(args, argument)
        if not isinstance(value, str) or not _IDENTIFIER.match(value):
            raise ComponentInputError(
                "%s: %s %r must start with a letter and use lowercase letters, digits or underscores" % (COMPONENT, argument, value))
    uri = args.offline_store_uri
    if not isinstance(uri, pulumi.Output) and (not isinstance(uri, str) or not _OFFLINE_URI.match(uri)):
        raise ComponentInputError(
            "%s: offline_store_uri %r must be s3://<bucket>/<prefix> or abfss://<container>@<account>.dfs.core.windows.net/<path>"
            % (COMPONENT, uri))
    for argument in ("registry_password", "cache_auth_token"):
        if not isinstance(getattr(args, argument), RemoteRef):
            raise ComponentInputError(
                "%s: %s must be a RemoteRef into the cloud's secret store (never the value itself)" % (COMPONENT, argument))
    if not isinstance(args.secret_store, str) or not DNS_LABEL.match(args.secret_store):
        raise ComponentInputError("%s: secret_store %r is not the name of the namespace's SecretStore" % (COMPONENT, args.secret_store))


def _validate_network(args: FeatureStoreArgs) -> None:
    require_non_empty(COMPONENT, "client_namespaces", list(args.client_namespaces))
    for client in args.client_namespaces:
        if not isinstance(client, str) or not DNS_LABEL.match(client):
            raise ComponentInputError("%s: client_namespaces entry %r is not a namespace name" % (COMPONENT, client))
    for argument in ("database_cidrs", "cache_cidrs"):
        require_non_empty(COMPONENT, argument, list(getattr(args, argument)))
        require_cidrs(COMPONENT, argument, list(getattr(args, argument)), private_only=True)
    if not isinstance(args.cloud_endpoint_cidrs, pulumi.Output):
        require_non_empty(COMPONENT, "cloud_endpoint_cidrs", list(args.cloud_endpoint_cidrs))
        require_cidrs(COMPONENT, "cloud_endpoint_cidrs", list(args.cloud_endpoint_cidrs), private_only=False)


def validate(name: str, args: FeatureStoreArgs) -> str:
    """Every check, before anything registers; returns the namespace the feature store runs in."""
    require_provider(COMPONENT, args.provider)
    require_name(COMPONENT, name)
    if not isinstance(args.namespace, ZeroTrustNamespace):
        raise ComponentInputError(
            "%s: namespace must be the feature store's own ZeroTrustNamespace; got %s" % (COMPONENT, type(args.namespace).__name__))
    namespace = args.namespace.name
    require_image(COMPONENT, "image", args.image)
    require_binding(COMPONENT, "identity", args.identity, namespace, name)
    _validate_scale(args)
    _validate_connections(args)
    _validate_network(args)
    return namespace


def feast_settings(args: FeatureStoreArgs) -> FeastConfig:
    """The Feast configuration the component's pods run."""
    return FeastConfig(project=args.project, registry_database=args.registry_database, registry_user=args.registry_user,
                       offline_store_uri=args.offline_store_uri,  # type: ignore[arg-type]  # an Output is placed as is
                       port=args.port, workers=args.workers)


class FeatureStore(KubernetesComponent):
    """Feast feature server + scheduled materialisation: internal, secrets as files, egress exact."""

    config: FeastConfig
    service_host: str
    port: int
    url: str

    def __init__(self, name: str, args: FeatureStoreArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        namespace = validate(name, args)
        super().__init__(TYPE_TOKEN, name, args.provider, opts)
        self.config = config = feast_settings(args)
        in_namespace: List[pulumi.Resource] = [args.namespace]
        pods = {"app.kubernetes.io/name": "feast", "app.kubernetes.io/instance": name}
        server_pods = {**pods, "app.kubernetes.io/component": "feature-server"}
        labels = {**server_pods, "app.kubernetes.io/managed-by": "sahab"}

        def metadata(object_name: str, component: str = "feature-server") -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=namespace,
                                              labels={**labels, "app.kubernetes.io/component": component})

        binding = args.identity
        account = k8s.core.v1.ServiceAccount(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=labels,
                                                annotations=dict(binding.service_account_annotations) or None),
            automount_service_account_token=False,
            opts=self.child_opts(depends_on=in_namespace))
        secret_name = "%s-config" % name
        credentials = external_secret(
            secret_name, namespace=namespace, store=args.secret_store, target=secret_name,
            data={feast_config.REGISTRY_PASSWORD: args.registry_password, feast_config.CACHE_AUTH_TOKEN: args.cache_auth_token},
            template={feast_config.CONFIG_FILE: feast_config.feature_store_yaml_template(config)},
            opts=self.child_opts(depends_on=in_namespace))
        environment: Dict[str, pulumi.Input[str]] = {
            **feast_config.environment(config),
            feast_config.REGISTRY_HOST_ENV: args.registry_host,
            feast_config.REGISTRY_PORT_ENV: str(args.registry_port),
            feast_config.CACHE_HOST_ENV: args.cache_host,
            feast_config.CACHE_PORT_ENV: str(args.cache_port),
        }
        mounts = [k8s.core.v1.VolumeMountArgs(name="config", mount_path=config.config_dir, read_only=True),
                  k8s.core.v1.VolumeMountArgs(name="scratch", mount_path=config.scratch_dir)]
        volumes = [secret_volume("config", secret_name), scratch_volume("scratch", SCRATCH_SIZE)]
        depends_on = in_namespace + [account, credentials]

        deployment = internal_server(
            name, metadata(name), selector=server_pods, pod_labels={**labels, **binding.pod_labels},
            pod_spec=self._server_pod(args, config, environment, mounts, volumes, server_pods), port=args.port,
            min_replicas=args.replicas, max_replicas=args.max_replicas, child_opts=self.child_opts,
            depends_on=depends_on, service_depends_on=in_namespace)
        if args.materialize_schedule is not None:
            self._materialize(name, args, config, environment, mounts, volumes, pods, labels, metadata,
                              depends_on + [deployment])
        self._network_policies(name, args, pods, server_pods, metadata, in_namespace)

        self.service_host = "%s.%s.svc.%s" % (name, namespace, CLUSTER_DOMAIN)
        self.port = args.port
        self.url = "http://%s:%d" % (self.service_host, args.port)
        self.register_outputs({"service_host": self.service_host, "port": self.port, "url": self.url})

    @staticmethod
    def _server_pod(args: FeatureStoreArgs, config: FeastConfig, environment: Dict[str, pulumi.Input[str]],
                    mounts: List[k8s.core.v1.VolumeMountArgs], volumes: List[k8s.core.v1.VolumeArgs],
                    selector: Dict[str, str]) -> k8s.core.v1.PodSpecArgs:
        server = secure_container(
            "feature-server", args.image.reference, args.resources,
            command=feast_config.serve_command(config), env=environment, ports={SERVER_PORT_NAME: args.port},
            volume_mounts=mounts,
            liveness=http_probe(feast_config.HEALTH_PATH, SERVER_PORT_NAME, initial_delay=30, period=20),
            readiness=http_probe(feast_config.HEALTH_PATH, SERVER_PORT_NAME, initial_delay=5, period=10))
        database = secure_container(
            "registry-database", args.image.reference, INIT_RESOURCES,
            command=feast_config.ensure_database_command(config), env=environment, volume_mounts=mounts)
        spec = secure_pod_spec([server], service_account=args.identity.service_account, volumes=volumes)
        spec.init_containers = [database]
        if args.production:
            spec.topology_spread_constraints = [
                k8s.core.v1.TopologySpreadConstraintArgs(
                    max_skew=1, topology_key=key, when_unsatisfiable=when,
                    label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                    match_label_keys=["pod-template-hash"])
                for key, when in ((ZONE_KEY, "DoNotSchedule"), (HOSTNAME_KEY, "ScheduleAnyway"))
            ]
        return spec

    def _materialize(self, name: str, args: FeatureStoreArgs, config: FeastConfig, environment: Dict[str, pulumi.Input[str]],
                     mounts: List[k8s.core.v1.VolumeMountArgs], volumes: List[k8s.core.v1.VolumeArgs],
                     pods: Dict[str, str], labels: Dict[str, str],
                     metadata: Callable[..., k8s.meta.v1.ObjectMetaArgs], depends_on: List[pulumi.Resource]) -> None:
        """Incremental materialisation on a schedule: never two runs at once, a run never outlives its slot."""
        job_name = "%s-materialize" % name
        container = secure_container(
            "materialize", args.image.reference, args.materialize_resources,
            command=feast_config.materialize_command(config), env=environment, volume_mounts=mounts)
        k8s.batch.v1.CronJob(
            job_name,
            metadata=metadata(job_name, "materialize"),
            spec=k8s.batch.v1.CronJobSpecArgs(
                schedule=args.materialize_schedule,  # type: ignore[arg-type]  # checked: not None here
                time_zone="Etc/UTC",
                concurrency_policy="Forbid",
                starting_deadline_seconds=300,
                successful_jobs_history_limit=3,
                failed_jobs_history_limit=3,
                job_template=k8s.batch.v1.JobTemplateSpecArgs(spec=k8s.batch.v1.JobSpecArgs(
                    backoff_limit=2,
                    active_deadline_seconds=3600,
                    template=k8s.core.v1.PodTemplateSpecArgs(
                        metadata=k8s.meta.v1.ObjectMetaArgs(labels={
                            **labels, **pods, "app.kubernetes.io/component": "materialize", **args.identity.pod_labels}),
                        spec=secure_pod_spec([container], service_account=args.identity.service_account, volumes=volumes,
                                             restart_policy="Never"))))),
            opts=self.child_opts(depends_on=depends_on))

    def _network_policies(self, name: str, args: FeatureStoreArgs, pods: Dict[str, str], server_pods: Dict[str, str],
                          metadata: Callable[..., k8s.meta.v1.ObjectMetaArgs], depends_on: List[pulumi.Resource]) -> None:
        """Clients in, and out only to the database, the cache and the cloud endpoints (server and jobs alike)."""
        def cidrs(blocks: Sequence[str]) -> List[k8s.networking.v1.NetworkPolicyPeerArgs]:
            return [k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=block)) for block in blocks]

        def tcp(port: int) -> List[k8s.networking.v1.NetworkPolicyPortArgs]:
            return [k8s.networking.v1.NetworkPolicyPortArgs(port=port, protocol="TCP")]

        endpoints = args.cloud_endpoint_cidrs
        policies = {
            "allow-in-clients": k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=server_pods), policy_types=["Ingress"],
                ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                    from_=[k8s.networking.v1.NetworkPolicyPeerArgs(namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                        match_labels={NAMESPACE_NAME_LABEL: client})) for client in args.client_namespaces],
                    ports=tcp(args.port))]),
            "allow-out": k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=pods), policy_types=["Egress"],
                egress=[
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=cidrs(args.database_cidrs), ports=tcp(args.registry_port)),
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=cidrs(args.cache_cidrs), ports=tcp(args.cache_port)),
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=endpoints.apply(cidrs) if isinstance(endpoints, pulumi.Output) else cidrs(endpoints),
                        ports=tcp(HTTPS_PORT)),
                ]),
        }
        for suffix, spec in policies.items():
            policy_name = "%s-%s" % (name, suffix)
            k8s.networking.v1.NetworkPolicy(policy_name, metadata=metadata(policy_name), spec=spec,
                                            opts=self.child_opts(depends_on=depends_on))
