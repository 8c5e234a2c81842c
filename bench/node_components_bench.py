"""What constructing multi-language components with their Node.js implementation costs a plan.

Plans the fixture programs ``eks_cluster`` (``eks.Cluster("ml")``, pulumi-eks 2.8.1) and
``awsx_vpc`` (``awsx.ec2.Vpc("vpc")``, pulumi-awsx 3.8.0) with ``sahab.planner.plan_project``:

- **cold**: an empty sahab cache and an empty npm cache, so the npm release is downloaded and
  installed (``npm install --ignore-scripts``, which writes the lock) before the construct;
- **warm**: the same cache again (the lock and ``node_modules`` are there; nothing is installed);
- **plugin cold / warm**: ``eks.Cluster`` again, now with a provider plugin installed for 2.8.1 in
  a Pulumi home of the bench's own (``plugins/resource-eks-v2.8.1/pulumi-resource-eks``, a launcher
  running the npm release's ``cmd/provider`` with ``node``, as the tests do: no real plugin binary
  is reachable here), so the plugin path is taken. Cold is the first plan with it (the executable
  is hashed for the plan), warm the second; every plan starts the plugin process afresh.
- **awsx plugin build / cold / warm**: ``pulumi-resource-awsx`` v3.8.0 built from awsx's source as
  the tests build it (``tests/planner/awsx_plugin.py``: ``npm ci`` from the vendored lock with the
  empty npm cache, then ``tsc``), installed in the same Pulumi home; then ``awsx.ec2.Vpc`` planned
  twice through it. A user with the released plugin pays only the plan rows, never the build.

For each it prints the plan's wall time, the time spent in ``npm_cache.install`` and in the
construct (the provider plugin's start in the sandbox, its code loading, the Construct call and
the gRPC calls to the monitor), and how many resources the component's implementation registered. Needs the npm registry for the cold
runs and the Python SDKs the tests install (tests/fixtures/programs/node_components_requirements.txt,
``.tools/python-components``).

    .venv/bin/python bench/node_components_bench.py
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "planner"))  # awsx_plugin: the tests' build of pulumi-resource-awsx
PROGRAMS = REPO / "tests" / "fixtures" / "programs"
COMPONENTS = REPO / ".tools" / "python-components"


def _project(name: str, root: Path) -> Path:
    project = root / name
    shutil.copytree(PROGRAMS / name, project)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project / "venv")], check=True)
    purelib = subprocess.run([str(project / "venv" / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "sahab-bench.pth").write_text("%s\n%s\n" % (sysconfig.get_paths()["purelib"], COMPONENTS), encoding="utf-8")
    return project


class _Timings:
    """Wraps the installer and the construct to time them inside one plan."""

    def __init__(self) -> None:
        from sahab.planner.node_components import expander, npm_cache

        self.spent: Dict[str, float] = {}
        self._install = npm_cache.install
        self._construct = expander.NodeExpander._construct
        timings = self

        def install(*args: Any, **kwargs: Any) -> Any:
            return timings._timed("install", timings._install, *args, **kwargs)

        def construct(self: Any, *args: Any, **kwargs: Any) -> Any:
            return timings._timed("construct", timings._construct, self, *args, **kwargs)

        npm_cache.install = install
        expander.npm_cache.install = install
        expander.NodeExpander._construct = construct

    def _timed(self, key: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            self.spent[key] = self.spent.get(key, 0.0) + time.perf_counter() - started


def _plan(project: Path, timings: _Timings) -> List[str]:
    from sahab.planner import plan_project

    timings.spent = {}
    started = time.perf_counter()
    doc = plan_project(project, "dev")
    wall = time.perf_counter() - started
    component = next(r for r in doc["resources"] if r.get("expanded") is not None)
    expanded = component["expanded"]
    what = ("%d resources by %s: %s@%s" % (expanded["objects"], expanded["by"], expanded["package"], expanded["version"])
            if expanded["by"] else "not expanded: " + expanded["reason"][:90])
    return ["%.2f" % wall, "%.2f" % timings.spent.get("install", 0.0), "%.2f" % timings.spent.get("construct", 0.0), what]


def _install_plugin(home: Path, cache: Path) -> None:
    """A ``pulumi-resource-eks`` 2.8.1 launcher in ``home``, which becomes ``PULUMI_HOME``."""
    provider = cache / "node-components" / "@pulumi+eks@2.8.1" / "node_modules" / "@pulumi" / "eks" / "cmd" / "provider"
    folder = home / "plugins" / "resource-eks-v2.8.1"
    folder.mkdir(parents=True)
    (folder / "pulumi-resource-eks").write_text('#!/bin/sh\nexec node %s "$@"\n' % provider, encoding="utf-8")
    (folder / "pulumi-resource-eks").chmod(0o755)
    os.environ["PULUMI_HOME"] = str(home)


def _build_awsx(home: Path) -> List[str]:
    """pulumi-resource-awsx v3.8.0 compiled from the vendored source into ``home``'s plugins."""
    import awsx_plugin

    started = time.perf_counter()
    awsx_plugin.build(home / "plugins" / ("resource-awsx-v%s" % awsx_plugin.VERSION))
    return ["%.2f" % (time.perf_counter() - started), "", "", "awsx/ at v3.8.0 from tests/fixtures/plugins/awsx-3.8.0"]


def main() -> None:
    timings = _Timings()
    rows = []
    with tempfile.TemporaryDirectory(prefix="sahab-node-bench-") as folder:
        root = Path(folder)
        os.environ["SAHAB_CACHE_DIR"] = str(root / "cache")
        os.environ["npm_config_cache"] = str(root / "npm-cache")  # cold means npm's own cache too
        os.environ.setdefault("SAHAB_CHART_CACHE", str(root / "charts"))
        for name, component in (("eks_cluster", "eks.Cluster"), ("awsx_vpc", "awsx.ec2.Vpc")):
            project = _project(name, root)
            for run in ("cold", "warm"):
                rows.append([component, run, *_plan(project, timings)])
        _install_plugin(root / "pulumi-home", root / "cache")
        project = root / "eks_cluster"
        for run in ("plugin cold", "plugin warm"):
            rows.append(["eks.Cluster", run, *_plan(project, timings)])
        rows.append(["awsx.ec2.Vpc", "plugin build (npm ci + tsc)", *_build_awsx(root / "pulumi-home")])
        project = root / "awsx_vpc"
        for run in ("plugin cold", "plugin warm"):
            rows.append(["awsx.ec2.Vpc", run, *_plan(project, timings)])
    header = ["component", "run", "wall s", "npm install s", "construct s", "expanded"]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


if __name__ == "__main__":
    main()
