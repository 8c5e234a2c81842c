"""The result file ``sahab verify`` writes and ``sahab gate --verify-results`` reads.

One entry per test run: its node id, the rule ids it proves at run time (its ``controls``
marker), the host it ran against, the outcome and the duration. A skipped test is ``skipped``
with its reason, never ``passed``; an error in a fixture (a host that cannot be reached) is
``error``. Reading is strict: a file that is not exactly this shape is refused (exit 2), so a
truncated or hand-edited file can never read as a clean run.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ..errors import UsageError

SCHEMA = "sahab.dev/verify-results/v1"
OUTCOMES = ("passed", "failed", "skipped", "error")
_FAILING = ("failed", "error")
_FIX = "pass the file `sahab verify --results FILE` wrote, unmodified"


@dataclass(frozen=True)
class TestResult:
    """One test on one host (``host`` is None for the endpoint checks, which run from the verifying machine)."""

    __test__ = False  # not a pytest test class

    nodeid: str
    controls: Tuple[str, ...]
    outcome: str
    host: Optional[str]
    duration: float
    reason: Optional[str] = None   # skipped: why; failed/error: the first line of the failure

    @property
    def failing(self) -> bool:
        return self.outcome in _FAILING

    def to_json(self) -> Dict[str, Any]:
        return {"nodeid": self.nodeid, "controls": list(self.controls), "outcome": self.outcome, "host": self.host,
                "duration": round(self.duration, 3), "reason": self.reason}


@dataclass(frozen=True)
class VerifyResults:
    """A whole ``sahab verify`` run on one stack."""

    stack: str
    tests: Tuple[TestResult, ...]

    def count(self, outcome: str) -> int:
        return sum(1 for t in self.tests if t.outcome == outcome)

    @property
    def failed(self) -> bool:
        return any(t.failing for t in self.tests)

    def summary(self) -> Dict[str, int]:
        return {outcome: self.count(outcome) for outcome in OUTCOMES}

    def to_json(self) -> Dict[str, Any]:
        return {"schemaVersion": SCHEMA, "stack": self.stack, "summary": self.summary(),
                "tests": [t.to_json() for t in self.tests]}


def dumps_results(results: VerifyResults) -> str:
    return json.dumps(results.to_json(), indent=2, sort_keys=True) + "\n"


def load_results(path: Path) -> VerifyResults:
    """Read a result file; a UsageError (exit 2, one line) names what is wrong."""
    from ..inputs.safe_yaml import parse_json
    from ..inputs.files import read_input_text

    source = "verify results %s" % path
    data = parse_json(read_input_text(path, "verify results", _FIX), source, _FIX)
    return parse_results(data, source)


def parse_results(data: Any, source: str) -> VerifyResults:
    if not isinstance(data, dict) or data.get("schemaVersion") != SCHEMA:
        raise UsageError("%s is not a sahab verify result file (schemaVersion %s expected)" % (source, SCHEMA), _FIX)
    stack, tests = data.get("stack"), data.get("tests")
    if not isinstance(stack, str) or not stack:
        raise UsageError("%s has no stack" % source, _FIX)
    if not isinstance(tests, list):
        raise UsageError("%s has no list of tests" % source, _FIX)
    parsed = tuple(_parse_test(item, "%s tests[%d]" % (source, index)) for index, item in enumerate(tests))
    results = VerifyResults(stack, parsed)
    if data.get("summary") != results.summary():
        raise UsageError("%s: its summary does not match its tests" % source, _FIX)
    return results


def _parse_test(item: Any, where: str) -> TestResult:
    if not isinstance(item, dict):
        raise UsageError("%s is not a mapping" % where, _FIX)
    nodeid, controls, outcome = item.get("nodeid"), item.get("controls"), item.get("outcome")
    host, duration, reason = item.get("host"), item.get("duration"), item.get("reason")
    if not isinstance(nodeid, str) or not nodeid:
        raise UsageError("%s has no nodeid" % where, _FIX)
    if outcome not in OUTCOMES:
        raise UsageError("%s outcome %r is not one of %s" % (where, outcome, ", ".join(OUTCOMES)), _FIX)
    if not isinstance(controls, list) or not controls or not all(isinstance(c, str) and c for c in controls):
        raise UsageError("%s has no list of rule ids in controls" % where, _FIX)
    if host is not None and not isinstance(host, str):
        raise UsageError("%s host is not a string" % where, _FIX)
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration < 0:
        raise UsageError("%s duration is not a number of seconds" % where, _FIX)
    if reason is not None and not isinstance(reason, str):
        raise UsageError("%s reason is not a string" % where, _FIX)
    if outcome == "skipped" and not reason:
        raise UsageError("%s is skipped without a reason" % where, _FIX)
    return TestResult(nodeid, tuple(controls), outcome, host, float(duration), reason)


def exit_code(results: VerifyResults) -> int:
    """0 every test passed (skips reported, not counted), 1 a test failed or errored."""
    return 1 if results.failed else 0


def failing(results: VerifyResults) -> List[TestResult]:
    return [t for t in results.tests if t.failing]
