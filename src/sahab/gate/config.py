"""Gate configuration: ``sahab.yaml`` in the project folder (optional), then CLI flags.

```yaml
gate:
  engine: embedded            # embedded (regorus) | opa
  opa: {url: "http://127.0.0.1:8181", token_env: OPA_TOKEN, timeout: 10}
  enforcement: {SAHAB-NET-007: advisory}   # per-rule override of the METADATA default
  checkov: {enabled: true, mandatory: [CKV_K8S_16]}   # mandatory replaces the curated default list
                              # checks_dirs: [checkov-checks]: a team's own checkov checks
  policies: [policies]        # a team's own Rego rule folders, beside sahab's (relative to this file)
  waivers: waivers.yaml       # relative to the project folder
  fail_on_deferred: false
  reviewed_charts: [...]      # Helm charts reviewed instead of rendered (sahab.charts.review)
  rules: [SAHAB-*]            # evaluate only these ids/globs (default: all); sahab.gate.selection
  skip_rules: [CKV_K8S_43]    # never evaluate these ids/globs (also `enforcement: {ID: disabled}`)
  severity_threshold: high    # only findings of this severity or above block
  soft_fail: false            # report blocking findings but exit 0
  baseline: baseline.json     # findings recorded here do not block (sahab.gate.baseline)
charts:
  cache: charts-cache         # the chart cache folder, relative to this file (docs/charts.md)
```
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ..charts.review import ChartReview, parse_reviews
from ..errors import ConfigError
from ..inputs.safe_yaml import load_yaml
from .findings import DISABLED, ENFORCEMENTS, SEVERITIES
from .relaxations import RelaxingSettings, relaxing_settings

CONFIG_FILE = "sahab.yaml"
ENGINES = ("embedded", "opa")
_CHECKOV_KEYS = {"enabled", "mandatory", "checks_dirs"}
_KEYS = {"engine", "opa", "enforcement", "checkov", "waivers", "fail_on_deferred", "reviewed_charts",
         "rules", "skip_rules", "severity_threshold", "soft_fail", "baseline", "policies"}


@dataclass(frozen=True)
class GateConfig:
    engine: str = "embedded"
    opa: Dict[str, Any] = field(default_factory=dict)
    enforcement: Dict[str, str] = field(default_factory=dict)
    checkov_enabled: bool = True
    checkov_mandatory: Optional[List[str]] = None
    waivers: Optional[Path] = None
    fail_on_deferred: bool = False
    reviewed_charts: Tuple[ChartReview, ...] = ()
    chart_cache: Optional[Path] = None
    rules: Tuple[str, ...] = ()
    skip_rules: Tuple[str, ...] = ()
    severity_threshold: Optional[str] = None
    soft_fail: bool = False
    baseline: Optional[Path] = None
    policy_dirs: Tuple[Path, ...] = ()           # a team's own Rego rule folders (sahab.gate.rules)
    checkov_checks_dirs: Tuple[Path, ...] = ()   # a team's own checkov checks (--external-checks-dir)
    # The relaxing settings as the configuration file gave them, before any flag (None: no file).
    project_settings: Optional[RelaxingSettings] = None

    @property
    def disabled_rules(self) -> Tuple[str, ...]:
        """Rule ids whose enforcement is ``disabled``: left out like ``skip_rules``."""
        return tuple(sorted(rule for rule, level in self.enforcement.items() if level == DISABLED))

    def with_overrides(self, **changes: Any) -> "GateConfig":
        return replace(self, **{key: value for key, value in changes.items() if value is not None})


def load_gate_config(project_dir: Path, path: Optional[Path] = None) -> GateConfig:
    """Read ``path`` (or ``project_dir/sahab.yaml`` when present); defaults otherwise."""
    candidate = path or project_dir / CONFIG_FILE
    if path is None and not os.path.lexists(candidate):
        return GateConfig()
    document = load_yaml(candidate, "gate configuration", "fix --config" if path is not None else "fix %s" % CONFIG_FILE) or {}
    section = document.get("gate", {}) if isinstance(document, dict) else None
    if not isinstance(section, dict):
        raise ConfigError("%s: `gate:` must be a mapping" % candidate, "see docs/gate.md")
    unknown = sorted(set(section) - _KEYS)
    if unknown:
        raise ConfigError("%s: unknown gate setting(s) %s" % (candidate, ", ".join(unknown)), "allowed: " + ", ".join(sorted(_KEYS)))
    enforcement = section.get("enforcement") or {}
    if not isinstance(enforcement, dict) or any(v not in ENFORCEMENTS + (DISABLED,) for v in enforcement.values()):
        raise ConfigError("%s: gate.enforcement maps rule ids to advisory|mandatory|disabled" % candidate,
                          "e.g. {SAHAB-NET-007: advisory}")
    if not all(isinstance(key, str) for key in enforcement):
        raise ConfigError("%s: gate.enforcement keys must be rule ids" % candidate, "e.g. {SAHAB-NET-007: advisory}")
    checkov = section.get("checkov") or {}
    if not isinstance(checkov, dict) or set(checkov) - _CHECKOV_KEYS:
        raise ConfigError("%s: gate.checkov must be a mapping of %s" % (candidate, ", ".join(sorted(_CHECKOV_KEYS))),
                          "e.g. {enabled: true}")
    charts = document.get("charts") or {}
    if not isinstance(charts, dict) or set(charts) - {"cache"} or not isinstance(charts.get("cache", ""), str):
        raise ConfigError("%s: `charts:` takes only `cache: <folder>`" % candidate, "e.g. charts: {cache: charts-cache} (docs/charts.md)")
    config = GateConfig(
        engine=_engine(section.get("engine", "embedded"), candidate),
        opa=_opa(section.get("opa"), candidate),
        enforcement=dict(enforcement),
        checkov_enabled=_flag(checkov, "checkov.enabled", candidate, default=True),
        checkov_mandatory=list(_patterns(checkov, "checkov.mandatory", candidate)) if "mandatory" in checkov else None,
        waivers=_relative_file(section, "waivers", candidate),
        fail_on_deferred=_flag(section, "fail_on_deferred", candidate),
        reviewed_charts=parse_reviews(section.get("reviewed_charts"), candidate),
        chart_cache=(candidate.parent / charts["cache"]) if charts.get("cache") else None,
        rules=_patterns(section, "rules", candidate),
        skip_rules=_patterns(section, "skip_rules", candidate),
        severity_threshold=_threshold(section.get("severity_threshold"), candidate),
        soft_fail=_flag(section, "soft_fail", candidate),
        baseline=_relative_file(section, "baseline", candidate),
        policy_dirs=_folders(section.get("policies"), "gate.policies", candidate),
        checkov_checks_dirs=_folders(checkov.get("checks_dirs"), "gate.checkov.checks_dirs", candidate),
    )
    # What this file relaxes is reported, or refused by a trusted configuration (sahab.gate.relaxations).
    return replace(config, project_settings=relaxing_settings(candidate, config))


def _folders(value: Any, key: str, candidate: Path) -> Tuple[Path, ...]:
    """A list of folders, relative to the configuration file."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ConfigError("%s: %s must be a list of folders" % (candidate, key), "e.g. %s: [policies]" % key.rsplit(".", 1)[-1])
    return tuple(candidate.parent / item for item in value)


