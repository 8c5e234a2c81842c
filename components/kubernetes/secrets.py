"""Secrets reach pods through the External Secrets Operator, never through the stack's inputs.

The values stay in the cloud's secret store (AWS Secrets Manager, CMK-encrypted; Azure Key
Vault later). A namespaced ``SecretStore`` authenticates as one ServiceAccount whose cloud
identity may read exactly the secrets that namespace needs, and ``ExternalSecret`` objects copy
them into Kubernetes Secrets (optionally templated into files, e.g. a ``.pgpass``), which pods
mount as read-only files. Nothing secret is in the program, the plan or the Pulumi state.

The operator (:class:`~.secret_sync.SecretSync`) is installed without the cluster-wide right to
mint tokens for any ServiceAccount (``rbac.serviceAccountTokenCreate: false``): with it, the
operator could borrow every workload's cloud identity. Instead :func:`secret_store` grants it
``create`` on ``serviceaccounts/token`` of exactly the store's ServiceAccount, in its namespace.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

import pulumi
import pulumi_kubernetes as k8s

from .identity import WorkloadIdentityBinding

ESO_API_VERSION = "external-secrets.io/v1"
DEFAULT_REFRESH = "1h"


@dataclass(frozen=True)
class ServiceAccountRef:
    """A ServiceAccount by namespace and name."""

    namespace: str
    name: str


# Where SecretSync installs the operator's controller (its namespace and ServiceAccount name).
ESO_CONTROLLER = ServiceAccountRef("external-secrets", "external-secrets")


@dataclass(frozen=True)
class SecretStoreBinding:
    """What the cloud side hands the cluster: the store's ``spec.provider`` and the identity it uses."""

    provider: Mapping[str, Any]
    identity: WorkloadIdentityBinding


@dataclass(frozen=True)
class RemoteRef:
    """One value in the cloud's secret store: ``key`` (name or ARN), optionally one JSON ``property``."""

    key: pulumi.Input[str]
    property: Optional[str] = None


def secret_store(resource_name: str, name: str, binding: SecretStoreBinding,
                 opts: pulumi.ResourceOptions, *,
                 controller: ServiceAccountRef = ESO_CONTROLLER) -> k8s.apiextensions.CustomResource:
    """The ServiceAccount the store authenticates as (bound to its cloud identity), the right of
    the operator's ``controller`` to mint that one account's tokens, and the store."""
    identity = binding.identity
    account = k8s.core.v1.ServiceAccount(
        "%s-sa" % resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=identity.service_account, namespace=identity.namespace,
            annotations=dict(identity.service_account_annotations) or None),
        automount_service_account_token=False,
        opts=opts)
    token_access = "%s-token" % name
    role = k8s.rbac.v1.Role(
        "%s-token" % resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=token_access, namespace=identity.namespace),
        rules=[k8s.rbac.v1.PolicyRuleArgs(
            api_groups=[""], resources=["serviceaccounts/token"], verbs=["create"],
            resource_names=[identity.service_account])],
        opts=opts)
    role_binding = k8s.rbac.v1.RoleBinding(
        "%s-token" % resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=token_access, namespace=identity.namespace),
        role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=token_access),
        subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=controller.name, namespace=controller.namespace)],
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[role])))
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=ESO_API_VERSION,
        kind="SecretStore",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=identity.namespace),
        spec={"provider": dict(binding.provider)},
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[account, role_binding])))


def external_secret(resource_name: str, *, namespace: str, store: str, target: str,
                    data: Mapping[str, RemoteRef], template: Optional[Mapping[str, str]] = None,
                    refresh: str = DEFAULT_REFRESH, opts: pulumi.ResourceOptions) -> k8s.apiextensions.CustomResource:
    """A Kubernetes Secret ``target`` filled from the store; ``template`` renders its keys
    (ESO template engine v2, e.g. ``{"pgpass": "host:5432:db:{{ .username }}:{{ .password }}"}``)."""
    spec_target: dict = {"name": target, "creationPolicy": "Owner", "deletionPolicy": "Retain"}
    if template:
        spec_target["template"] = {"engineVersion": "v2", "type": "Opaque", "data": dict(template)}
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=ESO_API_VERSION,
        kind="ExternalSecret",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=target, namespace=namespace),
        spec={
            "refreshInterval": refresh,
            "secretStoreRef": {"name": store, "kind": "SecretStore"},
            "target": spec_target,
            "data": [
                {"secretKey": key, "remoteRef": {"key": ref.key, **({"property": ref.property} if ref.property else {})}}
                for key, ref in sorted(data.items())
            ],
        },
        opts=opts)
