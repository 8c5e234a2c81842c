"""Secure pods, built one way for every workload sahab writes.

Every container: non-root, no privilege escalation, read-only root filesystem, all
capabilities dropped, RuntimeDefault seccomp, requests and limits, probes where it serves.
Every pod: no service-account token unless the workload calls the Kubernetes API. What a
workload needs to write goes to an ``emptyDir`` (size-limited), never to the image's filesystem.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Dict, List, Mapping, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from ..validation import ComponentInputError, is_whole, require_labels

GPU_RESOURCE = "nvidia.com/gpu"
GPU_TAINT_KEY = "nvidia.com/gpu"
# Internal servers scale out above this average CPU use of their requests.
SERVER_CPU_TARGET_UTILIZATION = 70
# The named container port an internal server listens on (Service target, probes).
SERVER_PORT_NAME = "http"
# A UID/GID outside the range images usually create users in, so it never maps to a host user.
DEFAULT_RUN_AS_USER = 10001

_CPU = re.compile(r"^(\d+(\.\d+)?|\d+m)$")
_MEMORY = re.compile(r"^\d+(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_MEMORY_UNITS = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
                 "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def cpu_quantity(value: str) -> Decimal:
    return Decimal(value[:-1]) / 1000 if value.endswith("m") else Decimal(value)


def memory_quantity(value: str) -> int:
    match = re.match(r"^(\d+)(\D*)$", value)
    assert match is not None
    return int(match.group(1)) * _MEMORY_UNITS[match.group(2)]


@dataclass(frozen=True)
class Resources:
    """Requests and limits of one container; ``gpus`` sets the GPU request and limit (equal)."""

    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str
    gpus: int = 0

    def validate(self, component: str, argument: str) -> "Resources":
        for key in ("cpu_request", "cpu_limit"):
            value = getattr(self, key)
            if not isinstance(value, str) or not _CPU.match(value) or cpu_quantity(value) <= 0:
                raise ComponentInputError("%s: %s.%s %r is not a CPU quantity such as 500m or 2" % (component, argument, key, value))
        for key in ("memory_request", "memory_limit"):
            value = getattr(self, key)
            if not isinstance(value, str) or not _MEMORY.match(value) or memory_quantity(value) <= 0:
                raise ComponentInputError("%s: %s.%s %r is not a memory quantity such as 512Mi" % (component, argument, key, value))
        if cpu_quantity(self.cpu_request) > cpu_quantity(self.cpu_limit):
            raise ComponentInputError("%s: %s.cpu_request %s exceeds cpu_limit %s" % (component, argument, self.cpu_request, self.cpu_limit))
        if memory_quantity(self.memory_request) > memory_quantity(self.memory_limit):
            raise ComponentInputError(
                "%s: %s.memory_request %s exceeds memory_limit %s" % (component, argument, self.memory_request, self.memory_limit))
        if not isinstance(self.gpus, int) or isinstance(self.gpus, bool) or self.gpus < 0:
            raise ComponentInputError("%s: %s.gpus must be a whole number >= 0, got %r" % (component, argument, self.gpus))
        return self

    def args(self) -> k8s.core.v1.ResourceRequirementsArgs:
        values = self.values()
        return k8s.core.v1.ResourceRequirementsArgs(requests=values["requests"], limits=values["limits"])

    def values(self) -> Dict[str, Dict[str, str]]:
        """The same requests and limits as plain values, for a chart or a pod template sahab renders."""
        requests: Dict[str, str] = {"cpu": self.cpu_request, "memory": self.memory_request}
        limits: Dict[str, str] = {"cpu": self.cpu_limit, "memory": self.memory_limit}
        if self.gpus:
            requests[GPU_RESOURCE] = limits[GPU_RESOURCE] = str(self.gpus)
        return {"requests": requests, "limits": limits}


def container_security_context(run_as_user: int = DEFAULT_RUN_AS_USER) -> k8s.core.v1.SecurityContextArgs:
    return k8s.core.v1.SecurityContextArgs(
        run_as_non_root=True,
        run_as_user=run_as_user,
        run_as_group=run_as_user,
        allow_privilege_escalation=False,
        privileged=False,
        read_only_root_filesystem=True,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def http_probe(path: str, port: str, *, initial_delay: int = 10, period: int = 10,
               failure_threshold: int = 3) -> k8s.core.v1.ProbeArgs:
    return k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path=path, port=port),
        initial_delay_seconds=initial_delay, period_seconds=period, timeout_seconds=5,
        failure_threshold=failure_threshold,
    )


def tcp_probe(port: str, *, initial_delay: int = 10, period: int = 10) -> k8s.core.v1.ProbeArgs:
    return k8s.core.v1.ProbeArgs(
        tcp_socket=k8s.core.v1.TCPSocketActionArgs(port=port),
        initial_delay_seconds=initial_delay, period_seconds=period, timeout_seconds=5,
    )


def secure_container(name: str, image: str, resources: Resources, *,
                     args: Sequence[pulumi.Input[str]] = (), command: Sequence[str] = (),
                     env: Mapping[str, pulumi.Input[str]] = {}, ports: Mapping[str, int] = {},
                     volume_mounts: Sequence[k8s.core.v1.VolumeMountArgs] = (),
                     liveness: Optional[k8s.core.v1.ProbeArgs] = None,
                     readiness: Optional[k8s.core.v1.ProbeArgs] = None,
                     run_as_user: int = DEFAULT_RUN_AS_USER) -> k8s.core.v1.ContainerArgs:
    """A container with the secure defaults; environment values are plain (never secrets:
    secrets are mounted as files, see :func:`secret_volume`)."""
    return k8s.core.v1.ContainerArgs(
        name=name,
        image=image,
        image_pull_policy="IfNotPresent" if "@sha256:" in image else "Always",
        command=list(command) or None,
        args=list(args) or None,
        env=[k8s.core.v1.EnvVarArgs(name=key, value=value) for key, value in sorted(env.items())] or None,
        ports=[k8s.core.v1.ContainerPortArgs(name=port_name, container_port=number, protocol="TCP")
               for port_name, number in sorted(ports.items())] or None,
        resources=resources.args(),
        security_context=container_security_context(run_as_user),
        volume_mounts=list(volume_mounts) or None,
        liveness_probe=liveness,
        readiness_probe=readiness,
    )


def scratch_volume(name: str, size_limit: str = "1Gi") -> k8s.core.v1.VolumeArgs:
    """A writable, size-limited scratch folder (the root filesystem is read-only)."""
    return k8s.core.v1.VolumeArgs(name=name, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=size_limit))


def secret_volume(name: str, secret_name: pulumi.Input[str]) -> k8s.core.v1.VolumeArgs:
    """A Secret mounted as read-only files (mode 0400), never as environment variables."""
    return k8s.core.v1.VolumeArgs(
        name=name, secret=k8s.core.v1.SecretVolumeSourceArgs(secret_name=secret_name, default_mode=0o400))


def require_server_scale(component: str, *, replicas: object, max_replicas: object, production: bool,
                         workers: object, port: object) -> None:
    """An internal HTTP server's size: >= 2 replicas in production, an autoscaler ceiling above
    them, a sane worker count, and an unprivileged port."""
    if not is_whole(replicas) or replicas < 1:  # type: ignore[operator]
        raise ComponentInputError("%s: replicas must be a whole number >= 1, got %r" % (component, replicas))
    if production and replicas < 2:  # type: ignore[operator]
        raise ComponentInputError(
            "%s: replicas must be >= 2 in production (one pod is a single point of failure at every "
            "deploy and node drain), got %d; pass production=False for a single replica" % (component, replicas))
    if not is_whole(max_replicas) or max_replicas < replicas:  # type: ignore[operator]
        raise ComponentInputError(
            "%s: max_replicas (%r) must be a whole number >= replicas (%d)" % (component, max_replicas, replicas))
    if not is_whole(workers) or not 1 <= workers <= 16:  # type: ignore[operator]
        raise ComponentInputError("%s: workers must be between 1 and 16, got %r" % (component, workers))
    if not is_whole(port) or not 1024 <= port <= 65535:  # type: ignore[operator]
        raise ComponentInputError(
            "%s: port must be between 1024 and 65535 (the server runs without privileges), got %r" % (component, port))


def require_taint_key(component: str, argument: str, key: str) -> str:
    """A taint key has label-key syntax (``nvidia.com/gpu``)."""
    try:
        require_labels(component, {key: ""})
    except (ComponentInputError, AttributeError):
        raise ComponentInputError(
            "%s: %s %r is not a taint key (label-key syntax, e.g. %s)" % (component, argument, key, GPU_TAINT_KEY)
        ) from None
    return key


def gpu_tolerations(taint_key: str = GPU_TAINT_KEY) -> List[k8s.core.v1.TolerationArgs]:
    """Tolerate the GPU pools' NoSchedule taint (sahab's GPU pools taint ``nvidia.com/gpu``)."""
    return [k8s.core.v1.TolerationArgs(key=taint_key, operator="Exists", effect="NoSchedule")]


def secure_pod_spec(containers: Sequence[k8s.core.v1.ContainerArgs], *, service_account: Optional[pulumi.Input[str]] = None,
                    needs_api: bool = False,
                    volumes: Sequence[k8s.core.v1.VolumeArgs] = (),
                    tolerations: Sequence[k8s.core.v1.TolerationArgs] = (),
                    node_selector: Optional[Mapping[str, str]] = None,
                    run_as_user: int = DEFAULT_RUN_AS_USER,
                    restart_policy: Optional[str] = None) -> k8s.core.v1.PodSpecArgs:
    """A pod spec with the secure defaults.

    The service-account token is mounted only when the pod calls the Kubernetes API
    (``needs_api``). Cloud identity does not need it: the IRSA and Azure workload-identity
    webhooks project their own audience-bound token into the pod.
    """
    return k8s.core.v1.PodSpecArgs(
        containers=list(containers),
        service_account_name=service_account,
        automount_service_account_token=needs_api,
        enable_service_links=False,
        security_context=k8s.core.v1.PodSecurityContextArgs(
            run_as_non_root=True, run_as_user=run_as_user, run_as_group=run_as_user, fs_group=run_as_user,
            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
        ),
        volumes=list(volumes) or None,
        tolerations=list(tolerations) or None,
        node_selector=dict(node_selector) if node_selector else None,
        restart_policy=restart_policy,
    )


def internal_server(resource_name: str, metadata: k8s.meta.v1.ObjectMetaArgs, *, selector: Mapping[str, str],
                    pod_labels: Mapping[str, str], pod_spec: k8s.core.v1.PodSpecArgs, port: int, min_replicas: int,
                    max_replicas: int, child_opts: Callable[..., pulumi.ResourceOptions],
                    depends_on: Sequence[pulumi.Resource], service_depends_on: Sequence[pulumi.Resource]
                    ) -> k8s.apps.v1.Deployment:
    """An HTTP server sahab writes itself: a Deployment that rolls without losing capacity, an
    internal ClusterIP Service on its ``http`` port, and the autoscaler and disruption budget."""
    deployment = k8s.apps.v1.Deployment(
        resource_name,
        metadata=metadata,
        spec=k8s.apps.v1.DeploymentSpecArgs(
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(selector)),
            strategy=k8s.apps.v1.DeploymentStrategyArgs(
                type="RollingUpdate",
                rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(max_surge=1, max_unavailable=0)),
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=dict(pod_labels)), spec=pod_spec)),
        opts=child_opts(depends_on=list(depends_on)))
    k8s.core.v1.Service(
        resource_name,
        metadata=metadata,
        spec=k8s.core.v1.ServiceSpecArgs(
            type="ClusterIP", selector=dict(selector),
            ports=[k8s.core.v1.ServicePortArgs(name=SERVER_PORT_NAME, port=port, target_port=SERVER_PORT_NAME, protocol="TCP")]),
        opts=child_opts(depends_on=list(service_depends_on)))
    autoscale_and_protect(
        resource_name, metadata, target_api_version="apps/v1", target_kind="Deployment", target_name=resource_name,
        selector=selector, min_replicas=min_replicas, max_replicas=max_replicas,
        cpu_utilization=SERVER_CPU_TARGET_UTILIZATION, opts=child_opts(depends_on=[deployment]))
    return deployment


def autoscale_and_protect(resource_name: str, metadata: k8s.meta.v1.ObjectMetaArgs, *, target_api_version: str,
                          target_kind: str, target_name: str, selector: Mapping[str, str], min_replicas: int,
                          max_replicas: int, cpu_utilization: int, opts: pulumi.ResourceOptions) -> None:
    """A CPU autoscaler that owns the workload's replica count (the workload sets none, so a
    re-deploy never resets the scale) and a PodDisruptionBudget that keeps all but one pod through
    node drains."""
    k8s.autoscaling.v2.HorizontalPodAutoscaler(
        "%s-hpa" % resource_name,
        metadata=metadata,
        spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
            scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                api_version=target_api_version, kind=target_kind, name=target_name),
            min_replicas=min_replicas,
            max_replicas=max_replicas,
            metrics=[k8s.autoscaling.v2.MetricSpecArgs(
                type="Resource",
                resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
                    name="cpu",
                    target=k8s.autoscaling.v2.MetricTargetArgs(type="Utilization", average_utilization=cpu_utilization)))]),
        opts=opts)
    k8s.policy.v1.PodDisruptionBudget(
        "%s-pdb" % resource_name,
        metadata=metadata,
        spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
            max_unavailable=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(selector))),
        opts=opts)
