"""What the External Secrets Operator needs on Azure to fill one namespace's secrets, and nothing more.

Why: as on AWS (:mod:`sahab.components.aws.secret_store`), each namespace gets its own
``SecretStore`` authenticating as its own ServiceAccount (``external-secrets-store``), whose
:class:`.WorkloadIdentity` holds "Key Vault Secrets User" on exactly the secrets that namespace
needs, each assignment scoped to one secret (``<vault>/secrets/<name>``; the vault is RBAC-mode),
never to the vault: MLflow's namespace cannot read the CI runners' GitHub App key. No client
secret exists anywhere: the operator mints that account's token (audience
``api://AzureADTokenExchange``) and exchanges it at Entra ID for a Key Vault token, then reads the
vault through its private endpoint. The pods that consume the secrets need no Azure identity.

:attr:`KeyVaultStore.binding` is the cloud-neutral
:class:`~sahab.components.kubernetes.secrets.SecretStoreBinding`. Provider shape read from
external-secrets/external-secrets at tag ``v2.9.0`` (commit 378bdb62, 2026-08-07),
``apis/externalsecrets/v1/secretstore_azurekv_types.go`` (``authType: WorkloadIdentity``,
``vaultUrl``, ``tenantId``, ``serviceAccountRef``) and ``providers/v1/azure/keyvault/keyvault.go``
(the client id comes from the account's ``azure.workload.identity/client-id`` annotation; the
tenant from ``tenantId``, refused if the account also carries a tenant annotation; a
``remoteRef.key`` without ``<type>/`` is a secret).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Sequence

import pulumi

from ..kubernetes.secrets import SecretStoreBinding
from ..validation import ComponentInputError, require_name, require_non_empty
from .arguments import DEFAULT_LOCATION, require_uuid
from .base import AzureComponent
from .provider import UaeAzureProvider, UaeResourceGroup, resolve_placement
from .workload_identity import RoleGrant, WorkloadIdentity, WorkloadIdentityArgs, require_service_account

COMPONENT = "KeyVaultStore"
TYPE_TOKEN = "sahab:azure:KeyVaultStore"
STORE_SERVICE_ACCOUNT = "external-secrets-store"
SECRET_READ_ROLE = "Key Vault Secrets User"

_SECRET_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.KeyVault/vaults/[^/]+/secrets/[0-9a-zA-Z-]{1,127}$",
                        re.IGNORECASE)


@dataclass(kw_only=True)
class KeyVaultStoreArgs:
    """The namespace, the vault's URI (``KeyVault.vault_uri``), exactly the secrets it may read
    (their ARM IDs: ``PlatformSecrets.secret_id`` or ``KeyVault.secret_id``), the tenant and the
    cluster's issuer (``Cluster.oidc_issuer_url``)."""

    namespace: str
    vault_uri: pulumi.Input[str]
    secret_ids: Sequence[pulumi.Input[str]]
    tenant_id: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    service_account: str = STORE_SERVICE_ACCOUNT
    tags: Mapping[str, str] = field(default_factory=dict)
    location: str = DEFAULT_LOCATION
    provider: Optional[UaeAzureProvider] = None
    resource_group: Optional[UaeResourceGroup] = None


def key_vault_provider(vault_uri: pulumi.Input[str], tenant_id: pulumi.Input[str], service_account: str) -> Dict[str, Any]:
    """The store's ``spec.provider``: the vault, authenticated with the ServiceAccount's token."""
    return {"azurekv": {
        "authType": "WorkloadIdentity",
        "vaultUrl": vault_uri,
        "tenantId": tenant_id,
        "serviceAccountRef": {"name": service_account},
    }}


def _validate(name: str, args: KeyVaultStoreArgs) -> None:
    resolve_placement(COMPONENT, args.provider, args.location, args.resource_group)
    require_name(COMPONENT, name)
    require_service_account(COMPONENT, args.namespace, args.service_account)
    require_uuid(COMPONENT, "tenant_id", args.tenant_id)
    if args.oidc_issuer_url is None or (isinstance(args.oidc_issuer_url, str) and not args.oidc_issuer_url.startswith("https://")):
        raise ComponentInputError(
            "%s: oidc_issuer_url %r must be the cluster's https issuer (Cluster.oidc_issuer_url)" % (COMPONENT, args.oidc_issuer_url))
    if args.vault_uri is None or (isinstance(args.vault_uri, str) and not args.vault_uri.startswith("https://")):
        raise ComponentInputError("%s: vault_uri %r must be the vault's https URI (KeyVault.vault_uri)" % (COMPONENT, args.vault_uri))
    require_non_empty(COMPONENT, "secret_ids", list(args.secret_ids))
    for index, secret_id in enumerate(args.secret_ids):
        if secret_id is None or (isinstance(secret_id, str) and not _SECRET_ID.match(secret_id)):
            raise ComponentInputError(
                "%s: secret_ids[%d] %r must be the ARM ID of one Key Vault secret (.../vaults/<vault>/secrets/<name>; "
                "PlatformSecrets.secret_id or KeyVault.secret_id): a store is never granted a whole vault"
                % (COMPONENT, index, secret_id))


class KeyVaultStore(AzureComponent):
    """The store's workload identity, allowed to read exactly ``secret_ids``, and its binding."""

    client_id: pulumi.Output[str]
    binding: SecretStoreBinding

    def __init__(self, name: str, args: KeyVaultStoreArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, location=args.location,
                         resource_group=args.resource_group, opts=opts)
        identity = WorkloadIdentity(name, WorkloadIdentityArgs(
            namespace=args.namespace,
            service_account=args.service_account,
            oidc_issuer_url=args.oidc_issuer_url,
            grants=[RoleGrant(role=SECRET_READ_ROLE, scope=secret_id) for secret_id in args.secret_ids],
            description="sahab KeyVaultStore %s: External Secrets store of namespace %s" % (name, args.namespace),
            tags=args.tags, location=self.location, provider=self.provider, resource_group=self.resource_group,
        ), opts=pulumi.ResourceOptions(parent=self))
        self.client_id = identity.client_id
        self.binding = SecretStoreBinding(key_vault_provider(args.vault_uri, args.tenant_id, args.service_account),
                                          identity.binding)
        self.register_outputs({"client_id": self.client_id})
