"""Shared argument checks name the argument and the rule."""
from __future__ import annotations

import pytest

from sahab.components.validation import ComponentInputError, require_choice, require_name, require_size_range


@pytest.mark.parametrize("name", ["", "  ", None, "Upper", "-lead", "trail-", "x" * 41, "under_score"])
def test_bad_names_are_refused(name):
    with pytest.raises(ComponentInputError, match=r"^Cluster: name"):
        require_name("Cluster", name)


def test_good_name_passes():
    assert require_name("Cluster", "ml-prod-1") == "ml-prod-1"


@pytest.mark.parametrize("bounds, message", [
    ((3, 2, None), "Pool: min_size (3) must not exceed max_size (2)"),
    ((-1, 2, None), "Pool: min_size must be >= 0, got -1"),
    ((0, 0, None), "Pool: max_size must be >= 1, got 0"),
    ((1, 3, 5), "Pool: desired_size (5) must be between min_size (1) and max_size (3)"),
])
def test_size_ranges(bounds, message):
    with pytest.raises(ComponentInputError) as raised:
        require_size_range("Pool", *bounds)
    assert str(raised.value) == message


def test_zero_min_refused_when_not_allowed():
    with pytest.raises(ComponentInputError, match=r"min_size must be >= 1, got 0"):
        require_size_range("InferencePool", 0, 2, allow_zero=False)


def test_choice_lists_allowed_values():
    with pytest.raises(ComponentInputError, match=r"egress 'open' is not allowed; choose one of: nat, none"):
        require_choice("Network", "egress", "open", ["none", "nat"])
