"""Fixtures the CrossGuard tests share: the rule bundle and the reference prod plan (per module,
so a module that edits its plan cannot change another's)."""
from __future__ import annotations

import pytest

from sahab.gate.rules import load_bundle


@pytest.fixture(scope="module")
def bundle():
    return load_bundle()


@pytest.fixture(scope="module")
def prod_plan(plan_reference_stack):
    return plan_reference_stack("prod")
