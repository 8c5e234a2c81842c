"""Governance of a project's own relaxations of the gate (docs/gate.md#relaxations).

The ``sahab.yaml`` the gate reads usually lives in the repository a pull request changes, so a
pull request can also lower a mandatory rule to advisory, disable or skip rules, switch checkov
off, soft-fail or raise the severity threshold. Every report's summary names what is relaxed
(``this project relaxes N rule(s) (sahab.yaml): ...``), and a trusted configuration that CI keeps
outside the repository (``--trusted-config FILE`` or ``$SAHAB_TRUSTED_CONFIG``) can forbid it:
then such a file stops the gate with exit 2, naming what it relaxes.

A setting is reported only while it is in effect: a flag that overrides it (``--no-soft-fail``,
``--skip-rule``) replaces it, and the flags are CI's own.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection, Dict, List, Optional, Tuple

from ..errors import ConfigError
from ..inputs.safe_yaml import load_yaml
from .findings import DISABLED, SEVERITIES
from .selection import RuleSelection

if TYPE_CHECKING:
    from .config import GateConfig
    from .rules import PolicyBundle

FORBID, REPORT = "forbid", "report"
_TRUSTED_FIX = "see docs/gate.md#relaxations: governance: {project_relaxations: forbid|report}"


@dataclass(frozen=True)
class RelaxingSettings:
    """The settings of a configuration file that can relax the gate, as the file gives them."""

    path: Path
    enforcement: Tuple[Tuple[str, str], ...] = ()
    rules: Tuple[str, ...] = ()
    skip_rules: Tuple[str, ...] = ()
    checkov_enabled: bool = True
    checkov_mandatory: Optional[Tuple[str, ...]] = None
    soft_fail: bool = False
    severity_threshold: Optional[str] = None


@dataclass(frozen=True)
class Relaxations:
    """What a project's configuration relaxes in this run: rules (id, how) and gate-wide settings."""

    source: str
    rules: Tuple[Tuple[str, str], ...]
    settings: Tuple[str, ...]

    def line(self) -> str:
        """``this project relaxes 2 rule(s) (sahab.yaml): A (mandatory -> advisory), B (disabled); settings: ...``."""
        text = "this project relaxes %d rule(s) (%s)" % (len(self.rules), self.source)
        if self.rules:
            text += ": " + ", ".join("%s (%s)" % rule for rule in self.rules)
        if self.settings:
            text += "; settings: " + ", ".join(self.settings)
        return text

    def to_dict(self) -> Dict[str, Any]:
        return {"source": self.source, "rules": [{"rule": rule, "change": change} for rule, change in self.rules],
                "settings": list(self.settings)}


@dataclass(frozen=True)
class TrustedConfig:
    """CI's own configuration, kept outside the repository: whether a project may relax the gate."""

    path: Path
    project_relaxations: str = REPORT

    @property
    def forbids(self) -> bool:
        return self.project_relaxations == FORBID


def load_trusted_config(path: Path) -> TrustedConfig:
    """Read the trusted configuration ``path``: ``governance: {project_relaxations: forbid|report}``."""
    document = load_yaml(path, "trusted configuration", "fix --trusted-config / $SAHAB_TRUSTED_CONFIG")
    governance = document.get("governance") if isinstance(document, dict) else None
    if not isinstance(governance, dict) or set(document) != {"governance"}:
        raise ConfigError("trusted configuration %s must hold only a `governance:` mapping" % path, _TRUSTED_FIX)
    unknown = sorted(set(governance) - {"project_relaxations"})
    if unknown:
        raise ConfigError("trusted configuration %s: unknown governance setting(s) %s" % (path, ", ".join(unknown)), _TRUSTED_FIX)
    value = governance.get("project_relaxations", REPORT)
    if value not in (FORBID, REPORT):
        raise ConfigError("trusted configuration %s: governance.project_relaxations is %r, not forbid or report" % (path, value),
                          _TRUSTED_FIX)
    return TrustedConfig(path=path, project_relaxations=value)


def check_trusted_location(trusted: TrustedConfig, project_root: Path) -> None:
    """A trusted configuration inside the repository is one the pull request can change: refuse it."""
    if _inside(trusted.path, project_root):
        raise ConfigError("trusted configuration %s is inside the project's repository (%s), which a pull request can change"
                          % (trusted.path, project_root), "keep it outside the checkout, e.g. in CI's own settings")


