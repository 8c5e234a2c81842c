"""The explicit AWS provider every sahab component uses, pinned to the UAE.

No sahab resource relies on Pulumi's default provider or an ambient ``AWS_REGION``. A component
either receives a :class:`UaeProvider` (whose region was checked when it was made) or creates one
as its own child. A plain ``aws.Provider`` is refused: its region is an output that cannot be
checked before resources are registered.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import pulumi
import pulumi_aws as aws

from ..validation import ComponentInputError
from .catalogue import UAE_AWS_REGION, require_uae_region


class UaeProvider(aws.Provider):
    """An ``aws.Provider`` whose region is checked to be in the UAE before it is registered."""

    def __init__(self, resource_name: str, region: str = UAE_AWS_REGION,
                 default_tags: Optional[Mapping[str, str]] = None,
                 opts: Optional[pulumi.ResourceOptions] = None, **kwargs: Any) -> None:
        self.uae_region = require_uae_region("UaeProvider", region)
        super().__init__(
            resource_name,
            region=region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=dict(default_tags)) if default_tags else None,
            opts=opts,
            **kwargs,
        )


def resolve_provider(component: str, provider: Optional[aws.Provider], region: str) -> Optional[UaeProvider]:
    """Check a caller's provider (or the region for one the component will create) up front."""
    require_uae_region(component, region)
    if provider is None:
        return None
    if not isinstance(provider, UaeProvider):
        raise ComponentInputError(
            "%s: provider must be a sahab UaeProvider (its region is checked); got %s. "
            "Create it with sahab.components.aws.UaeProvider(name, region=%r)" % (component, type(provider).__name__, UAE_AWS_REGION)
        )
    if provider.uae_region != region:
        raise ComponentInputError(
            "%s: provider is pinned to %s but region=%s was requested" % (component, provider.uae_region, region)
        )
    return provider
