"""Fixtures shared by the gate tests."""
from __future__ import annotations

import pytest

from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.evaluate import check_builtins
from sahab.gate.rules import load_bundle


@pytest.fixture(scope="module")
def rules():
    """The rule bundle and an embedded engine that has it loaded (tests not included)."""
    bundle = load_bundle()
    engine = EmbeddedEngine()
    check_builtins(bundle, engine)
    engine.load(bundle.without_tests())
    yield bundle, engine
    engine.close()
