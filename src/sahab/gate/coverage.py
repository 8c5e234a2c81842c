"""SAHAB-COV-001: a resource no rule of a required concern understands is reported, never passed.

The coverage model joins two declarations: the catalogue (``policies/coverage.yaml``,
:mod:`.catalogue`) says what a type *is* (data-holding, network-exposing, compute, pod-workload)
and so which concerns it must be judged on; every rule says which types it understands
(``custom.covers``, ``custom.covers_sets``). For each created managed resource of a classified
type and each required concern that no rule of that concern understands, :func:`coverage_findings`
reports one ``unchecked`` finding naming the type and the concern. ``sahab gate`` and the
CrossGuard pack both call it (through :func:`sahab.gate.evaluate.evaluate_plan`), so they agree.

Coverage is decided on the exact type token: a rule that understands
``azure-native:storage:StorageAccount`` does not thereby understand
``azure-native:storage/v20230101:StorageAccount`` unless it lists it (it may not read it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Mapping, Tuple

from .catalogue import CONCERNS
from .findings import Finding
from .rules import PolicyBundle, Rule

RULE_ID = "SAHAB-COV-001"
TITLE = "Every data-holding, network-exposing and compute resource is judged by a rule of each concern it needs"
DESCRIPTION = ("A created resource whose type the coverage catalogue (policies/coverage.yaml) classifies as "
               "data-holding, network-exposing, compute or pod-workload, and that no rule of a concern its class "
               "requires understands (custom.covers), is reported unchecked, naming the type and the concern: a type "
               "outside every rule's table never passes silently.")
REMEDIATION = ("Write or extend a rule of that concern that understands the type (list it in the rule's "
               "custom.covers, with its tests), or waive the finding after reviewing the resource's settings for that "
               "concern; if the catalogue misclassifies the type, correct policies/coverage.yaml.")
CONTROLS = ("ISO/IEC 27001:2022 A.8.9: Configuration management",)
SEVERITY = "high"
ENFORCEMENT = "mandatory"


def coverage_rule(bundle: PolicyBundle) -> Rule:
    """SAHAB-COV-001 as a :class:`Rule` (for the CrossGuard pack and the rule listings)."""
    path = bundle.catalogue.path or bundle.root / "coverage.yaml"
    return Rule(rule_id=RULE_ID, package="", path=path, title=TITLE, description=DESCRIPTION, severity=SEVERITY,
                enforcement=ENFORCEMENT, remediation=REMEDIATION, controls=CONTROLS, concern="coverage")


def covering_rules(bundle: PolicyBundle) -> Dict[Tuple[str, str], Tuple[str, ...]]:
    """(concern, type token) -> the ids of the rules of that concern that understand the type."""
    covering: Dict[Tuple[str, str], List[str]] = {}
    for rule in bundle.rules:
        for token in bundle.covered_types(rule):
            covering.setdefault((rule.concern, token), []).append(rule.rule_id)
    return {key: tuple(sorted(ids)) for key, ids in covering.items()}


def coverage_findings(plan: Mapping[str, Any], bundle: PolicyBundle) -> List[Finding]:
    """One ``unchecked`` finding per created managed resource and required concern no rule covers."""
    catalogue = bundle.catalogue
    if not catalogue.entries:
        return []
    covered: FrozenSet[Tuple[str, str]] = frozenset(covering_rules(bundle))
    gaps: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {}  # type -> (classes, uncovered concerns), once per type
    findings: List[Finding] = []
    for resource in plan.get("resources", []):
        if not _created_managed(resource):
            continue
        token = resource["type"]
        if token not in gaps:
            classes = catalogue.classes_of(token)
            gaps[token] = (classes, tuple(c for c in catalogue.required_concerns(token) if (c, token) not in covered))
        classes, missing = gaps[token]
        for concern in missing:
            findings.append(Finding(
                rule_id=RULE_ID, engine="sahab", severity=SEVERITY, enforcement=ENFORCEMENT, status="unchecked",
                urn=resource["urn"], resource_type=token,
                message="%s is a %s type (%s) that no %s rule understands: its %s settings were not checked" % (
                    resource["name"], " and ".join(c for c in classes if concern in catalogue.classes[c].requires),
                    token, concern, concern),
                title=TITLE, remediation=REMEDIATION, controls=CONTROLS,
            ))
    return findings


def _created_managed(resource: Mapping[str, Any]) -> bool:
    """A managed resource the program creates: not a component, a provider or a `read` lookup."""
    return bool(resource.get("custom")) and resource.get("mode") != "read" \
        and not str(resource.get("type", "")).startswith("pulumi:providers:")


# --- the published table ------------------------------------------------------------------------

@dataclass(frozen=True)
class CoverageRow:
    """One line of the coverage table: a type, a pattern or a type set under one concern."""

    concern: str
    type_token: str           # a type token, a catalogue pattern (with `*`) or a set name
    classes: Tuple[str, ...]  # the classes that require this concern; () when none does
    rules: Tuple[str, ...]    # the covering rules; () when none (then the type is reported unchecked)
    is_set: bool = False      # type_token names a type set of the catalogue (custom.covers_sets)


def coverage_table(bundle: PolicyBundle) -> List[CoverageRow]:
    """Per concern: every type a rule of it understands (a set's members as one row when rules
    understand them through the set), and every catalogue pattern whose class requires the concern
    (its other types, which no rule lists, are reported unchecked)."""
    catalogue = bundle.catalogue
    covering = covering_rules(bundle)
    rows: List[CoverageRow] = []
    for concern in CONCERNS:
        mine = [rule for rule in bundle.rules if rule.concern == concern]
        sets = sorted({name for rule in mine for name in rule.covers_sets})
        in_sets = {token for name in sets for token in catalogue.sets[name]}
        explicit = {token for rule in mine for token in rule.covers}
        tokens = explicit | {token for (c, token) in covering if c == concern and token not in in_sets}
        patterns = {p for entry in catalogue.entries
                    if any(concern in catalogue.classes[name].requires for name in entry.classes)
                    for p in entry.patterns if "*" in p or catalogue.entry_for(p) is entry}
        for token in sorted(tokens | patterns):
            rules = () if "*" in token else covering.get((concern, token), ())
            rows.append(CoverageRow(concern, token, _requiring(bundle, token, concern), rules))
        for name in sets:
            members = catalogue.sets[name]
            classes = sorted({c for token in members for c in _requiring(bundle, token, concern)})
            users = tuple(sorted(rule.rule_id for rule in mine if name in rule.covers_sets))
            rows.append(CoverageRow(concern, name, tuple(classes), users, is_set=True))
    return rows


def _requiring(bundle: PolicyBundle, token: str, concern: str) -> Tuple[str, ...]:
    catalogue = bundle.catalogue
    entry = next((e for e in catalogue.entries if token in e.patterns), None) if "*" in token else catalogue.entry_for(token)
    names = entry.classes if entry is not None else ()
    return tuple(name for name in names if concern in catalogue.classes[name].requires)


# --- rendering -------------------------------------------------------------------------------------

FORMATS = ("text", "markdown")
REGENERATE = "sahab policy coverage --format markdown --out docs/coverage.md"

_INTRO = """\
Which resource types each concern must judge, and which rules judge them. Generated from the
rules' METADATA (`custom.covers`, `custom.covers_sets`) and the catalogue `policies/coverage.yaml`
by `{regenerate}`; a test fails when this page and the rule set disagree.

