"""The promotion rules (policies/promotion/, custom.input: promotion) on input documents, no MLflow.

A mutation table breaks the compliant promotion of policies/lib/promotion_test.rego one property
at a time and asserts the rule meant for it denies it, so every rule has a break it must catch;
regorus and OPA's own evaluator must agree on every document; and the infrastructure gate and
the promotion gate each load only the rules that read their input.
"""
from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

from real_opa import RealOpaEngine  # tests/gate/real_opa.py (conftest.py puts tests/gate on sys.path)
from sahab.errors import ConfigError
from sahab.gate.engines.base import EngineError
from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.evaluate import evaluate_rules
from sahab.gate.rules import default_policies_root, load_bundle
from sahab.promotion.policy import load_policy

Doc = Dict[str, Any]


@pytest.fixture(scope="module")
def bundle():
    return load_bundle(input_kind="promotion")


@pytest.fixture(scope="module")
def regorus(bundle):
    engine = EmbeddedEngine()
    engine.load(bundle.modules)  # with the tests: the compliant document is policies/lib/promotion_test.rego's
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def compliant(regorus) -> Doc:
    document = regorus.query("sahab.lib.promotion_test.compliant", {})
    assert document["candidate"]["uri"] == "models:/churn/3"
    return document


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        *parents, last = path.split("/")
        node = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return mutate


def _drop(path: str) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        *parents, last = path.split("/")
        node = doc
        for key in parents:
            node = node[key]
        del node[last]
    return mutate


MUTATIONS: List[Tuple[str, str, Callable[[Doc], None]]] = [
    ("accuracy below its threshold", "SAHAB-PRM-001", _set("candidate/metrics/accuracy", 0.89)),
    ("rmse above its threshold", "SAHAB-PRM-001", _set("candidate/metrics/rmse", 0.36)),
    ("a configured metric not logged", "SAHAB-PRM-001", _drop("candidate/metrics/rmse")),
    ("a metric logged as text", "SAHAB-PRM-001", _set("candidate/metrics/accuracy", "0.95")),
    ("no metric configured", "SAHAB-PRM-001", _set("config/metrics", {})),
    ("regression beyond the margin", "SAHAB-PRM-002", _set("candidate/metrics/accuracy", 0.909)),
    ("lower-is-better regression", "SAHAB-PRM-002", _set("champion/metrics/rmse", 0.2)),
    ("champion without the metric", "SAHAB-PRM-002", _drop("champion/metrics/accuracy")),
    ("model artifacts in another bucket", "SAHAB-PRM-003", _set("candidate/artifact_locations/0", "s3://ml-artifacts-eu/1/m")),
    ("artifacts in a bucket sharing the prefix", "SAHAB-PRM-003", _set("candidate/artifact_locations/0", "s3://ml-artifactsx/1/m")),
    ("artifacts climbing out of the store", "SAHAB-PRM-003", _set("candidate/artifact_locations/1", "s3://ml-artifacts/../x")),
    ("artifact location unknown", "SAHAB-PRM-003", _set("candidate/artifact_locations", [])),
    ("no store configured", "SAHAB-PRM-003", _set("config/allowed_stores", [])),
    ("training data outside the stores", "SAHAB-PRM-004", _set("candidate/datasets/0/location", "https://example.com/d.csv")),
    ("training data without a location", "SAHAB-PRM-004", _set("candidate/datasets/0/location", None)),
    ("no logged dataset", "SAHAB-PRM-004", _set("candidate/datasets", [])),
    ("drift verdict missing", "SAHAB-PRM-005", _set("candidate/tags", {})),
    ("drift detected", "SAHAB-PRM-005", _set("candidate/tags/sahab.drift.status", "drift")),
    ("no evidence required", "SAHAB-PRM-005", _set("config/required_evidence", {})),
]


def _denied(doc: Doc, bundle: Any, engine: Any) -> List[Tuple[str, str, str]]:
    return sorted((f.rule_id, f.urn, f.message) for f in evaluate_rules(doc, bundle, engine, loaded=True) if f.blocks)


def test_the_compliant_promotion_is_allowed(compliant, bundle, regorus):
    assert _denied(compliant, bundle, regorus) == []


@pytest.mark.parametrize("label, rule_id, mutate", MUTATIONS, ids=[label for label, _, _ in MUTATIONS])
def test_each_break_is_denied_by_its_rule(compliant, bundle, regorus, label, rule_id, mutate):
    doc = copy.deepcopy(compliant)
    mutate(doc)
    assert rule_id in {found for found, urn, _ in _denied(doc, bundle, regorus) if urn == "models:/churn/3"}


