"""MLflow and testinfra are extras (`sahab[promotion]`, `sahab[verify]`): nothing that plans or gates
may import them, so a gate-only install works without them (tests/test_installed_wheel.py installs
one and gates a program with it).

The dev environment has both installed, so an import would succeed here unnoticed: every module of
the plan/gate path is imported in a fresh interpreter whose import system refuses them. A feature
that needs an extra lives in a package of its own, outside PLAN_AND_GATE.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib.metadata import distribution

BLOCKED = ("mlflow", "testinfra")
# What `sahab plan`, `sahab gate`, `sahab policy` and the CrossGuard pack import, with their subpackages;
# sahab.verification too (`sahab gate --verify-results` reads its result file; it starts testinfra in a child only).
# (sahab.policies holds data, and checks that run inside checkov's own environment).
PLAN_AND_GATE = ("sahab", "sahab.planner", "sahab.gate", "sahab.reports", "sahab.crossguard", "sahab.tools",
                 "sahab.charts", "sahab.components", "sahab.stacks", "sahab.verification")

_PROBE = r"""
import importlib, json, pkgutil, sys

BLOCKED = set(sys.argv[1].split(","))
PACKAGES = json.loads(sys.argv[2])   # from pyproject's list: the editable install maps folders into sahab.*


class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("%s is an extra: the plan/gate path must not import it" % name)
        return None


sys.meta_path.insert(0, Refuse())
imported, failed = [], {}


def load(name):
    try:
        imported.append(importlib.import_module(name).__name__)
    except ImportError as exc:
        failed[name] = str(exc)


for package in PACKAGES:
    load(package)
    if package in failed:
        continue
    for module in pkgutil.iter_modules(sys.modules[package].__path__):
        if not module.ispkg and module.name != "__main__":   # __main__ runs a program
            load(package + "." + module.name)
try:
    import mlflow  # noqa: F401
    refused = False
except ImportError:
    refused = True
print(json.dumps({"imported": imported, "failed": failed, "refused": refused,
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)}))
"""


def test_extras_are_declared_and_not_required(repo_root):
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    assert project["optional-dependencies"]["promotion"] == ["mlflow[auth]>=3.17,<3.18"]
    assert project["optional-dependencies"]["verify"] == ["pytest-testinfra>=10.2,<11", "paramiko>=3.4,<5"]
    assert not any(dep.startswith(("mlflow", "pytest-testinfra", "paramiko")) for dep in project["dependencies"])


def test_no_plan_or_gate_module_imports_an_extra(repo_root):
    for name in ("mlflow", "pytest-testinfra"):
        distribution(name)  # installed here (./bootstrap), so only the block below can stop an import
    declared = tomllib.loads((repo_root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    assert set(PLAN_AND_GATE) <= set(declared)
    packages = [p for p in declared if any(p == root or p.startswith(root + ".") for root in PLAN_AND_GATE[1:]) or p == "sahab"]
    completed = subprocess.run([sys.executable, "-c", _PROBE, ",".join(BLOCKED), json.dumps(packages)],
                               capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.splitlines()[-1])
    assert result["refused"] is True
    assert result["failed"] == {}
    assert result["loaded"] == []
    # the walk reached the planner, the gate, the reports, the CrossGuard pack and the components
    for module in ("sahab.cli", "sahab.planner.runner", "sahab.planner.harness.monitor", "sahab.gate.run",
                   "sahab.gate.checkov.runner", "sahab.reports.gate_formats", "sahab.crossguard.pack",
                   "sahab.components.kubernetes.model_registry", "sahab.stacks", "sahab.verification.run",
                   "sahab.verification.results"):
        assert module in result["imported"], module
