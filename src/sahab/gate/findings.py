"""Findings: what every engine reports, in one shape, and how they decide the exit code."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Dict, Iterable, List, Optional, Tuple

SEVERITIES: Tuple[str, ...] = ("low", "medium", "high", "critical")
ENFORCEMENTS: Tuple[str, ...] = ("advisory", "mandatory")

# A finding's status:
#   violation  the rule is broken
#   deferred   the rule needs a value unknown before deploy; shown and counted, never a pass
#   unchecked  part of the plan could not be inspected (an opaque component)
#   waived     a violation covered by a valid waiver; still reported
STATUSES: Tuple[str, ...] = ("violation", "deferred", "unchecked", "waived")


@dataclass(frozen=True)
class Finding:
    rule_id: str
    engine: str
    severity: str
    enforcement: str
    status: str
    urn: str
    resource_type: str
    message: str
    title: str = ""
    remediation: str = ""
    controls: Tuple[str, ...] = ()
    file: Optional[str] = None
    waiver: Optional[Dict[str, str]] = None

    @property
    def blocks(self) -> bool:
        """Only a mandatory, unwaived violation (or unchecked part) blocks a deploy."""
        return self.enforcement == "mandatory" and self.status in ("violation", "unchecked")

    def waived_by(self, waiver: Dict[str, str]) -> "Finding":
        return replace(self, status="waived", waiver=dict(waiver))

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["controls"] = list(self.controls)
        return data

    def sort_key(self) -> Tuple[str, str, str, str]:
        return (self.rule_id, self.urn, self.engine, self.message)


@dataclass
class GateResult:
    """All findings of one gate run, with what was evaluated."""

    project: str
    stack: str
    findings: List[Finding] = field(default_factory=list)
    rules_evaluated: List[str] = field(default_factory=list)
    engines: List[str] = field(default_factory=list)
    resources: int = 0
    fail_on_deferred: bool = False

    def sorted_findings(self) -> List[Finding]:
        return sorted(self.findings, key=Finding.sort_key)

    def count(self, status: str) -> int:
        return sum(1 for finding in self.findings if finding.status == status)

    @property
    def blocking(self) -> List[Finding]:
        return [f for f in self.sorted_findings() if self.is_blocking(f)]

    def is_blocking(self, finding: Finding) -> bool:
        """Whether this finding blocks the deploy (a cheap test: reports call it per finding)."""
        return finding.blocks or (
            self.fail_on_deferred and finding.status == "deferred" and finding.enforcement == "mandatory")

    @property
    def exit_code(self) -> int:
        return 1 if any(self.is_blocking(f) for f in self.findings) else 0


def by_rule(findings: Iterable[Finding]) -> Dict[str, List[Finding]]:
    grouped: Dict[str, List[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.rule_id, []).append(finding)
    return grouped
