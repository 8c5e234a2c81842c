"""sahab as a library: plan a project and gate it, the same way ``sahab gate`` does.

The command line (:mod:`sahab.cli`) only maps flags onto these functions, so a platform team can
call the gate from its own tooling (a promotion service, a bot) and get the same verdict:

    from sahab import load_gate_config, run_gate
    run = run_gate("infra", "prod", load_gate_config(Path("infra")))
    sys.exit(run.result.exit_code)

A plan written earlier (:func:`gate_saved_plan`) or the JSON of a real ``pulumi preview --json``
(:func:`gate_pulumi_preview`) is gated the same way, without running the program.

After a deploy, :func:`verify_stack` runs the post-deploy suites against the stack's hosts and
endpoints (``sahab[verify]``; docs/verify.md). It is not called ``verify``: ``sahab.verify`` is
the package of suites.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence, Union

from .gate.config import GateConfig, load_gate_config
from .gate.findings import GateResult
from .gate.relaxations import TrustedConfig, load_trusted_config
from .gate.rules import PolicyBundle, load_bundle
from .planner import plan_project
from .planner.child import DEFAULT_TIMEOUT
# Runs the post-deploy suites in a child pytest; importing it loads neither pytest nor testinfra.
from .verification import VerifyRun, verify_stack

__all__ = ["GateRun", "TrustedConfig", "VerifyRun", "gate_pulumi_preview", "gate_saved_plan", "load_gate_config",
           "load_trusted_config", "plan_project", "run_gate", "verify_stack"]

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
             phase: Optional[PhaseCallback] = None, trusted: Optional[TrustedConfig] = None,
             pass_env: Sequence[str] = (), timeout: float = DEFAULT_TIMEOUT) -> GateRun:
    """Plan ``project_dir`` for ``stack`` offline and evaluate every configured engine on it.

    ``config`` defaults to the project's ``sahab.yaml`` (:func:`load_gate_config`). checkov's
    driver starts before the program is planned, so its import overlaps the planning.
    ``trusted`` (:func:`load_trusted_config`): CI's configuration from outside the repository,
    which may forbid what the project's ``sahab.yaml`` relaxes; that is checked before the
    program runs. ``pass_env``, ``timeout`` (the planning's hard deadline): as for :func:`plan_project`.
    Every project input the gate reads (waivers, baseline, CI files, Dockerfiles, checkov checks)
    is read before the program runs, and only that copy is judged (:mod:`sahab.gate.snapshot`).
    """
    from .gate.checkov import prestarted_driver, start_checkov
    from .gate.run import gate_plan
    from .gate.snapshot import take_snapshot

    project = Path(project_dir)
    config = config if config is not None else load_gate_config(project)
    report = phase or (lambda _message: None)
    bundle = load_bundle(team_dirs=config.policy_dirs)
    snapshot = take_snapshot(config, bundle, trusted, project.resolve())
    with prestarted_driver(config.checkov_enabled) as driver:
        report("planning %s (stack %s)" % (project, stack))
        plan = plan_project(project, stack, stack_outputs=stack_outputs, python=python, chart_cache=config.chart_cache,
                            pass_env=pass_env, timeout=timeout)
        report("evaluating %d rules" % len(bundle.rules))
        result = gate_plan(plan, config, project_dir=project.resolve(), bundle=bundle,
                           checkov=functools.partial(start_checkov, driver=driver), trusted=trusted, snapshot=snapshot)
    return GateRun(result=result, plan=plan, bundle=bundle)


def gate_saved_plan(plan_file: Union[str, "os.PathLike[str]"], config: Optional[GateConfig] = None, *,
                    project_dir: Optional[Path] = None, stack: Optional[str] = None,
                    phase: Optional[PhaseCallback] = None, trusted: Optional[TrustedConfig] = None) -> GateRun:
    """Gate a plan document written earlier (``sahab plan --out``); no program is run.

    The plan is checked first (:func:`sahab.planner.saved.load_plan`: a supported
    ``schemaVersion``, every required field). ``project_dir``: the project's folder, whose CI files
    and Dockerfiles checkov scans too; without it checkov scans the plan's Kubernetes manifests
    only. ``stack``, when given, must be the plan's. ``trusted``: as for :func:`run_gate`.
    """
    from .planner.saved import load_plan

    report = phase or (lambda _message: None)
    report("reading %s" % plan_file)
    return _gate_document(load_plan(Path(plan_file)), config or GateConfig(), project_dir, stack, plan_file, report, trusted)


def gate_pulumi_preview(preview_file: Union[str, "os.PathLike[str]"], config: Optional[GateConfig] = None, *,
                        project_dir: Optional[Path] = None, stack: Optional[str] = None,
                        phase: Optional[PhaseCallback] = None, trusted: Optional[TrustedConfig] = None) -> GateRun:
    """Gate the JSON a real ``pulumi preview --json --show-sames`` wrote, mapped onto the plan
    document by :mod:`sahab.planner.preview_json`: the real engine's values, its unknowns still
    unknown. Otherwise as :func:`gate_saved_plan`.
    """
    from .planner.preview_json import load_preview

    config = config or GateConfig()
    report = phase or (lambda _message: None)
    report("reading %s" % preview_file)
    plan = load_preview(Path(preview_file), chart_cache=config.chart_cache, project_dir=project_dir)
    return _gate_document(plan, config, project_dir, stack, preview_file, report, trusted)


def _gate_document(plan: Dict[str, Any], config: GateConfig, project_dir: Optional[Path], stack: Optional[str],
                   source: Any, report: PhaseCallback, trusted: Optional[TrustedConfig]) -> GateRun:
    from .errors import UsageError
    from .gate.run import gate_plan

    if stack is not None and stack != plan.get("stack"):
        raise UsageError("%s is a plan of stack %s, not %s" % (source, plan.get("stack"), stack),
                         "drop --stack, or gate the plan of stack %s" % stack)
    bundle = load_bundle(team_dirs=config.policy_dirs)
    report("evaluating %d rules" % len(bundle.rules))
    result = gate_plan(plan, config, project_dir=Path(project_dir).resolve() if project_dir is not None else None,
                       bundle=bundle, scan_without_project=True, trusted=trusted)
    return GateRun(result=result, plan=plan, bundle=bundle)
