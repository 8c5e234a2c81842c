"""sahab: a UAE-pinned MLOps platform as code, an offline planner and a pre-deploy gate.

The library API (:mod:`sahab.api`) is imported on first use, so ``import sahab`` stays cheap
for tools that only need the version.
"""
from typing import Any

__version__ = "0.1.0"

_API = {"GateRun", "TrustedConfig", "VerifyRun", "gate_pulumi_preview", "gate_saved_plan", "load_gate_config",
        "load_trusted_config", "plan_project", "run_gate", "verify_stack"}
# The promotion gate needs the `sahab[promotion]` extra (MLflow): imported only when asked for.
_PROMOTION = {"promote", "rollback", "verify_promotion_log"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from . import api

        return getattr(api, name)
    if name in _PROMOTION:
        from . import promotion

        return getattr(promotion, name)
    raise AttributeError("module 'sahab' has no attribute %r" % name)
