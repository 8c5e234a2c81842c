"""The one way sahab builds a storage account: CMK through a key's identity, Entra-only, private.

Why shared: the artifact store and the audit trail keep different data but must hold the same
guarantees (SAHAB storage rules check them on every account), so both build their account here
and only add what differs: the audit account lets trusted Azure services (Azure Monitor) through
its firewall and carries a locked, version-level immutability policy.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import pulumi_azure_native as azure_native

from .encryption_keys import CustomerManagedKey

if TYPE_CHECKING:
    from .base import AzureComponent

__all__ = ["private_storage_account", "versioned_blob_service"]


def private_storage_account(owner: "AzureComponent", resource_name: str, *, key: CustomerManagedKey, sku: str,
                            bypass: str = "None",
                            immutability: Optional[azure_native.storage.ImmutableStorageAccountArgs] = None,
                            ) -> azure_native.storage.StorageAccount:
    """A StorageV2 account in ``owner``'s group and location: the key's CMK (infrastructure
    encryption too), no shared keys, SAS or anonymous reads, TLS 1.2+ over HTTPS only, public
    network access disabled and a deny-all firewall (``bypass``: "None", or "AzureServices" for
    Azure's trusted services). The caller adds the private endpoint."""
    return azure_native.storage.StorageAccount(
        resource_name,
        resource_group_name=owner.resource_group_name,
        location=owner.location,
        kind="StorageV2",
        sku=azure_native.storage.SkuArgs(name=sku),
        access_tier="Hot",
        identity=azure_native.storage.IdentityArgs(type="UserAssigned", user_assigned_identities=[key.identity_id]),
        encryption=azure_native.storage.EncryptionArgs(
            key_source="Microsoft.Keyvault",
            require_infrastructure_encryption=True,
            key_vault_properties=azure_native.storage.KeyVaultPropertiesArgs(key_name=key.key_name, key_vault_uri=key.vault_uri),
            encryption_identity=azure_native.storage.EncryptionIdentityArgs(encryption_user_assigned_identity=key.identity_id),
            services=azure_native.storage.EncryptionServicesArgs(
                blob=azure_native.storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
                file=azure_native.storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
            ),
        ),
        allow_blob_public_access=False,
        allow_shared_key_access=False,
        default_to_o_auth_authentication=True,
        allow_cross_tenant_replication=False,
        allowed_copy_scope="PrivateLink",
        is_local_user_enabled=False,
        is_sftp_enabled=False,
        minimum_tls_version="TLS1_2",
        enable_https_traffic_only=True,
        public_network_access="Disabled",
        network_rule_set=azure_native.storage.NetworkRuleSetArgs(default_action="Deny", bypass=bypass),
        immutable_storage_with_versioning=immutability,
        # The identity must hold its key role before the account first wraps its key.
        opts=owner.child_opts(depends_on=[key.grant] if key.grant is not None else []),
    )


def versioned_blob_service(owner: "AzureComponent", resource_name: str, account: azure_native.storage.StorageAccount,
                           soft_delete_days: int) -> azure_native.storage.BlobServiceProperties:
    """Blob versioning, blob and container soft delete and the change feed for ``soft_delete_days``."""
    retention = azure_native.storage.DeleteRetentionPolicyArgs(enabled=True, days=soft_delete_days)
    return azure_native.storage.BlobServiceProperties(
        resource_name,
        resource_group_name=owner.resource_group_name,
        account_name=account.name,
        blob_services_name="default",
        is_versioning_enabled=True,
        delete_retention_policy=retention,
        container_delete_retention_policy=retention,
        change_feed=azure_native.storage.ChangeFeedArgs(enabled=True, retention_in_days=soft_delete_days),
        opts=owner.child_opts(),
    )
