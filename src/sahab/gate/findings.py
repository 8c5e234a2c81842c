"""Findings: what every engine reports, in one shape, and how they decide the exit code."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Tuple

if TYPE_CHECKING:
    from .relaxations import Relaxations

SEVERITIES: Tuple[str, ...] = ("low", "medium", "high", "critical")
ENFORCEMENTS: Tuple[str, ...] = ("advisory", "mandatory")
# Only in configuration (gate.enforcement): the rule is not evaluated at all (sahab.gate.selection).
DISABLED = "disabled"

# A finding's status:
#   violation  the rule is broken
#   deferred   the rule needs a value unknown before deploy; shown and counted, never a pass
#   unchecked  part of the plan could not be inspected (an opaque component)
#   waived     a violation covered by a valid waiver; still reported
#   baselined  a violation or unchecked part already recorded in the baseline; reported, not blocking
STATUSES: Tuple[str, ...] = ("violation", "deferred", "unchecked", "waived", "baselined")


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
    # Where to look, POSIX. An engine names a scanned project file relative to the project folder;
    # sahab.gate.locations.locate makes every finding's file relative to the source root (the
    # repository root, else the project folder): the program line that registered the resource,
    # the scanned file, else the stack's config file.
    file: Optional[str] = None
    line: Optional[int] = None
    waiver: Optional[Dict[str, str]] = None

    @property
    def blocks(self) -> bool:
        """Only a mandatory, unwaived violation (or unchecked part) blocks a deploy."""
        return self.enforcement == "mandatory" and self.status in ("violation", "unchecked")

    @property
    def location(self) -> Optional[str]:
        """``file:line`` (or just the file), the form editors and terminals open; None without a file."""
        if self.file is None:
            return None
        return "%s:%d" % (self.file, self.line) if self.line else self.file

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
    # Rules a selection left out (--rule/--skip-rule, enforcement `disabled`): never evaluated.
    rules_skipped: List[str] = field(default_factory=list)
    # Only findings of this severity or above block (an `unchecked` part blocks at any severity).
    severity_threshold: Optional[str] = None
    # Report blocking findings but exit 0 (adoption): `failed` stays true, `exit_code` is 0.
    soft_fail: bool = False
    # Baseline entries ({rule_id, urn}) that no finding matches any more: fixed since the baseline.
    baseline_fixed: List[Dict[str, str]] = field(default_factory=list)
    # What the project's own sahab.yaml relaxes in this run (every report's summary names it).
    relaxations: Optional["Relaxations"] = None

    def sorted_findings(self) -> List[Finding]:
        return sorted(self.findings, key=Finding.sort_key)

    def count(self, status: str) -> int:
        return sum(1 for finding in self.findings if finding.status == status)

    def deferred_mandatory_rules(self) -> List[str]:
        """Mandatory rules with a finding deferred to deploy time: pending, never passed.

        They block with ``fail_on_deferred`` (``--strict``); otherwise the reports say they are
        enforced at deploy by the CrossGuard pack (docs/crossguard.md).
        """
        return sorted({f.rule_id for f in self.findings if f.status == "deferred" and f.enforcement == "mandatory"})

    @property
    def blocking(self) -> List[Finding]:
        return [f for f in self.sorted_findings() if self.is_blocking(f)]

    def is_blocking(self, finding: Finding) -> bool:
        """Whether this finding blocks the deploy (a cheap test: reports call it per finding)."""
        blocks = finding.blocks or (
            self.fail_on_deferred and finding.status == "deferred" and finding.enforcement == "mandatory")
        return blocks and (finding.status == "unchecked" or self.meets_threshold(finding.severity))

    def meets_threshold(self, severity: str) -> bool:
        """Whether ``severity`` reaches the threshold; a severity sahab does not know always does."""
        if self.severity_threshold is None or severity not in SEVERITIES:
            return True
        return SEVERITIES.index(severity) >= SEVERITIES.index(self.severity_threshold)

    @property
    def failed(self) -> bool:
        """Whether any finding blocks: the verdict every report shows, soft-fail or not."""
        return any(self.is_blocking(f) for f in self.findings)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed and not self.soft_fail else 0


def by_rule(findings: Iterable[Finding]) -> Dict[str, List[Finding]]:
    grouped: Dict[str, List[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.rule_id, []).append(finding)
    return grouped