def _patterns(section: Dict[str, Any], key: str, candidate: Path) -> Tuple[str, ...]:
    value = section.get(key.rsplit(".", 1)[-1]) or []
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ConfigError("%s: gate.%s must be a list of rule ids or globs" % (candidate, key), "e.g. [SAHAB-NET-*, CKV_K8S_16]")
    return tuple(value)


def _threshold(value: Any, candidate: Path) -> Optional[str]:
    if value is not None and value not in SEVERITIES:
        raise ConfigError("%s: gate.severity_threshold %r is not one of %s" % (candidate, value, "|".join(SEVERITIES)),
                          "e.g. severity_threshold: high")
    return value


def _flag(section: Dict[str, Any], key: str, candidate: Path, default: bool = False) -> bool:
    """A boolean: ``"false"`` or ``0`` is a mistake, not false (nor, worse, true)."""
    value = section.get(key.rsplit(".", 1)[-1], default)
    if not isinstance(value, bool):
        raise ConfigError("%s: gate.%s must be true or false, not %r" % (candidate, key, value),
                          "e.g. %s: true" % key.rsplit(".", 1)[-1])
    return value


def _engine(value: Any, candidate: Path) -> str:
    if value not in ENGINES:
        raise ConfigError("%s: gate.engine %r is not one of %s" % (candidate, value, "|".join(ENGINES)), "e.g. engine: embedded")
    return str(value)


def _opa(value: Any, candidate: Path) -> Dict[str, Any]:
    """The ``opa:`` mapping: strings, and a number of seconds for ``timeout`` (the engine checks the values)."""
    value = value or {}
    if not isinstance(value, dict):
        raise ConfigError("%s: gate.opa must be a mapping" % candidate, "e.g. opa: {url: \"http://127.0.0.1:8181\"}")
    for key, item in value.items():
        number = key == "timeout" and isinstance(item, (int, float)) and not isinstance(item, bool)
        if not (number or (key != "timeout" and isinstance(item, str))):
            raise ConfigError("%s: gate.opa.%s must be %s, not %r" % (candidate, key, "a number of seconds" if key == "timeout"
                                                                      else "a string", item),
                              "e.g. timeout: 30" if key == "timeout" else "quote it")
    return dict(value)


def _relative_file(section: Dict[str, Any], key: str, candidate: Path) -> Optional[Path]:
    value = section.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigError("%s: gate.%s must be a file path" % (candidate, key), "e.g. %s: %s.%s" % (key, key, "yaml" if key == "waivers" else "json"))
    return candidate.parent / value if value else None
