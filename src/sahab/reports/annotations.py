"""What the CI annotation formats share: where a finding points and its stable fingerprint."""
from __future__ import annotations

import hashlib
from typing import Callable, List, Tuple

from ..gate.findings import Finding, GateResult
from ..gate.locations import stack_config_file
from .escape import plain

# The order annotations are written in: what blocks first, so a CI system that shows only the
# first few (GitHub shows 10 of each level per step) shows those.
_STATUS_ORDER = {"violation": 0, "unchecked": 1, "deferred": 2, "waived": 3, "baselined": 4}


def where(finding: Finding, result: GateResult) -> Tuple[str, int]:
    """The finding's file (relative to the source root) and line; else ``Pulumi.<stack>.yaml``, line 1."""
    return finding.file or stack_config_file(result.stack), finding.line or 1


def fingerprint(finding: Finding) -> str:
    """sha256 of rule, URN and message: the same finding gets the same fingerprint run after run."""
    text = "%s|%s|%s" % (finding.rule_id, finding.urn, finding.message)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()  # a lone surrogate in a name must not crash


def annotation_order(result: GateResult) -> List[Finding]:
    """Blocking findings first, then by status, rule and URN."""
    return sorted(result.sorted_findings(),
                  key=lambda f: (not result.is_blocking(f), _STATUS_ORDER.get(f.status, 9), f.rule_id, f.urn))


def describe(finding: Finding, escape: Callable[[str], str] = plain) -> str:
    """One line: ``[status] message (URN)``, the message and URN escaped for the format (default plain text)."""
    return "[%s] %s (%s)" % (finding.status, escape(finding.message), escape(finding.urn))
