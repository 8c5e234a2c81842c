"""Private endpoints: how every Azure data service of the platform is reached (never publicly).

A service component takes a :class:`PrivateLink` (the endpoints subnet and the private DNS zone
of that service, both from :meth:`Network.private_link`) and calls :func:`private_endpoint`,
which registers the endpoint in the subnet and its DNS zone group, so the service's public name
resolves to the private address inside the VNet.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

import pulumi
import pulumi_azure_native as azure_native

from ..validation import ComponentInputError

if TYPE_CHECKING:
    from .base import AzureComponent

__all__ = ["PrivateLink", "private_endpoint", "require_private_link"]


@dataclass(frozen=True)
class PrivateLink:
    """Where a service's private endpoint goes: a subnet ID and the private DNS zone ID of the service."""

    subnet_id: pulumi.Input[str]
    dns_zone_id: pulumi.Input[str]


def require_private_link(component: str, value: Any) -> "PrivateLink":
    if not isinstance(value, PrivateLink):
        raise ComponentInputError(
            "%s: private_link is required (a PrivateLink; use network.private_link(...) of a sahab azure Network), got %r"
            % (component, value)
        )
    for field_name in ("subnet_id", "dns_zone_id"):
        field_value = getattr(value, field_name)
        if field_value is None or (isinstance(field_value, str) and not field_value.strip()):
            raise ComponentInputError("%s: private_link.%s must not be empty" % (component, field_name))
    return value


def private_endpoint(owner: "AzureComponent", name: str, *, target_id: pulumi.Input[str], group_id: str,
                     link: PrivateLink, depends_on: Optional[list] = None) -> azure_native.network.PrivateEndpoint:
    """A private endpoint to ``target_id`` (sub-resource ``group_id``) with its DNS zone group."""
    endpoint = azure_native.network.PrivateEndpoint(
        name,
        resource_group_name=owner.resource_group_name,
        location=owner.location,
        subnet=azure_native.network.SubnetArgs(id=link.subnet_id),
        private_link_service_connections=[azure_native.network.PrivateLinkServiceConnectionArgs(
            name=group_id, group_ids=[group_id], private_link_service_id=target_id,
        )],
        opts=owner.child_opts(depends_on=depends_on or []),
    )
    azure_native.network.PrivateDnsZoneGroup(
        name,
        resource_group_name=owner.resource_group_name,
        private_endpoint_name=endpoint.name,
        private_dns_zone_group_name="default",
        private_dns_zone_configs=[azure_native.network.PrivateDnsZoneConfigArgs(name=group_id, private_dns_zone_id=link.dns_zone_id)],
        opts=owner.child_opts(),
    )
    return endpoint

