"""The explicit azure-native provider and resource group every sahab Azure component uses.

No sahab resource relies on Pulumi's default provider or an ambient ``azure-native:location``.
A component either receives a :class:`UaeAzureProvider` (whose location was checked when it was
made) or creates one beside itself. A plain ``azure_native.Provider`` is refused: its location is
an output that cannot be checked before resources are registered. Resource groups work the same
way: :class:`UaeResourceGroup` takes its location from a checked provider, so a group and every
resource in it carry the provider's location.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import pulumi
import pulumi_azure_native as azure_native

from ..validation import ComponentInputError
from .arguments import DEFAULT_LOCATION, require_location

__all__ = ["UaeAzureProvider", "UaeResourceGroup", "resolve_placement"]


class UaeAzureProvider(azure_native.Provider):
    """An ``azure_native.Provider`` whose location is checked to be in the UAE before it registers."""

    def __init__(self, resource_name: str, location: str = DEFAULT_LOCATION,
                 opts: Optional[pulumi.ResourceOptions] = None, **kwargs: Any) -> None:
        self.uae_location = require_location("UaeAzureProvider", location)
        super().__init__(resource_name, location=self.uae_location, opts=opts, **kwargs)


class UaeResourceGroup(azure_native.resources.ResourceGroup):
    """A resource group on a :class:`UaeAzureProvider`, in that provider's location."""

    def __init__(self, resource_name: str, *, provider: UaeAzureProvider,
                 resource_group_name: Optional[pulumi.Input[str]] = None,
                 tags: Optional[Mapping[str, pulumi.Input[str]]] = None,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        if not isinstance(provider, UaeAzureProvider):
            raise ComponentInputError(
                "UaeResourceGroup: provider must be a sahab UaeAzureProvider (its location is checked); got %s"
                % type(provider).__name__
            )
        self.uae_location = provider.uae_location
        super().__init__(
            resource_name,
            location=self.uae_location,
            resource_group_name=resource_group_name,
            tags=dict(tags) if tags else None,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(provider=provider)),
        )


def resolve_placement(component: str, provider: Optional[azure_native.Provider], location: object,
                      resource_group: Optional[azure_native.resources.ResourceGroup] = None) -> Optional[UaeAzureProvider]:
    """Check the location, a caller's provider and a caller's resource group up front.

    Returns the caller's provider, or None when the component should create one.
    """
    location = require_location(component, location)
    if resource_group is not None:
        if not isinstance(resource_group, UaeResourceGroup):
            raise ComponentInputError(
                "%s: resource_group must be a sahab UaeResourceGroup (its location is checked); got %s. "
                "Create it with sahab.components.azure.UaeResourceGroup(name, provider=...) or leave it out"
                % (component, type(resource_group).__name__)
            )
        if resource_group.uae_location != location:
            raise ComponentInputError(
                "%s: resource_group is in %s but location=%s was requested" % (component, resource_group.uae_location, location)
            )
    if provider is None:
        return None
    if not isinstance(provider, UaeAzureProvider):
        raise ComponentInputError(
            "%s: provider must be a sahab UaeAzureProvider (its location is checked); got %s. "
            "Create it with sahab.components.azure.UaeAzureProvider(name, location=%r)"
            % (component, type(provider).__name__, location)
        )
    if provider.uae_location != location:
        raise ComponentInputError(
            "%s: provider is pinned to %s but location=%s was requested" % (component, provider.uae_location, location)
        )
    return provider
