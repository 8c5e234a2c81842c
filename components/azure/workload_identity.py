"""A managed identity for exactly one Kubernetes service account (Azure workload identity).

Why: a pod that needs Azure (MLflow writing artifacts, an operator reading a secret) must not get
node credentials or a client secret. AKS's OIDC issuer signs a token for the pod's service
account; the identity's federated credential trusts that token only when its issuer is the
cluster's, its ``sub`` is ``system:serviceaccount:<namespace>:<service account>`` and its audience
is ``api://AzureADTokenExchange``. Permissions come only from typed :class:`RoleGrant` entries
(built-in roles on one resource each; a blob role on a container may be limited to a path
prefix, and ``ArtifactStore.prefix_grant`` gives one with a data-only custom role). The Kubernetes side receives :attr:`WorkloadIdentity.binding`, a plain
:class:`~sahab.components.kubernetes.identity.WorkloadIdentityBinding` (client-id annotation and
the ``azure.workload.identity/use`` pod label), so the Kubernetes components run unchanged.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Sequence

import pulumi
import pulumi_azure_native as azure_native

from ..kubernetes.identity import WorkloadIdentityBinding
from ..validation import DNS_LABEL, ComponentInputError, require_name
from .arguments import DEFAULT_LOCATION
from .base import AzureComponent
from .provider import UaeAzureProvider, UaeResourceGroup, resolve_placement
from .roles import Role, assign_role, require_path_prefix, require_role, require_scope

COMPONENT = "WorkloadIdentity"
TYPE_TOKEN = "sahab:azure:WorkloadIdentity"
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
_IDENTITY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")  # Microsoft.ManagedIdentity naming rules


@dataclass(frozen=True)
class RoleGrant:
    """One built-in role (see :data:`.roles.BUILT_IN_ROLES`) on one resource or resource group.

    ``path_prefix`` (Storage Blob Data Reader/Contributor on a container ID only) limits every data
    action of the role to blobs under that prefix, like AWS's ``BucketPrefixAccess``. Prefer
    ``store.prefix_grant("models", "inference-inputs/churn/", read_only=False)``: the same condition
    on the store's custom role (a :class:`.roles.BlobPrefixRole`, always with a prefix), which
    has the blob data actions without the built-in role's container management actions.
    """

    role: Role
    scope: pulumi.Input[str]
    path_prefix: Optional[str] = None


@dataclass(kw_only=True)
class WorkloadIdentityArgs:
    """The service account, the cluster's issuer (``Cluster.oidc_issuer_url``) and at least one grant."""

    namespace: str
    service_account: str
    oidc_issuer_url: pulumi.Input[str]
    grants: Sequence[RoleGrant]
    description: str = ""
    # The identity's Azure name; by default Pulumi's (the resource name and a random suffix). Set it
    # when the name is a login elsewhere, e.g. the PostgreSQL role of RegistryDatabase.add_entra_login.
    identity_name: Optional[str] = None
    tags: Mapping[str, str] = field(default_factory=dict)
    location: str = DEFAULT_LOCATION
    provider: Optional[UaeAzureProvider] = None
    resource_group: Optional[UaeResourceGroup] = None


def require_grants(component: str, where: str, grants: Sequence[RoleGrant], *, required: bool) -> None:
    if required and not grants:
        raise ComponentInputError("%s: %sgrants must not be empty (an identity with no role is of no use)" % (component, where))
    for index, grant in enumerate(grants):
        argument = "%sgrants[%d]" % (where, index)
        if not isinstance(grant, RoleGrant):
            raise ComponentInputError("%s: %s must be a RoleGrant(role, scope), got %r" % (component, argument, grant))
        require_role(component, argument + ".role", grant.role)
        require_scope(component, argument + ".scope", grant.scope)
        require_path_prefix(component, argument, grant.role, grant.scope, grant.path_prefix)


def grant_roles(owner: AzureComponent, prefix: str, principal_id: pulumi.Input[str],
                grants: Sequence[RoleGrant]) -> List[azure_native.authorization.RoleAssignment]:
    return [assign_role("%s-%d" % (prefix, index), principal_id=principal_id, role=grant.role, scope=grant.scope,
                        path_prefix=grant.path_prefix, opts=owner.child_opts()) for index, grant in enumerate(grants)]


def require_service_account(component: str, namespace: object, service_account: object) -> None:
    """The namespace and account the identity is federated with are Kubernetes names."""
    for argument, value in (("namespace", namespace), ("service_account", service_account)):
        if not isinstance(value, str) or not DNS_LABEL.match(value):
            raise ComponentInputError("%s: %s %r must be a Kubernetes name (DNS label)" % (component, argument, value))


def _validate(name: str, args: WorkloadIdentityArgs) -> None:
    resolve_placement(COMPONENT, args.provider, args.location, args.resource_group)
    require_name(COMPONENT, name)
    require_service_account(COMPONENT, args.namespace, args.service_account)
    issuer = args.oidc_issuer_url
    if issuer is None or (isinstance(issuer, str) and not issuer.startswith("https://")):
        raise ComponentInputError("%s: oidc_issuer_url %r must be the cluster's https issuer (Cluster.oidc_issuer_url)" % (COMPONENT, issuer))
    require_grants(COMPONENT, "", args.grants, required=True)
    if args.identity_name is not None and (not isinstance(args.identity_name, str) or not _IDENTITY_NAME.match(args.identity_name)):
        raise ComponentInputError(
            "%s: identity_name %r must be 3-128 letters, digits, '-' or '_', starting with a letter or digit"
            % (COMPONENT, args.identity_name))


class WorkloadIdentity(AzureComponent):
    """A user-assigned identity federated with one service account, with typed role grants."""

    client_id: pulumi.Output[str]
    principal_id: pulumi.Output[str]
    binding: WorkloadIdentityBinding

    def __init__(self, name: str, args: WorkloadIdentityArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, location=args.location,
                         resource_group=args.resource_group, opts=opts)
        subject = "system:serviceaccount:%s:%s" % (args.namespace, args.service_account)
        self.identity = azure_native.managedidentity.UserAssignedIdentity(
            name, resource_group_name=self.resource_group_name, location=self.location, resource_name_=args.identity_name,
            tags={**dict(args.tags), "sahab:component": COMPONENT, "sahab:service-account": subject[:256]},
            opts=self.child_opts())
        azure_native.managedidentity.FederatedIdentityCredential(
            name,
            resource_group_name=self.resource_group_name,
            resource_name_=self.identity.name,
            issuer=args.oidc_issuer_url,
            subject=subject,
            audiences=[TOKEN_EXCHANGE_AUDIENCE],
            opts=self.child_opts(),
        )
        grant_roles(self, name, self.identity.principal_id, args.grants)
        self.client_id = self.identity.client_id
        self.principal_id = self.identity.principal_id
        self.binding = WorkloadIdentityBinding.azure_workload_identity(
            args.namespace, args.service_account, self.identity.client_id, description=args.description)
        self.register_outputs({"client_id": self.client_id, "principal_id": self.principal_id})
