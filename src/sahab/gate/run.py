"""``sahab gate``: plan, evaluate every engine, merge findings, apply waivers, decide."""
from __future__ import annotations

import datetime
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional

from ..charts.findings import RULE as HELM_RULE
from ..charts.findings import helm_findings
from ..charts.releases import is_helm
from ..errors import UsageError
from ..expansion import not_expanded_reason
from .baseline import apply_baseline, baseline_for
from .config import GateConfig
from .coverage import RULE_ID as COVERAGE_RULE
from .coverage import coverage_findings
from .engines import create_engine
from .evaluate import evaluate_rules
from .findings import Finding, GateResult
from .locations import locate
from .rules import PolicyBundle, load_bundle
from .relaxations import TrustedConfig
from .selection import rule_selection, select_bundle
from .snapshot import ProjectSnapshot, take_snapshot
from .waivers import apply_waivers, refuse_unscoped_blankets

OPAQUE_RULE = "SAHAB-PLN-001"
OPAQUE_TITLE = "Every resource is visible to the gate"
# What the gate could not see, or no rule understands: never left out by a rule selection
# (sahab.gate.selection).
VISIBILITY_RULES = (OPAQUE_RULE, HELM_RULE, COVERAGE_RULE)


def opaque_findings(plan: Mapping[str, Any]) -> List[Finding]:
    """A multi-language component's children are not in the plan: report them as unchecked.

    When an expander tried (yaml/v2, Node components) the message says why it could not
    (``expanded.reason``, :mod:`sahab.expansion`). A helm v4 Chart that was not rendered is
    reported by SAHAB-PLN-002 instead, which names its chart and version and can be reviewed
    (sahab.charts.findings).
    """
    return [
        Finding(
            rule_id=OPAQUE_RULE, engine="sahab", severity="high", enforcement="mandatory", status="unchecked",
            urn=resource["urn"], resource_type=resource["type"],
            message="%s is a multi-language component; its children are not in the plan and were not checked%s" % (
                resource["name"], _why_not(resource)),
            title=OPAQUE_TITLE,
            remediation="Use the provider's own resources instead of the component, or waive after reviewing its children in a real `pulumi preview` with the CrossGuard pack.",
            controls=("ISO/IEC 27001:2022 A.8.9: Configuration management",),
        )
        for resource in plan.get("resources", [])
        if resource.get("opaque") and not is_helm(resource)
    ]


def _why_not(resource: Mapping[str, Any]) -> str:
    reason = not_expanded_reason(resource)
    return "" if reason is None else ": it was not expanded offline because %s" % reason


_REQUIRED_FIELDS = (("urn", str), ("type", str), ("name", str), ("inputs", dict))


def check_plan_shape(plan: Mapping[str, Any]) -> None:
    """Refuse a malformed plan before any rule runs.

    regorus can silently drop a rule's other findings when one resource lacks a field it reads,
    so a plan that is not in the documented shape must never reach the engine.
    """
    resources = plan.get("resources") if isinstance(plan, Mapping) else None
    if not isinstance(resources, list):
        raise UsageError("the plan document has no `resources` list", "gate a plan written by `sahab plan` (docs/plan-format.md)")
    seen = set()
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict):
            raise UsageError("plan resource #%d is not an object" % index, "see docs/plan-format.md")
        for field, kind in _REQUIRED_FIELDS:
            if not isinstance(resource.get(field), kind):
                raise UsageError("plan resource #%d (%s) lacks a valid `%s`" % (index, resource.get("urn", "?"), field),
                                 "see docs/plan-format.md")
        if resource["urn"] in seen:
            raise UsageError("plan resource #%d repeats URN %s" % (index, resource["urn"]), "URNs are unique in a plan")
        seen.add(resource["urn"])


