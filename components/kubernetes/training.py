"""Distributed training on Kubernetes: KubeRay, pinned, and Ray jobs built secure.

:class:`TrainingOperator` installs the KubeRay operator (chart pinned, image from the in-region
mirror) in a restricted :class:`ZeroTrustNamespace`, scoped to the *training queues* it serves:
with ``singleNamespaceInstall`` it gets Roles in those namespaces only, no ClusterRole over
every namespace's pods. Each queue is a restricted namespace of its own with a GPU quota; the
operator may reach the Ray heads' dashboard there (it submits jobs and polls them over HTTP)
and nothing else may.

:class:`TrainingJob` is one ``ray.io/v1`` ``RayJob`` in a queue, for jobs that outgrow a node:

* Workers run on the GPU pool only (its node selector, a toleration for its taint) with GPU
  requests and limits equal to ``gpus_per_worker``; a GPU job without a pool, or asking for more
  GPUs than a node has, is refused. The head stays off GPU nodes and runs no tasks.
* Every Ray container is built by :func:`~.workload.secure_container`: non-root, read-only
  root filesystem, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp,
  requests and limits. Ray writes its session directory under ``/tmp/ray``, so ``/tmp`` is a
  size-limited ``emptyDir``; ``/dev/shm`` (the object store) is a memory-backed one.
* Checkpoints go to the artifact store (``s3://`` or ``abfss://``, under a prefix), handed to the
  job as ``SAHAB_CHECKPOINT_URI`` for ``ray.train.RunConfig(storage_path=...)``; access comes
  from the pods' :class:`WorkloadIdentityBinding` (IRSA / Azure workload identity), never keys.
* The job's pods talk to each other (Ray's GCS, object transfers, NCCL) on unprivileged ports
  and to nobody else's pods; the cluster is deleted when the job ends and the job has a deadline.

Sources: ray-project/kuberay@v1.7.0 helm-chart/kuberay-operator (values, templates),
ray-operator/apis/ray/v1 (RayJob/RayCluster fields), controllers/ray/utils/validation.go (name
length, TTL rules), controllers/ray/common/pod.go (the injected init container copies the Ray
container's securityContext); apache/arrow GH-40028 (pyarrow reads ``abfss://`` URIs).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Mapping, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from ..validation import ComponentInputError, DNS_LABEL, require_labels, require_non_empty, require_whole
from .base import KubernetesComponent, require_provider
from .charts import ChartRef, helm_release
from .identity import WorkloadIdentityBinding, require_binding
from .images import Image, require_chart_image, require_image
from .namespace import (
    DEFAULT_PSA_VERSION, Allow, NamespaceQuota, Port, ZeroTrustNamespace, ZeroTrustNamespaceArgs, api_server_egress,
)
from .namespace import validate as validate_namespace
from .workload import (
    GPU_TAINT_KEY, Resources, gpu_tolerations, memory_quantity, require_taint_key, scratch_volume, secure_container,
    secure_pod_spec,
)

OPERATOR_COMPONENT = "TrainingOperator"
OPERATOR_TYPE_TOKEN = "sahab:kubernetes:TrainingOperator"
JOB_COMPONENT = "TrainingJob"
JOB_TYPE_TOKEN = "sahab:kubernetes:TrainingJob"

KUBERAY_CHART = ChartRef("https://ray-project.github.io/kuberay-helm/", "kuberay-operator", "1.7.0")
RAY_API_VERSION = "ray.io/v1"
DASHBOARD_PORT = 8265
# The chart labels the operator's pods with its name (nameOverride, set explicitly below).
OPERATOR_NAME = "kuberay-operator"
OPERATOR_POD_LABELS = {"app.kubernetes.io/name": OPERATOR_NAME}
HEAD_POD_LABELS = {"ray.io/node-type": "head"}
JOB_LABEL = "sahab.io/ray-job"
CHECKPOINT_ENV = "SAHAB_CHECKPOINT_URI"
# The rayproject/ray images run as user ``ray`` (uid 1000).
RAY_UID = 1000
# The operator image's USER (distroless ``nonroot``; kuberay@v1.7.0 ray-operator/Dockerfile).
OPERATOR_UID = 65532
# Ray and NCCL listen on ports chosen at run time, all unprivileged.
UNPRIVILEGED_PORTS = (1024, 65535)
# Cloud keys in the environment are static credentials: identity comes from the binding.
STATIC_CREDENTIAL_ENV = frozenset({
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_CLIENT_SECRET",
    "AZURE_STORAGE_KEY", "AZURE_STORAGE_ACCESS_KEY", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_SAS_TOKEN",
})
RESERVED_ENV = frozenset({CHECKPOINT_ENV, "HOME"})

_RAY_JOB_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,45}[a-z0-9])?$")  # DNS-1035, <= 47 (KubeRay's limit)
_RAY_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PREFIX = r"/[A-Za-z0-9_.=/-]*[A-Za-z0-9_.=-]"
_CHECKPOINT_URIS = (
    re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]%s$" % _PREFIX),
    re.compile(r"^abfss://[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]@[a-z0-9]{3,24}\.dfs\.core\.windows\.net%s$"
               % _PREFIX),
)


# -- the operator and its queues ------------------------------------------------------------

@dataclass(frozen=True)
class TrainingQueue:
    """A namespace Ray jobs run in: restricted, with a quota (GPUs included) and the egress its
    jobs need, e.g. the artifact store's endpoint on 443 (``Allow(cidrs=<S3 prefix list>)``)."""

    namespace: str
    quota: NamespaceQuota = field(default_factory=lambda: NamespaceQuota(cpu="64", memory="256Gi", pods=50, gpus=8))
    egress: Sequence[Allow] = ()


