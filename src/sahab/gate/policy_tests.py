"""``sahab policy test``: run every ``test_`` rule, like ``opa test``, on the chosen backend."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional

from .engines.base import EngineError, PolicyEngine
from .rules import TEAM_MODULES, PolicyBundle

_PACKAGE = re.compile(r"^package\s+([\w.]+)\s*$", re.M)
_TEST_RULE = re.compile(r"^(test_\w+)\b", re.M)


@dataclass(frozen=True)
class PolicyTestResult:
    file: str
    package: str
    name: str
    passed: bool
    error: Optional[str] = None

    @property
    def status(self) -> str:
        return "PASS" if self.passed else ("ERROR" if self.error else "FAIL")


def run_policy_tests(bundle: PolicyBundle, engine: PolicyEngine, *, teams_only: bool = False) -> List[PolicyTestResult]:
    """Load every module (rules, libraries and tests) and evaluate each test rule.

    ``teams_only``: run only the tests of the bundle's team folders; sahab's modules are still
    loaded, so a team's rules and tests can use sahab's libraries.
    """
    engine.load(bundle.modules)
    results: List[PolicyTestResult] = []
    for path, text in sorted(bundle.modules.items()):
        if not path.endswith("_test.rego") or (teams_only and not path.startswith(TEAM_MODULES)):
            continue
        package_match = _PACKAGE.search(text)
        if package_match is None:
            results.append(PolicyTestResult(path, "?", "(module)", False, "no package declaration"))
            continue
        package = package_match.group(1)
        for name in sorted(set(_TEST_RULE.findall(text))):
            try:
                value = engine.query("%s.%s" % (package, name), {})
            except EngineError as exc:
                results.append(PolicyTestResult(path, package, name, False, exc.message))
                continue
            results.append(PolicyTestResult(path, package, name, value is True))
    return results
