"""The base every Azure component shares: a checked UAE provider and resource group for every child.

How a component uses it (the AWS components do the same with ``AwsComponent``)::

    @dataclass
    class ThingArgs:
        ...                                          # the component's own arguments
        location: str = DEFAULT_LOCATION             # "uaenorth" or "uaecentral"
        provider: Optional[UaeAzureProvider] = None  # else one is created beside the component
        resource_group: Optional[UaeResourceGroup] = None  # else one is created inside it

    class Thing(AzureComponent):
        def __init__(self, name, args, opts=None):
            _validate(name, args)   # resolve_placement(COMPONENT, args.provider, args.location,
                                    # args.resource_group) first, then require_name, require_zones...
            super().__init__("sahab:azure:Thing", name, provider=args.provider, location=args.location,
                             resource_group=args.resource_group, opts=opts)
            azure_native.storage.StorageAccount(name, resource_group_name=self.resource_group_name,
                                                location=self.location, ..., opts=self.child_opts())
            self.register_outputs({...})

This base checks the location, provider and resource group *before* registering anything,
creates a pinned :class:`UaeAzureProvider` beside the component when the caller gave none
(like AWS, so the component itself is registered with it in ``providers``), and creates a
:class:`UaeResourceGroup` as the component's first child when the caller gave none. Children get
``self.location`` (canonical, e.g. "uaenorth") and ``self.resource_group_name`` explicitly: every
resource group and resource carries the provider's location in the plan. Share one group across
components by passing ``resource_group=other.resource_group``.
"""
from __future__ import annotations

from typing import Optional

import pulumi

from ..base import SahabComponent
from .arguments import DEFAULT_LOCATION, require_location
from .provider import UaeAzureProvider, UaeResourceGroup, resolve_placement

__all__ = ["AzureComponent"]


class AzureComponent(SahabComponent):
    """A sahab Azure component: ``child_opts()`` gives every child the component and the provider."""

    provider: UaeAzureProvider
    location: str
    resource_group: UaeResourceGroup
    resource_group_name: pulumi.Output[str]

    def __init__(self, type_token: str, name: str, *, provider: Optional[UaeAzureProvider] = None,
                 location: str = DEFAULT_LOCATION, resource_group: Optional[UaeResourceGroup] = None,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        component = type_token.split(":")[-1]
        checked = resolve_placement(component, provider, location, resource_group)
        self.location = require_location(component, location)
        if checked is None:
            parent = opts.parent if opts is not None else None
            checked = UaeAzureProvider("%s-azure" % name, location=self.location, opts=pulumi.ResourceOptions(parent=parent))
        super().__init__(type_token, name, provider=checked, provider_key="azure-native", opts=opts)
        if resource_group is None:
            resource_group = UaeResourceGroup(name, provider=checked, opts=self.child_opts())
        self.resource_group = resource_group
        self.resource_group_name = resource_group.name
