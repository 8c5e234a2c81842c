"""The Azure GPU VM size catalogue: which sizes a GPU pool may use, and what is known of them.

Data: ``data/gpu-sizes.json`` (source, date and per-family documents recorded in the file).
A size is accepted only if the catalogue lists it; a size of a retired family (NCv3, NCv2, NC,
ND, NV) is refused with its retirement date and a replacement; a size marked ``unavailable``
in the chosen location is refused. No stored source says which GPU sizes uaenorth or
uaecentral offer, so the shipped catalogue marks every size ``unverified`` there: such a size is
accepted, and :class:`GpuSize` carries that state so the pool writes it into the plan (a tag)
instead of implying the size was checked.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

from ..regions import AZURE_UAE_LOCATIONS
from ..validation import ComponentInputError

__all__ = [
    "AVAILABILITY_STATES", "CATALOGUE_PATH", "GpuCatalogue", "GpuFamily", "GpuSize", "RetiredFamily",
    "is_gpu_size_name", "load_gpu_catalogue", "require_gpu_size",
]

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "gpu-sizes.json"
AVAILABILITY_STATES: Tuple[str, ...] = ("verified", "unverified", "unavailable")
# Every Azure N-series size carries GPUs (NC, ND, NG, NV) or FPGAs (NP).
_N_SERIES = re.compile(r"^standard_n", re.IGNORECASE)


@dataclass(frozen=True)
class GpuFamily:
    name: str
    gpu: str
    doc: str
    sizes: Mapping[str, int]
    availability: Mapping[str, str]
    evidence: Optional[str] = None


@dataclass(frozen=True)
class RetiredFamily:
    name: str
    gpu: str
    pattern: "re.Pattern[str]"
    retired: str
    doc: str
    replacement: str


@dataclass(frozen=True)
class GpuSize:
    """A catalogued size as a pool uses it: its exact name, family, GPUs per VM, and whether its
    availability in the pool's location is ``verified`` or ``unverified``."""

    name: str
    family: str
    gpus: int
    availability: str


@dataclass(frozen=True)
class GpuCatalogue:
    retrieved: str
    source: str
    availability_note: str
    check_command: str
    families: Mapping[str, GpuFamily]
    retired: Mapping[str, RetiredFamily]

    def lookup(self, vm_size: str) -> Optional[Tuple[str, GpuFamily]]:
        """The catalogued spelling and family of ``vm_size`` (ARM compares sizes case-insensitively)."""
        for family in self.families.values():
            for size in family.sizes:
                if size.lower() == vm_size.lower():
                    return size, family
        return None

    def retired_family_of(self, vm_size: str) -> Optional[RetiredFamily]:
        return next((f for f in self.retired.values() if f.pattern.match(vm_size)), None)

    def sizes_in(self, location: str) -> Tuple[str, ...]:
        """Catalogued sizes not marked unavailable in ``location``."""
        return tuple(size for family in self.families.values() if family.availability[location] != "unavailable"
                     for size in family.sizes)

    def check_command_for(self, location: str) -> str:
        return self.check_command.replace("{location}", location)


def _fail(problem: str) -> ComponentInputError:
    return ComponentInputError("GPU size catalogue %s: %s" % (CATALOGUE_PATH.name, problem))


def _family(name: str, raw: Mapping[str, object]) -> GpuFamily:
    sizes = raw.get("sizes")
    if not isinstance(sizes, dict) or not sizes or not all(
            isinstance(s, str) and isinstance(n, int) and n >= 1 for s, n in sizes.items()):
        raise _fail("family %s needs sizes mapping each size name to its GPU count (>= 1)" % name)
    availability = raw.get("availability")
    if not isinstance(availability, dict) or set(availability) != set(AZURE_UAE_LOCATIONS):
        raise _fail("family %s must state its availability in exactly %s" % (name, ", ".join(AZURE_UAE_LOCATIONS)))
    for location, state in availability.items():
        if state not in AVAILABILITY_STATES:
            raise _fail("family %s availability in %s is %r; use one of %s" % (name, location, state, ", ".join(AVAILABILITY_STATES)))
    evidence = raw.get("availabilityEvidence")
    if "verified" in availability.values() and not (isinstance(evidence, str) and evidence.strip()):
        raise _fail("family %s is marked verified without availabilityEvidence (what was checked, where, when)" % name)
    return GpuFamily(name=name, gpu=str(raw.get("gpu", "")), doc=str(raw.get("doc", "")), sizes=dict(sizes),
                     availability=dict(availability), evidence=evidence if isinstance(evidence, str) else None)


