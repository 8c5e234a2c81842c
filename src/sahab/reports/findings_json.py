"""The gate's JSON report: every finding, the summary and the verdict (``sahab.dev/findings/v1``)."""
from __future__ import annotations

import json
from typing import Any, Dict

from ..gate.findings import STATUSES, GateResult

SCHEMA_VERSION = "sahab.dev/findings/v1"


def summary(result: GateResult) -> Dict[str, Any]:
    counts = {status: result.count(status) for status in STATUSES}
    return {
        "resources": result.resources,
        "rules": len(result.rules_evaluated),
        "engines": list(result.engines),
        "blocking": len(result.blocking),
        # Mandatory rules whose findings wait for deploy-time values (enforced by --strict or the pack).
        "deferred_mandatory": len(result.deferred_mandatory_rules()),
        "deferred_mandatory_rules": result.deferred_mandatory_rules(),
        **counts,
        # The verdict is the findings'; with soft_fail a failing run still exits 0.
        "verdict": "fail" if result.failed else "pass",
        "soft_fail": result.soft_fail,
        "severity_threshold": result.severity_threshold,
        "skipped_rules": list(result.rules_skipped),
        "baseline_fixed": [dict(entry) for entry in result.baseline_fixed],
        # What the project's own sahab.yaml relaxes (sahab.gate.relaxations); null when nothing.
        "project_relaxations": result.relaxations.to_dict() if result.relaxations else None,
    }


def render_json(result: GateResult) -> str:
    document = {
        "schemaVersion": SCHEMA_VERSION,
        "project": result.project,
        "stack": result.stack,
        "summary": summary(result),
        "findings": [finding.to_dict() for finding in result.sorted_findings()],
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
