"""A private VNet for ML workloads on Azure: subnets behind NSGs that deny the internet inbound,
and the private DNS zones the platform's private endpoints need.

Why: training data and model weights must stay in the UAE and off the public internet. Every
subnet gets an NSG whose first rule denies inbound traffic from the ``Internet`` service tag and
Azure's implicit outbound access is off (``defaultOutboundAccess: false``), so a VM without an
explicit egress path has none. Data services (Key Vault, storage, ACR, PostgreSQL, the AKS API)
are reached through private endpoints or VNet integration, whose names resolve through the
private DNS zones linked here. Private DNS zones are ``global`` in ARM (the only location the
service accepts); they hold names, not data.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Dict, Optional

import pulumi
import pulumi_azure_native as azure_native

from ..validation import ComponentInputError, require_name
from .arguments import DEFAULT_LOCATION
from .base import AzureComponent
from .private_link import PrivateLink
from .provider import UaeAzureProvider, UaeResourceGroup, resolve_placement

COMPONENT = "Network"
TYPE_TOKEN = "sahab:azure:Network"

# Subnet tier -> (block of the address space, delegation). Nodes take the first half; endpoints
# and the database an eighth each; the AKS API server (API Server VNet Integration, which wants a
# delegated subnet of its own, at least a /28) the first 64th of the last quarter; the rest of
# the last quarter is left for later tiers.
SUBNETS: Dict[str, Dict[str, object]] = {
    "nodes": {"block": (1, 0), "delegation": None},
    "endpoints": {"block": (3, 4), "delegation": None},
    "database": {"block": (3, 5), "delegation": "Microsoft.DBforPostgreSQL/flexibleServers"},
    "apiserver": {"block": (6, 48), "delegation": "Microsoft.ContainerService/managedClusters"},
}

# Service -> private DNS zone (MicrosoftDocs azure-docs articles/private-link/private-endpoint-dns.md).
# PostgreSQL flexible server with VNet integration needs a zone ending in .postgres.database.azure.com.
def private_dns_zones(location: str) -> Dict[str, str]:
    return {
        "blob": "privatelink.blob.core.windows.net",
        "vault": "privatelink.vaultcore.azure.net",
        "registry": "privatelink.azurecr.io",
        "aks": "privatelink.%s.azmk8s.io" % location,
        "postgres": "private.postgres.database.azure.com",
    }


DENY_INTERNET_PRIORITY = 100


@dataclass
class NetworkArgs:
    """Everything has a default: a 10.0.0.0/16 VNet in uaenorth with its own resource group."""

    address_space: str = "10.0.0.0/16"
    location: str = DEFAULT_LOCATION
    provider: Optional[UaeAzureProvider] = None
    resource_group: Optional[UaeResourceGroup] = None


def _validate(name: str, args: NetworkArgs) -> ipaddress.IPv4Network:
    resolve_placement(COMPONENT, args.provider, args.location, args.resource_group)
    require_name(COMPONENT, name)
    try:
        network = ipaddress.ip_network(args.address_space, strict=True)
    except (TypeError, ValueError):
        raise ComponentInputError(
            "%s: address_space %r is not an IPv4 network such as 10.0.0.0/16" % (COMPONENT, args.address_space)
        ) from None
    if not isinstance(network, ipaddress.IPv4Network) or not 16 <= network.prefixlen <= 22:
        raise ComponentInputError("%s: address_space %r must be an IPv4 network from /16 to /22" % (COMPONENT, args.address_space))
    if not any(network.subnet_of(ipaddress.ip_network(p)) for p in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")):
        raise ComponentInputError("%s: address_space %r must be a private (RFC 1918) range" % (COMPONENT, args.address_space))
    return network


class Network(AzureComponent):
    """VNet, NSG-guarded subnets (nodes, endpoints, database, apiserver), private DNS zones linked to the VNet."""

    vnet_id: pulumi.Output[str]
    vnet_name: pulumi.Output[str]
    subnet_ids: Dict[str, pulumi.Output[str]]
    subnet_prefixes: Dict[str, str]
    network_security_group_ids: Dict[str, pulumi.Output[str]]
    private_dns_zone_ids: Dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: Optional[NetworkArgs] = None, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        args = args or NetworkArgs()
        network = _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, location=args.location,
                         resource_group=args.resource_group, opts=opts)
        group = self.resource_group_name

        vnet = azure_native.network.VirtualNetwork(
            name,
            resource_group_name=group,
            location=self.location,
            address_space=azure_native.network.AddressSpaceArgs(address_prefixes=[str(network)]),
            enable_ddos_protection=False,
            opts=self.child_opts(ignore_changes=["subnets"]),
        )
        self.subnet_ids, self.subnet_prefixes, self.network_security_group_ids = {}, {}, {}
        previous: Optional[pulumi.Resource] = None
        for tier, layout in SUBNETS.items():
            prefix_diff, index = layout["block"]  # type: ignore[misc]
            prefix = str(list(network.subnets(prefixlen_diff=prefix_diff))[index])
            nsg = azure_native.network.NetworkSecurityGroup(
                "%s-%s" % (name, tier),
                resource_group_name=group,
                location=self.location,
                security_rules=[azure_native.network.SecurityRuleArgs(
                    name="deny-internet-inbound",
                    description="sahab: nothing on the internet may open a connection into the VNet",
                    priority=DENY_INTERNET_PRIORITY,
                    direction="Inbound",
                    access="Deny",
                    protocol="*",
                    source_address_prefix="Internet",
                    source_port_range="*",
                    destination_address_prefix="*",
                    destination_port_range="*",
                )],
                opts=self.child_opts(),
            )
            delegation = layout["delegation"]
            # Azure refuses concurrent changes to one VNet's subnets: create them one after another.
            subnet = azure_native.network.Subnet(
                "%s-%s" % (name, tier),
                resource_group_name=group,
                virtual_network_name=vnet.name,
                address_prefix=prefix,
                default_outbound_access=False,
                network_security_group=azure_native.network.NetworkSecurityGroupArgs(id=nsg.id),
                private_endpoint_network_policies="Enabled" if tier == "endpoints" else "Disabled",
                delegations=[azure_native.network.DelegationArgs(name=tier, service_name=delegation)] if delegation else None,
                opts=self.child_opts(depends_on=[previous] if previous is not None else []),
            )
            previous = subnet
            self.subnet_ids[tier] = subnet.id
            self.subnet_prefixes[tier] = prefix
            self.network_security_group_ids[tier] = nsg.id

        self.private_dns_zone_ids = {}
        for service, zone_name in private_dns_zones(self.location).items():
            zone = azure_native.privatedns.PrivateZone(
                "%s-%s" % (name, service),
                resource_group_name=group,
                private_zone_name=zone_name,
                location="global",
                opts=self.child_opts(),
            )
            azure_native.privatedns.VirtualNetworkLink(
                "%s-%s" % (name, service),
                resource_group_name=group,
                private_zone_name=zone.name,
                location="global",
                virtual_network=azure_native.network.SubResourceArgs(id=vnet.id),
                registration_enabled=False,
                opts=self.child_opts(),
            )
            self.private_dns_zone_ids[service] = zone.id

        self.vnet_id = vnet.id
        self.vnet_name = vnet.name
        self.register_outputs({
            "vnet_id": self.vnet_id,
            "subnet_ids": self.subnet_ids,
            "private_dns_zone_ids": self.private_dns_zone_ids,
        })

    def private_link(self, service: str) -> PrivateLink:
        """The endpoints subnet and the private DNS zone of ``service`` (blob, vault, registry)."""
        if service not in self.private_dns_zone_ids:
            raise ComponentInputError(
                "%s: no private DNS zone for %r; choose one of: %s" % (COMPONENT, service, ", ".join(sorted(self.private_dns_zone_ids)))
            )
        return PrivateLink(subnet_id=self.subnet_ids["endpoints"], dns_zone_id=self.private_dns_zone_ids[service])