def project_relaxations(config: "GateConfig", bundle: "PolicyBundle", checkov_mandatory_default: Tuple[str, ...],
                        source: str, always_mandatory: Collection[str] = ()) -> Optional[Relaxations]:
    """What ``config``'s file (``config.project_settings``) relaxes and is still in effect; None if nothing.

    ``checkov_mandatory_default``: the checkov checks that block unless the file replaces the list;
    ``always_mandatory``: sahab's own rules outside the bundle (the visibility rules), mandatory.
    """
    settings = config.project_settings
    if settings is None:
        return None
    defaults = {rule.rule_id: rule.enforcement for rule in bundle.rules}
    rules: Dict[str, str] = {}
    for rule_id, level in settings.enforcement:
        if config.enforcement.get(rule_id) != level:
            continue
        if level == DISABLED:
            rules[rule_id] = "disabled"
        elif level == "advisory" and (defaults.get(rule_id) == "mandatory" or rule_id in checkov_mandatory_default
                                      or rule_id in always_mandatory):
            rules[rule_id] = "mandatory -> advisory"
    if settings.checkov_mandatory is not None and tuple(config.checkov_mandatory or ()) == settings.checkov_mandatory:
        for check in sorted(set(checkov_mandatory_default) - set(settings.checkov_mandatory)):
            rules.setdefault(check, "mandatory -> advisory (gate.checkov.mandatory)")
    include = settings.rules if settings.rules and tuple(config.rules) == settings.rules else ()
    exclude = settings.skip_rules if settings.skip_rules and tuple(config.skip_rules) == settings.skip_rules else ()
    included, skipped = RuleSelection(include=include), RuleSelection(exclude=exclude)
    for rule_id in defaults:
        if not included.selects(rule_id):
            rules.setdefault(rule_id, "not selected (gate.rules)")
        elif not skipped.selects(rule_id):
            rules.setdefault(rule_id, "skipped (gate.skip_rules)")
    for pattern in exclude:
        if not any(fnmatch.fnmatchcase(rule_id, pattern) for rule_id in defaults):
            rules.setdefault(pattern, "skipped (gate.skip_rules)")  # a checkov id or glob
    changed: List[str] = []
    if include:
        changed.append("gate.rules: only %s evaluated" % ", ".join(include))
    if not settings.checkov_enabled and not config.checkov_enabled:
        changed.append("gate.checkov.enabled: false")
    if settings.soft_fail and config.soft_fail:
        changed.append("gate.soft_fail: true")
    threshold = settings.severity_threshold
    if threshold is not None and threshold != SEVERITIES[0] and config.severity_threshold == threshold:
        changed.append("gate.severity_threshold: %s" % threshold)
    if not rules and not changed:
        return None
    return Relaxations(source=source, rules=tuple(sorted(rules.items())), settings=tuple(changed))


def refuse_forbidden(relaxations: Optional[Relaxations], trusted: Optional[TrustedConfig]) -> None:
    """Exit 2 (ConfigError) when the trusted configuration forbids what the project relaxes."""
    if relaxations is None or trusted is None or not trusted.forbids:
        return
    what = ", ".join(["%s (%s)" % rule for rule in relaxations.rules] + list(relaxations.settings))
    raise ConfigError("%s relaxes the gate, which the trusted configuration %s forbids: %s"
                      % (relaxations.source, trusted.path, what),
                      "remove these settings from %s (governance.project_relaxations: forbid)" % relaxations.source)


def relaxing_settings(path: Path, config: "GateConfig") -> RelaxingSettings:
    """The relaxing settings of ``config`` as just read from the file ``path`` (by :func:`load_gate_config`)."""
    return RelaxingSettings(
        path=path,
        enforcement=tuple(sorted(config.enforcement.items())),
        rules=tuple(config.rules),
        skip_rules=tuple(config.skip_rules),
        checkov_enabled=config.checkov_enabled,
        checkov_mandatory=tuple(config.checkov_mandatory) if config.checkov_mandatory is not None else None,
        soft_fail=config.soft_fail,
        severity_threshold=config.severity_threshold,
    )


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def govern(config: "GateConfig", bundle: "PolicyBundle", trusted: Optional[TrustedConfig],
           project_dir: Optional[Path]) -> Optional[Relaxations]:
    """The project's relaxations in effect, after refusing a trusted configuration inside the
    repository and relaxations it forbids (ConfigError, exit 2). The one check ``run_gate`` makes
    before running the program and :func:`sahab.gate.run.gate_plan` makes before evaluating."""
    from ..planner.sources import relative_posix, source_root
    from .checkov.engine import load_mandatory
    from .run import VISIBILITY_RULES  # imported here: sahab.gate.run imports this module

    root = source_root(Path(project_dir).resolve()) if project_dir is not None else None
    if trusted is not None and root is not None:
        check_trusted_location(trusted, root)
    settings = config.project_settings
    if settings is None:
        return None
    source = str(settings.path)
    if root is not None and _inside(settings.path, root):
        source = relative_posix(settings.path.resolve(), root)
    relaxations = project_relaxations(config, bundle, tuple(sorted(load_mandatory())), source, VISIBILITY_RULES)
    refuse_forbidden(relaxations, trusted)
    return relaxations
