"""Benchmark: what rendering Helm charts offline costs (the optional extra ``sahab[charts]``).

Prints, for the test chart (tests/fixtures/charts/sahab-demo: 5 object templates, one a hook, and 1 CRD):

- **cold**: a fresh interpreter that imports helm_python, loads Helm's Go library and renders the
  chart once (median of --cold runs, each its own process);
- **render**: one ``sahab.charts.render.render`` (fresh chart load + Helm render), N times;
- **expand**: one release expanded into plan resources the way ``sahab plan`` does it (find the
  archive, render twice, parse, build the plan resources), N times;
- **installed size** of the extra (helm_python and its dist-info, each file counted once).

    .venv/bin/python bench/chart_bench.py [--renders 200] [--cold 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHART = REPO / "tests" / "fixtures" / "charts" / "sahab-demo"

COLD = """
import resource, time
started = time.perf_counter()
import helm_python
helm_python.helm_sdk_version()
loaded = time.perf_counter()
with helm_python.Chart.load(%r) as chart:
    chart.render(values={}, name="bench", namespace="bench")
print(loaded - started, time.perf_counter() - loaded, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def cold_runs(runs: int) -> "tuple[list, list, list]":
    imports, renders, peaks = [], [], []
    for _ in range(runs):
        output = subprocess.run([sys.executable, "-c", COLD % str(CHART)], capture_output=True, text=True, check=True)
        first, second, peak = (float(x) for x in output.stdout.split())
        imports.append(first)
        renders.append(second)
        peaks.append(peak)
    return imports, renders, peaks


def timed(action, count: int) -> "list[float]":
    times = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def installed_size() -> "tuple[int, str]":
    import helm_python

    package = Path(helm_python.__file__).resolve().parent
    roots = [package] + list(package.parent.glob("helm_python_sdk-*.dist-info"))
    seen, total = set(), 0
    for root in roots:
        for current, _, files in os.walk(root):
            for name in files:
                info = os.stat(os.path.join(current, name))
                if (info.st_dev, info.st_ino) not in seen:
                    seen.add((info.st_dev, info.st_ino))
                    total += info.st_size
    return total, str(package)


def describe(label: str, times: "list[float]") -> str:
    ms = sorted(t * 1000 for t in times)
    return "%-8s n=%-4d median %7.2f ms  p95 %7.2f ms  max %7.2f ms" % (
        label, len(ms), statistics.median(ms), ms[int(0.95 * (len(ms) - 1))], ms[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--cold", type=int, default=5)
    args = parser.parse_args()

    from sahab.charts.expand import expand_helm
    from sahab.charts.render import render, renderer

    print("python %s, %d CPUs, %s" % (sys.version.split()[0], os.cpu_count() or 0, renderer()))
    imports, firsts, peaks = cold_runs(args.cold)
    print("cold     n=%-4d import + load library: median %.3f s (max %.3f); first render %.1f ms (max %.1f); "
          "process peak %.0f MB" % (args.cold, statistics.median(imports), max(imports), statistics.median(firsts) * 1000,
                                    max(firsts) * 1000, max(peaks)))

    with tempfile.TemporaryDirectory(prefix="sahab-chart-bench-") as scratch:
        cache = Path(scratch)
        with tarfile.open(cache / "sahab-demo-0.3.1.tgz", "w:gz") as archive:
            archive.add(CHART, arcname="sahab-demo")
        print(describe("render", timed(lambda: render(cache / "sahab-demo-0.3.1.tgz", release_name="bench",
                                                       namespace="bench", values={}), args.renders)))
        release = {
            "urn": "urn:pulumi:bench::bench::kubernetes:helm.sh/v3:Release::bench", "type": "kubernetes:helm.sh/v3:Release",
            "name": "bench", "provider": None, "region": "unknown", "regionSource": "none", "propertyDependencies": {},
            "inputs": {"chart": "sahab-demo", "version": "0.3.1", "namespace": "bench", "name": "bench",
                       "values": {"replicas": 3, "apiToken": {"$secret": True}}},
        }

        def expand() -> None:
            resources, _ = expand_helm([dict(release)], cache=cache)
            assert len(resources) == 7, len(resources)

        print(describe("expand", timed(expand, args.renders)))
    size, where = installed_size()
    print("installed size of sahab[charts]: %.0f MB = %.0f MiB (%s)" % (size / 1e6, size / 2 ** 20, where))
    return 0


if __name__ == "__main__":
    sys.exit(main())