@lru_cache(maxsize=None)
def load_gpu_catalogue(path: Path = CATALOGUE_PATH) -> GpuCatalogue:
    """Read and check the catalogue; a malformed file is refused, never half-used."""
    document = json.loads(path.read_text(encoding="utf-8"))
    for key in ("retrieved", "source", "availabilityNote", "checkCommand", "families", "retired"):
        if key not in document:
            raise _fail("%s is missing" % key)
    families: Dict[str, GpuFamily] = {name: _family(name, raw) for name, raw in document["families"].items()}
    retired = {
        name: RetiredFamily(name=name, gpu=raw["gpu"], pattern=re.compile(raw["pattern"], re.IGNORECASE),
                            retired=raw["retired"], doc=raw["doc"], replacement=raw["replacement"])
        for name, raw in document["retired"].items()
    }
    catalogue = GpuCatalogue(retrieved=document["retrieved"], source=document["source"],
                             availability_note=document["availabilityNote"], check_command=document["checkCommand"],
                             families=families, retired=retired)
    for family in retired.values():
        if family.replacement not in families:
            raise _fail("retired family %s names replacement %s, which is not a catalogued family" % (family.name, family.replacement))
    for family in families.values():
        for size in family.sizes:
            if catalogue.retired_family_of(size) is not None:
                raise _fail("size %s of family %s matches a retired family" % (size, family.name))
    return catalogue


def is_gpu_size_name(vm_size: str) -> bool:
    """Whether a VM size is an N-series (GPU/FPGA) size, catalogued or not."""
    return bool(_N_SERIES.match(vm_size))


def require_gpu_size(component: str, vm_size: object, location: str, argument: str = "vm_size") -> GpuSize:
    """A catalogued GPU size, of no retired family, not marked unavailable in ``location``."""
    catalogue = load_gpu_catalogue()
    if not isinstance(vm_size, str) or not vm_size.strip():
        raise ComponentInputError(
            "%s: %s must be a GPU VM size such as 'Standard_NC24ads_A100_v4', got %r" % (component, argument, vm_size))
    retired = catalogue.retired_family_of(vm_size)
    if retired is not None:
        replacement = catalogue.families[retired.replacement]
        raise ComponentInputError(
            "%s: %s %s is in the %s family (%s), which Azure retired on %s (its VMs are deallocated); use %s instead: %s"
            % (component, argument, vm_size, retired.name, retired.gpu, retired.retired, replacement.name,
               ", ".join(replacement.sizes)))
    found = catalogue.lookup(vm_size)
    if found is None:
        raise ComponentInputError(
            "%s: %s %r is not in sahab's GPU size catalogue (%s, %s); choose one of: %s"
            % (component, argument, vm_size, CATALOGUE_PATH.name, catalogue.retrieved, ", ".join(catalogue.sizes_in(location))))
    size, family = found
    state = family.availability[location]
    if state == "unavailable":
        raise ComponentInputError(
            "%s: %s %s is not offered in %s (%s, %s); choose one of: %s"
            % (component, argument, size, location, CATALOGUE_PATH.name, catalogue.retrieved,
               ", ".join(catalogue.sizes_in(location)) or "none"))
    return GpuSize(name=size, family=family.name, gpus=family.sizes[size], availability=state)
