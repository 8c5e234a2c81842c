"""Fixtures for the chart tests; helpers are in chart_helpers.py."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The planner's helpers (fixture programs, schema validation) live beside the planner tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "planner"))

from chart_helpers import NAME, VERSION, build_archive  # noqa: E402


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A chart cache holding the test chart as `helm pull` leaves it: sahab-demo-0.3.1.tgz."""
    folder = tmp_path / "cache"
    build_archive(folder / ("%s-%s.tgz" % (NAME, VERSION)))
    return folder
