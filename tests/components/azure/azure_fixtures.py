"""Builders shared by the Azure component tests: a network, a vault and keys in one group."""
from __future__ import annotations

from sahab.components.azure import (
    EncryptionKeys, EncryptionKeysArgs, KeyVault, KeyVaultArgs, Network, NetworkArgs, UaeAzureProvider, UaeResourceGroup,
)

TENANT = "11111111-2222-3333-4444-555555555555"


def foundation(location: str = "uaenorth"):
    """Provider, group, network, vault and keys, all in ``location``."""
    provider = UaeAzureProvider("uae", location=location)
    group = UaeResourceGroup("platform", provider=provider)
    placement = dict(provider=provider, resource_group=group, location=location)
    network = Network("ml", NetworkArgs(**placement))
    vault = KeyVault("vault", KeyVaultArgs(tenant_id=TENANT, private_link=network.private_link("vault"), **placement))
    keys = EncryptionKeys("keys", EncryptionKeysArgs(vault=vault))
    return placement, network, keys


def component_resources(resources, type_token):
    """The component of ``type_token`` and everything registered inside it."""
    component = next(r for r in resources if r["type"] == type_token)
    return [r for r in resources if r is component or r.get("parent") == component["urn"]]
