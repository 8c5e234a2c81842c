"""The UAE region catalogue for AWS: zones and which GPU instance types each zone offers.

Data: ``data/me-central-1.json``, derived from the moto package's EC2 offerings snapshot by
``scripts/refresh_region_catalogue.py`` (source and date recorded in the file). A GPU type not
offered in a chosen zone is refused with the valid choices, before any resource exists.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, Sequence, Tuple

from ..regions import AWS_UAE_REGION as UAE_AWS_REGION
from ..regions import AWS_UAE_REGIONS as UAE_AWS_REGIONS
from ..regions import require_uae_region as _require_region
from ..validation import ComponentInputError

_DATA = Path(__file__).resolve().parent / "data"

__all__ = [
    "RegionCatalogue", "UAE_AWS_REGION", "UAE_AWS_REGIONS", "load_catalogue", "require_gpu_types_in_zones",
    "require_uae_region", "require_zones",
]


@dataclass(frozen=True)
class RegionCatalogue:
    region: str
    zones: Tuple[str, ...]
    zone_ids: Tuple[str, ...]
    accelerated: Dict[str, Tuple[str, ...]]
    gpus: Dict[str, int]
    source: str
    retrieved: str

    def zones_offering(self, instance_type: str) -> Tuple[str, ...]:
        return self.accelerated.get(instance_type, ())

    def types_offered_in(self, zones: Iterable[str]) -> Tuple[str, ...]:
        """Accelerated types offered in *every* one of ``zones``."""
        wanted = set(zones)
        return tuple(sorted(t for t, offered in self.accelerated.items() if wanted <= set(offered)))


@lru_cache(maxsize=None)
def load_catalogue(region: str = UAE_AWS_REGION) -> RegionCatalogue:
    require_uae_region("catalogue", region)
    document = json.loads((_DATA / (region + ".json")).read_text(encoding="utf-8"))
    return RegionCatalogue(
        region=document["region"],
        zones=tuple(document["zones"]),
        zone_ids=tuple(document["zoneIds"]),
        accelerated={t: tuple(z) for t, z in document["acceleratedInstanceTypes"].items()},
        gpus=dict(document["gpusPerInstance"]),
        source=document["source"],
        retrieved=document["retrieved"],
    )


def require_uae_region(component: str, region: object) -> str:
    return _require_region(component, "aws", region)


def require_zones(component: str, zones: Sequence[str], region: str = UAE_AWS_REGION) -> Tuple[str, ...]:
    catalogue = load_catalogue(region)
    if not zones:
        raise ComponentInputError("%s: zones must not be empty; choose from %s" % (component, ", ".join(catalogue.zones)))
    unknown = [z for z in zones if z not in catalogue.zones]
    if unknown:
        raise ComponentInputError(
            "%s: zone(s) %s are not in %s; choose from %s"
            % (component, ", ".join(unknown), region, ", ".join(catalogue.zones))
        )
    if len(set(zones)) != len(zones):
        raise ComponentInputError("%s: zones must not repeat: %s" % (component, ", ".join(zones)))
    return tuple(zones)


def require_gpu_types_in_zones(component: str, instance_types: Sequence[str], zones: Sequence[str],
                               region: str = UAE_AWS_REGION) -> Tuple[str, ...]:
    """Every GPU type must be offered in every chosen zone (a node group spans all of them)."""
    catalogue = load_catalogue(region)
    require_zones(component, zones, region)
    if not instance_types:
        raise ComponentInputError("%s: instance_types must not be empty" % component)
    valid = catalogue.types_offered_in(zones)
    for instance_type in instance_types:
        missing = [z for z in zones if z not in catalogue.zones_offering(instance_type)]
        if missing:
            raise ComponentInputError(
                "%s: GPU instance type %s is not offered in %s (catalogue: %s, %s); valid choices for zones %s: %s"
                % (component, instance_type, ", ".join(missing), catalogue.source.split(":")[0], catalogue.retrieved,
                   ", ".join(zones), ", ".join(valid) or "none")
            )
    return tuple(instance_types)
