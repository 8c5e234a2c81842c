"""The ``promotion:`` section of ``sahab.yaml``: what a model version must show to be promoted.

```yaml
promotion:
  tracking_uri: https://mlflow.ml.example.ae     # else --tracking-uri, else MLFLOW_TRACKING_URI
  metrics:                                        # at least one; each judged by SAHAB-PRM-001/002
    accuracy: {direction: higher, threshold: 0.90}
    rmse: {direction: lower, threshold: 0.35, margin: 0.01}
  regression_margin: 0.005                        # default margin of a metric without its own
  allowed_stores:                                 # the stores the platform provisions (URI prefixes)
    - s3://ml-artifacts-111122223333/
    - abfss://models@mlartifactsuae.dfs.core.windows.net/
  required_evidence:                              # model version tags and the values they must have
    sahab.drift.status: [no-drift]
  audit_log: promotion-audit.jsonl                # relative to this file
```

Only the shape is checked here; what a *missing* threshold, store or evidence means is decided
by the rules (a violation, docs/promotion.md), so an empty section never turns into a pass.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

from ..errors import ConfigError
from ..gate.config import CONFIG_FILE
from ..inputs.safe_yaml import load_yaml

DEFAULT_AUDIT_LOG = "promotion-audit.jsonl"
DIRECTIONS = ("higher", "lower")
_KEYS = {"tracking_uri", "metrics", "regression_margin", "allowed_stores", "required_evidence", "audit_log"}
_METRIC_KEYS = {"direction", "threshold", "margin"}
_STORE = re.compile(r"^[a-z][a-z0-9+.-]*:/*[^/\s]+(/\S*)?$")
# MLflow's artifact proxy (`mlflow server --serve-artifacts`): its locations have no bucket, so the
# prefix alone names it (docs/promotion.md: list it only when its destination is an allowed store).
_ARTIFACT_PROXY = "mlflow-artifacts:/"


@dataclass(frozen=True)
class Threshold:
    """One metric: which way is better, the bar it must clear, how far it may fall behind the holder."""

    direction: str
    threshold: float
    margin: float

    def to_input(self) -> Dict[str, Any]:
        return {"direction": self.direction, "threshold": self.threshold, "margin": self.margin}


@dataclass(frozen=True)
class PromotionConfig:
    """The promotion gate's settings (defaults: nothing configured, which the rules refuse)."""

    tracking_uri: Optional[str] = None
    metrics: Mapping[str, Threshold] = field(default_factory=dict)
    allowed_stores: Tuple[str, ...] = ()
    required_evidence: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)
    audit_log: Path = Path(DEFAULT_AUDIT_LOG)
    source: Optional[Path] = None  # the file it was read from

    def to_input(self) -> Dict[str, Any]:
        """The ``config`` part of the input document the rules read."""
        return {"metrics": {name: limit.to_input() for name, limit in sorted(self.metrics.items())},
                "allowed_stores": list(self.allowed_stores),
                "required_evidence": {tag: list(values) for tag, values in sorted(self.required_evidence.items())}}


def load_promotion_config(project_dir: Path = Path("."), path: Optional[Path] = None) -> PromotionConfig:
    """Read ``path`` (or ``project_dir/sahab.yaml`` when present); defaults otherwise."""
    candidate = path or Path(project_dir) / CONFIG_FILE
    if path is None and not os.path.lexists(candidate):
        return PromotionConfig(audit_log=Path(project_dir) / DEFAULT_AUDIT_LOG)
    document = load_yaml(candidate, "promotion configuration", "fix --config" if path is not None else "fix %s" % CONFIG_FILE) or {}
    section = document.get("promotion", {}) if isinstance(document, dict) else None
    if not isinstance(section, dict):
        raise ConfigError("%s: `promotion:` must be a mapping" % candidate, "see docs/promotion.md")
    unknown = sorted(set(section) - _KEYS)
    if unknown:
        raise ConfigError("%s: unknown promotion setting(s) %s" % (candidate, ", ".join(unknown)), "allowed: " + ", ".join(sorted(_KEYS)))
    margin = _number(section.get("regression_margin", 0), "promotion.regression_margin", candidate, minimum=0)
    tracking_uri = section.get("tracking_uri")
    if tracking_uri is not None and (not isinstance(tracking_uri, str) or not tracking_uri.strip()):
        raise ConfigError("%s: promotion.tracking_uri must be a URI" % candidate, "e.g. tracking_uri: https://mlflow.example.ae")
    audit_log = section.get("audit_log", DEFAULT_AUDIT_LOG)
    if not isinstance(audit_log, str) or not audit_log.strip():
        raise ConfigError("%s: promotion.audit_log must be a file path" % candidate, "e.g. audit_log: %s" % DEFAULT_AUDIT_LOG)
    return PromotionConfig(
        tracking_uri=tracking_uri,
        metrics=_metrics(section.get("metrics") or {}, margin, candidate),
        allowed_stores=_stores(section.get("allowed_stores") or [], candidate),
        required_evidence=_evidence(section.get("required_evidence") or {}, candidate),
        audit_log=candidate.parent / audit_log,
        source=candidate,
    )


def _number(value: Any, key: str, candidate: Path, minimum: Optional[float] = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError("%s: %s must be a number, not %r" % (candidate, key, value), "e.g. %s: 0.01" % key.rsplit(".", 1)[-1])
    if minimum is not None and value < minimum:
        raise ConfigError("%s: %s must be at least %s, not %r" % (candidate, key, minimum, value), "e.g. %s: 0.01" % key.rsplit(".", 1)[-1])
    return float(value)


def _metrics(raw: Any, default_margin: float, candidate: Path) -> Dict[str, Threshold]:
    if not isinstance(raw, dict):
        raise ConfigError("%s: promotion.metrics maps metric names to {direction, threshold}" % candidate,
                          "e.g. metrics: {accuracy: {direction: higher, threshold: 0.9}}")
    metrics: Dict[str, Threshold] = {}
    for name, body in raw.items():
        key = "promotion.metrics.%s" % name
        if not isinstance(name, str) or not isinstance(body, dict) or set(body) - _METRIC_KEYS or not {"direction", "threshold"} <= set(body):
            raise ConfigError("%s: %s needs `direction` and `threshold` (and optionally `margin`)" % (candidate, key),
                              "e.g. %s: {direction: higher, threshold: 0.9}" % name)
        if body["direction"] not in DIRECTIONS:
            raise ConfigError("%s: %s.direction %r is not higher or lower" % (candidate, key, body["direction"]),
                              "higher: bigger is better (accuracy); lower: smaller is better (rmse)")
        metrics[name] = Threshold(direction=body["direction"], threshold=_number(body["threshold"], key + ".threshold", candidate),
                                  margin=_number(body.get("margin", default_margin), key + ".margin", candidate, minimum=0))
    return metrics


def _stores(raw: Any, candidate: Path) -> Tuple[str, ...]:
    """URI prefixes, each ending with ``/`` so ``s3://ml`` never admits ``s3://ml-other``."""
    if not isinstance(raw, list) or not all(
            isinstance(item, str) and (item == _ARTIFACT_PROXY or _STORE.match(item)) for item in raw):
        raise ConfigError("%s: promotion.allowed_stores must list store URIs (scheme://bucket/...)" % candidate,
                          "e.g. allowed_stores: [s3://ml-artifacts-111122223333/]")
    return tuple(item if item.endswith("/") else item + "/" for item in raw)


def _evidence(raw: Any, candidate: Path) -> Dict[str, Tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise ConfigError("%s: promotion.required_evidence maps tag names to accepted values" % candidate,
                          "e.g. required_evidence: {sahab.drift.status: [no-drift]}")
    evidence: Dict[str, Tuple[str, ...]] = {}
    for tag, values in raw.items():
        values = [values] if isinstance(values, str) else values
        if not isinstance(tag, str) or not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise ConfigError("%s: promotion.required_evidence.%s must list the accepted values (text)" % (candidate, tag),
                              "e.g. %s: [approved]" % tag)
        evidence[tag] = tuple(values)
    return evidence
