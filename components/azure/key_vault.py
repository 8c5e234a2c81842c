"""An RBAC-mode Key Vault reached only through a private endpoint.

Why: the customer-managed keys of every data class live here. Access is decided by Azure RBAC
(``enableRbacAuthorization``), not by vault access policies, so it is audited with every other
role assignment; purge protection and soft delete keep a deleted key recoverable for the whole
retention period (a purged key would make every disk, blob and backup it wraps unreadable);
public network access is off, and the vault's firewall denies by default. The one exception is
``bypass: AzureServices``: storage, ACR, disk encryption sets and PostgreSQL fetch their
customer-managed keys as trusted Azure services, not through the private endpoint.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Literal, Optional, Sequence

import pulumi
import pulumi_azure_native as azure_native

from ..validation import ComponentInputError, require_choice, require_name
from .arguments import DEFAULT_LOCATION, compact_name, require_uuid
from .base import AzureComponent
from .private_link import PrivateLink, private_endpoint, require_private_link
from .provider import UaeAzureProvider, UaeResourceGroup, resolve_placement
from .roles import assign_role

COMPONENT = "KeyVault"
TYPE_TOKEN = "sahab:azure:KeyVault"

# Key Vault names are 3-24 characters; Pulumi appends 8.
_NAME_LIMIT = 16
# Key Vault object names: 1-127 letters, digits and dashes.
_SECRET_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")


@dataclass
class KeyVaultArgs:
    """``tenant_id`` (the Entra tenant of the vault's users) and ``private_link`` are required.

    ``key_officer_object_ids``: Entra principals (the deploy identity, break-glass admins) given
    Key Vault Crypto Officer on this vault; nobody else can manage keys. All are of
    ``key_officer_principal_type`` (ARM checks the type against the principal).
    """

    tenant_id: pulumi.Input[str]
    private_link: PrivateLink
    sku: Literal["standard", "premium"] = "premium"
    soft_delete_retention_days: int = 90
    key_officer_object_ids: Sequence[pulumi.Input[str]] = ()
    key_officer_principal_type: Literal["Group", "User", "ServicePrincipal"] = "Group"
    location: str = DEFAULT_LOCATION
    provider: Optional[UaeAzureProvider] = None
    resource_group: Optional[UaeResourceGroup] = None


def _validate(name: str, args: KeyVaultArgs) -> None:
    resolve_placement(COMPONENT, args.provider, args.location, args.resource_group)
    require_name(COMPONENT, name)
    compact_name(COMPONENT, name, _NAME_LIMIT)
    require_uuid(COMPONENT, "tenant_id", args.tenant_id)
    require_private_link(COMPONENT, args.private_link)
    require_choice(COMPONENT, "sku", args.sku, ["standard", "premium"])
    days = args.soft_delete_retention_days
    if isinstance(days, bool) or not isinstance(days, int) or not 7 <= days <= 90:
        raise ComponentInputError("%s: soft_delete_retention_days must be a whole number from 7 to 90, got %r" % (COMPONENT, days))
    require_choice(COMPONENT, "key_officer_principal_type", args.key_officer_principal_type,
                   ["Group", "User", "ServicePrincipal"])
    for object_id in args.key_officer_object_ids:
        require_uuid(COMPONENT, "key_officer_object_ids entry", object_id)


class KeyVault(AzureComponent):
    """Key Vault (RBAC, purge protection, no public access) with a private endpoint."""

    vault_id: pulumi.Output[str]
    vault_name: pulumi.Output[str]
    vault_uri: pulumi.Output[str]
    sku: str
    officer_assignments: Dict[str, azure_native.authorization.RoleAssignment]

    def __init__(self, name: str, args: KeyVaultArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, location=args.location,
                         resource_group=args.resource_group, opts=opts)
        self.sku = args.sku
        vault = azure_native.keyvault.Vault(
            compact_name(COMPONENT, name, _NAME_LIMIT),
            resource_group_name=self.resource_group_name,
            location=self.location,
            properties=azure_native.keyvault.VaultPropertiesArgs(
                tenant_id=args.tenant_id,
                sku=azure_native.keyvault.SkuArgs(family="A", name=args.sku),
                enable_rbac_authorization=True,
                enable_purge_protection=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=args.soft_delete_retention_days,
                public_network_access="Disabled",
                network_acls=azure_native.keyvault.NetworkRuleSetArgs(default_action="Deny", bypass="AzureServices"),
                enabled_for_deployment=False,
                enabled_for_template_deployment=False,
                enabled_for_disk_encryption=False,
            ),
            opts=self.child_opts(),
        )
        private_endpoint(self, "%s-vault" % name, target_id=vault.id, group_id="vault", link=args.private_link)
        self.officer_assignments = {}
        for index, object_id in enumerate(args.key_officer_object_ids):
            self.officer_assignments[str(index)] = assign_role(
                "%s-crypto-officer-%d" % (name, index), principal_id=object_id, role="Key Vault Crypto Officer",
                scope=vault.id, principal_type=args.key_officer_principal_type, opts=self.child_opts())
        self.vault_id = vault.id
        self.vault_name = vault.name
        self.vault_uri = vault.properties.apply(lambda p: p.vault_uri)
        self.register_outputs({"vault_id": self.vault_id, "vault_name": self.vault_name, "vault_uri": self.vault_uri})

    def secret_id(self, secret_name: str) -> pulumi.Output[str]:
        """The ARM ID of the secret ``secret_name`` in this vault (one made outside the program, such
        as the GitHub App's private key): the scope a :class:`.KeyVaultStore` is granted read on."""
        if not isinstance(secret_name, str) or not _SECRET_NAME.match(secret_name):
            raise ComponentInputError(
                "%s: secret name %r must be 1-127 letters, digits or dashes (a Key Vault secret name)" % (COMPONENT, secret_name))
        return self.vault_id.apply(lambda vault_id: "%s/secrets/%s" % (vault_id, secret_name))
