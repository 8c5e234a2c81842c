"""A namespace that trusts nothing by default: the home of every workload sahab writes.

* Pod Security Admission ``restricted``, enforced, audited and warned, at a pinned version (a
  cluster upgrade does not silently change what "restricted" means). A namespace that cannot
  run restricted (the GPU operator's privileged driver DaemonSets) states why in a
  :class:`PodSecurityException`: enforcement is lowered, audit and warn stay ``restricted`` so
  every relaxed pod is still logged, and the reason is written on the namespace, where the gate
  reports it (SAHAB-WKL-004) rather than letting it pass silently.
* NetworkPolicies deny all ingress *and* egress; every flow is an explicit :class:`Allow`
  (DNS to kube-system is the one default, and can be turned off).
* A ResourceQuota (GPUs included: a namespace given no GPUs cannot request any) and a
  LimitRange, so no pod runs unbounded.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import pulumi
import pulumi_kubernetes as k8s

from ..validation import ComponentInputError, DNS_LABEL, require_cidrs, require_labels, require_non_empty, require_port
from .base import KubernetesComponent, require_provider
from .workload import GPU_RESOURCE, Resources

COMPONENT = "ZeroTrustNamespace"
TYPE_TOKEN = "sahab:kubernetes:ZeroTrustNamespace"
PSA_PREFIX = "pod-security.kubernetes.io/"
EXCEPTION_ANNOTATION = "sahab.io/pod-security-exception"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
DEFAULT_PSA_VERSION = "v1.33"
PSA_LEVELS = ("privileged", "baseline", "restricted")

_PSA_VERSION = re.compile(r"^v1\.\d{2}$")


@dataclass(frozen=True)
class Port:
    port: int
    protocol: str = "TCP"


@dataclass(frozen=True)
class Allow:
    """One permitted flow. ``pods`` picks this namespace's pods (empty: all of them); the peer
    is pods (``peer_pods``) in ``namespace`` (None: this namespace), or networks: one ``cidr``, or
    ``cidrs`` known only at deploy time (e.g. the entries of the S3 managed prefix list), never
    the whole internet. ``ports`` are required: zero trust names them."""

    name: str
    ports: Sequence[Union[int, Port]]
    pods: Mapping[str, str] = field(default_factory=dict)
    namespace: Optional[str] = None
    peer_pods: Mapping[str, str] = field(default_factory=dict)
    cidr: Optional[str] = None
    cidrs: Optional[pulumi.Output] = None


@dataclass(frozen=True)
class PodSecurityException:
    """Why this namespace cannot enforce ``restricted``; the reason is published to the gate."""

    level: str
    reason: str


@dataclass(frozen=True)
class NamespaceQuota:
    cpu: str = "16"
    memory: str = "64Gi"
    pods: int = 50
    gpus: int = 0


@dataclass(kw_only=True)
class ZeroTrustNamespaceArgs:
    provider: k8s.Provider
    namespace: Optional[str] = None
    ingress: Sequence[Allow] = ()
    egress: Sequence[Allow] = ()
    allow_dns: bool = True
    quota: NamespaceQuota = field(default_factory=NamespaceQuota)
    container_defaults: Resources = field(default_factory=lambda: Resources("100m", "128Mi", "500m", "512Mi"))
    pod_security: Optional[PodSecurityException] = None
    pod_security_version: str = DEFAULT_PSA_VERSION
    labels: Mapping[str, str] = field(default_factory=dict)


def api_server_egress(component: str, cidrs: Sequence[str], port: int) -> List[Allow]:
    """The flows an operator needs to the cluster's API server: its private networks, one port.

    On EKS the endpoint's network interfaces live in the cluster's subnets, so the networks are
    private by construction; a public range here would be a misconfiguration, not a need.
    """
    require_non_empty(component, "api_server_cidrs", cidrs)
    require_cidrs(component, "api_server_cidrs", list(cidrs), private_only=True)
    require_port(component, "api_server_port", port)
    return [Allow("api-server-%d" % index, ports=[Port(port)], cidr=cidr) for index, cidr in enumerate(cidrs)]


def _ports(where: str, ports: Sequence[Union[int, Port]]) -> List[Port]:
    if not ports:
        raise ComponentInputError("%s: %s.ports must name at least one port (zero trust allows no any-port flow)" % (COMPONENT, where))
    checked = []
    for port in ports:
        port = port if isinstance(port, Port) else Port(port)
        if not isinstance(port.port, int) or not 1 <= port.port <= 65535 or port.protocol not in ("TCP", "UDP", "SCTP"):
            raise ComponentInputError("%s: %s has an invalid port %r (1-65535, TCP|UDP|SCTP)" % (COMPONENT, where, port))
        checked.append(port)
    return checked


def _validate_allow(direction: str, index: int, allow: Allow, seen: set) -> None:
    where = "%s[%d]" % (direction, index)
    if not isinstance(allow, Allow):
        raise ComponentInputError("%s: %s must be an Allow, got %r" % (COMPONENT, where, allow))
    if not DNS_LABEL.match(allow.name or "") or allow.name in seen:
        raise ComponentInputError("%s: %s.name %r must be a unique DNS label" % (COMPONENT, where, allow.name))
    seen.add(allow.name)
    _ports(where, allow.ports)
    require_labels(COMPONENT, allow.pods)
    require_labels(COMPONENT, allow.peer_pods)
    if allow.cidrs is not None:
        if allow.cidr is not None or allow.namespace is not None or allow.peer_pods:
            raise ComponentInputError("%s: %s names cidrs and another peer; use one peer per Allow" % (COMPONENT, where))
        if not isinstance(allow.cidrs, pulumi.Output):
            raise ComponentInputError(
                "%s: %s.cidrs is for networks known only at deploy time (an Output); give a literal network as cidr"
                % (COMPONENT, where))
    elif allow.cidr is not None:
        if allow.namespace is not None or allow.peer_pods:
            raise ComponentInputError("%s: %s names both a cidr and pods; use one peer per Allow" % (COMPONENT, where))
        try:
            network = ipaddress.ip_network(allow.cidr, strict=True)
        except (TypeError, ValueError):
            raise ComponentInputError("%s: %s.cidr %r is not a valid CIDR block" % (COMPONENT, where, allow.cidr)) from None
        if network.prefixlen < 8:
            raise ComponentInputError(
                "%s: %s.cidr %s is too wide (a /%d); name the endpoint networks the workload needs"
                % (COMPONENT, where, allow.cidr, network.prefixlen))
    elif allow.namespace is not None and not DNS_LABEL.match(allow.namespace):
        raise ComponentInputError("%s: %s.namespace %r is not a namespace name" % (COMPONENT, where, allow.namespace))


def validate(name: str, args: ZeroTrustNamespaceArgs) -> str:
    """Every check, before anything registers; returns the namespace name."""
    require_provider(COMPONENT, args.provider)
    namespace = args.namespace if args.namespace is not None else name
    if not isinstance(namespace, str) or not DNS_LABEL.match(namespace):
        raise ComponentInputError("%s: namespace %r must be a DNS label (lowercase letters, digits, dashes)" % (COMPONENT, namespace))
    seen: set = set()
    for direction in ("ingress", "egress"):
        for index, allow in enumerate(getattr(args, direction)):
            _validate_allow(direction, index, allow, seen)
    if not _PSA_VERSION.match(args.pod_security_version or ""):
        raise ComponentInputError(
            "%s: pod_security_version %r must pin a Kubernetes minor version such as %r"
            % (COMPONENT, args.pod_security_version, DEFAULT_PSA_VERSION))
    exception = args.pod_security
    if exception is not None:
        if exception.level not in ("privileged", "baseline"):
            raise ComponentInputError(
                "%s: pod_security.level %r must be privileged or baseline (restricted needs no exception)"
                % (COMPONENT, exception.level))
        if not isinstance(exception.reason, str) or len(exception.reason.strip()) < 10:
            raise ComponentInputError(
                "%s: pod_security.reason must say why the namespace cannot run restricted pods" % COMPONENT)
    quota = args.quota
    for key in ("pods", "gpus"):
        value = getattr(quota, key)
        if not isinstance(value, int) or isinstance(value, bool) or value < (1 if key == "pods" else 0):
            raise ComponentInputError("%s: quota.%s must be a whole number (pods >= 1, gpus >= 0), got %r" % (COMPONENT, key, value))
    Resources(quota.cpu, quota.memory, quota.cpu, quota.memory).validate(COMPONENT, "quota")
    args.container_defaults.validate(COMPONENT, "container_defaults")
    require_labels(COMPONENT, args.labels, reserved={})
    if any(key.startswith(PSA_PREFIX) for key in args.labels):
        raise ComponentInputError("%s: labels must not set %s*; use pod_security" % (COMPONENT, PSA_PREFIX))
    return namespace


def _network(cidr: str) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    return k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr))


def _peers(allow: Allow) -> "pulumi.Input[List[k8s.networking.v1.NetworkPolicyPeerArgs]]":
    if allow.cidrs is not None:
        return allow.cidrs.apply(lambda cidrs: [_network(cidr) for cidr in cidrs])
    if allow.cidr is not None:
        return [_network(allow.cidr)]
    namespace_selector = None
    if allow.namespace is not None:
        namespace_selector = k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_NAME_LABEL: allow.namespace})
    return [k8s.networking.v1.NetworkPolicyPeerArgs(
        namespace_selector=namespace_selector,
        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(allow.peer_pods)),
    )]


def _policy_ports(allow: Allow) -> List[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [k8s.networking.v1.NetworkPolicyPortArgs(port=p.port, protocol=p.protocol) for p in _ports(allow.name, allow.ports)]


DNS_ALLOW = Allow(name="dns", namespace="kube-system", peer_pods={"k8s-app": "kube-dns"},
                  ports=[Port(53, "UDP"), Port(53, "TCP")])


class ZeroTrustNamespace(KubernetesComponent):
    """Namespace + default-deny policies + explicit allows + quota and limits."""

    def __init__(self, name: str, args: ZeroTrustNamespaceArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        namespace = validate(name, args)
        super().__init__(TYPE_TOKEN, name, args.provider, opts)
        exception = args.pod_security
        enforce = exception.level if exception is not None else "restricted"
        labels: Dict[str, str] = dict(args.labels)
        for mode, level in (("enforce", enforce), ("audit", "restricted"), ("warn", "restricted")):
            labels[PSA_PREFIX + mode] = level
            labels[PSA_PREFIX + mode + "-version"] = args.pod_security_version
        annotations = {EXCEPTION_ANNOTATION: exception.reason} if exception is not None else None
        self.namespace = k8s.core.v1.Namespace(
            name, metadata=k8s.meta.v1.ObjectMetaArgs(name=namespace, labels=labels, annotations=annotations),
            opts=self.child_opts())
        self.name = namespace
        in_namespace = self.child_opts(depends_on=[self.namespace])
        self._policy("%s-default-deny" % name, "default-deny", {}, {"policy_types": ["Ingress", "Egress"]}, in_namespace)
        egress = ([DNS_ALLOW] if args.allow_dns else []) + list(args.egress)
        for allow in args.ingress:
            self._policy("%s-allow-in-%s" % (name, allow.name), "allow-in-%s" % allow.name, allow.pods, {
                "policy_types": ["Ingress"],
                "ingress": [k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=_peers(allow), ports=_policy_ports(allow))],
            }, in_namespace)
        for allow in egress:
            self._policy("%s-allow-out-%s" % (name, allow.name), "allow-out-%s" % allow.name, allow.pods, {
                "policy_types": ["Egress"],
                "egress": [k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=_peers(allow), ports=_policy_ports(allow))],
            }, in_namespace)
        quota = args.quota
        k8s.core.v1.ResourceQuota(
            "%s-quota" % name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name="quota", namespace=namespace),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(hard={
                "pods": str(quota.pods),
                "requests.cpu": quota.cpu, "limits.cpu": quota.cpu,
                "requests.memory": quota.memory, "limits.memory": quota.memory,
                "requests." + GPU_RESOURCE: str(quota.gpus),
            }),
            opts=in_namespace)
        defaults = args.container_defaults
        k8s.core.v1.LimitRange(
            "%s-limits" % name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name="container-defaults", namespace=namespace),
            spec=k8s.core.v1.LimitRangeSpecArgs(limits=[k8s.core.v1.LimitRangeItemArgs(
                type="Container",
                default={"cpu": defaults.cpu_limit, "memory": defaults.memory_limit},
                default_request={"cpu": defaults.cpu_request, "memory": defaults.memory_request},
            )]),
            opts=in_namespace)
        self.register_outputs({"namespace": namespace})

    def _policy(self, resource_name: str, policy_name: str, pods: Mapping[str, str], spec: Mapping[str, Any],
                opts: pulumi.ResourceOptions) -> None:
        k8s.networking.v1.NetworkPolicy(
            resource_name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=policy_name, namespace=self.name),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(pods)), **spec),
            opts=opts)
