"""Azure placement checks shared by the components: location, zones and redundancy in the pair.

Every check runs before anything registers and raises :class:`ComponentInputError` with one
line naming the argument and the valid choices. The facts (locations, pairs, zones) come from
the one region set in :mod:`sahab.components.regions`.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional, Sequence, Tuple

from ..regions import AZURE_UAE_LOCATIONS, AZURE_UAE_PAIRS, AZURE_ZONES, canonical_region, require_uae_region
from ..validation import ComponentInputError

__all__ = [
    "DEFAULT_LOCATION", "STORAGE_SKUS", "compact_name", "paired_location", "require_geo_redundancy", "require_location",
    "require_replica_locations", "require_storage_sku", "require_uuid", "require_zone_redundancy", "require_zones",
    "zones_of",
]

DEFAULT_LOCATION = "uaenorth"

# Storage account SKUs and what their copies need: (zone-redundant, geo-redundant). A zonal SKU
# needs zones in the primary location; a geo SKU copies to the primary's pair (Azure chooses it).
STORAGE_SKUS: Mapping[str, Tuple[bool, bool]] = {
    "Standard_LRS": (False, False), "Standard_ZRS": (True, False),
    "Standard_GRS": (False, True), "Standard_RAGRS": (False, True),
    "Standard_GZRS": (True, True), "Standard_RAGZRS": (True, True),
    "Premium_LRS": (False, False), "Premium_ZRS": (True, False),
}


def require_location(component: str, location: object) -> str:
    """One of the Azure UAE locations, in canonical form ("UAE North" -> "uaenorth")."""
    return require_uae_region(component, "azure", location)


def zones_of(location: str) -> Tuple[str, ...]:
    """The availability zones of a UAE location; () where it has none (uaecentral)."""
    return tuple(AZURE_ZONES.get(canonical_region(location), ()))


def require_zones(component: str, location: str, zones: Optional[Sequence[str]], argument: str = "zones") -> Tuple[str, ...]:
    """Zones only where the location has them, each a real zone, none twice; () means no zones."""
    chosen = tuple(zones or ())
    if not chosen:
        return ()
    available = zones_of(location)
    if not available:
        raise ComponentInputError(
            "%s: %s %s given, but %s has no availability zones; leave %s empty or use %s"
            % (component, argument, list(chosen), location, argument, ", ".join(AZURE_ZONES))
        )
    for zone in chosen:
        if zone not in available:
            raise ComponentInputError(
                "%s: %s entry %r is not a zone of %s; choose from: %s" % (component, argument, zone, location, ", ".join(available))
            )
    if len(set(chosen)) != len(chosen):
        raise ComponentInputError("%s: %s %s lists a zone twice" % (component, argument, list(chosen)))
    return chosen


def require_zone_redundancy(component: str, argument: str, location: str, enabled: bool) -> bool:
    """A zone-redundant setting (ACR zone redundancy, ZoneRedundant HA, ZRS) needs zones."""
    if enabled and not zones_of(location):
        raise ComponentInputError(
            "%s: %s needs availability zones, which %s does not have; turn it off or use %s"
            % (component, argument, location, ", ".join(AZURE_ZONES))
        )
    return enabled


def paired_location(location: str) -> Optional[str]:
    """Where Azure puts geo-redundant copies of ``location`` (its region pair)."""
    return AZURE_UAE_PAIRS.get(canonical_region(location))


def require_geo_redundancy(component: str, argument: str, location: str) -> str:
    """Geo-redundant copies go to the pair; allowed only when that pair is in the UAE too.

    Returns the pair, so the caller can say where the copy goes.
    """
    pair = paired_location(location)
    if pair not in AZURE_UAE_LOCATIONS:
        raise ComponentInputError(
            "%s: %s copies data from %s to its paired region %s, outside the UAE; use a locally or zone-redundant setting"
            % (component, argument, location, pair or "(none)")
        )
    return pair  # type: ignore[return-value]


def require_replica_locations(component: str, argument: str, location: str, replicas: Sequence[str]) -> Tuple[str, ...]:
    """Explicit replica locations (e.g. ACR geo-replications): only the pair of ``location``."""
    pair = require_geo_redundancy(component, argument, location)
    chosen = []
    for replica in replicas:
        if not isinstance(replica, str) or canonical_region(replica) != pair:
            raise ComponentInputError(
                "%s: %s entry %r is not allowed; replicas of %s stay in its UAE pair, %s"
                % (component, argument, replica, location, pair)
            )
        chosen.append(pair)
    if len(set(chosen)) != len(chosen):
        raise ComponentInputError("%s: %s lists %s twice" % (component, argument, pair))
    return tuple(chosen)


def require_storage_sku(component: str, location: str, sku: object, argument: str = "sku") -> str:
    """A storage SKU whose copies stay in the UAE: zonal SKUs only with zones, geo SKUs only to the pair."""
    if not isinstance(sku, str) or sku not in STORAGE_SKUS:
        raise ComponentInputError(
            "%s: %s %r is not a storage SKU; choose one of: %s" % (component, argument, sku, ", ".join(sorted(STORAGE_SKUS)))
        )
    zonal, geo = STORAGE_SKUS[sku]
    require_zone_redundancy(component, "%s %s" % (argument, sku), location, zonal)
    if geo:
        require_geo_redundancy(component, "%s %s" % (argument, sku), location)
    return sku


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def require_uuid(component: str, argument: str, value: Any) -> Any:
    """A tenant or object ID: a literal must be a UUID; an Output is checked by Azure at deploy."""
    if value is None or (isinstance(value, str) and not _UUID.match(value)):
        raise ComponentInputError(
            "%s: %s %r is not an Entra ID (a UUID such as 00000000-0000-0000-0000-000000000000)" % (component, argument, value)
        )
    return value


def compact_name(component: str, name: str, limit: int) -> str:
    """The logical name for a resource whose ARM name allows only letters and digits (storage
    accounts, registries, vaults): dashes dropped, at most ``limit`` characters, so the 8 hex
    characters Pulumi appends still fit the service's length limit."""
    compact = name.replace("-", "")[:limit]
    if not compact[:1].isalpha():
        raise ComponentInputError(
            "%s: name %r must start with a letter (the Azure resource name is built from it)" % (component, name)
        )
    return compact