@dataclass(kw_only=True)
class TrainingOperatorArgs:
    """``operator_image`` is the KubeRay operator mirrored in-region (upstream
    ``quay.io/kuberay/operator:v1.7.0``); ``api_server_cidrs`` the private networks of the
    cluster's API endpoint; ``queues`` the namespaces the operator serves (and creates)."""

    provider: k8s.Provider
    operator_image: Image
    api_server_cidrs: Sequence[str]
    queues: Sequence[TrainingQueue]
    api_server_port: int = 443
    namespace: str = "kuberay-system"
    chart: ChartRef = KUBERAY_CHART
    resources: Resources = field(default_factory=lambda: Resources("100m", "512Mi", "500m", "1Gi"))
    pod_security_version: str = DEFAULT_PSA_VERSION


def _queue_namespace_args(operator: TrainingOperatorArgs, queue: TrainingQueue) -> ZeroTrustNamespaceArgs:
    return ZeroTrustNamespaceArgs(
        provider=operator.provider,
        namespace=queue.namespace,
        ingress=[Allow("kuberay-operator", ports=[DASHBOARD_PORT], pods=HEAD_POD_LABELS,
                       namespace=operator.namespace, peer_pods=OPERATOR_POD_LABELS)],
        egress=list(queue.egress),
        quota=queue.quota,
        pod_security_version=operator.pod_security_version,
    )


def _operator_namespace_args(args: TrainingOperatorArgs) -> ZeroTrustNamespaceArgs:
    dashboards = [Allow("ray-%s" % queue.namespace, ports=[DASHBOARD_PORT], pods=OPERATOR_POD_LABELS,
                        namespace=queue.namespace, peer_pods=HEAD_POD_LABELS) for queue in args.queues]
    return ZeroTrustNamespaceArgs(
        provider=args.provider,
        namespace=args.namespace,
        egress=[*api_server_egress(OPERATOR_COMPONENT, args.api_server_cidrs, args.api_server_port), *dashboards],
        quota=NamespaceQuota(cpu="4", memory="8Gi", pods=10),
        pod_security_version=args.pod_security_version,
    )


