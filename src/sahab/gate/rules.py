"""The rule catalogue: Rego modules under ``policies/`` and their METADATA headers.

One rule per file, Regal/trivy-checks style: a ``# METADATA`` YAML comment block before the
``package`` line with ``title``, ``description`` and ``custom`` (``id``, ``severity``,
``enforcement``, ``remediation``, ``controls``, and ``deferred_on`` for a rule that can report
``deferred``). regorus parses METADATA but cannot query it at run time, so sahab reads it here; a
missing or malformed header is an error, never a default.

``custom.input`` says which input document a rule reads: ``plan`` (the default: the plan
document, package ``sahab.rules.*``) or ``promotion`` (a model version about to be promoted,
package ``sahab.promotion.*``, docs/promotion.md). A bundle is loaded for one input: the gate
never evaluates a promotion rule on a plan, and ``sahab promote`` never a plan rule.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from ..errors import ConfigError
from ..inputs.files import read_input_text
from ..inputs.safe_yaml import parse_yaml
from .catalogue import CATALOGUE_FILE, EMPTY, Catalogue, load_catalogue, type_tokens
from .findings import ENFORCEMENTS, SEVERITIES

POLICIES_ROOT = Path(__file__).resolve().parents[3] / "policies"
_PACKAGE = re.compile(r"^package\s+([\w.]+)\s*$", re.M)
_RULE_ID = re.compile(r"^SAHAB-[A-Z]+-\d{3}$")
# A team's rule package: `<team>.rules.<concern>.<rule>`; its ids are `<TEAM>-<CONCERN>-<NNN>`.
_TEAM_RULE_PACKAGE = re.compile(r"^([a-z][a-z0-9_]*)\.rules\.\w[\w.]*$")
# Any rule id a finding, a waiver or an override may name: sahab's or a team's.
RULE_ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*-[A-Z0-9]+-\d{3}$")
TEAM_MODULES = "teams/"  # bundle keys of a team's modules: teams/<folder name>/<path in it>
# A rule that can report `deferred` (policies/README.md): a `deferred contains ...` head.
_DEFERRED_HEAD = re.compile(r"^deferred\s+contains\b", re.M)
RULES_PREFIX = "sahab.rules."
# The input documents rules can read (custom.input) and the package root of sahab's rules for each.
INPUT_ROOTS: Dict[str, str] = {"plan": "sahab.rules", "promotion": "sahab.promotion"}


@dataclass(frozen=True)
class Rule:
    """One rule: its package, its file and what its METADATA says."""

    rule_id: str
    package: str
    path: Path
    title: str
    description: str
    severity: str
    enforcement: str
    remediation: str
    controls: Tuple[str, ...]
    concern: str
    # The deploy-time value(s) the rule waits for when it reports `deferred` (custom.deferred_on);
    # None for a rule that never defers. Shown by `sahab policy list` and in the reports.
    deferred_on: Optional[str] = None
    # The package the engine is asked for (`sahab.rules`, or a team's `acme.rules`) and the
    # module's key in PolicyBundle.modules.
    rules_root: str = RULES_PREFIX[:-1]
    module: str = ""
    # The type tokens the rule understands for its concern (custom.covers) and the catalogue's
    # named type sets it understands as a whole (custom.covers_sets); see sahab.gate.coverage.
    covers: Tuple[str, ...] = ()
    covers_sets: Tuple[str, ...] = ()
    input: str = "plan"  # custom.input: the document the rule reads (INPUT_ROOTS)


@dataclass(frozen=True)
class PolicyBundle:
    """Every Rego module to load (rules, their tests, shared libraries) and the rule catalogue."""

    root: Path
    modules: Dict[str, str]  # relative path -> source
    rules: Tuple[Rule, ...]
    catalogue: Catalogue = EMPTY  # root/coverage.yaml: the classes of resource types
    input: str = "plan"  # the input document every rule in `rules` reads (INPUT_ROOTS)

    def covered_types(self, rule: Rule) -> FrozenSet[str]:
        """Every type token ``rule`` understands: its covers and the members of its covers_sets."""
        return frozenset(rule.covers).union(*(self.catalogue.sets[name] for name in rule.covers_sets))

    def without_tests(self) -> Dict[str, str]:
        return {path: text for path, text in self.modules.items() if not path.endswith("_test.rego")}


def default_policies_root() -> Path:
    """``policies/`` of this sahab installation (mapped to ``sahab.policies``)."""
    try:
        import sahab.policies as package

        return Path(package.__file__).resolve().parent
    except ImportError:  # pragma: no cover - always importable when installed
        return POLICIES_ROOT


def load_bundle(root: Optional[Path] = None, team_dirs: Sequence[Path] = (), input_kind: str = "plan") -> PolicyBundle:
    """sahab's rules (``root``, default its own ``policies/``) and the rules of ``team_dirs``.

    Every module is loaded (and every rule's METADATA checked), but ``rules`` holds only the
    rules that read ``input_kind`` (``plan`` or ``promotion``, their ``custom.input``).

    A team folder holds Rego modules under the team's own namespace: rules in packages
    ``<team>.rules.<concern>.<rule>`` with ids ``<TEAM>-<CONCERN>-<NNN>`` and the same METADATA
    header as sahab's, their ``_test.rego`` files, and any libraries; they may import sahab's
    libraries (``data.sahab.lib.*``) but never declare a ``sahab.*`` package.
    """
    root = (root or default_policies_root()).resolve()
    modules: Dict[str, str] = {}
    rules: List[Rule] = []
    for path, key, text in _modules_of(root, ""):
        modules[key] = text
        if key.endswith("_test.rego"):
            continue
        package = package_of(text, path)
        for kind, prefix in INPUT_ROOTS.items():
            if package.startswith(prefix + "."):
                rules.append(_rule(text, path, package, prefix, key, kind))
    labels: Dict[str, Path] = {}
    for directory in team_dirs:
        folder = _team_folder(directory)
        if folder.name in labels:
            raise ConfigError("two policy folders are named %s: %s and %s" % (folder.name, labels[folder.name], folder),
                              "rename one; a team's modules are keyed by its folder name")
        labels[folder.name] = folder
        for path, key, text in _modules_of(folder, TEAM_MODULES + folder.name + "/"):
            modules[key] = text
            package = package_of(text, path)
            if package == "sahab" or package.startswith("sahab."):
                raise ConfigError("%s declares package %s: a team's modules may not add to sahab's packages" % (path, package),
                                  "use your own namespace, e.g. `package acme.rules.<concern>.<rule>`")
            team = _TEAM_RULE_PACKAGE.match(package)
            if team is not None and not key.endswith("_test.rego"):
                rules.append(_rule(text, path, package, team.group(1) + ".rules", key))
    seen: Dict[str, Path] = {}
    for rule in rules:
        if rule.rule_id in seen:
            raise ConfigError("rule id %s is used by both %s and %s" % (rule.rule_id, seen[rule.rule_id], rule.path),
                              "give every rule its own id")
        seen[rule.rule_id] = rule.path
    catalogue = load_catalogue(root)
    for rule in rules:
        unknown = [name for name in rule.covers_sets if name not in catalogue.sets]
        if unknown:
            raise ConfigError("%s: custom.covers_sets names %s, which %s does not define" % (
                rule.path, unknown[0], catalogue.path or root / CATALOGUE_FILE), "name a set under `sets` in the catalogue")
    if input_kind not in INPUT_ROOTS:
        raise ConfigError("unknown rule input %r" % (input_kind,), "use one of %s" % ", ".join(INPUT_ROOTS))
    chosen = sorted((rule for rule in rules if rule.input == input_kind), key=lambda r: r.rule_id)
    return PolicyBundle(root=root, modules=modules, rules=tuple(chosen), catalogue=catalogue, input=input_kind)


def _modules_of(folder: Path, key_prefix: str) -> List[Tuple[Path, str, str]]:
    """Every ``.rego`` file under ``folder``: its path, its bundle key and its source."""
    found = []
    for path in sorted(folder.rglob("*.rego")):
        text = read_input_text(path, "policy", "fix the file or its permissions")
        found.append((path, key_prefix + path.relative_to(folder).as_posix(), text))
    return found


def _team_folder(directory: Path) -> Path:
    folder = Path(directory).resolve()
    if not folder.is_dir():
        raise ConfigError("policy folder %s does not exist" % directory, "pass a folder of Rego modules (--policy-dir, gate.policies)")
    if folder == default_policies_root().resolve():
        raise ConfigError("%s is sahab's own policy folder, which is always loaded" % directory, "pass your team's folder")
    if not any(folder.rglob("*.rego")):
        raise ConfigError("policy folder %s has no .rego modules" % directory, "point at the folder that holds your rules")
    return folder


def package_of(text: str, path: Path) -> str:
    """The package a module declares (``sahab.rules.residency.region_allowed``); no package is an error."""
    match = _PACKAGE.search(text)
    if match is None:
        raise ConfigError("%s has no package declaration" % path, "start the module with `package sahab.rules.<concern>.<rule>`")
    return match.group(1)


def _rule(text: str, path: Path, package: str, rules_root: str, module: str, input_kind: str = "plan") -> Rule:
    metadata = _metadata_block(text, path)
    custom = metadata.get("custom") or {}
    declared = custom.get("input", "plan")
    if declared != input_kind:
        raise ConfigError("%s: custom.input is %r but package %s holds rules reading the %s document" % (
            path, declared, package, input_kind), "rules reading `promotion` live in sahab.promotion.<concern>.<rule>, "
                          "rules reading `plan` (the default) in sahab.rules.<concern>.<rule>")
    missing = [key for key in ("title", "description") if not metadata.get(key)]
    missing += ["custom." + key for key in ("id", "severity", "enforcement", "remediation", "controls") if not custom.get(key)]
    if missing:
        raise ConfigError("%s: METADATA lacks %s" % (path, ", ".join(missing)), "see policies/README.md for the header")
    _check_rule_id(str(custom["id"]), rules_root, path)
    if custom["severity"] not in SEVERITIES:
        raise ConfigError("%s: severity %r is not one of %s" % (path, custom["severity"], ", ".join(SEVERITIES)), "fix the METADATA")
    if custom["enforcement"] not in ENFORCEMENTS:
        raise ConfigError("%s: enforcement %r is not one of %s" % (path, custom["enforcement"], ", ".join(ENFORCEMENTS)), "fix the METADATA")
    controls = custom["controls"]
    if not isinstance(controls, list) or not all(isinstance(c, str) for c in controls):
        raise ConfigError("%s: custom.controls must be a list of strings" % path, "fix the METADATA")
    deferred_on = _deferred_on(custom.get("deferred_on"), text, path)
    covers = type_tokens(custom.get("covers", []), "%s: custom.covers" % path)
    covers_sets = custom.get("covers_sets", [])
    if not isinstance(covers_sets, list) or not all(isinstance(name, str) for name in covers_sets):
        raise ConfigError("%s: custom.covers_sets must be a list of set names" % path, "name sets of policies/coverage.yaml")
    return Rule(
        rule_id=str(custom["id"]),
        package=package,
        path=path,
        title=str(metadata["title"]),
        description=" ".join(str(metadata["description"]).split()),
        severity=custom["severity"],
        enforcement=custom["enforcement"],
        remediation=" ".join(str(custom["remediation"]).split()),
        controls=tuple(controls),
        concern=package[len(rules_root) + 1:].split(".")[0],
        deferred_on=deferred_on,
        rules_root=rules_root,
        module=module,
        covers=covers,
        covers_sets=tuple(covers_sets),
        input=input_kind,
    )


def _check_rule_id(rule_id: str, rules_root: str, path: Path) -> None:
    """sahab's ids are SAHAB-<CONCERN>-<NNN>; a team's carry its namespace, so none can take another's."""
    if rules_root in INPUT_ROOTS.values():
        if not _RULE_ID.match(rule_id):
            raise ConfigError("%s: rule id %r is not SAHAB-<CONCERN>-<NNN>" % (path, rule_id), "e.g. SAHAB-RES-001")
        return
    team = rules_root.split(".")[0].upper()
    if not (RULE_ID_PATTERN.match(rule_id) and rule_id.startswith(team + "-")) or rule_id.startswith("SAHAB-"):
        raise ConfigError("%s: rule id %r is not %s-<CONCERN>-<NNN> (package %s.*)" % (path, rule_id, team, rules_root),
                          "e.g. %s-NET-001; SAHAB- ids belong to sahab's own rules" % team)


def _deferred_on(value: object, text: str, path: Path) -> Optional[str]:
    """``custom.deferred_on``: required exactly when the rule can report ``deferred``.

    A deferred finding is a promise that the value is checked later (``--strict``, the CrossGuard
    pack at ``pulumi up``); the sentence says which value, so a reader can tell what is pending.
    """
    defers = _DEFERRED_HEAD.search(text) is not None
    if value is None:
        if defers:
            raise ConfigError("%s: the rule reports `deferred` but its METADATA lacks custom.deferred_on" % path,
                              "add `deferred_on: <the deploy-time value(s) it waits for>` under custom")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("%s: custom.deferred_on must be a sentence naming the deploy-time value(s)" % path, "fix the METADATA")
    if not defers:
        raise ConfigError("%s: custom.deferred_on is set but the rule has no `deferred contains` rule" % path,
                          "remove deferred_on, or report the unknown value as deferred")
    return " ".join(value.split())


def _metadata_block(text: str, path: Path) -> Dict[str, object]:
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "# METADATA")
    except StopIteration:
        raise ConfigError("%s has no # METADATA header" % path, "see policies/README.md") from None
    body: List[str] = []
    for line in lines[start + 1:]:
        if not line.startswith("#"):
            break
        body.append(line[2:] if line.startswith("# ") else line[1:])
    parsed = parse_yaml("\n".join(body), "%s: METADATA" % path, "fix the header")
    if not isinstance(parsed, dict):
        raise ConfigError("%s: METADATA must be a YAML mapping" % path, "see policies/README.md")
    return parsed
