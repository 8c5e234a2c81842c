"""checkov beside the rest of the gate: started early, scanned in the background.

checkov is the longest step of a large gate, so ``sahab gate`` keeps it off the critical path:

- :func:`prestarted_driver` starts checkov's pre-forking driver before the program is planned;
  checkov's ~2.5 s import then runs on another core while the planner works.
- :func:`start_checkov` builds the Kubernetes manifests at once (pure Python: done before the
  Rego evaluation starts, rather than competing with it for the interpreter lock), then scans in
  a thread while the caller evaluates the Rego rules; checkov itself runs in processes.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional, Sequence

from ...errors import SahabError
from ...tools.checkov import checkov_executable
from ..findings import Finding
from .engine import scan_findings
from .manifests import ProjectFiles, build_inputs
from .runner import PreforkDriver, interpreter_of, requested_mode


@contextmanager
def prestarted_driver(enabled: bool = True) -> Iterator[Optional[PreforkDriver]]:
    """A pre-forking driver started now, or None; ended on exit if no scan used it.

    Best effort: when checkov is missing or runs in ``cli`` mode this yields None, and the scan
    later starts its own processes (and reports a missing checkov as the engine error it is).
    """
    driver: Optional[PreforkDriver] = None
    if enabled and requested_mode() == "prefork":
        try:
            interpreter = interpreter_of(checkov_executable())
            driver = PreforkDriver(interpreter) if interpreter is not None else None
        except (SahabError, OSError):
            driver = None
    try:
        yield driver
    finally:
        if driver is not None:
            driver.close()


def start_checkov(plan: Dict[str, Any], project_files: Optional[ProjectFiles], *,
                  mandatory: Optional[Sequence[str]] = None, driver: Optional[PreforkDriver] = None,
                  **scan_options: Any) -> "Future[List[Finding]]":
    """Build checkov's inputs now and scan them in a background thread: the findings, when done.

    ``project_files``: the project's CI files and Dockerfiles, read before the program ran
    (:mod:`sahab.gate.snapshot`); None scans the plan's manifests only. ``scan_options`` are
    :func:`~.engine.scan`'s keywords. An error building the inputs is raised here; a scan error
    is raised by the future's ``result()``.
    """
    inputs = build_inputs(plan, None, project_files=project_files)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sahab-checkov")
    try:
        return pool.submit(scan_findings, inputs, mandatory=mandatory, driver=driver, **scan_options)
    finally:
        pool.shutdown(wait=False)  # the thread ends with its one task
