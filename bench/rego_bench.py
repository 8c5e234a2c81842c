"""Rego benchmark: evaluate every rule under policies/ over plans of N resources and report times.

Usage::

    .venv/bin/python bench/rego_bench.py [--sizes 1000,5000,10000] [--repeat 3] [--cache DIR]
                                         [--policies DIR] [--top 8] [--no-rules]

For each size a synthetic Pulumi program is generated with bench/plan_bench.py's generator
(``--mix gate``: buckets with encryption, public access block and policy companions, KMS keys,
security groups, subnets, launch templates, log groups, and Kubernetes namespaces with
NetworkPolicies, Deployments and Services) and planned with ``sahab.planner.plan_project``. The
plan JSON is cached under ``--cache`` (default: <tmp>/sahab-rego-bench), keyed by size and by a
hash of the generated program, so later runs skip planning.

Then, with the embedded regorus engine (the gate's default):

- **load s**: reading the bundle, probing builtins and loading the policies (once).
- **dumps s** / **input s**: the input handoff: ``json.dumps`` of the plan, then the rest of a
  query of an undefined path with the plan as input (the transfer to the engine's worker
  process and regorus parsing it).
- **eval s**: ``evaluate_rules`` on the loaded engine: handoff, one query of
  ``data.sahab.rules``, decoding the answer, building findings. This is the figure the target is
  about.

Median of ``--repeat`` runs. Then each rule package is queried on its own
(``engine.query("sahab.rules.<concern>.<rule>", plan)``, handoff included) and the slowest are
listed for the largest size.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(BENCH))

import plan_bench  # noqa: E402  (bench/plan_bench.py: the program generator)

TARGET_SIZE = 10000
TARGET_SECONDS = 1.0
MIX = "gate"


def plan_for(size: int, cache: Path) -> Tuple[Path, bool]:
    """The cached plan JSON of the ``size``-resource program, planning it first if needed."""
    from sahab.planner import dumps, plan_project

    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sahab-rego-bench-") as scratch:
        folder = Path(scratch) / "project"
        plan_bench.generate(folder, size, MIX)
        digest = hashlib.sha256((folder / "__main__.py").read_bytes()).hexdigest()[:12]
        target = cache / ("plan-%s-%d-%s.json" % (MIX, size, digest))
        if target.exists():
            return target, True
        document = plan_project(folder, plan_bench.STACK, timeout=3600.0)
    partial = target.with_suffix(".tmp")
    partial.write_text(dumps(document), encoding="utf-8")
    partial.replace(target)
    return target, False


def timed(action: Callable[[], Any]) -> Tuple[float, Any]:
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def median_of(repeat: int, action: Callable[[], Any]) -> Tuple[float, List[float], Any]:
    runs = []
    value = None
    for _ in range(repeat):
        seconds, value = timed(action)
        runs.append(seconds)
    return statistics.median(runs), runs, value


def bench_size(size: int, args: argparse.Namespace) -> Dict[str, Any]:
    from sahab.gate.engines.embedded import EmbeddedEngine
    from sahab.gate.evaluate import check_builtins, evaluate_rules
    from sahab.gate.rules import load_bundle

    path, cached = plan_for(size, args.cache)
    with path.open(encoding="utf-8") as handle:
        plan = json.load(handle)
    engine = EmbeddedEngine(timeout=3600.0)
    try:
        def load() -> Any:
            bundle = load_bundle(args.policies)
            check_builtins(bundle, engine)
            engine.load(bundle.without_tests())
            return bundle

        load_s, bundle = timed(load)
        dumps_s, _, _ = median_of(args.repeat, lambda: json.dumps(plan))
        # Through the engine's worker process, as the gate does: the query itself finds nothing.
        handoff_s, _, _ = median_of(args.repeat, lambda: engine.query("sahab_bench.undefined", plan))
        set_input_s = max(handoff_s - dumps_s, 0.0)
        eval_s, eval_runs, findings = median_of(
            args.repeat, lambda: evaluate_rules(plan, bundle, engine, loaded=True))
        per_rule: List[Tuple[float, str]] = []
        if not args.no_rules:
            for rule in bundle.rules:
                seconds, _ = timed(lambda: engine.query(rule.package, plan))
                per_rule.append((seconds, "%s %s" % (rule.rule_id, rule.package)))
            per_rule.sort(reverse=True)
    finally:
        engine.close()
    return {
        "size": size,
        "resources": len(plan["resources"]),
        "planMB": path.stat().st_size / 1e6,
        "cached": cached,
        "load": load_s,
        "dumps": dumps_s,
        "setInput": set_input_s,
        "eval": eval_s,
        "evalRuns": eval_runs,
        "deny": sum(1 for f in findings if f.status == "violation"),
        "deferred": sum(1 for f in findings if f.status == "deferred"),
        "rules": per_rule,
    }


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,10000", help="comma-separated resource counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is reported")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "sahab-rego-bench",
                        help="folder for the planned JSON documents (kept between runs)")
    parser.add_argument("--policies", type=Path, default=None,
                        help="evaluate this policy tree instead of the installed one (for A/B runs)")
    parser.add_argument("--top", type=int, default=8, help="how many of the slowest rules to list")
    parser.add_argument("--no-rules", action="store_true", help="skip the per-rule queries")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    import regorus  # noqa: F401  (version line only)
    from importlib.metadata import version

    print("python %s, %d CPUs, gordon-to-regorus %s, policies %s, %d run(s) per figure (median shown)" % (
        sys.version.split()[0], os.cpu_count() or 0, version("gordon-to-regorus"),
        args.policies or "policies/", args.repeat))
    print("%9s %8s %7s %8s %8s %11s %8s %s" % (
        "resources", "plan MB", "load s", "dumps s", "input s", "evaluate s", "deny", "deferred"))
    results: Dict[int, Dict[str, Any]] = {}
    for size in sizes:
        r = bench_size(size, args)
        results[size] = r
        print("%9d %8.1f %7.2f %8.3f %8.3f %11.3f %8d %d%s" % (
            r["resources"], r["planMB"], r["load"], r["dumps"], r["setInput"], r["eval"], r["deny"], r["deferred"],
            "" if r["cached"] else "   (planned now)"), flush=True)
        if r["resources"] != size:
            print("  warning: asked for %d resources, planned %d" % (size, r["resources"]))
    for size in sizes:
        rules = results[size]["rules"]
        if not rules:
            continue
        handoff = results[size]["dumps"] + results[size]["setInput"]
        print("\nslowest rules at %d resources (each its own query; the first figure includes the input"
              " handoff, %.3f s, and the shared helpers the rule uses):" % (size, handoff))
        for seconds, name in rules[:args.top]:
            print("  %8.3f s  %8.3f s without handoff  %s" % (seconds, max(seconds - handoff, 0.0), name))
        print("  %8.3f s  sum over all %d rules" % (sum(s for s, _ in rules), len(rules)))
    print("\nevaluate s = evaluate_rules on a loaded engine: dumps + input + one query of data.sahab.rules + findings")
    if TARGET_SIZE in results:
        r = results[TARGET_SIZE]
        ok = r["eval"] <= TARGET_SECONDS
        print("target: 10,000 resources in <= 1 s: %s (%.3f s; runs %s)" % (
            "PASS" if ok else "MISS", r["eval"], ", ".join("%.3f" % s for s in r["evalRuns"])))
    else:
        print("target: 10,000 resources in <= 1 s: (10,000 not among --sizes; no PASS/MISS)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
