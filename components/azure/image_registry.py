"""A Premium container registry in the UAE, reachable only through a private endpoint.

Why: images carry model code and sometimes weights. The registry is Premium (the tier with
private endpoints, customer-managed keys and retention), encrypts with the images key through
that key's user-assigned identity (a choice Azure allows only when the registry is created), has
no admin user, no anonymous pull and no public network access, and refuses image export. Data
endpoints are per region, so the private endpoint carries the data traffic too. Zone redundancy
follows the location (uaenorth has zones, uaecentral none); geo-replicas go only to the UAE pair.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_azure_native as azure_native

from ..validation import ComponentInputError, require_name
from .arguments import DEFAULT_LOCATION, compact_name, require_location, require_replica_locations, zones_of
from .base import AzureComponent
from .encryption_keys import CustomerManagedKey, require_customer_managed_key
from .private_link import PrivateLink, private_endpoint, require_private_link
from .provider import UaeAzureProvider, UaeResourceGroup, resolve_placement

COMPONENT = "ImageRegistry"
TYPE_TOKEN = "sahab:azure:ImageRegistry"
# Registry names are 5-50 letters and digits; Pulumi appends 8.
_NAME_LIMIT = 42
_REGISTRY_NAME = re.compile(r"^[a-z0-9]{5,50}$")


@dataclass
class ImageRegistryArgs:
    """``key`` (``EncryptionKeys.key("images")``) and ``private_link`` (``network.private_link("registry")``) are required.

    ``replicas``: extra locations holding a copy of every image; only the UAE pair of ``location``.
    ``registry_name``: the registry's fixed ARM name (5-50 lowercase letters and digits, unique in
    Azure), for a program whose Kubernetes images name ``<registry_name>.azurecr.io`` literally
    (an image's registry is a plain string); left out, Pulumi names it.
    """

    key: CustomerManagedKey
    private_link: PrivateLink
    untagged_retention_days: int = 7
    replicas: Sequence[str] = ()
    registry_name: Optional[str] = None
    location: str = DEFAULT_LOCATION
    provider: Optional[UaeAzureProvider] = None
    resource_group: Optional[UaeResourceGroup] = None


def _validate(name: str, args: ImageRegistryArgs) -> tuple:
    resolve_placement(COMPONENT, args.provider, args.location, args.resource_group)
    require_name(COMPONENT, name)
    compact_name(COMPONENT, name, _NAME_LIMIT)
    if args.registry_name is not None and not (isinstance(args.registry_name, str) and _REGISTRY_NAME.match(args.registry_name)):
        raise ComponentInputError(
            "%s: registry_name %r must be 5-50 lowercase letters and digits (its login server is <name>.azurecr.io)"
            % (COMPONENT, args.registry_name))
    location = require_location(COMPONENT, args.location)
    require_customer_managed_key(COMPONENT, "key", args.key, location, "images")
    require_private_link(COMPONENT, args.private_link)
    days = args.untagged_retention_days
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 365:
        raise ComponentInputError("%s: untagged_retention_days must be a whole number from 0 to 365, got %r" % (COMPONENT, days))
    return require_replica_locations(COMPONENT, "replicas", location, list(args.replicas))


class ImageRegistry(AzureComponent):
    """Premium ACR: CMK, private endpoint, no admin user, no public access, export refused."""

    registry_id: pulumi.Output[str]
    registry_name: pulumi.Output[str]
    login_server: pulumi.Output[str]

    def __init__(self, name: str, args: ImageRegistryArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        replicas = _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, location=args.location,
                         resource_group=args.resource_group, opts=opts)
        key = args.key
        registry = azure_native.containerregistry.Registry(
            compact_name(COMPONENT, name, _NAME_LIMIT),
            registry_name=args.registry_name,
            resource_group_name=self.resource_group_name,
            location=self.location,
            sku=azure_native.containerregistry.SkuArgs(name="Premium"),
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            data_endpoint_enabled=True,
            public_network_access="Disabled",
            network_rule_bypass_options="None",
            zone_redundancy="Enabled" if zones_of(self.location) else "Disabled",
            identity=azure_native.containerregistry.IdentityPropertiesArgs(
                type="UserAssigned",
                user_assigned_identities=pulumi.Output.from_input(key.identity_id).apply(lambda identity: {identity: {}}),
            ),
            encryption=azure_native.containerregistry.EncryptionPropertyArgs(
                status="enabled",
                key_vault_properties=azure_native.containerregistry.KeyVaultPropertiesArgs(
                    identity=key.identity_client_id, key_identifier=key.key_uri,
                ),
            ),
            policies=azure_native.containerregistry.PoliciesArgs(
                export_policy=azure_native.containerregistry.ExportPolicyArgs(status="disabled"),
                retention_policy=azure_native.containerregistry.RetentionPolicyArgs(
                    status="enabled", days=args.untagged_retention_days,
                ),
            ),
            opts=self.child_opts(depends_on=[key.grant] if key.grant is not None else []),
        )
        for replica in replicas:
            azure_native.containerregistry.Replication(
                "%s-%s" % (name, replica),
                resource_group_name=self.resource_group_name,
                registry_name=registry.name,
                replication_name=replica,
                location=replica,
                zone_redundancy="Enabled" if zones_of(replica) else "Disabled",
                opts=self.child_opts(),
            )
        private_endpoint(self, "%s-registry" % name, target_id=registry.id, group_id="registry", link=args.private_link)
        self.registry_id = registry.id
        self.registry_name = registry.name
        self.login_server = registry.login_server
        self.register_outputs({"registry_id": self.registry_id, "login_server": self.login_server})
