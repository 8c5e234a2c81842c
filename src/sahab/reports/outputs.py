"""Several reports from one gate run: ``--format`` and ``--out`` paired by position.

Like checkov's ``-o cli -o sarif --output-file-path console,results.sarif``: the n-th ``--out`` is
where the n-th ``--format`` goes, ``-`` meaning stdout. One format needs no ``--out`` (stdout);
several need one each, so that no report is silently dropped or two are interleaved on stdout.
Every report renders the same :class:`GateResult`: one plan, one evaluation.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, TextIO

from ..errors import UsageError
from ..gate.findings import GateResult
from .gate_formats import FORMATS, render

STDOUT = "-"
_PAIRING = "give one --out per --format, in the same order (- for stdout)"


@dataclass(frozen=True)
class ReportTarget:
    """One report: its format and its file (None: stdout)."""

    fmt: str
    path: Optional[Path] = None


def report_targets(formats: Sequence[str], outs: Sequence[Path]) -> List[ReportTarget]:
    """Pair ``formats`` (default: console) with ``outs``; UsageError for an ambiguous pairing."""
    formats = list(formats) or ["console"]
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown:
        raise UsageError("unknown report format %s" % ", ".join(unknown), "choose from " + ", ".join(FORMATS))
    if not outs:
        if len(formats) > 1:
            raise UsageError("%d report formats but no --out: only one report can go to stdout" % len(formats), _PAIRING)
        return [ReportTarget(formats[0])]
    if len(outs) != len(formats):
        raise UsageError("%d --format but %d --out" % (len(formats), len(outs)), _PAIRING)
    targets = [ReportTarget(fmt, None if str(out) == STDOUT else Path(out)) for fmt, out in zip(formats, outs)]
    if sum(1 for target in targets if target.path is None) > 1:
        raise UsageError("more than one report for stdout (--out -)", "write all but one to files")
    paths = [target.path.resolve() for target in targets if target.path is not None]
    if len(set(paths)) != len(paths):
        raise UsageError("two reports would be written to the same --out file", "give each report its own file")
    return targets


def write_reports(result: GateResult, targets: Sequence[ReportTarget], *, stdout: Optional[TextIO] = None,
                  link_base: Optional[str] = None) -> None:
    """Render each target's report of ``result``: files first, then the one for stdout.

    The console report on stdout goes through rich (colour on a terminal, never wrapped either way).
    """
    for target in targets:
        if target.path is not None:
            write_text(target.path, render(result, target.fmt, link_base=link_base))
    out = stdout or sys.stdout
    for target in targets:
        if target.path is None:
            if target.fmt == "console":
                from rich.console import Console

                from .gate_console import render_console

                render_console(result, Console(file=out))
            else:
                out.write(render(result, target.fmt, link_base=link_base))


def write_text(path: Path, text: str) -> None:
    """Write a report (or any output file), creating its folder; UsageError (exit 2) if it cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError("cannot write %s: %s" % (path, exc.strerror), "choose a writable path for --out") from None
