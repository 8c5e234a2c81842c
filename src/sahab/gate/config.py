"""Gate configuration: ``sahab.yaml`` in the project folder (optional), then CLI flags.

```yaml
gate:
  engine: embedded            # embedded (regorus) | opa
  opa: {url: "http://127.0.0.1:8181", token_env: OPA_TOKEN, timeout: 10}
  enforcement: {SAHAB-NET-007: advisory}   # per-rule override of the METADATA default
  checkov: {enabled: true, mandatory: [CKV_K8S_16]}   # mandatory replaces the curated default list
  waivers: waivers.yaml       # relative to the project folder
  fail_on_deferred: false
  reviewed_charts: [...]      # Helm charts reviewed instead of rendered (sahab.charts.review)
charts:
  cache: charts-cache         # the chart cache folder, relative to this file (docs/charts.md)
```
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from ..charts.review import ChartReview, parse_reviews
from ..errors import ConfigError
from .findings import ENFORCEMENTS

CONFIG_FILE = "sahab.yaml"
_KEYS = {"engine", "opa", "enforcement", "checkov", "waivers", "fail_on_deferred", "reviewed_charts"}


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

    def with_overrides(self, **changes: Any) -> "GateConfig":
        return replace(self, **{key: value for key, value in changes.items() if value is not None})


def load_gate_config(project_dir: Path, path: Optional[Path] = None) -> GateConfig:
    """Read ``path`` (or ``project_dir/sahab.yaml`` when present); defaults otherwise."""
    candidate = path or project_dir / CONFIG_FILE
    if path is None and not candidate.is_file():
        return GateConfig()
    try:
        document = yaml.safe_load(candidate.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError("cannot read %s: %s" % (candidate, exc.strerror), "fix --config") from None
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date such as 2027-13-01
        raise ConfigError("%s is not valid YAML: %s" % (candidate, str(exc).splitlines()[0]), "fix its syntax") from None
    section = document.get("gate", {}) if isinstance(document, dict) else None
    if not isinstance(section, dict):
        raise ConfigError("%s: `gate:` must be a mapping" % candidate, "see docs/gate.md")
    unknown = sorted(set(section) - _KEYS)
    if unknown:
        raise ConfigError("%s: unknown gate setting(s) %s" % (candidate, ", ".join(unknown)), "allowed: " + ", ".join(sorted(_KEYS)))
    enforcement = section.get("enforcement") or {}
    if not isinstance(enforcement, dict) or any(v not in ENFORCEMENTS for v in enforcement.values()):
        raise ConfigError("%s: gate.enforcement maps rule ids to advisory|mandatory" % candidate, "e.g. {SAHAB-NET-007: advisory}")
    checkov = section.get("checkov") or {}
    if not isinstance(checkov, dict):
        raise ConfigError("%s: gate.checkov must be a mapping" % candidate, "e.g. {enabled: true}")
    waivers = section.get("waivers")
    charts = document.get("charts") or {}
    if not isinstance(charts, dict) or set(charts) - {"cache"} or not isinstance(charts.get("cache", ""), str):
        raise ConfigError("%s: `charts:` takes only `cache: <folder>`" % candidate, "e.g. charts: {cache: charts-cache} (docs/charts.md)")
    return GateConfig(
        engine=str(section.get("engine", "embedded")),
        opa=dict(section.get("opa") or {}),
        enforcement={str(k): str(v) for k, v in enforcement.items()},
        checkov_enabled=bool(checkov.get("enabled", True)),
        checkov_mandatory=list(checkov["mandatory"]) if "mandatory" in checkov else None,
        waivers=(candidate.parent / waivers) if waivers else None,
        fail_on_deferred=bool(section.get("fail_on_deferred", False)),
        reviewed_charts=parse_reviews(section.get("reviewed_charts"), candidate),
        chart_cache=(candidate.parent / charts["cache"]) if charts.get("cache") else None,
    )
