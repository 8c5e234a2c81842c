"""SAHAB-PLN-002: a Helm release whose objects the gate never saw is reported, never passed.

Every ``kubernetes:helm.sh/v3:Release`` and ``kubernetes:helm.sh/v4:Chart`` of the plan that the
planner did not expand (``expanded.by`` is not ``helm``) gets one ``unchecked`` finding naming
the chart, version, repository, why it was not rendered, and the values digest a reviewer copies
into ``gate.reviewed_charts``. It is mandatory unless an unexpired review of exactly that chart,
version and values makes it advisory (:mod:`.review`). Rendered releases need no review: their
objects are in the plan and every rule sees them.
"""
from __future__ import annotations

import datetime
from typing import Any, Iterable, List, Mapping, Optional

from ..expansion import HELM, expanded_by
from ..gate.findings import Finding
from .releases import HelmInstall, helm_install, is_helm
from .review import ChartReview, judge

RULE = "SAHAB-PLN-002"
TITLE = "Helm releases are rendered and checked"
REMEDIATION = ("Put the chart archive in the chart cache (`helm pull ... -d <cache>`, docs/charts.md) and install "
               "sahab[charts], so its objects are rendered and checked; or review the chart, version and values and "
               "list them, with the values digest, under gate.reviewed_charts in sahab.yaml.")
CONTROLS = ("ISO/IEC 27001:2022 A.8.9: Configuration management",)


def helm_findings(plan: Mapping[str, Any], reviews: Iterable[ChartReview] = (),
                  today: Optional[datetime.date] = None) -> List[Finding]:
    """One finding per helm release or v4 chart of ``plan`` that was not rendered."""
    today = today or datetime.date.today()
    reviews = tuple(reviews)
    resources = plan.get("resources", [])
    providers = {r["urn"]: r for r in resources if str(r.get("type", "")).startswith("pulumi:providers:")}
    findings = []
    for resource in resources:
        if not is_helm(resource):
            continue
        if expanded_by(resource) == HELM:
            continue
        expanded = resource.get("expanded") or {}
        provider = providers.get(resource.get("provider") or "") or {}
        install = helm_install(resource, (provider.get("inputs") or {}).get("namespace"))
        reason = expanded.get("reason") or "the plan does not record that it was rendered (plan it with `sahab plan`)"
        verdict = judge(install, reviews, today)
        findings.append(Finding(
            rule_id=RULE, engine="sahab", severity="high", enforcement=verdict.enforcement, status="unchecked",
            urn=resource["urn"], resource_type=resource["type"], message=_message(resource, install, reason, verdict.note),
            title=TITLE, remediation=REMEDIATION, controls=CONTROLS,
        ))
    return findings


def _message(resource: Mapping[str, Any], install: HelmInstall, reason: str, note: str) -> str:
    return "helm %s %s installs %s, which was not rendered: %s. Its objects were not checked; values digest %s; %s" % (
        install.kind, resource.get("name"), install.describe(), reason, install.values_digest, note)
