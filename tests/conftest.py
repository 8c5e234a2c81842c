"""Shared test helpers: paths and a way to run the real ``sahab`` CLI as a user would."""
from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest
from mlflow_live import restore_environment  # tests/mlflow_live.py (tests/ is on sys.path)

from sahab.planner import plan_project

REPO_ROOT = Path(__file__).resolve().parents[1]
SAHAB = [sys.executable, "-m", "sahab.cli"]
_MLFLOW_URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


def run_sahab(args: List[str], cwd: Path = REPO_ROOT, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``sahab ARGS`` in a subprocess and capture its text output."""
    return subprocess.run(SAHAB + args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(autouse=True, scope="session")
def _empty_chart_cache(tmp_path_factory):
    """Charts a developer keeps in ~/.cache/sahab/charts must not change what the tests plan:
    every test (and every `sahab` it starts) sees an empty chart cache unless it names one."""
    patch = pytest.MonkeyPatch()
    patch.setenv("SAHAB_CHART_CACHE", str(tmp_path_factory.mktemp("empty-chart-cache")))
    yield
    patch.undo()


@pytest.fixture(autouse=True, scope="module")
def _mlflow_points_nowhere_after_a_module():
    """A module that points MLflow at its own server (``mlflow.set_tracking_uri``/``set_registry_uri``
    also export MLFLOW_TRACKING_URI/MLFLOW_REGISTRY_URI, and ``set_registry_uri(None)`` leaves the
    variable set) must not leave the next module's registry calls retrying a stopped server."""
    saved = {name: os.environ.get(name) for name in _MLFLOW_URI_VARIABLES}
    yield
    if "mlflow" in sys.modules:
        import mlflow

        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
    restore_environment(saved)


@pytest.fixture(scope="session")
def sahab_cli():
    """The ``run_sahab`` helper, as a fixture so test modules need no imports from here."""
    return run_sahab


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory) -> Path:
    """The wheel of the working tree, built once per session (tests/installed_sahab.py)."""
    from installed_sahab import build_wheel

    return build_wheel(REPO_ROOT, tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def installed_sahab(built_wheel, tmp_path_factory):
    """That wheel installed gate-only into a fresh virtualenv outside the checkout; not set up."""
    from installed_sahab import install

    return install(REPO_ROOT, built_wheel, tmp_path_factory.mktemp("installed"))


@pytest.fixture(scope="session")
def set_up_sahab(installed_sahab):
    """The installed sahab after `sahab setup` (checkov and the CrossGuard pack in its data dir)."""
    completed = installed_sahab.sahab(["setup", "--uv", str(installed_sahab.uv)])
    assert completed.returncode == 0, completed.stderr
    return installed_sahab


@pytest.fixture(scope="session")
def plan_reference_stack(repo_root: Path) -> Callable[[str], Dict[str, Any]]:
    """The reference platform's plan for a stack, planned once per session (a plan of the prod
    stack takes seconds and a dozen modules read it); every call returns a copy of its own."""
    plans: Dict[str, Dict[str, Any]] = {}

    def plan(stack: str) -> Dict[str, Any]:
        if stack not in plans:
            plans[stack] = plan_project(repo_root, stack)
        return copy.deepcopy(plans[stack])

    return plan
