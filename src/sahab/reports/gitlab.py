"""GitLab Code Quality JSON: the merge request widget and diff annotations.

A JSON array of issues with ``description``, ``check_name``, ``fingerprint``, ``severity``
(``info``, ``minor``, ``major``, ``critical``, ``blocker``) and ``location`` ``{path, lines: {begin}}``,
as GitLab documents in "Code Quality report format" (docs.gitlab.com/ci/testing/code_quality/).
GitLab keeps one issue per fingerprint, so it is unique per finding (rule, URN, message) and stable
across runs: the widget then shows what a merge request adds and fixes.

Severity: a blocking finding is ``blocker``; another violation or unchecked part follows the
rule's severity (critical ``critical``, high ``major``, medium and low ``minor``); deferred, waived
and baselined findings are ``info``.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Dict

from ..gate.findings import Finding, GateResult
from ..gate.relaxations import Relaxations
from .annotations import annotation_order, describe, fingerprint, where
from .escape import plain

_SEVERITY = {"critical": "critical", "high": "major", "medium": "minor", "low": "minor"}


def _severity(finding: Finding, result: GateResult) -> str:
    if result.is_blocking(finding):
        return "blocker"
    if finding.status in ("violation", "unchecked"):
        return _SEVERITY.get(finding.severity, "major")
    return "info"


def _issue(finding: Finding, result: GateResult) -> Dict[str, Any]:
    path, line = where(finding, result)
    return {
        "description": describe(finding),
        "check_name": plain(finding.rule_id),
        "fingerprint": fingerprint(finding),
        "severity": _severity(finding, result),
        "location": {"path": plain(path), "lines": {"begin": line}},
    }


def _relaxations_issue(relaxations: Relaxations) -> Dict[str, Any]:
    """The project's own relaxations (sahab.gate.relaxations), as an issue on its sahab.yaml: the
    format has no summary, and a relaxation is what a reviewer of the merge request must see."""
    line = relaxations.line()
    return {"description": line, "check_name": "sahab-project-relaxations",
            "fingerprint": hashlib.sha256(line.encode()).hexdigest(), "severity": "major",
            "location": {"path": relaxations.source, "lines": {"begin": 1}}}


def render_gitlab(result: GateResult) -> str:
    issues = [_issue(finding, result) for finding in annotation_order(result)]
    if result.relaxations:
        issues.append(_relaxations_issue(result.relaxations))
    return json.dumps(issues, indent=2) + "\n"
