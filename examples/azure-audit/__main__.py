"""An Azure platform in UAE North with its audit trail, from sahab's own components.

The Activity Log and the audit logs of the Key Vault, the artifact store's blobs and the model
registry database go to a locked immutable storage account and a Log Analytics workspace
on a dedicated cluster, both encrypted with the ``logs`` key, both in uaenorth.
Gate it with ``sahab gate examples/azure-audit --stack dev``.
"""
import pulumi

from sahab.components.azure import (
    ArtifactStore, ArtifactStoreArgs, AuditTarget, AuditTrail, AuditTrailArgs, EncryptionKeys, EncryptionKeysArgs, EntraAdmin,
    KeyVault, KeyVaultArgs, Network, NetworkArgs, RegistryDatabase, RegistryDatabaseArgs, UaeAzureProvider, UaeResourceGroup,
)

config = pulumi.Config()
tenant_id = config.require("tenantId")
admins = config.require("adminGroupId")
provider = UaeAzureProvider("uae", location="uaenorth")
group = UaeResourceGroup("ml-platform", provider=provider)
placement = dict(provider=provider, resource_group=group)

network = Network("ml", NetworkArgs(address_space="10.20.0.0/16", **placement))
vault = KeyVault("mlkeys", KeyVaultArgs(tenant_id=tenant_id, private_link=network.private_link("vault"), **placement))
keys = EncryptionKeys("ml", EncryptionKeysArgs(vault=vault))
store = ArtifactStore("mlartifacts", ArtifactStoreArgs(key=keys.key("artifacts"), private_link=network.private_link("blob"), **placement))
database = RegistryDatabase("registry", RegistryDatabaseArgs(
    delegated_subnet_id=network.subnet_ids["database"], private_dns_zone_id=network.private_dns_zone_ids["postgres"],
    key=keys.key("database"), tenant_id=tenant_id,
    entra_admin=EntraAdmin(object_id=admins, principal_name="ml-platform-admins"), **placement))

audit = AuditTrail("mlaudit", AuditTrailArgs(
    key=keys.key("logs"), private_link=network.private_link("blob"), retention_days=365,
    targets=[
        AuditTarget(name="vault", kind="key_vault", resource_id=vault.vault_id),
        AuditTarget(name="artifacts", kind="storage", resource_id=store.account_id),
        AuditTarget(name="registry-db", kind="postgresql", resource_id=database.server_id),
    ],
    **placement))

pulumi.export("audit_account", audit.account_name)
pulumi.export("audit_workspace_id", audit.workspace_id)
