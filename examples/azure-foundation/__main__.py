"""The Azure foundation of the sahab platform in UAE North, from sahab's own components.

One provider and one resource group shared by every component; keys per data class in an
RBAC-mode Key Vault; artifacts and images reachable only through private endpoints.
Gate it with ``sahab gate examples/azure-foundation --stack dev``.
"""
import pulumi

from sahab.components.azure import (
    ArtifactStore, ArtifactStoreArgs, EncryptionKeys, EncryptionKeysArgs, ImageRegistry, ImageRegistryArgs, KeyVault,
    KeyVaultArgs, Network, NetworkArgs, UaeAzureProvider, UaeResourceGroup,
)

config = pulumi.Config()
provider = UaeAzureProvider("uae", location="uaenorth")
group = UaeResourceGroup("ml-platform", provider=provider)
placement = dict(provider=provider, resource_group=group)

network = Network("ml", NetworkArgs(address_space="10.20.0.0/16", **placement))
vault = KeyVault("mlkeys", KeyVaultArgs(tenant_id=config.require("tenantId"), private_link=network.private_link("vault"), **placement))
keys = EncryptionKeys("ml", EncryptionKeysArgs(vault=vault))
store = ArtifactStore("mlartifacts", ArtifactStoreArgs(key=keys.key("artifacts"), private_link=network.private_link("blob"), **placement))
registry = ImageRegistry("mlimages", ImageRegistryArgs(key=keys.key("images"), private_link=network.private_link("registry"), **placement))

pulumi.export("artifact_account", store.account_name)
pulumi.export("registry_login_server", registry.login_server)
