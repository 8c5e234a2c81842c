"""regorus against OPA's own evaluator: every Rego test, and every finding on every plan we have.

The conformance table (test_regorus_conformance.py) compares builtins one by one; this compares
the whole rule set: the same ``evaluate_rules`` run on regorus and on OPA v1.20.2's evaluator
(tests/gate/real_opa.py) must give the same findings, on the reference stacks (AWS and Azure), on the fixture
programs written like other people's, and on every mutated plan of the mutation tests.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import test_mutations
import test_mutations_azure_kubernetes
import test_mutations_azure_nodes
import test_mutations_azure_reference
from real_opa import RealOpaEngine
from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.evaluate import check_builtins, evaluate_rules
from sahab.gate.policy_tests import run_policy_tests
from sahab.gate.rules import load_bundle
from sahab.planner import plan_project

PROGRAMS = Path(__file__).resolve().parents[1] / "fixtures" / "programs"
FIXTURE_PROGRAMS = ("azure", "compliant_platform", "invokes", "kubernetes", "multi_module", "resource_as_input")


@pytest.fixture(scope="module")
def bundle():
    return load_bundle()


@pytest.fixture(scope="module")
def engines(bundle):
    regorus, opa = EmbeddedEngine(), RealOpaEngine()
    for engine in (regorus, opa):
        check_builtins(bundle, engine)
        engine.load(bundle.without_tests())
    yield regorus, opa
    regorus.close()
    opa.close()


def test_every_rego_test_passes_on_opa(bundle):
    """`sahab policy test`'s tests (found by running them on regorus) all hold on OPA as well.

    OPA prepares each distinct query (~0.2 s), so the whole `data.sahab` tree is evaluated once
    and each test read from it: a test that fails is undefined there, one that errors fails all.
    """
    regorus = EmbeddedEngine()
    try:
        tests = run_policy_tests(bundle, regorus)
    finally:
        regorus.close()
    assert len(tests) >= 300 and all(t.passed for t in tests)
    opa = RealOpaEngine()
    try:
        opa.load(bundle.modules)
        tree = opa.query("sahab", {})
    finally:
        opa.close()

    def value(package: str, name: str) -> Any:
        node = tree
        for part in package.split(".")[1:] + [name]:
            node = node.get(part) if isinstance(node, dict) else None
        return node

    assert [(t.file, t.name) for t in tests if value(t.package, t.name) is not True] == []


def _plans(plan_reference_stack) -> Iterator[Tuple[str, Dict[str, Any]]]:
    for stack in ("prod", "staging", "dev", "azure-prod", "azure-staging", "azure-dev"):
        yield "reference " + stack, plan_reference_stack(stack)
    for name in FIXTURE_PROGRAMS:
        yield "fixture " + name, plan_project(PROGRAMS / name, "dev")


def _mutated(plans: Dict[str, Dict[str, Any]]) -> Iterator[Tuple[str, Dict[str, Any]]]:
    for base, module in (("reference prod", test_mutations), ("fixture compliant_platform", test_mutations_azure_kubernetes),
                         ("reference azure-prod", test_mutations_azure_nodes),
                         ("reference azure-prod", test_mutations_azure_reference)):
        for label, _, mutate in module.MUTATIONS:
            plan = copy.deepcopy(plans[base])
            mutate(plan)
            yield "%s, %s" % (base, label), plan


def _findings(plan: Dict[str, Any], bundle: Any, engine: Any) -> List[Tuple[str, str, str, str]]:
    return sorted((f.rule_id, f.status, f.urn, f.message) for f in evaluate_rules(plan, bundle, engine, loaded=True))


def test_regorus_and_opa_find_the_same_on_every_plan(plan_reference_stack, bundle, engines):
    regorus, opa = engines
    plans = dict(_plans(plan_reference_stack))
    compared, differing, findings = 0, [], 0
    for label, plan in list(plans.items()) + list(_mutated(plans)):
        ours, theirs = _findings(plan, bundle, regorus), _findings(plan, bundle, opa)
        compared += 1
        findings += len(theirs)
        if ours != theirs:
            differing.append((label, sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))))
    assert differing == []
    assert compared > 200 and findings > 500  # the comparison covered real findings, not empty answers
