"""Zones only where the location has them; redundancy only inside the UAE pair."""
from __future__ import annotations

import pytest

from sahab.components import regions
from sahab.components.azure import (
    paired_location, require_geo_redundancy, require_replica_locations, require_storage_sku, require_zone_redundancy,
    require_zones, zones_of,
)
from sahab.components.azure import arguments
from sahab.components.validation import ComponentInputError


def _refused(call, *args):
    with pytest.raises(ComponentInputError) as error:
        call(*args)
    return str(error.value)


def test_zones_follow_the_region_set():
    assert zones_of("uaenorth") == ("1", "2", "3")
    assert zones_of("uaecentral") == ()
    assert regions.AZURE_LOCATIONS_WITH_ZONES == ("uaenorth",)


def test_zones_in_uaenorth_are_accepted_and_empty_means_none():
    assert require_zones("Thing", "uaenorth", ["1", "3"]) == ("1", "3")
    assert require_zones("Thing", "uaecentral", []) == ()
    assert require_zones("Thing", "uaecentral", None) == ()


@pytest.mark.parametrize("location, zones, message", [
    ("uaecentral", ["1"], "Thing: zones ['1'] given, but uaecentral has no availability zones; leave zones empty or use uaenorth"),
    ("uaenorth", ["4"], "Thing: zones entry '4' is not a zone of uaenorth; choose from: 1, 2, 3"),
    ("uaenorth", ["uaenorth-1"], "Thing: zones entry 'uaenorth-1' is not a zone of uaenorth; choose from: 1, 2, 3"),
    ("uaenorth", ["1", "1"], "Thing: zones ['1', '1'] lists a zone twice"),
])
def test_bad_zones_are_refused(location, zones, message):
    assert _refused(require_zones, "Thing", location, zones) == message


def test_zone_redundancy_needs_zones():
    assert require_zone_redundancy("Thing", "zone_redundancy", "uaenorth", True) is True
    assert require_zone_redundancy("Thing", "zone_redundancy", "uaecentral", False) is False
    assert _refused(require_zone_redundancy, "Thing", "zone_redundancy", "uaecentral", True) == (
        "Thing: zone_redundancy needs availability zones, which uaecentral does not have; turn it off or use uaenorth"
    )


def test_geo_copies_go_to_the_uae_pair():
    assert paired_location("uaenorth") == "uaecentral" and paired_location("UAE Central") == "uaenorth"
    assert require_geo_redundancy("Thing", "geo_backup", "uaenorth") == "uaecentral"


def test_geo_redundancy_is_refused_when_the_pair_leaves_the_uae(monkeypatch):
    # The pair table is the single source: were a UAE region ever paired outside the UAE, every
    # geo-redundant setting of it would be refused.
    monkeypatch.setattr(arguments, "AZURE_UAE_PAIRS", {"uaenorth": "westeurope"})
    assert _refused(require_geo_redundancy, "Thing", "geo_backup", "uaenorth") == (
        "Thing: geo_backup copies data from uaenorth to its paired region westeurope, outside the UAE; "
        "use a locally or zone-redundant setting"
    )
    assert _refused(require_storage_sku, "Thing", "uaenorth", "Standard_RAGRS").startswith(
        "Thing: sku Standard_RAGRS copies data from uaenorth to its paired region westeurope"
    )


def test_replicas_only_in_the_pair():
    assert require_replica_locations("Thing", "replications", "uaenorth", ["UAE Central"]) == ("uaecentral",)
    assert require_replica_locations("Thing", "replications", "uaenorth", []) == ()
    assert _refused(require_replica_locations, "Thing", "replications", "uaenorth", ["westeurope"]) == (
        "Thing: replications entry 'westeurope' is not allowed; replicas of uaenorth stay in its UAE pair, uaecentral"
    )
    assert _refused(require_replica_locations, "Thing", "replications", "uaenorth", ["uaenorth"]).startswith(
        "Thing: replications entry 'uaenorth' is not allowed"
    )
    assert _refused(require_replica_locations, "Thing", "replications", "uaenorth", ["uaecentral", "uaecentral"]) == (
        "Thing: replications lists uaecentral twice"
    )


@pytest.mark.parametrize("location, sku", [
    ("uaenorth", "Standard_LRS"), ("uaenorth", "Standard_ZRS"), ("uaenorth", "Standard_GZRS"), ("uaenorth", "Standard_RAGZRS"),
    ("uaecentral", "Standard_GRS"), ("uaecentral", "Standard_RAGRS"), ("uaecentral", "Standard_LRS"),
])
def test_storage_skus_that_stay_in_the_uae(location, sku):
    assert require_storage_sku("Thing", location, sku) == sku


@pytest.mark.parametrize("location, sku, message", [
    ("uaecentral", "Standard_ZRS",
     "Thing: sku Standard_ZRS needs availability zones, which uaecentral does not have; turn it off or use uaenorth"),
    ("uaecentral", "Standard_RAGZRS",
     "Thing: sku Standard_RAGZRS needs availability zones, which uaecentral does not have; turn it off or use uaenorth"),
    ("uaenorth", "Standard_GRS_westeurope",
     "Thing: sku 'Standard_GRS_westeurope' is not a storage SKU; choose one of: Premium_LRS, Premium_ZRS, Standard_GRS, "
     "Standard_GZRS, Standard_LRS, Standard_RAGRS, Standard_RAGZRS, Standard_ZRS"),
])
def test_storage_skus_that_cannot_be_honoured_are_refused(location, sku, message):
    assert _refused(require_storage_sku, "Thing", location, sku) == message
