"""The UAE zone catalogue: sourced data, and refusals that list the valid choices."""
from __future__ import annotations

import pytest

from sahab.components.aws.catalogue import (
    load_catalogue,
    require_gpu_types_in_zones,
    require_uae_region,
    require_zones,
)
from sahab.components.validation import ComponentInputError


def test_catalogue_records_its_source_and_date():
    catalogue = load_catalogue()
    assert catalogue.source.startswith("moto ")
    assert "instance_type_offerings" in catalogue.source
    assert len(catalogue.retrieved) == 10 and catalogue.retrieved[4] == "-"


def test_me_central_1_gpu_offerings_per_zone():
    catalogue = load_catalogue()
    assert catalogue.zones == ("me-central-1a", "me-central-1b", "me-central-1c")
    for family in ("g5", "g6", "g6e"):
        assert catalogue.zones_offering(family + ".xlarge") == ("me-central-1a", "me-central-1b")
    assert catalogue.zones_offering("p5en.48xlarge") == ("me-central-1a", "me-central-1c")
    assert catalogue.zones_offering("p4d.24xlarge") == ()


def test_gpu_type_missing_from_a_zone_is_refused_with_valid_choices():
    with pytest.raises(ComponentInputError) as raised:
        require_gpu_types_in_zones("GpuTrainingPool", ["g6.xlarge"], ["me-central-1a", "me-central-1c"])
    assert str(raised.value).startswith("GpuTrainingPool: GPU instance type g6.xlarge is not offered in me-central-1c")
    assert str(raised.value).endswith("valid choices for zones me-central-1a, me-central-1c: p5en.48xlarge")


def test_gpu_types_offered_everywhere_pass():
    assert require_gpu_types_in_zones("p", ["g6e.2xlarge", "g5.xlarge"], ["me-central-1a", "me-central-1b"]) == (
        "g6e.2xlarge", "g5.xlarge")


def test_region_outside_the_uae_is_refused():
    with pytest.raises(ComponentInputError, match=r"^Network: region 'us-east-1' is outside the UAE; sahab pins AWS resources to me-central-1$"):
        require_uae_region("Network", "us-east-1")


def test_unknown_and_repeated_zones_are_refused():
    with pytest.raises(ComponentInputError, match=r"zone\(s\) me-central-1d are not in me-central-1; choose from me-central-1a, me-central-1b, me-central-1c"):
        require_zones("Network", ["me-central-1a", "me-central-1d"])
    with pytest.raises(ComponentInputError, match="zones must not repeat"):
        require_zones("Network", ["me-central-1a", "me-central-1a"])
    with pytest.raises(ComponentInputError, match="zones must not be empty"):
        require_zones("Network", [])
