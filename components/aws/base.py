"""The base every AWS component shares: a checked UAE provider, handed to every child.

Subclasses validate their own arguments first, then call ``super().__init__``; this base checks
the region and provider *before* registering anything, creates a pinned provider beside the
component when the caller gave none, and registers the component with that provider in its
``providers`` option so the plan shows the component's region too.
"""
from __future__ import annotations

from typing import Optional

import pulumi

from ..base import SahabComponent
from .catalogue import UAE_AWS_REGION
from .provider import UaeProvider, resolve_provider


class AwsComponent(SahabComponent):
    """A sahab AWS component: ``child_opts()`` gives every child the component and the provider."""

    provider: UaeProvider

    def __init__(self, type_token: str, name: str, *, provider: Optional[UaeProvider] = None,
                 region: str = UAE_AWS_REGION, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        component = type_token.split(":")[-1]
        checked = resolve_provider(component, provider, region)
        if checked is None:
            parent = opts.parent if opts is not None else None
            checked = UaeProvider("%s-aws" % name, region=region, opts=pulumi.ResourceOptions(parent=parent))
        self.region = region
        super().__init__(type_token, name, provider=checked, provider_key="aws", opts=opts)
