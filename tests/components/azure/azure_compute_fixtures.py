"""Literal inputs the Azure compute tests share: subnets, a DNS zone, Entra IDs and customer-managed keys."""
from __future__ import annotations

from sahab.components.azure.encryption_keys import CustomerManagedKey

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
TENANT = "11111111-1111-1111-1111-111111111111"
ADMINS = "22222222-2222-2222-2222-222222222222"
NETWORK = "/subscriptions/%s/resourceGroups/net/providers/Microsoft.Network" % SUBSCRIPTION
NODE_SUBNET = NETWORK + "/virtualNetworks/platform/subnets/nodes"
API_SUBNET = NETWORK + "/virtualNetworks/platform/subnets/apiserver"
DB_SUBNET = NETWORK + "/virtualNetworks/platform/subnets/postgres"
DB_ZONE = NETWORK + "/privateDnsZones/registry.postgres.database.azure.com"
BUCKETS = "/subscriptions/%s/resourceGroups/data/providers/Microsoft.Storage/storageAccounts/artifacts" % SUBSCRIPTION
ISSUER = "https://uaenorth.oic.prod-aks.azure.com/%s/0000/" % TENANT


def key(data_class: str, location: str = "uaenorth", vault: str = "kvplatform") -> CustomerManagedKey:
    """A customer-managed key as EncryptionKeys hands it out (without its grant resource)."""
    group = "/subscriptions/%s/resourceGroups/keys-%s" % (SUBSCRIPTION, location)
    vault_id = "%s/providers/Microsoft.KeyVault/vaults/%s" % (group, vault)
    return CustomerManagedKey(
        data_class=data_class,
        key_id="%s/keys/%s" % (vault_id, data_class),
        key_name=data_class,
        key_uri="https://%s.vault.azure.net/keys/%s" % (vault, data_class),
        key_uri_with_version="https://%s.vault.azure.net/keys/%s/0123456789abcdef0123456789abcdef" % (vault, data_class),
        vault_id=vault_id,
        vault_uri="https://%s.vault.azure.net/" % vault,
        identity_id="%s/providers/Microsoft.ManagedIdentity/userAssignedIdentities/%s" % (group, data_class),
        identity_client_id="33333333-3333-3333-3333-333333333333",
        identity_principal_id="44444444-4444-4444-4444-444444444444",
        location=location,
    )
