"""Control citations: one format, one title per control, and docs/controls.md in step with the rules."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Set

from sahab.gate.rules import load_bundle

CONTROLS_DOC = Path(__file__).resolve().parents[2] / "docs" / "controls.md"
FORMATS = (
    re.compile(r"^UAE PDPL \(Federal Decree-Law 45/2021\) Art\. \d+: \S"),
    re.compile(r"^UAE IA \(NESA\) T\d+\.\d+\.\d+: \S"),
    re.compile(r"^ISO/IEC 27001:2022 A\.\d+\.\d+: \S"),
)
BUILT_IN = " (and the built-in SAHAB-PLN-001, SAHAB-PLN-002, SAHAB-COV-001)"


def _by_control() -> Dict[str, Set[str]]:
    """Every rule's controls: the gate's and the promotion gate's (one catalogue for both)."""
    found: Dict[str, Set[str]] = {}
    for rule in load_bundle().rules + load_bundle(input_kind="promotion").rules:
        for control in rule.controls:
            found.setdefault(control, set()).add(rule.rule_id)
    return found


def test_every_citation_names_a_numbered_control_in_the_documented_format():
    malformed = [c for c in _by_control() if not any(f.match(c) for f in FORMATS)]
    assert malformed == []


def test_a_control_has_one_title_everywhere():
    titles: Dict[str, Set[str]] = {}
    for control in _by_control():
        reference, _, title = control.partition(": ")
        titles.setdefault(reference, set()).add(title)
    assert {ref: t for ref, t in titles.items() if len(t) > 1} == {}


def test_the_controls_table_of_the_docs_is_the_rules_metadata():
    text = CONTROLS_DOC.read_text(encoding="utf-8")
    table = text[text.index("| control | rules |"):].split("\n\n")[0].splitlines()[2:]
    documented = {}
    for row in table:
        control, rules = [cell.strip() for cell in row.strip("|").split(" | ")]
        documented[control] = set(rules.replace(BUILT_IN, "").split(", "))
    assert documented == _by_control()