def operator_values(args: TrainingOperatorArgs) -> Dict[str, Any]:
    """KubeRay's values: mirrored image, only the queues watched (namespaced RBAC), restricted pods."""
    image = args.operator_image
    resources = args.resources
    return {
        "nameOverride": OPERATOR_NAME,
        "image": {
            "repository": "%s/%s" % (image.registry, image.repository),
            # The chart renders repository:tag, so a digest rides on the tag.
            "tag": "%s@%s" % (image.tag, image.digest) if image.digest else image.tag,
            "pullPolicy": "IfNotPresent" if image.digest else "Always",
        },
        "singleNamespaceInstall": True,
        "watchNamespace": [queue.namespace for queue in args.queues],
        "rbacEnable": True,
        "crNamespacedRbacEnable": True,
        "resources": {
            "requests": {"cpu": resources.cpu_request, "memory": resources.memory_request},
            "limits": {"cpu": resources.cpu_limit, "memory": resources.memory_limit},
        },
        # The image's own user, stated, so the pod is checked as running as a high UID (clear of the node's users).
        "podSecurityContext": {"runAsNonRoot": True, "runAsUser": OPERATOR_UID, "runAsGroup": OPERATOR_UID,
                               "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": {
            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"},
        },
    }


def _validate_operator(args: TrainingOperatorArgs) -> List[ZeroTrustNamespaceArgs]:
    component = OPERATOR_COMPONENT
    require_provider(component, args.provider)
    require_chart_image(component, "operator_image", args.operator_image)
    if not isinstance(args.chart, ChartRef):
        raise ComponentInputError("%s: chart must be a ChartRef, got %r" % (component, args.chart))
    args.chart.validate(component, "chart")
    args.resources.validate(component, "resources")
    require_non_empty(component, "queues", args.queues)
    seen = set()
    for index, queue in enumerate(args.queues):
        if not isinstance(queue, TrainingQueue):
            raise ComponentInputError("%s: queues[%d] must be a TrainingQueue, got %r" % (component, index, queue))
        if queue.namespace in seen or queue.namespace == args.namespace:
            raise ComponentInputError(
                "%s: queues[%d] namespace %r is used twice; each queue is its own namespace, apart from the operator's"
                % (component, index, queue.namespace))
        seen.add(queue.namespace)
    namespaces = [_operator_namespace_args(args)] + [_queue_namespace_args(args, queue) for queue in args.queues]
    for namespace_args in namespaces:
        validate_namespace(namespace_args.namespace or "", namespace_args)
    return namespaces


class TrainingOperator(KubernetesComponent):
    """KubeRay in a restricted namespace, watching only its training queues (created here too)."""

    namespace: str
    queues: Mapping[str, TrainingQueue]
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: TrainingOperatorArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        namespaces = _validate_operator(args)
        super().__init__(OPERATOR_TYPE_TOKEN, name, args.provider, opts)
        homes = [ZeroTrustNamespace("%s-%s" % (name, namespace_args.namespace), namespace_args,
                                    opts=pulumi.ResourceOptions(parent=self)) for namespace_args in namespaces]
        self.namespace = args.namespace
        self.queues = {queue.namespace: queue for queue in args.queues}
        # The chart writes Roles into every queue namespace, so they exist first.
        self.release = helm_release(
            name, args.chart, release_name=OPERATOR_NAME, namespace=args.namespace, values=operator_values(args),
            opts=self.child_opts(depends_on=homes))
        self.register_outputs({"namespace": args.namespace, "queues": sorted(self.queues),
                               "release": self.release.name})


# -- jobs ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GpuPool:
    """Where GPU pods may run: the pool's node labels, the taint it applies, its GPUs per node.

    For sahab's AWS ``GpuTrainingPool``: ``GpuPool({"sahab.io/pool": "gpu-training"},
    gpus_per_node=<GPUs of the smallest instance type>)`` (taint ``nvidia.com/gpu``).
    """

    node_selector: Mapping[str, str]
    gpus_per_node: int
    taint_key: str = GPU_TAINT_KEY


@dataclass(kw_only=True)
class TrainingJobArgs:
    """One Ray job on ``workers`` worker pods with ``gpus_per_worker`` GPUs each, in ``queue``
    (one of ``operator``'s queues). ``identity`` binds the pods' service account (default: the
    job's name) to the cloud role that may write ``checkpoint_uri``. ``env`` is plain
    configuration, never a secret or a cloud key."""

    operator: TrainingOperator
    queue: str
    image: Image
    ray_version: str
    entrypoint: str
    checkpoint_uri: str
    identity: WorkloadIdentityBinding
    gpu_pool: Optional[GpuPool] = None
    workers: int = 1
    gpus_per_worker: int = 1
    worker_resources: Resources = field(default_factory=lambda: Resources("4", "16Gi", "8", "32Gi"))
    head_resources: Resources = field(default_factory=lambda: Resources("1", "8Gi", "2", "16Gi"))
    service_account: Optional[str] = None
    env: Mapping[str, str] = field(default_factory=dict)
    needs_api: bool = False
    shutdown_after_job_finishes: bool = True
    ttl_seconds_after_finished: int = 600
    active_deadline_seconds: int = 86400
    backoff_limit: int = 0
    scratch_size: str = "20Gi"
    shared_memory_size: str = "8Gi"
    run_as_user: int = RAY_UID


def require_checkpoint_uri(component: str, argument: str, uri: object) -> str:
    """A prefix in the artifact store, in a form Ray's storage layer (pyarrow) opens."""
    if isinstance(uri, str) and uri.startswith("wasbs://"):
        raise ComponentInputError(
            "%s: %s %r uses wasbs://, which Ray's storage (pyarrow) cannot open; name the same container as "
            "abfss://<container>@<account>.dfs.core.windows.net/<prefix>" % (component, argument, uri))
    if not isinstance(uri, str) or not any(pattern.match(uri) for pattern in _CHECKPOINT_URIS):
        raise ComponentInputError(
            "%s: %s %r is not a prefix in the artifact store; use s3://<bucket>/<prefix> or "
            "abfss://<container>@<account>.dfs.core.windows.net/<prefix>" % (component, argument, uri))
    return uri


def _reaches_https_network(allow: Allow) -> bool:
    return (allow.cidr is not None or allow.cidrs is not None) and any(
        (port.port if isinstance(port, Port) else port) == 443 for port in allow.ports)


def _validate_job(name: str, args: TrainingJobArgs) -> TrainingQueue:
    component = JOB_COMPONENT
    if not isinstance(name, str) or not _RAY_JOB_NAME.match(name):
        raise ComponentInputError(
            "%s: name %r must be 1-47 lowercase letters, digits or dashes, starting with a letter "
            "(KubeRay's RayJob name)" % (component, name))
    if not isinstance(args.operator, TrainingOperator):
        raise ComponentInputError(
            "%s: operator must be the TrainingOperator that runs the job, got %r" % (component, args.operator))
    queue = args.operator.queues.get(args.queue)
    if queue is None:
        raise ComponentInputError("%s: queue %r is not one of the operator's queues (%s)"
                                  % (component, args.queue, ", ".join(sorted(args.operator.queues))))
    require_image(component, "image", args.image)
    if not isinstance(args.ray_version, str) or not _RAY_VERSION.match(args.ray_version):
        raise ComponentInputError(
            "%s: ray_version %r must be the image's Ray version, e.g. 2.52.0" % (component, args.ray_version))
    if not isinstance(args.entrypoint, str) or not args.entrypoint.strip():
        raise ComponentInputError(
            "%s: entrypoint must be the command that starts training, e.g. 'python train.py'" % component)
    require_checkpoint_uri(component, "checkpoint_uri", args.checkpoint_uri)
    if not any(_reaches_https_network(allow) for allow in queue.egress):
        raise ComponentInputError(
            "%s: queue %r allows no egress to the artifact store, so checkpoints could not be written; add its "
            "endpoint networks on port 443 to TrainingQueue.egress" % (component, args.queue))
    account = args.service_account
    if account is not None and not (isinstance(account, str) and DNS_LABEL.match(account)):
        raise ComponentInputError("%s: service_account %r must be a DNS label" % (component, account))
    require_binding(component, "identity", args.identity, args.queue, account or name)
    workers = require_whole(component, "workers", args.workers, 1)
    gpus = require_whole(component, "gpus_per_worker", args.gpus_per_worker, 0)
    pool = args.gpu_pool
    if gpus and pool is None:
        raise ComponentInputError(
            "%s: %d GPU(s) per worker needs a GPU pool; pass gpu_pool (its node labels, taint and GPUs per node)"
            % (component, gpus))
    if pool is not None:
        if not isinstance(pool, GpuPool):
            raise ComponentInputError("%s: gpu_pool must be a GpuPool, got %r" % (component, pool))
        if not gpus:
            raise ComponentInputError(
                "%s: gpu_pool is for GPU workers; a CPU-only job must not occupy GPU nodes" % component)
        if not pool.node_selector:
            raise ComponentInputError("%s: gpu_pool.node_selector must name the pool's node labels" % component)
        require_labels(component, pool.node_selector)
        require_taint_key(component, "gpu_pool.taint_key", pool.taint_key)
        require_whole(component, "gpu_pool.gpus_per_node", pool.gpus_per_node, 1)
        if gpus > pool.gpus_per_node:
            raise ComponentInputError(
                "%s: gpus_per_worker %d exceeds the %d GPU(s) a node of the pool has; a worker pod runs on one node"
                % (component, gpus, pool.gpus_per_node))
    if workers * gpus > queue.quota.gpus:
        raise ComponentInputError(
            "%s: %d workers x %d GPU(s) exceed queue %r's GPU quota of %d; the job could never be scheduled"
            % (component, workers, gpus, args.queue, queue.quota.gpus))
    args.head_resources.validate(component, "head_resources")
    args.worker_resources.validate(component, "worker_resources")
    for argument in ("head_resources", "worker_resources"):
        if getattr(args, argument).gpus:
            raise ComponentInputError("%s: %s.gpus is not used; set GPUs with gpus_per_worker" % (component, argument))
    for argument in ("scratch_size", "shared_memory_size"):
        size = getattr(args, argument)
        Resources("1", size, "1", size).validate(component, argument)
    for argument in ("head_resources", "worker_resources"):
        limit = getattr(args, argument).memory_limit
        if memory_quantity(args.shared_memory_size) >= memory_quantity(limit):
            raise ComponentInputError(
                "%s: shared_memory_size %s must stay below %s.memory_limit %s (it is counted in it)"
                % (component, args.shared_memory_size, argument, limit))
    for key, value in args.env.items():
        if not isinstance(key, str) or not _ENV_NAME.match(key):
            raise ComponentInputError("%s: env name %r is not a valid variable name" % (component, key))
        if key.upper() in STATIC_CREDENTIAL_ENV:
            raise ComponentInputError(
                "%s: env %s is a static cloud credential; the pods get access from identity (workload identity)"
                % (component, key))
        if key in RESERVED_ENV:
            raise ComponentInputError("%s: env %s is set by the job; remove it" % (component, key))
        if not isinstance(value, str):
            raise ComponentInputError(
                "%s: env %s must be a plain string (secrets are mounted as files)" % (component, key))
    require_whole(component, "ttl_seconds_after_finished", args.ttl_seconds_after_finished, 0)
    if args.ttl_seconds_after_finished and not args.shutdown_after_job_finishes:
        raise ComponentInputError(
            "%s: ttl_seconds_after_finished applies only with shutdown_after_job_finishes "
            "(KubeRay refuses it otherwise)" % component)
    require_whole(component, "active_deadline_seconds", args.active_deadline_seconds, 1)
    require_whole(component, "backoff_limit", args.backoff_limit, 0)
    require_whole(component, "run_as_user", args.run_as_user, 1)
    return queue


def _ray_volumes(args: TrainingJobArgs) -> List[k8s.core.v1.VolumeArgs]:
    """Ray's session directory and spill files (/tmp) and its object store and NCCL's buffers (/dev/shm)."""
    shared_memory = k8s.core.v1.VolumeArgs(name="shm", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(
        medium="Memory", size_limit=args.shared_memory_size))
    return [scratch_volume("tmp", args.scratch_size), shared_memory]


def _pod_template(name: str, container: str, resources: Resources, args: TrainingJobArgs, service_account: str,
                  gpu_pool: Optional[GpuPool]) -> k8s.core.v1.PodTemplateSpecArgs:
    env = {**dict(args.env), CHECKPOINT_ENV: args.checkpoint_uri, "HOME": "/tmp"}
    mounts = [k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
              k8s.core.v1.VolumeMountArgs(name="shm", mount_path="/dev/shm")]
    ray = secure_container(container, args.image.reference, resources, env=env, volume_mounts=mounts,
                           run_as_user=args.run_as_user)
    return k8s.core.v1.PodTemplateSpecArgs(
        metadata=k8s.meta.v1.ObjectMetaArgs(labels={**dict(args.identity.pod_labels), JOB_LABEL: name}),
        spec=secure_pod_spec(
            [ray], service_account=service_account, needs_api=args.needs_api, volumes=_ray_volumes(args),
            tolerations=gpu_tolerations(gpu_pool.taint_key) if gpu_pool is not None else (),
            node_selector=gpu_pool.node_selector if gpu_pool is not None else None,
            run_as_user=args.run_as_user),
    )


def ray_job_spec(name: str, args: TrainingJobArgs, service_account: str) -> Dict[str, Any]:
    """The RayJob's spec: one head (no tasks, off GPU nodes) and a fixed group of workers."""
    workers = args.workers
    worker_resources = replace(args.worker_resources, gpus=args.gpus_per_worker)
    return {
        "entrypoint": args.entrypoint,
        # The operator submits over HTTP: no submitter pod to run and secure.
        "submissionMode": "HTTPMode",
        "shutdownAfterJobFinishes": args.shutdown_after_job_finishes,
        "ttlSecondsAfterFinished": args.ttl_seconds_after_finished,
        "activeDeadlineSeconds": args.active_deadline_seconds,
        "backoffLimit": args.backoff_limit,
        "rayClusterSpec": {
            "rayVersion": args.ray_version,
            "enableInTreeAutoscaling": False,
            "headGroupSpec": {
                "rayStartParams": {"dashboard-host": "0.0.0.0", "num-cpus": "0"},
                "template": _pod_template(name, "ray-head", args.head_resources, args, service_account, None),
            },
            "workerGroupSpecs": [{
                "groupName": "gpu-workers" if args.gpus_per_worker else "workers",
                "replicas": workers, "minReplicas": workers, "maxReplicas": workers,
                "rayStartParams": {},
                "template": _pod_template(name, "ray-worker", worker_resources, args, service_account, args.gpu_pool),
            }],
        },
    }


class TrainingJob(KubernetesComponent):
    """A RayJob with its service account (bound to the cloud identity) and its own network policy."""

    ray_job: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: TrainingJobArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        _validate_job(name, args)
        super().__init__(JOB_TYPE_TOKEN, name, args.operator.provider, opts)
        service_account = args.service_account or name
        account = k8s.core.v1.ServiceAccount(
            "%s-sa" % name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=service_account, namespace=args.queue,
                annotations=dict(args.identity.service_account_annotations) or None),
            automount_service_account_token=False,
            opts=self.child_opts())
        job_pods = k8s.meta.v1.LabelSelectorArgs(match_labels={JOB_LABEL: name})
        low, high = UNPRIVILEGED_PORTS
        ports = [k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=low, end_port=high)]
        peers = [k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=job_pods)]
        # Only this job's pods, among themselves: the queue's default-deny covers the rest.
        peering = k8s.networking.v1.NetworkPolicy(
            "%s-peers" % name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name="ray-%s-peers" % name, namespace=args.queue),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=job_pods, policy_types=["Ingress", "Egress"],
                ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=peers, ports=ports)],
                egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=peers, ports=ports)]),
            opts=self.child_opts())
        self.ray_job = k8s.apiextensions.CustomResource(
            name,
            api_version=RAY_API_VERSION,
            kind="RayJob",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=args.queue, labels={JOB_LABEL: name}),
            spec=ray_job_spec(name, args, service_account),
            opts=self.child_opts(depends_on=[account, peering, args.operator]))
        self.register_outputs({"namespace": args.queue, "service_account": service_account})
