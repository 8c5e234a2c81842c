"""Pulumi's default providers: the one definition the planner, the preview import and CrossGuard share.

The engine gives a custom resource registered without a provider a *default* provider of its
package, created from the stack's ``<package>:*`` configuration (pulumi
``pkg/resource/deploy/providers``: ``ProviderRequest.DefaultName`` and
``defaultProviders.newRegisterDefaultProviderEvent``): URN
``urn:pulumi:<stack>::<project>::pulumi:providers:<package>::default_<version>`` with ``.``, ``-``
and ``+`` of the version written as ``_`` (just ``default`` when the SDK sends no version), inputs
= that configuration without the ``<package>:`` prefix, plus ``version``. The planner registers
it the same way, so a resource's region comes from ``aws:region`` / ``azure-native:location``
exactly as in ``pulumi preview``. Standard library only: the harness runs in foreign virtualenvs.
"""
from __future__ import annotations

import json
import re
from typing import Dict, Mapping

PROVIDER_PREFIX = "pulumi:providers:"
# Config that chooses which packages may not use a default provider (the engine refuses them).
DISABLE_KEY = "pulumi:disable-default-providers"


def default_name(version: str) -> str:
    """``default`` or ``default_<version>`` with the characters a URN name may not hold replaced."""
    return "default_" + re.sub(r"[.+-]", "_", version) if version else "default"


def package_config(package: str, config: Mapping[str, str]) -> Dict[str, str]:
    """The stack's ``<package>:<key>`` settings as the default provider's ``<key>`` inputs."""
    prefix = package + ":"
    return {key[len(prefix):]: value for key, value in sorted(config.items()) if key.startswith(prefix)}


def disabled(package: str, config: Mapping[str, str]) -> bool:
    """Whether the stack forbids this package's default provider (``["aws"]``, ``["*"]``)."""
    raw = config.get(DISABLE_KEY, "")
    try:
        names = json.loads(raw) if raw else []
    except ValueError:
        names = [raw]
    names = names if isinstance(names, list) else [names]
    return package in names or "*" in names
