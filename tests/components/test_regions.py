"""One UAE region set: the components, the gate and the Rego library agree on it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from sahab.components.regions import AZURE_UAE_PAIRS, UAE_REGIONS, require_uae_region
from sahab.components.validation import ComponentInputError

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def _rego_value(file: str, name: str) -> str:
    match = re.search(r"^%s := (.+)$" % re.escape(name), (POLICIES / file).read_text(encoding="utf-8"), re.MULTILINE)
    assert match is not None, "%s is not defined in %s" % (name, file)
    return match.group(1)


def test_the_rego_library_holds_the_same_uae_regions():
    assert set(re.findall(r'"([^"]+)"', _rego_value("lib/plan.rego", "uae_regions"))) == set(UAE_REGIONS)


def test_the_rego_library_holds_the_same_azure_pairs():
    pairs = re.findall(r'"([^"]+)": "([^"]+)"', _rego_value("lib/azure.rego", "uae_pairs"))
    assert dict(pairs) == dict(AZURE_UAE_PAIRS)


@pytest.mark.parametrize("cloud, region, expected", [
    ("aws", "me-central-1", "me-central-1"), ("azure", "uaenorth", "uaenorth"), ("azure", "UAE Central", "uaecentral"),
])
def test_uae_regions_are_accepted_in_canonical_form(cloud, region, expected):
    assert require_uae_region("Thing", cloud, region) == expected


@pytest.mark.parametrize("cloud, region, message", [
    ("aws", "eu-west-1", "Thing: region 'eu-west-1' is outside the UAE; sahab pins AWS resources to me-central-1"),
    ("aws", "uaenorth", "Thing: region 'uaenorth' is outside the UAE; sahab pins AWS resources to me-central-1"),
    ("azure", "westeurope", "Thing: region 'westeurope' is outside the UAE; sahab pins Azure resources to uaenorth, uaecentral"),
    ("azure", None, "Thing: region None is outside the UAE; sahab pins Azure resources to uaenorth, uaecentral"),
])
def test_other_regions_are_refused_with_the_choices(cloud, region, message):
    with pytest.raises(ComponentInputError) as error:
        require_uae_region("Thing", cloud, region)
    assert str(error.value) == message
