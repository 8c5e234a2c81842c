"""Brownfield adoption: a baseline of today's findings, so that only new ones block.

``sahab gate --create-baseline FILE`` records every violation and unchecked finding of a stack
by rule id and URN (Pulumi URNs are stable across runs; messages may change wording between
sahab versions, so they are kept for the reader but not matched). ``--baseline FILE`` marks the
findings it lists ``baselined`` (reported in every format, never blocking) and lets every other
finding decide as usual. A waiver still wins for what it covers (it is applied first); deferred
findings are not baselined, as they are not waived. Entries no finding matches any more are
reported as fixed, so the file can be shrunk; entries of rules a selection skipped are neither.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, List, Sequence, Tuple

from ..errors import ConfigError
from ..inputs.files import read_input_text
from ..inputs.safe_yaml import parse_json
from .findings import Finding, GateResult

SCHEMA_VERSION = "sahab.dev/baseline/v1"
BASELINED_STATUSES = ("violation", "unchecked")
_ENTRY_KEYS = {"rule_id", "urn", "status", "severity", "message"}


@dataclass(frozen=True)
class Baseline:
    """The (rule id, URN) pairs recorded for one project and stack."""

    project: str
    stack: str
    entries: FrozenSet[Tuple[str, str]]
    path: Path


def baseline_document(result: GateResult) -> Dict[str, Any]:
    """The baseline of ``result``: each violation and unchecked finding, once per rule and URN."""
    entries: Dict[Tuple[str, str], Dict[str, str]] = {}
    for finding in result.sorted_findings():
        if finding.status in BASELINED_STATUSES or finding.status == "baselined":
            entries.setdefault((finding.rule_id, finding.urn), {
                "rule_id": finding.rule_id, "urn": finding.urn, "status": finding.status,
                "severity": finding.severity, "message": finding.message})
    return {"schemaVersion": SCHEMA_VERSION, "project": result.project, "stack": result.stack,
            "findings": [entries[key] for key in sorted(entries)]}


def dumps_baseline(result: GateResult) -> str:
    return json.dumps(baseline_document(result), indent=2, sort_keys=True) + "\n"


def baseline_for(baseline: Baseline, project: str, stack: str) -> Baseline:
    """``baseline`` when it was recorded for ``project``/``stack``; ConfigError otherwise."""
    if (baseline.project, baseline.stack) != (project, stack):
        raise ConfigError("baseline %s was created for %s/%s, not %s/%s" % (
            baseline.path, baseline.project, baseline.stack, project, stack), "use one baseline per stack")
    return baseline


def read_baseline(path: Path) -> Baseline:
    """Read and validate ``path`` for the project and stack it names (before the program runs:
    :mod:`sahab.gate.snapshot`; the plan's project is only known after)."""
    document = parse_json(read_input_text(path, "baseline", "fix --baseline or gate.baseline"), "baseline %s" % path,
                          "recreate it with --create-baseline")
    if not isinstance(document, dict) or document.get("schemaVersion") != SCHEMA_VERSION:
        raise ConfigError("%s is not a sahab baseline (%s)" % (path, SCHEMA_VERSION), "recreate it with --create-baseline")
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise ConfigError("baseline %s has no `findings` list" % path, "recreate it with --create-baseline")
    entries = set()
    for number, entry in enumerate(findings, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("rule_id"), str) or not isinstance(entry.get("urn"), str) \
                or set(entry) - _ENTRY_KEYS:
            raise ConfigError("baseline %s entry #%d is not {rule_id, urn, ...}" % (path, number),
                              "recreate it with --create-baseline")
        entries.add((entry["rule_id"], entry["urn"]))
    return Baseline(project=str(document.get("project")), stack=str(document.get("stack")), entries=frozenset(entries),
                    path=path)


def apply_baseline(findings: Sequence[Finding], baseline: Baseline,
                   evaluated: Callable[[str], bool]) -> Tuple[List[Finding], List[Dict[str, str]]]:
    """Mark the findings ``baseline`` lists ``baselined``; return them and the entries now fixed.

    ``evaluated(rule_id)`` says whether the rule ran: an entry of a skipped rule is not fixed.
    """
    seen = set()
    marked: List[Finding] = []
    for finding in findings:
        key = (finding.rule_id, finding.urn)
        seen.add(key)  # still found, even when waived or now deferred: not fixed
        if finding.status in BASELINED_STATUSES and key in baseline.entries:
            finding = replace(finding, status="baselined")
        marked.append(finding)
    fixed = [{"rule_id": rule_id, "urn": urn} for rule_id, urn in sorted(baseline.entries - seen) if evaluated(rule_id)]
    return marked, fixed
