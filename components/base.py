"""The base every sahab component shares, whatever the cloud.

A component validates all of its arguments *before* it calls ``super().__init__``, so bad input
never leaves half a component in the plan; ``child_opts()`` parents every child to the component
(``pulumi destroy`` of the component and waivers by URN pattern rely on that) and hands it the
component's pinned provider.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import pulumi


class SahabComponent(pulumi.ComponentResource):
    """A component whose children all sit under it, on one explicit provider."""

    def __init__(self, type_token: str, name: str, *, provider: Optional[pulumi.ProviderResource],
                 provider_key: str, opts: Optional[pulumi.ResourceOptions] = None,
                 outputs: Optional[Mapping[str, Any]] = None) -> None:
        self.provider = provider
        providers = {provider_key: provider} if provider is not None else None
        super().__init__(type_token, name, dict(outputs) if outputs else None,
                         pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(providers=providers)))

    def child_opts(self, **extra: Any) -> pulumi.ResourceOptions:
        """Options for a child: parented to this component, on the component's provider."""
        return pulumi.ResourceOptions(parent=self, provider=self.provider, **extra)
