"""Benchmark: `sahab gate` on the reference prod stack, cold, as CI runs it.

Each run is a fresh `sahab gate` process (a cold start: interpreter, SDK imports, planning child,
regorus, checkov's process), timed wall-clock with the peak memory of the process tree. Prints
the median of the runs and the target: <= 10 s cold.

    .venv/bin/python bench/gate_bench.py [--runs 3] [--stack prod] [--no-checkov]
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 10.0


def one_run(stack: str, checkov: bool) -> "tuple[float, float, int]":
    command = [sys.executable, "-m", "sahab.cli", "gate", str(REPO), "--stack", stack, "--format", "json"]
    if not checkov:
        command.append("--no-checkov")
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        raise SystemExit("sahab gate failed (exit %d): %s" % (completed.returncode, completed.stderr.strip()))
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return elapsed, peak_mb, completed.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--no-checkov", action="store_true")
    args = parser.parse_args()
    print("python %s, %d CPUs, stack %s, checkov %s" % (
        sys.version.split()[0], os.cpu_count() or 0, args.stack, "off" if args.no_checkov else "on"))
    times, peaks = [], []
    for index in range(args.runs):
        elapsed, peak, code = one_run(args.stack, not args.no_checkov)
        times.append(elapsed)
        peaks.append(peak)
        print("run %d: %.2f s, peak %.0f MB (largest process so far), exit %d" % (index + 1, elapsed, peak, code))
    median = statistics.median(times)
    print("median %.2f s (min %.2f, max %.2f), peak %.0f MB" % (median, min(times), max(times), max(peaks)))
    print("target: sahab gate on the reference %s stack in <= %.0f s cold: %s" % (
        args.stack, TARGET_SECONDS, "PASS" if median <= TARGET_SECONDS else "MISS"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
