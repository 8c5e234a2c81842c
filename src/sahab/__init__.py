"""sahab: a UAE-pinned MLOps platform as code, an offline planner and a pre-deploy gate.

The library API (:mod:`sahab.api`) is imported on first use, so ``import sahab`` stays cheap
for tools that only need the version.
"""
from typing import Any

__version__ = "0.1.0"

_API = {"GateRun", "TrustedConfig", "gate_pulumi_preview", "gate_saved_plan", "load_gate_config", "load_trusted_config",
        "plan_project", "run_gate"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError("module 'sahab' has no attribute %r" % name)
