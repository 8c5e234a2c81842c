"""The one UAE region set every cloud's components, the gate and the rules share.

AWS has one UAE region (``me-central-1``, Middle East (UAE)); Azure has two paired ones,
``uaenorth`` (Dubai, availability zones) and ``uaecentral`` (Abu Dhabi, no zones,
access-restricted). The Rego library (``policies/lib/plan.rego``, ``policies/lib/azure.rego``)
holds the same set; a test keeps it equal to this module. Importing this module imports no
Pulumi SDK, so the gate can use it too.
"""
from __future__ import annotations

from typing import Dict, FrozenSet, Mapping, Tuple

from .errors import ComponentInputError

AWS_UAE_REGION = "me-central-1"
AWS_UAE_REGIONS: Tuple[str, ...] = (AWS_UAE_REGION,)
AZURE_UAE_LOCATIONS: Tuple[str, ...] = ("uaenorth", "uaecentral")
# Geo-redundant copies of a region go to its pair; both UAE regions pair with each other.
AZURE_UAE_PAIRS: Mapping[str, str] = {"uaenorth": "uaecentral", "uaecentral": "uaenorth"}
# Availability zones per location; a location missing here has none (uaecentral).
AZURE_ZONES: Mapping[str, Tuple[str, ...]] = {"uaenorth": ("1", "2", "3")}
AZURE_LOCATIONS_WITH_ZONES: Tuple[str, ...] = tuple(AZURE_ZONES)

UAE_REGIONS_BY_CLOUD: Dict[str, Tuple[str, ...]] = {"aws": AWS_UAE_REGIONS, "azure": AZURE_UAE_LOCATIONS}
UAE_REGIONS: FrozenSet[str] = frozenset(AWS_UAE_REGIONS + AZURE_UAE_LOCATIONS)


def canonical_region(name: str) -> str:
    """ARM accepts display names ("UAE North") as well as names ("uaenorth")."""
    return name.replace(" ", "").lower()


def require_uae_region(component: str, cloud: str, region: object) -> str:
    """The region (or location) must be one of the cloud's UAE regions."""
    allowed = UAE_REGIONS_BY_CLOUD[cloud]
    if not isinstance(region, str) or canonical_region(region) not in allowed:
        raise ComponentInputError(
            "%s: region %r is outside the UAE; sahab pins %s resources to %s"
            % (component, region, "AWS" if cloud == "aws" else "Azure", ", ".join(allowed))
        )
    return canonical_region(region)