def test_every_promotion_rule_has_a_mutation(bundle):
    assert sorted(rule.rule_id for rule in bundle.rules) == sorted({rule_id for _, rule_id, _ in MUTATIONS})
    assert all(rule.enforcement == "mandatory" and rule.input == "promotion" for rule in bundle.rules)


def test_regorus_and_opa_decide_every_promotion_alike(compliant, bundle, regorus):
    opa = RealOpaEngine()
    try:
        opa.load(bundle.without_tests())
        documents = [("compliant", compliant)]
        for label, _, mutate in MUTATIONS:
            doc = copy.deepcopy(compliant)
            mutate(doc)
            documents.append((label, doc))
        differing = [label for label, doc in documents if _denied(doc, bundle, regorus) != _denied(doc, bundle, opa)]
        assert sum(len(_denied(doc, bundle, opa)) for _, doc in documents) >= len(MUTATIONS)
    finally:
        opa.close()
    assert differing == []


def test_the_infrastructure_gate_and_the_promotion_gate_each_load_only_their_rules(bundle):
    plan_rules = load_bundle().rules
    assert plan_rules and {rule.input for rule in plan_rules} == {"plan"}
    assert not any(rule.rule_id.startswith("SAHAB-PRM-") for rule in plan_rules)
    assert {rule.rule_id for rule in bundle.rules} == {"SAHAB-PRM-%03d" % n for n in range(1, 6)}
    assert all(rule.package.startswith("sahab.promotion.") for rule in bundle.rules)


class _Spy(EmbeddedEngine):
    """regorus, remembering which data paths it was asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: List[str] = []

    def query(self, path: str, input_document: Any) -> Any:
        self.asked.append(path)
        return super().query(path, input_document)


def test_a_plan_is_never_judged_by_promotion_rules_nor_a_promotion_by_plan_rules(compliant, bundle, repo_root):
    plan_bundle = load_bundle()
    spy = _Spy()
    try:
        spy.load(plan_bundle.without_tests())
        plan = {"resources": []}
        evaluate_rules(plan, plan_bundle, spy, loaded=True)
        assert spy.asked == ["sahab.rules"]
        spy.asked.clear()
        broken = copy.deepcopy(compliant)
        broken["candidate"]["artifact_locations"] = []
        assert {f.rule_id for f in evaluate_rules(broken, bundle, spy, loaded=True)} == {"SAHAB-PRM-003"}
        assert spy.asked == ["sahab.promotion"]
    finally:
        spy.close()


def _policies_copy(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(default_policies_root(), root, ignore=shutil.ignore_patterns("*.py", "__pycache__", "crossguard", "checkov"))
    return root


def test_a_rule_whose_input_contradicts_its_package_is_refused(tmp_path):
    root = _policies_copy(tmp_path)
    rule = root / "promotion" / "artifact_store.rego"
    rule.write_text(rule.read_text().replace("#   input: promotion\n", ""))  # so it would default to the plan
    with pytest.raises(ConfigError) as error:
        load_bundle(root, input_kind="promotion")
    assert error.value.message == ("%s: custom.input is 'plan' but package sahab.promotion.residency.artifact_store holds rules "
                                   "reading the promotion document" % rule)
    moved = root / "residency" / "region_allowed.rego"
    moved.write_text(moved.read_text().replace("# custom:\n", "# custom:\n#   input: promotion\n", 1))
    rule.write_text(rule.read_text().replace("# custom:\n", "# custom:\n#   input: promotion\n", 1))
    with pytest.raises(ConfigError, match="custom.input is 'promotion' but package sahab.rules.residency.region_allowed"):
        load_bundle(root)


def test_no_promotion_rules_is_an_engine_error_not_a_pass(tmp_path):
    root = _policies_copy(tmp_path)
    shutil.rmtree(root / "promotion")
    with pytest.raises(EngineError, match="no promotion rules were loaded"):
        load_policy(bundle=load_bundle(root, input_kind="promotion"))


def test_an_engine_without_the_promotion_package_fails_closed(compliant, bundle):
    engine = EmbeddedEngine()
    try:
        engine.load({path: text for path, text in bundle.without_tests().items() if not path.startswith("promotion/")})
        with pytest.raises(EngineError, match="returned no rule results for sahab.promotion"):
            evaluate_rules(compliant, bundle, engine, loaded=True)
    finally:
        engine.close()


def test_policy_list_names_the_promotion_rules_after_the_gates(sahab_cli):
    result = sahab_cli(["policy", "list"])
    assert result.returncode == 0, result.stderr
    ids = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("SAHAB-")]
    assert ids[-5:] == ["SAHAB-PRM-%03d" % n for n in range(1, 6)] and len(ids) == len(set(ids)) > 5
    assert "SAHAB-PRM-003  critical  mandatory  A promoted model's artifacts are in the platform's UAE stores" in result.stdout.splitlines()
