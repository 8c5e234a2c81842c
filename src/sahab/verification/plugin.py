"""The pytest plugin ``sahab verify`` loads into the suites' run (``-p sahab.verification.plugin``).

It records, per test, the outcome over setup, call and teardown, the rule ids of its ``controls``
marker and the host it ran against, and writes the result file at the end of the session. A test
without a ``controls`` marker stops the run at collection: an unmapped check is no evidence.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional

import pytest

from .results import TestResult, VerifyResults, dumps_results


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sahab")
    group.addoption("--sahab-results", dest="sahab_results", metavar="FILE", help="Write sahab's verify result file here.")
    group.addoption("--sahab-stack", dest="sahab_stack", metavar="NAME", help="The stack the hosts belong to.")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("sahab_results"):
        config.pluginmanager.register(_Recorder(config), "sahab-recorder")


class _Recorder:
    def __init__(self, config: pytest.Config) -> None:
        self.path = Path(config.getoption("sahab_results"))
        self.stack = config.getoption("sahab_stack") or ""
        self.items: Dict[str, pytest.Item] = {}
        self.reports: Dict[str, List[pytest.TestReport]] = {}

    def pytest_collection_modifyitems(self, items: List[pytest.Item]) -> None:
        unmarked = [item.nodeid for item in items if not _controls(item)]
        if unmarked:
            raise pytest.UsageError("test %s has no @pytest.mark.controls(...) naming the rules it proves" % unmarked[0])
        self.items = {item.nodeid: item for item in items}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reports.setdefault(report.nodeid, []).append(report)

    def pytest_sessionfinish(self, exitstatus: int) -> None:
        if exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):  # no result of an unfinished run
            return
        tests = tuple(_result(item, self.reports.get(nodeid, [])) for nodeid, item in self.items.items())
        self.path.write_text(dumps_results(VerifyResults(self.stack, tests)))


def _controls(item: pytest.Item) -> tuple:
    return tuple(arg for mark in item.iter_markers("controls") for arg in mark.args)


def _host(item: pytest.Item) -> Optional[str]:
    callspec = getattr(item, "callspec", None)
    host = callspec.params.get("_testinfra_host") if callspec is not None else None
    backend = getattr(host, "backend", None)  # a role without hosts leaves pytest's empty-set placeholder
    return backend.get_pytest_id() if backend is not None else None


def _result(item: pytest.Item, reports: List[pytest.TestReport]) -> TestResult:
    outcome, reason = "error", "the test did not run to its end"
    duration = sum(r.duration for r in reports)
    for report in reports:
        if hasattr(report, "wasxfail"):
            outcome, reason = "error", "xfail is not allowed in verification suites"
            break
        if report.failed:
            outcome, reason = ("failed" if report.when == "call" else "error"), _first_line(report)
            break
        if report.skipped:
            outcome, reason = "skipped", _skip_reason(report)
            break
        if report.when == "call":
            outcome, reason = "passed", None
    if outcome == "passed" and not any(r.when == "teardown" for r in reports):
        outcome, reason = "error", "the test's teardown did not run"
    return TestResult(item.nodeid, _controls(item), outcome, _host(item), duration, reason)


def _first_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return (text.strip().splitlines() or ["(no message)"])[0][:500]


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason
