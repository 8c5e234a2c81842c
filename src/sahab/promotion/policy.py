"""Evaluate the promotion rules (``policies/promotion/``, ``custom.input: promotion``) on an input document.

The gate's own machinery does it: the same rule loader and METADATA checks, the same engines
(regorus embedded, or OPA per ``gate.engine``), the same fail-closed evaluation and finding
shape. Only the bundle differs: it holds the rules that read a promotion, queried at
``data.sahab.promotion``. No rules loaded, an engine error or an unknown answer is exit 3.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from ..gate.config import GateConfig
from ..gate.engines import EngineError, PolicyEngine, create_engine
from ..gate.evaluate import check_builtins, evaluate_rules
from ..gate.findings import Finding
from ..gate.opa_bundle import modules_digest
from ..gate.rules import PolicyBundle, load_bundle


@dataclass
class PromotionPolicy:
    """The loaded promotion rules and an engine holding them, started before MLflow is asked."""

    bundle: PolicyBundle
    engine: PolicyEngine

    @property
    def digest(self) -> str:
        """``sha256:`` of every module the engine holds (the revision ``sahab policy bundle`` writes)."""
        return modules_digest(self.bundle.without_tests())

    def evaluate(self, document: Dict[str, Any]) -> List[Finding]:
        return sorted(evaluate_rules(document, self.bundle, self.engine, loaded=True), key=Finding.sort_key)

    def close(self) -> None:
        self.engine.close()


def load_policy(gate_config: Optional[GateConfig] = None, bundle: Optional[PolicyBundle] = None) -> PromotionPolicy:
    """Load sahab's promotion rules into the configured engine; none loaded is an engine error."""
    config = gate_config or GateConfig()
    bundle = bundle or load_bundle(input_kind="promotion")
    if bundle.input != "promotion" or not bundle.rules:
        raise EngineError("no promotion rules were loaded (policies/promotion/)", "reinstall sahab; a gate without rules decides nothing")
    engine = create_engine(config.engine, config.opa)
    try:
        check_builtins(bundle, engine)
        engine.load(bundle.without_tests())
    except BaseException:
        engine.close()
        raise
    return PromotionPolicy(bundle=bundle, engine=engine)
