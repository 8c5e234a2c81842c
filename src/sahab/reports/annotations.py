"""What the CI annotation formats share: where a finding points and its stable fingerprint."""
from __future__ import annotations

import hashlib
from typing import List, Tuple

from ..gate.findings import Finding, GateResult
from ..gate.locations import stack_config_file

# The order annotations are written in: what blocks first, so a CI system that shows only the
# first few (GitHub shows 10 of each level per step) shows those.
_STATUS_ORDER = {"violation": 0, "unchecked": 1, "deferred": 2, "waived": 3, "baselined": 4}


def where(finding: Finding, result: GateResult) -> Tuple[str, int]:
    """The finding's file (relative to the source root) and line; else ``Pulumi.<stack>.yaml``, line 1."""
    return finding.file or stack_config_file(result.stack), finding.line or 1


def fingerprint(finding: Finding) -> str:
    """sha256 of rule, URN and message: the same finding gets the same fingerprint run after run."""
    return hashlib.sha256(("%s|%s|%s" % (finding.rule_id, finding.urn, finding.message)).encode()).hexdigest()


def annotation_order(result: GateResult) -> List[Finding]:
    """Blocking findings first, then by status, rule and URN."""
    return sorted(result.sorted_findings(),
                  key=lambda f: (not result.is_blocking(f), _STATUS_ORDER.get(f.status, 9), f.rule_id, f.urn))


def describe(finding: Finding) -> str:
    """One line: ``[status] message (URN)``, as the SARIF message reads."""
    return "[%s] %s (%s)" % (finding.status, finding.message, finding.urn)
