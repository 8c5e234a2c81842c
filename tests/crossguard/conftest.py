"""Fixtures the CrossGuard tests share: the rule bundle and the reference prod plan (per module,
so a module that edits its plan cannot change another's)."""
from __future__ import annotations

import pytest

from sahab.gate.rules import load_bundle
from sahab.planner import plan_project


@pytest.fixture(scope="module")
def bundle():
    return load_bundle()


@pytest.fixture(scope="module")
def prod_plan(repo_root):
    return plan_project(repo_root, "prod")
