"""The rule catalogue: Rego modules under ``policies/`` and their METADATA headers.

One rule per file, Regal/trivy-checks style: a ``# METADATA`` YAML comment block before the
``package`` line with ``title``, ``description`` and ``custom`` (``id``, ``severity``,
``enforcement``, ``remediation``, ``controls``). regorus parses METADATA but cannot query it at
run time, so sahab reads it here; a missing or malformed header is an error, never a default.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from ..errors import ConfigError
from .findings import ENFORCEMENTS, SEVERITIES

POLICIES_ROOT = Path(__file__).resolve().parents[3] / "policies"
_PACKAGE = re.compile(r"^package\s+([\w.]+)\s*$", re.M)
_RULE_ID = re.compile(r"^SAHAB-[A-Z]+-\d{3}$")
RULES_PREFIX = "sahab.rules."


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


@dataclass(frozen=True)
class PolicyBundle:
    """Every Rego module to load (rules, their tests, shared libraries) and the rule catalogue."""

    root: Path
    modules: Dict[str, str]  # relative path -> source
    rules: Tuple[Rule, ...]

    def rule_by_package(self) -> Dict[str, Rule]:
        return {rule.package: rule for rule in self.rules}

    def without_tests(self) -> Dict[str, str]:
        return {path: text for path, text in self.modules.items() if not path.endswith("_test.rego")}


def default_policies_root() -> Path:
    """``policies/`` of this sahab installation (mapped to ``sahab.policies``)."""
    try:
        import sahab.policies as package

        return Path(package.__file__).resolve().parent
    except ImportError:  # pragma: no cover - always importable when installed
        return POLICIES_ROOT


def load_bundle(root: Optional[Path] = None) -> PolicyBundle:
    root = (root or default_policies_root()).resolve()
    modules: Dict[str, str] = {}
    rules: List[Rule] = []
    for path in sorted(root.rglob("*.rego")):
        relative = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        modules[relative] = text
        if relative.endswith("_test.rego"):
            continue
        package = _package_of(text, path)
        if package.startswith(RULES_PREFIX):
            rules.append(_rule(text, path, package))
    seen: Dict[str, Path] = {}
    for rule in rules:
        if rule.rule_id in seen:
            raise ConfigError("rule id %s is used by both %s and %s" % (rule.rule_id, seen[rule.rule_id], rule.path),
                              "give every rule its own id")
        seen[rule.rule_id] = rule.path
    return PolicyBundle(root=root, modules=modules, rules=tuple(sorted(rules, key=lambda r: r.rule_id)))


def _package_of(text: str, path: Path) -> str:
    match = _PACKAGE.search(text)
    if match is None:
        raise ConfigError("%s has no package declaration" % path, "start the module with `package sahab.rules.<concern>.<rule>`")
    return match.group(1)


def _rule(text: str, path: Path, package: str) -> Rule:
    metadata = _metadata_block(text, path)
    custom = metadata.get("custom") or {}
    missing = [key for key in ("title", "description") if not metadata.get(key)]
    missing += ["custom." + key for key in ("id", "severity", "enforcement", "remediation", "controls") if not custom.get(key)]
    if missing:
        raise ConfigError("%s: METADATA lacks %s" % (path, ", ".join(missing)), "see policies/README.md for the header")
    if not _RULE_ID.match(str(custom["id"])):
        raise ConfigError("%s: rule id %r is not SAHAB-<CONCERN>-<NNN>" % (path, custom["id"]), "e.g. SAHAB-RES-001")
    if custom["severity"] not in SEVERITIES:
        raise ConfigError("%s: severity %r is not one of %s" % (path, custom["severity"], ", ".join(SEVERITIES)), "fix the METADATA")
    if custom["enforcement"] not in ENFORCEMENTS:
        raise ConfigError("%s: enforcement %r is not one of %s" % (path, custom["enforcement"], ", ".join(ENFORCEMENTS)), "fix the METADATA")
    controls = custom["controls"]
    if not isinstance(controls, list) or not all(isinstance(c, str) for c in controls):
        raise ConfigError("%s: custom.controls must be a list of strings" % path, "fix the METADATA")
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
        concern=package[len(RULES_PREFIX):].split(".")[0],
    )


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
    try:
        parsed = yaml.safe_load("\n".join(body))
    except yaml.YAMLError as exc:
        raise ConfigError("%s: METADATA is not valid YAML: %s" % (path, str(exc).splitlines()[0]), "fix the header") from None
    if not isinstance(parsed, dict):
        raise ConfigError("%s: METADATA must be a YAML mapping" % path, "see policies/README.md")
    return parsed