def gate_plan(plan: Mapping[str, Any], config: GateConfig, *, project_dir: Optional[Path] = None,
              bundle: Optional[PolicyBundle] = None, today: Optional[datetime.date] = None,
              checkov: Optional[Callable[..., "Future[List[Finding]]"]] = None,
              scan_without_project: bool = False, trusted: Optional[TrustedConfig] = None,
              snapshot: Optional[ProjectSnapshot] = None) -> GateResult:
    """Evaluate a plan document with every configured engine and return the merged result.

    ``checkov`` starts the checkov scan and returns its future findings (default
    :func:`sahab.gate.checkov.start_checkov`; ``sahab gate`` binds it to a driver started before
    planning). checkov runs when ``project_dir`` is given (it also scans the project's CI files
    and Dockerfiles) or ``scan_without_project`` (the plan's Kubernetes manifests only: a saved
    plan or a preview gated without its project). ``trusted``: CI's trusted configuration, which
    may forbid what the project's own ``sahab.yaml`` relaxes (:mod:`.relaxations`). ``snapshot``:
    the project's inputs (waivers, baseline, CI files, Dockerfiles, checkov checks) as read before
    the program ran (:mod:`.snapshot`), taken with the same ``bundle``; without one they are read now.
    """
    check_plan_shape(plan)
    bundle = bundle or load_bundle(team_dirs=config.policy_dirs)
    if snapshot is None:
        snapshot = take_snapshot(config, bundle, trusted, project_dir, today)
    project, stack = str(plan.get("project", "")), str(plan.get("stack", ""))
    selection = rule_selection(config.rules, config.skip_rules, config.disabled_rules,
                               known=[rule.rule_id for rule in bundle.rules] + list(VISIBILITY_RULES),
                               always_on=VISIBILITY_RULES)
    # Coverage is the whole rule set's (a rule left out by a selection is named as skipped, and
    # still understands its types); the same function as in the CrossGuard pack.
    uncovered = coverage_findings(plan, bundle)
    bundle, skipped = select_bundle(bundle, selection)
    baseline = baseline_for(snapshot.baseline, project, stack) if snapshot.baseline is not None else None
    engine = create_engine(config.engine, config.opa) if bundle.rules else None
    scanning = config.checkov_enabled and (project_dir is not None or scan_without_project)
    # checkov works in its own processes: it scans while the Rego rules are evaluated.
    checkov_findings = (checkov or _default_checkov())(dict(plan), snapshot.project_files, mandatory=config.checkov_mandatory,
                                                       checks=snapshot.checkov_checks) \
        if scanning else None
    findings: List[Finding] = []
    engines: List[str] = []
    if engine is not None:  # no Rego rule selected: nothing to ask an engine
        try:
            findings = evaluate_rules(plan, bundle, engine, config.enforcement)
        finally:
            engine.close()
        engines.append(engine.name)
    findings += uncovered
    findings += opaque_findings(plan)
    findings += helm_findings(plan, config.reviewed_charts, today)
    if checkov_findings is not None:
        # checkov runs its whole catalogue (its cache stays shared); a check left out is dropped
        # here, before anything is decided, and named as skipped.
        scanned = checkov_findings.result()
        findings += [f for f in scanned if selection.selects(f.rule_id)]
        skipped += sorted({f.rule_id for f in scanned if not selection.selects(f.rule_id)})
        engines.append("checkov")
    findings = [_with_enforcement(f, config.enforcement) for f in findings]
    refuse_unscoped_blankets(snapshot.waivers, plan, findings, {rule.rule_id: bundle.covered_types(rule) for rule in bundle.rules})
    findings = apply_waivers(locate(findings, plan), snapshot.waivers)
    fixed: List[Dict[str, str]] = []
    if baseline is not None:  # after the waivers: a waiver wins for what it covers
        findings, fixed = apply_baseline(findings, baseline, selection.selects)
    return GateResult(
        project=project,
        stack=stack,
        findings=findings,
        rules_evaluated=[rule.rule_id for rule in bundle.rules] + list(VISIBILITY_RULES),
        engines=engines,
        resources=len(plan.get("resources", [])),
        fail_on_deferred=config.fail_on_deferred,
        rules_skipped=sorted(skipped),
        severity_threshold=config.severity_threshold,
        soft_fail=config.soft_fail,
        baseline_fixed=fixed,
        relaxations=snapshot.relaxations,
    )


def _with_enforcement(finding: Finding, overrides: Dict[str, str]) -> Finding:
    level = overrides.get(finding.rule_id)
    return finding if level is None or level == finding.enforcement else replace(finding, enforcement=level)


def _default_checkov() -> Callable[..., "Future[List[Finding]]"]:
    from .checkov import start_checkov

    return start_checkov
