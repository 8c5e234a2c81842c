"""The MLflow tracking server and model registry, as Kubernetes objects sahab writes itself.

``ModelRegistry`` runs the server rendered by :mod:`.mlflow_server` (read its docstring for how
each secret reaches the process without an environment variable) in an existing
:class:`ZeroTrustNamespace`:

* a ServiceAccount carrying the cloud identity's binding (artifact access through IRSA or Azure
  workload identity, no static keys; no API token mounted);
* an ExternalSecret that the External Secrets Operator fills from the cloud's secret store (the
  RDS-managed database password, the admin password, the Flask key) through the namespace's
  ``secret_store``, rendered into the files the pod mounts read-only. With
  ``database_password=EntraTokenLogin()`` (Azure Database for PostgreSQL, Entra authentication
  only) there is no database password: the pod's workload identity gets an Entra token instead;
* a ConfigMap with the database CA bundle, so TLS is ``verify-full``;
* a Deployment from :mod:`.workload`'s secure builders (non-root, read-only root filesystem,
  all capabilities dropped, RuntimeDefault seccomp, requests and limits, probes on ``/health``),
  rolling updates that never drop below capacity and, in production, replicas spread over zones;
* an internal ClusterIP Service, a PodDisruptionBudget and a HorizontalPodAutoscaler. The
  Deployment leaves ``replicas`` to the autoscaler (whose minimum is ``replicas``), as the
  Kubernetes docs advise: a manifest that sets both resets the scale on every deploy;
* for ``users`` (e.g. the read-only ``serving`` user), an ExternalSecret with their passwords and
  the admin's, mounted only into a Job that puts the users and their grants in place through
  MLflow's API (:func:`.mlflow_server.users_script`) after the server is up. The Job's name
  carries a digest of the users and grants, so a change runs it again;
* NetworkPolicies on top of the namespace's default deny: ingress to the MLflow port only from
  ``client_namespaces``; egress only to the database (``database_cidrs``) and, on 443, to the
  object store and identity endpoints (``cloud_endpoint_cidrs``, e.g. the S3 and STS VPC
  endpoints). DNS is the namespace's own allow.

The image must contain mlflow 3.17 with psycopg2, the cloud SDK and Flask-WTF (the official
``-full`` image, mirrored into the in-region registry) and ``/bin/sh``, ``cp``, ``mv``, ``sleep``.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Union

import pulumi
import pulumi_kubernetes as k8s

from ..validation import ComponentInputError, DNS_LABEL, require_cidrs, require_name, require_non_empty, require_port
from . import mlflow_server
from .base import KubernetesComponent, require_provider
from .identity import WorkloadIdentityBinding, require_binding
from .images import Image, require_image
from .mlflow_server import MlflowServer, PgpassEntry, UserGrant
from .namespace import NAMESPACE_NAME_LABEL, ZeroTrustNamespace
from .secrets import RemoteRef, external_secret
from .workload import (
    SERVER_PORT_NAME, Resources, http_probe, internal_server, require_server_scale, scratch_volume, secret_volume, secure_container,
    secure_pod_spec,
)

COMPONENT = "ModelRegistry"
TYPE_TOKEN = "sahab:kubernetes:ModelRegistry"
DATABASE_CA_DIR = "/etc/mlflow/database-ca"
DATABASE_CA_FILE = "ca.pem"
# libpq (16+) verifies against the image's trust store: an image built from images/mlflow/ trusts
# the RDS CA of the UAE region, so no bundle needs to travel through the stack.
SYSTEM_TRUST_STORE = "system"
HTTPS_PORT = 443
SCRATCH_SIZE = "8Gi"
ZONE_KEY = "topology.kubernetes.io/zone"
HOSTNAME_KEY = "kubernetes.io/hostname"
CLUSTER_DOMAIN = "cluster.local"  # EKS and AKS alike

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_HOST = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:[0-9]{1,5})?$")
_ARTIFACTS = re.compile(
    r"^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
    r"|wasbs://[a-z0-9][a-z0-9-]{1,61}[a-z0-9]@[a-z0-9]{3,24}\.blob\.core\.windows\.net)(/[^\s]*)?$")
_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_MODEL = re.compile(r"^%s$" % mlflow_server.MODEL_NAME)
# MLflow's per-resource levels (mlflow/server/auth/permissions.py); NO_PERMISSIONS is the default.
USER_PERMISSIONS = ("READ", "USE", "EDIT", "MANAGE")
USERS_SECRETS_DIR = "/etc/mlflow/users"
USERS_JOB_RESOURCES = Resources("100m", "256Mi", "500m", "512Mi")
_PEM_BEGIN, _PEM_END = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"


@dataclass(kw_only=True)
class ModelRegistryArgs:
    """Where the registry runs, what it connects to, and who may reach it.

    ``identity`` is the cloud side's binding for ``namespace``/``<name>`` (the component's name is
    the ServiceAccount's). The secrets are references into the cloud's secret store, read by the
    namespaced ESO ``secret_store``: ``database_password`` is the RDS-managed master secret's
    ``password`` property (``RemoteRef(db.master_user_secret_arn, "password")``), or
    :class:`EntraTokenLogin` when the database accepts the registry's Azure workload identity
    (``database_user`` is then that identity's Entra login name).
    ``database_host``/``database_port`` may be deploy-time values (``RegistryDatabase.address``), and so
    may ``artifacts_destination`` (e.g. from ``ArtifactStore.bucket_name``; checked when it is a string)
    and ``cloud_endpoint_cidrs`` (e.g. the S3 managed prefix list's entries);
    ``auth_database_name`` defaults to ``database_name`` (MLflow 3.17's auth tables and its
    ``alembic_version_auth`` table do not collide with the tracking tables).
    ``database_ca_bundle`` is the PEM of the database's CA, mounted for ``verify-full``; without it
    libpq verifies against the image's own trust store (``sslrootcert=system``, libpq 16+), which
    must then hold the database's CA (``images/mlflow/`` builds such an image for RDS).
    """

    provider: k8s.Provider
    image: Image
    namespace: Union[ZeroTrustNamespace, str]
    identity: WorkloadIdentityBinding
    database_host: pulumi.Input[str]
    database_ca_bundle: Optional[str] = None
    database_cidrs: Sequence[str]
    artifacts_destination: pulumi.Input[str]
    cloud_endpoint_cidrs: Union[Sequence[str], pulumi.Output]
    client_namespaces: Sequence[str]
    secret_store: str
    database_password: Union[RemoteRef, "EntraTokenLogin"]
    admin_password: RemoteRef
    flask_secret_key: RemoteRef
    database_port: pulumi.Input[int] = 5432
    database_name: str = "mlflow"
    database_user: str = "registry_admin"
    auth_database_name: Optional[str] = None
    allowed_hosts: Sequence[str] = ()
    production: bool = True
    replicas: int = 2
    max_replicas: int = 4
    workers: int = 2
    port: int = 5000
    resources: Resources = field(default_factory=lambda: Resources("500m", "1Gi", "2", "2Gi"))
    users: Sequence["RegistryUser"] = ()


@dataclass(frozen=True)
class EntraTokenLogin:
    """Log in to the database as the registry's own Azure workload identity, with an Entra ID
    access token refreshed every ``refresh_seconds`` (tokens live at least an hour), so no database
    password exists anywhere (:mod:`.mlflow_server` says how the token reaches libpq)."""

    refresh_seconds: int = 300


@dataclass(frozen=True)
class RegistryUser:
    """A user the registry creates, with ``permission`` on exactly the registered ``models``.

    ``password`` is a reference into the cloud's secret store, read through ``secret_store``.
    The default permission is ``READ``: enough to load a model version, nothing to change it.
    """

    username: str
    password: RemoteRef
    models: Sequence[str]
    permission: str = "READ"


def _namespace_name(namespace: object) -> str:
    if isinstance(namespace, ZeroTrustNamespace):
        return namespace.name
    if not isinstance(namespace, str):
        raise ComponentInputError(
            "%s: namespace must be the ZeroTrustNamespace the registry runs in (or its name); got %s"
            % (COMPONENT, type(namespace).__name__))
    if not DNS_LABEL.match(namespace):
        raise ComponentInputError("%s: namespace %r is not a namespace name (a DNS label)" % (COMPONENT, namespace))
    return namespace


def _check_artifacts_destination(destination: object) -> str:
    if not isinstance(destination, str) or not _ARTIFACTS.match(destination):
        raise ComponentInputError(
            "%s: artifacts_destination %r must be s3://<bucket>/<prefix> or "
            "wasbs://<container>@<account>.blob.core.windows.net/<path>" % (COMPONENT, destination))
    return destination


def _validate_scale(args: ModelRegistryArgs) -> None:
    require_server_scale(COMPONENT, replicas=args.replicas, max_replicas=args.max_replicas, production=args.production,
                         workers=args.workers, port=args.port)
    args.resources.validate(COMPONENT, "resources")


def _validate_database(args: ModelRegistryArgs) -> None:
    if not isinstance(args.database_host, pulumi.Output) and (not isinstance(args.database_host, str) or not args.database_host):
        raise ComponentInputError("%s: database_host is required (e.g. RegistryDatabase.address)" % COMPONENT)
    port = args.database_port
    if not isinstance(port, pulumi.Output):
        require_port(COMPONENT, "database_port", port)
    for argument in ("database_name", "database_user", "auth_database_name"):
        value = getattr(args, argument)
        if value is None and argument == "auth_database_name":
            continue
        if not isinstance(value, str) or not _IDENTIFIER.match(value):
            raise ComponentInputError(
                "%s: %s %r must start with a letter and use lowercase letters, digits or underscores"
                % (COMPONENT, argument, value))
    bundle = args.database_ca_bundle
    if bundle is not None and (not isinstance(bundle, str) or _PEM_BEGIN not in bundle or _PEM_END not in bundle):
        raise ComponentInputError(
            "%s: database_ca_bundle must be the PEM bundle of the database's CA (for RDS, the "
            "me-central-1 bundle from truststore.pki.rds.amazonaws.com): sslmode=verify-full checks the "
            "server against it" % COMPONENT)


def _validate_network(args: ModelRegistryArgs) -> None:
    require_non_empty(COMPONENT, "client_namespaces", list(args.client_namespaces))
    for client in args.client_namespaces:
        if not isinstance(client, str) or not DNS_LABEL.match(client):
            raise ComponentInputError("%s: client_namespaces entry %r is not a namespace name" % (COMPONENT, client))
    require_non_empty(COMPONENT, "database_cidrs", list(args.database_cidrs))
    require_cidrs(COMPONENT, "database_cidrs", list(args.database_cidrs), private_only=True)
    if not isinstance(args.cloud_endpoint_cidrs, pulumi.Output):
        require_non_empty(COMPONENT, "cloud_endpoint_cidrs", list(args.cloud_endpoint_cidrs))
        require_cidrs(COMPONENT, "cloud_endpoint_cidrs", list(args.cloud_endpoint_cidrs), private_only=False)
    for host in args.allowed_hosts:
        if not isinstance(host, str) or not _HOST.match(host):
            raise ComponentInputError(
                "%s: allowed_hosts entry %r must be an exact host name, optionally with :port (no wildcards: "
                "a pattern lets other Host headers through)" % (COMPONENT, host))


def _validate_secrets(args: ModelRegistryArgs) -> None:
    if not isinstance(args.secret_store, str) or not DNS_LABEL.match(args.secret_store):
        raise ComponentInputError(
            "%s: secret_store %r must be the name of the SecretStore in the registry's namespace"
            % (COMPONENT, args.secret_store))
    login = args.database_password
    if isinstance(login, EntraTokenLogin):
        if args.identity.cloud != "azure":
            raise ComponentInputError(
                "%s: database_password=EntraTokenLogin() needs an Azure workload identity (the token is the pod's); "
                "identity is a %s binding: pass RemoteRef to the database password instead" % (COMPONENT, args.identity.cloud))
        if not isinstance(login.refresh_seconds, int) or not 60 <= login.refresh_seconds <= 1800:
            raise ComponentInputError(
                "%s: EntraTokenLogin.refresh_seconds must be between 60 and 1800 (tokens live at least an hour), got %r"
                % (COMPONENT, login.refresh_seconds))
    for argument in ("database_password", "admin_password", "flask_secret_key"):
        if argument == "database_password" and isinstance(login, EntraTokenLogin):
            continue
        # The type, never the value: a literal password passed here must not reach the logs.
        if not isinstance(getattr(args, argument), RemoteRef):
            raise ComponentInputError(
                "%s: %s must be a RemoteRef to the secret in the cloud's secret store (never the value)%s; got a %s"
                % (COMPONENT, argument, " or EntraTokenLogin()" if argument == "database_password" else "",
                   type(getattr(args, argument)).__name__))


def _validate_users(args: ModelRegistryArgs) -> None:
    seen = set()
    for index, user in enumerate(args.users):
        where = "users[%d]" % index
        if not isinstance(user, RegistryUser):
            raise ComponentInputError("%s: %s must be a RegistryUser, got %s" % (COMPONENT, where, type(user).__name__))
        if not isinstance(user.username, str) or not _USERNAME.match(user.username) or user.username == "admin":
            raise ComponentInputError(
                "%s: %s.username %r must be a lowercase name (letters, digits, _ . -) other than the admin's"
                % (COMPONENT, where, user.username))
        if user.username in seen:
            raise ComponentInputError("%s: user %r is listed twice" % (COMPONENT, user.username))
        seen.add(user.username)
        if not isinstance(user.password, RemoteRef):
            raise ComponentInputError(
                "%s: %s.password must be a RemoteRef to the secret in the cloud's secret store (never the value); got a %s"
                % (COMPONENT, where, type(user.password).__name__))
        if user.permission not in USER_PERMISSIONS:
            raise ComponentInputError("%s: %s.permission %r is not one of %s"
                                      % (COMPONENT, where, user.permission, ", ".join(USER_PERMISSIONS)))
        models = list(user.models) if not isinstance(user.models, str) else []
        if not models or any(not isinstance(model, str) or not _MODEL.match(model) for model in models):
            raise ComponentInputError(
                "%s: %s.models must name the registered models the user may use (letters, digits, _ . -; "
                "no '*': grant each model)" % (COMPONENT, where))


def validate(name: str, args: ModelRegistryArgs) -> str:
    """Every check, before anything registers; returns the namespace the registry runs in."""
    require_provider(COMPONENT, args.provider)
    require_name(COMPONENT, name)
    namespace = _namespace_name(args.namespace)
    require_image(COMPONENT, "image", args.image)
    require_binding(COMPONENT, "identity", args.identity, namespace, name)
    if not isinstance(args.artifacts_destination, pulumi.Output):
        _check_artifacts_destination(args.artifacts_destination)
    _validate_scale(args)
    _validate_database(args)
    _validate_network(args)
    _validate_secrets(args)
    _validate_users(args)
    return namespace


def service_host(name: str, namespace: str) -> str:
    return "%s.%s.svc.%s" % (name, namespace, CLUSTER_DOMAIN)


def registry_server(name: str, namespace: str, args: ModelRegistryArgs) -> MlflowServer:
    """The server the registry's pod runs: Postgres without password or host, artifacts proxied,
    the Service's DNS names (and ``allowed_hosts``) as the only accepted Host headers."""
    ca_file = "%s/%s" % (DATABASE_CA_DIR, DATABASE_CA_FILE) if args.database_ca_bundle is not None else SYSTEM_TRUST_STORE
    auth_database = args.auth_database_name or args.database_name
    host = service_host(name, namespace)
    names = (host, "%s.%s.svc" % (name, namespace), "%s.%s" % (name, namespace))
    login = args.database_password
    token = dict(database_token_scope=mlflow_server.POSTGRES_ENTRA_SCOPE,
                 credential_refresh_seconds=login.refresh_seconds) if isinstance(login, EntraTokenLogin) else {}
    return MlflowServer(
        backend_store_uri=mlflow_server.postgres_uri(args.database_user, args.database_name, ca_file),
        auth_database_uri=mlflow_server.postgres_uri(args.database_user, auth_database, ca_file),
        artifacts_destination=args.artifacts_destination,  # type: ignore[arg-type]  # an Output is placed as is
        allowed_hosts=tuple("%s:%d" % (dns, args.port) for dns in names) + tuple(args.allowed_hosts),
        pgpass_entries=tuple(PgpassEntry(database, args.database_user)
                             for database in dict.fromkeys((args.database_name, auth_database))),
        port=args.port,
        workers=args.workers,
        **token,
    )


class ModelRegistry(KubernetesComponent):
    """MLflow tracking server + model registry: internal, authenticated, secrets as files."""

    server: MlflowServer
    service_host: str
    port: int
    tracking_uri: str

    def __init__(self, name: str, args: ModelRegistryArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        namespace = validate(name, args)
        super().__init__(TYPE_TOKEN, name, args.provider, opts)
        self.server = server = registry_server(name, namespace, args)
        in_namespace = [args.namespace] if isinstance(args.namespace, ZeroTrustNamespace) else []
        selector = {"app.kubernetes.io/name": "mlflow", "app.kubernetes.io/instance": name}
        labels = {**selector, "app.kubernetes.io/component": "model-registry", "app.kubernetes.io/managed-by": "sahab"}

        def metadata(object_name: str) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=namespace, labels=labels)

        binding = args.identity
        account = k8s.core.v1.ServiceAccount(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=labels,
                                                annotations=dict(binding.service_account_annotations) or None),
            automount_service_account_token=False,
            opts=self.child_opts(depends_on=in_namespace))
        secret_name = "%s-credentials" % name
        credentials = external_secret(
            secret_name, namespace=namespace, store=args.secret_store, target=secret_name,
            data={**({} if server.database_token_scope else {mlflow_server.DATABASE_PASSWORD: args.database_password}),
                  mlflow_server.ADMIN_PASSWORD: args.admin_password,
                  mlflow_server.FLASK_SECRET_KEY: args.flask_secret_key},
            template=mlflow_server.secret_templates(server),
            opts=self.child_opts(depends_on=in_namespace))
        ca_name = "%s-database-ca" % name
        database_ca = [k8s.core.v1.ConfigMap(
            ca_name, metadata=metadata(ca_name), data={DATABASE_CA_FILE: args.database_ca_bundle},
            opts=self.child_opts(depends_on=in_namespace))] if args.database_ca_bundle is not None else []

        deployment = internal_server(
            name, metadata(name), selector=selector, pod_labels={**labels, **binding.pod_labels},
            pod_spec=self._pod_spec(args, server, selector, secret_name, ca_name), port=args.port,
            min_replicas=args.replicas, max_replicas=args.max_replicas, child_opts=self.child_opts,
            depends_on=in_namespace + [account, credentials] + database_ca, service_depends_on=in_namespace)
        self._network_policies(name, namespace, args, selector, metadata, in_namespace)
        if args.users:
            self._users_job(name, namespace, args, server, selector, labels, metadata, in_namespace + [deployment])

        self.service_host = service_host(name, namespace)
        self.port = args.port
        self.tracking_uri = "http://%s:%d" % (self.service_host, args.port)
        self.register_outputs({"service_host": self.service_host, "port": self.port, "tracking_uri": self.tracking_uri})

    def _users_job(self, name: str, namespace: str, args: ModelRegistryArgs, server: MlflowServer,
                   selector: Dict[str, str], labels: Dict[str, str], metadata: Callable[[str], k8s.meta.v1.ObjectMetaArgs],
                   depends_on: List[pulumi.Resource]) -> None:
        """The users' passwords (with the admin's) in a Secret of their own, and the Job that
        applies them once the server runs; only the Job's pods may reach the server besides clients."""
        grants = tuple(UserGrant(user.username, user.permission, tuple(user.models)) for user in args.users)
        secret_name = "%s-users" % name
        passwords = external_secret(
            secret_name, namespace=namespace, store=args.secret_store, target=secret_name,
            data={mlflow_server.ADMIN_PASSWORD: args.admin_password,
                  **{grant.password_file: user.password for grant, user in zip(grants, args.users)}},
            opts=self.child_opts(depends_on=depends_on))
        script = mlflow_server.users_script("http://%s:%d" % (service_host(name, namespace), args.port),
                                            server.admin_username, USERS_SECRETS_DIR, grants)
        job_name = "%s-users-%s" % (name, hashlib.sha256(script.encode()).hexdigest()[:8])
        job_pods = {"app.kubernetes.io/name": "mlflow-users", "app.kubernetes.io/instance": name}
        container = secure_container(
            "users", args.image.reference, USERS_JOB_RESOURCES, command=["python", "-c", script],
            env={"HOME": server.scratch_dir, "TMPDIR": server.scratch_dir, "MLFLOW_DISABLE_TELEMETRY": "true",
                 "PYTHONDONTWRITEBYTECODE": "1"},
            volume_mounts=[k8s.core.v1.VolumeMountArgs(name="passwords", mount_path=USERS_SECRETS_DIR, read_only=True),
                           k8s.core.v1.VolumeMountArgs(name="scratch", mount_path=server.scratch_dir)])
        k8s.batch.v1.Job(
            job_name,
            metadata=metadata(job_name),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=6,  # retried with back-off while the server starts or rolls
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels={**labels, **job_pods}),
                    spec=secure_pod_spec([container], restart_policy="Never", volumes=[
                        secret_volume("passwords", secret_name), scratch_volume("scratch", "64Mi")]))),
            opts=self.child_opts(depends_on=depends_on + [passwords]))
        self._policy(name, "allow-in-users-job", metadata, k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector), policy_types=["Ingress"],
            ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                from_=[k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=job_pods))],
                ports=[k8s.networking.v1.NetworkPolicyPortArgs(port=args.port, protocol="TCP")])]), depends_on)
        self._policy(name, "users-job-allow-out", metadata, k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=job_pods), policy_types=["Egress"],
            egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                to=[k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector))],
                ports=[k8s.networking.v1.NetworkPolicyPortArgs(port=args.port, protocol="TCP")])]), depends_on)

    def _policy(self, name: str, suffix: str, metadata: Callable[[str], k8s.meta.v1.ObjectMetaArgs],
                spec: k8s.networking.v1.NetworkPolicySpecArgs, depends_on: List[pulumi.Resource]) -> None:
        policy_name = "%s-%s" % (name, suffix)
        k8s.networking.v1.NetworkPolicy(policy_name, metadata=metadata(policy_name), spec=spec,
                                        opts=self.child_opts(depends_on=depends_on))

    @staticmethod
    def _pod_spec(args: ModelRegistryArgs, server: MlflowServer, selector: Dict[str, str], secret_name: str,
                  ca_name: str) -> k8s.core.v1.PodSpecArgs:
        environment: Dict[str, pulumi.Input[str]] = {
            **mlflow_server.environment(server),
            "PGHOST": args.database_host,
            "PGPORT": pulumi.Output.from_input(args.database_port).apply(str),
        }
        container = secure_container(
            "mlflow", args.image.reference, args.resources,
            command=mlflow_server.command(server),
            args=mlflow_server.args(server),
            env=environment,
            ports={SERVER_PORT_NAME: args.port},
            volume_mounts=[
                k8s.core.v1.VolumeMountArgs(name="credentials", mount_path=server.secrets_dir, read_only=True),
                *([k8s.core.v1.VolumeMountArgs(name="database-ca", mount_path=DATABASE_CA_DIR, read_only=True)] if args.database_ca_bundle is not None else []),
                k8s.core.v1.VolumeMountArgs(name="run", mount_path=server.run_dir),
                k8s.core.v1.VolumeMountArgs(name="scratch", mount_path=server.scratch_dir),
            ],
            liveness=http_probe(mlflow_server.HEALTH_PATH, SERVER_PORT_NAME, initial_delay=60, period=20),
            readiness=http_probe(mlflow_server.HEALTH_PATH, SERVER_PORT_NAME, initial_delay=5, period=10),
        )
        spec = secure_pod_spec(
            [container],
            service_account=args.identity.service_account,  # == the component's name (validated)
            volumes=[
                secret_volume("credentials", secret_name),
                *([k8s.core.v1.VolumeArgs(name="database-ca", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(
                    name=ca_name, default_mode=0o444))] if args.database_ca_bundle is not None else []),
                # The owner-only pgpass copy: memory-backed, so the password never lands on the node's disk.
                k8s.core.v1.VolumeArgs(name="run", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(
                    medium="Memory", size_limit="1Mi")),
                scratch_volume("scratch", SCRATCH_SIZE),
            ],
        )
        if args.production:
            spec.topology_spread_constraints = [
                k8s.core.v1.TopologySpreadConstraintArgs(
                    max_skew=1, topology_key=key, when_unsatisfiable=when,
                    label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                    match_label_keys=["pod-template-hash"])
                for key, when in ((ZONE_KEY, "DoNotSchedule"), (HOSTNAME_KEY, "ScheduleAnyway"))
            ]
        return spec

    def _network_policies(self, name: str, namespace: str, args: ModelRegistryArgs, selector: Dict[str, str],
                          metadata: Callable[[str], k8s.meta.v1.ObjectMetaArgs],
                          depends_on: List[pulumi.Resource]) -> None:
        pods = k8s.meta.v1.LabelSelectorArgs(match_labels=selector)

        def cidrs(blocks: Sequence[str]) -> List[k8s.networking.v1.NetworkPolicyPeerArgs]:
            return [k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=block))
                    for block in blocks]

        endpoints = args.cloud_endpoint_cidrs

        self._policy(name, "allow-in-clients", metadata, k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=pods, policy_types=["Ingress"],
            ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                from_=[k8s.networking.v1.NetworkPolicyPeerArgs(namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                    match_labels={NAMESPACE_NAME_LABEL: client})) for client in args.client_namespaces],
                ports=[k8s.networking.v1.NetworkPolicyPortArgs(port=args.port, protocol="TCP")])]), depends_on)
        self._policy(name, "allow-out", metadata, k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=pods, policy_types=["Egress"],
            egress=[
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=cidrs(args.database_cidrs),
                    ports=[k8s.networking.v1.NetworkPolicyPortArgs(port=args.database_port, protocol="TCP")]),
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=endpoints.apply(cidrs) if isinstance(endpoints, pulumi.Output) else cidrs(endpoints),
                    ports=[k8s.networking.v1.NetworkPolicyPortArgs(port=HTTPS_PORT, protocol="TCP")]),
            ]), depends_on)
