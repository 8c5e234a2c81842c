"""sahab as a library: plan a project and gate it, the same way ``sahab gate`` does.

The command line (:mod:`sahab.cli`) only maps flags onto these functions, so a platform team can
call the gate from its own tooling (a promotion service, a bot) and get the same verdict:

    from sahab import load_gate_config, run_gate
    run = run_gate("infra", "prod", load_gate_config(Path("infra")))
    sys.exit(run.result.exit_code)
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Union

from .gate.config import GateConfig, load_gate_config
from .gate.findings import GateResult
from .gate.rules import PolicyBundle, load_bundle
from .planner import plan_project

__all__ = ["GateRun", "load_gate_config", "plan_project", "run_gate"]

# Told what the gate is doing now ("planning", "evaluating 35 rules"), for a spinner or a log.
PhaseCallback = Callable[[str], None]


@dataclass(frozen=True)
class GateRun:
    """One gate run: the verdict, the plan it judged and the rules it judged it with."""

    result: GateResult
    plan: Dict[str, Any]
    bundle: PolicyBundle


def run_gate(project_dir: Union[str, "os.PathLike[str]"], stack: str, config: Optional[GateConfig] = None, *,
             stack_outputs: Optional[Path] = None, python: Optional[str] = None,
             phase: Optional[PhaseCallback] = None) -> GateRun:
    """Plan ``project_dir`` for ``stack`` offline and evaluate every configured engine on it.

    ``config`` defaults to the project's ``sahab.yaml`` (:func:`load_gate_config`). checkov's
    driver starts before the program is planned, so its import overlaps the planning.
    """
    from .gate.checkov import prestarted_driver, start_checkov
    from .gate.run import gate_plan

    project = Path(project_dir)
    config = config if config is not None else load_gate_config(project)
    report = phase or (lambda _message: None)
    bundle = load_bundle()
    with prestarted_driver(config.checkov_enabled) as driver:
        report("planning %s (stack %s)" % (project, stack))
        plan = plan_project(project, stack, stack_outputs=stack_outputs, python=python, chart_cache=config.chart_cache)
        report("evaluating %d rules" % len(bundle.rules))
        result = gate_plan(plan, config, project_dir=project.resolve(), bundle=bundle,
                           checkov=functools.partial(start_checkov, driver=driver))
    return GateRun(result=result, plan=plan, bundle=bundle)
