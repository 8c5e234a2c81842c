"""Benchmark: what expanding multi-language components into the plan costs, per expander.

Each case is a plan's resources (the component and its provider, as the harness records them)
handed to the expander the way ``sahab.planner.document.build_document`` does it:

- **yaml**: a ``yaml/v2:ConfigFile`` of N Deployments (one file, 4 KiB of limits-checked YAML per
  ~10 objects), read from a scratch repository, normalised and turned into plan resources;
- **yaml-group**: a ``yaml/v2:ConfigGroup`` reading the same objects from N/10 files by glob, plus
  inline YAML and ``objs``;
- **helm**: a ``helm.sh/v4:Chart`` of the test chart vendored in the program (rendered twice, as
  ``sahab plan`` does); needs ``sahab[charts]``, else the case is skipped.

Another expander adds itself to :data:`CASES` (name -> builder returning a zero-argument callable
that expands once and returns the number of objects it produced).

    .venv/bin/python bench/expansion_bench.py [--runs 30] [--objects 10,100,1000] [--only yaml,helm]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

REPO = Path(__file__).resolve().parents[1]
CHART = REPO / "tests" / "fixtures" / "charts" / "sahab-demo"
STACK = "urn:pulumi:bench::bench::"
PROVIDER = {"urn": STACK + "pulumi:providers:kubernetes::cluster", "type": "pulumi:providers:kubernetes", "name": "cluster",
            "provider": None, "parent": None, "region": "unknown", "regionSource": "none", "inputs": {"namespace": "bench"},
            "opaque": False, "propertyDependencies": {}}
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api-%d, labels: {app: api-%d}}
spec:
  replicas: 2
  selector: {matchLabels: {app: api-%d}}
  template:
    metadata: {labels: {app: api-%d}}
    spec:
      automountServiceAccountToken: false
      containers:
        - name: api
          image: registry.example/api:1.0
          securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}}
"""


def _component(type_token: str, name: str, inputs: Dict) -> Dict:
    return {"urn": STACK + "%s::%s" % (type_token, name), "type": type_token, "name": name, "provider": PROVIDER["urn"],
            "parent": None, "region": "unknown", "regionSource": "none", "inputs": inputs, "opaque": True,
            "propertyDependencies": {}}


def yaml_file(scratch: Path, objects: int) -> Callable[[], int]:
    from sahab.charts.manifests import expand_yaml

    (scratch / "app.yaml").write_text("---\n".join(DEPLOYMENT % ((i,) * 4) for i in range(objects)))

    def run() -> int:
        resources = [dict(PROVIDER), _component("kubernetes:yaml/v2:ConfigFile", "app", {"file": "app.yaml"})]
        expanded, _ = expand_yaml(resources, program_dir=scratch, root=scratch)
        return len(expanded) - 2
    return run


def yaml_group(scratch: Path, objects: int) -> Callable[[], int]:
    from sahab.charts.manifests import expand_yaml

    folder = scratch / "manifests"
    folder.mkdir()
    per_file = 10
    for start in range(0, max(objects - 2, 0), per_file):
        count = min(per_file, objects - 2 - start)
        (folder / ("part-%05d.yaml" % start)).write_text("---\n".join(DEPLOYMENT % ((start + i,) * 4) for i in range(count)))
    inputs = {"files": ["manifests/*.yaml"], "yaml": DEPLOYMENT % ((-1,) * 4),
              "objs": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"a": "b"}}]}

    def run() -> int:
        resources = [dict(PROVIDER), _component("kubernetes:yaml/v2:ConfigGroup", "group", inputs)]
        expanded, _ = expand_yaml(resources, program_dir=scratch, root=scratch)
        return len(expanded) - 2
    return run


def helm_chart(scratch: Path, objects: int) -> Callable[[], int]:
    from sahab.charts.expand import expand_helm
    from sahab.charts.render import renderer

    renderer()  # RendererMissing without sahab[charts]: the case is skipped
    shutil.copytree(CHART, scratch / "charts" / "sahab-demo")
    inputs = {"chart": "./charts/sahab-demo", "namespace": "bench", "values": {"replicas": 3}}

    def run() -> int:
        resources = [dict(PROVIDER), _component("kubernetes:helm.sh/v4:Chart", "demo", inputs)]
        expanded, _ = expand_helm(resources, cache=scratch / "no-cache", program_dir=scratch)
        return len(expanded) - 2
    return run


CASES: Dict[str, Callable[[Path, int], Callable[[], int]]] = {"yaml": yaml_file, "yaml-group": yaml_group, "helm": helm_chart}
FIXED_SIZE = {"helm"}  # the chart decides how many objects there are


def measure(run: Callable[[], int], runs: int) -> "tuple[List[float], int]":
    produced = run()  # warm: imports, file cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times, produced


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--objects", default="10,100,1000")
    parser.add_argument("--only", default=",".join(CASES))
    args = parser.parse_args()
    sizes = [int(n) for n in args.objects.split(",")]
    print("python %s, %d CPUs" % (sys.version.split()[0], os.cpu_count() or 0))
    for name in args.only.split(","):
        for size in sizes[:1] if name in FIXED_SIZE else sizes:
            with tempfile.TemporaryDirectory(prefix="sahab-expansion-bench-") as scratch:
                try:
                    run = CASES[name](Path(scratch), size)
                except Exception as exc:  # noqa: BLE001 - an expander that cannot run here is reported, not fatal
                    print("%-10s skipped: %s" % (name, exc))
                    break
                times, produced = measure(run, args.runs)
            ms = sorted(t * 1000 for t in times)
            print("%-10s objects %5d  median %8.2f ms  p95 %8.2f ms  per object %6.3f ms" % (
                name, produced, statistics.median(ms), ms[int(0.95 * (len(ms) - 1))], statistics.median(ms) / max(produced, 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