A created managed resource whose type is classified below, for a concern its class requires, and
that no rule of that concern understands, gets an `unchecked` finding of **{rule}** (mandatory,
like an opaque component: waive it after review, or lower it with `gate.enforcement`), naming the
type and the concern. Coverage is decided on the exact type token; classification ignores an
azure-native API version. A row "other `pattern`" stands for every type the pattern classifies
that no rule lists: those are reported unchecked. Types the catalogue does not classify are not
reported (the residency rules still check where every resource is).

The catalogue's format: `classes` (name: `description`, `requires`: concerns), `types` (ordered
entries, the first entry with a matching `match` pattern decides: `classes`, optional `note`;
`classes: []` marks configuration judged through the resource it configures) and `sets` (named
lists of exact type tokens a rule covers as a whole with `custom.covers_sets`). How it was decided:
[decisions.md](decisions.md).
"""


def render_coverage(bundle: PolicyBundle, fmt: str = "text") -> str:
    """The coverage table as console text or as the markdown page docs/coverage.md."""
    rows = coverage_table(bundle)
    if fmt == "markdown":
        return _markdown(bundle, rows)
    lines: List[str] = []
    for concern in CONCERNS:
        mine = [row for row in rows if row.concern == concern]
        if not mine:
            continue
        lines.append("%s (%d types)" % (concern, len(mine)))
        for row in mine:
            lines.append("  %-62s %-28s %s" % (_type_label(row), ", ".join(row.classes) or "-",
                                               " ".join(row.rules) or "none: unchecked (%s)" % RULE_ID))
    gaps = [row for row in rows if row.classes and not row.rules]
    lines.append("%d classified types without a rule, and %d patterns whose other types have none: reported unchecked (%s)" % (
        sum(1 for row in gaps if "*" not in row.type_token), sum(1 for row in gaps if "*" in row.type_token), RULE_ID))
    return "\n".join(lines) + "\n"


def _type_label(row: CoverageRow, code: str = "") -> str:
    name = "%s%s%s" % (code, row.type_token, code)
    if row.is_set:
        return "set %s" % name
    return "other %s" % name if "*" in row.type_token else name


def _markdown(bundle: PolicyBundle, rows: List[CoverageRow]) -> str:
    catalogue = bundle.catalogue
    out = ["# Coverage model (`sahab policy coverage`)", "", _INTRO.format(regenerate=REGENERATE, rule=RULE_ID).rstrip(), "",
           "## Classes", "", "| class | what | concerns it requires |", "| --- | --- | --- |"]
    out += ["| %s | %s | %s |" % (c.name, _cell(c.description), ", ".join(c.requires)) for c in catalogue.classes.values()]
    for concern in CONCERNS:
        mine = [row for row in rows if row.concern == concern]
        if not mine:
            continue
        out += ["", "## %s" % concern, "", "| type | class requiring %s | rules |" % concern, "| --- | --- | --- |"]
        for row in mine:
            label = _type_label(row, "`")
            rules = ", ".join(row.rules) if row.rules else "**none: unchecked (%s)**" % RULE_ID
            out.append("| %s | %s | %s |" % (label, ", ".join(row.classes) or "–", rules))
    out += ["", "## The catalogue", "", "In order; the first entry that matches a type decides.", "",
            "| types | classes | why |", "| --- | --- | --- |"]
    for entry in catalogue.entries:
        out.append("| %s | %s | %s |" % ("<br>".join("`%s`" % p for p in entry.patterns), ", ".join(entry.classes) or "none",
                                         _cell(entry.note)))
    out += ["", "## Type sets", ""]
    for name, tokens in catalogue.sets.items():
        users = sorted(rule.rule_id for rule in bundle.rules if name in rule.covers_sets)
        out.append("- `%s` (covered by %s): %s" % (name, ", ".join(users) or "no rule",
                                                  ", ".join("`%s`" % t for t in tokens)))
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
