"""Waivers: reviewed, expiring exceptions to a rule for resources matching a URN pattern.

The waiver file is reviewed like code. Each entry needs a rule id, a URN glob, a reason, an
approver and an expiry date; a malformed or expired entry stops the gate (exit 2) rather than
quietly waiving or quietly not waiving. Waived findings are still reported, as ``waived``.
"""
from __future__ import annotations

import datetime
import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Sequence

import yaml

from ..config_dates import config_date
from ..errors import ConfigError
from .findings import Finding
from .rules import RULE_ID_PATTERN

_CHECKOV_ID = re.compile(r"^CKV2?_[A-Z0-9_]+$")
REQUIRED = ("rule", "urn", "reason", "approver", "expires")


@dataclass(frozen=True)
class Waiver:
    rule: str
    urn: str
    reason: str
    approver: str
    expires: datetime.date
    index: int

    def covers(self, finding: Finding) -> bool:
        return finding.rule_id == self.rule and fnmatch.fnmatchcase(finding.urn, self.urn)

    def describe(self) -> dict:
        return {"rule": self.rule, "urn": self.urn, "reason": self.reason, "approver": self.approver,
                "expires": self.expires.isoformat()}


def load_waivers(path: Path, today: Optional[datetime.date] = None) -> List[Waiver]:
    """Read and validate ``path``; raise ConfigError naming the first bad or expired entry."""
    today = today or datetime.date.today()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError("cannot read waivers file %s: %s" % (path, exc.strerror), "fix the path in --waivers or sahab.yaml") from None
    except yaml.YAMLError as exc:
        raise ConfigError("waivers file %s is not valid YAML: %s" % (path, str(exc).splitlines()[0]), "fix its syntax") from None
    entries = (document or {}).get("waivers") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ConfigError("waivers file %s must hold a `waivers:` list" % path, "see docs/gate.md for the format")
    return [_waiver(entry, number, path, today) for number, entry in enumerate(entries, start=1)]


def _waiver(entry: Any, number: int, path: Path, today: datetime.date) -> Waiver:
    where = "%s waiver #%d" % (path.name, number)
    if not isinstance(entry, dict):
        raise ConfigError("%s is not a mapping" % where, "each waiver has rule, urn, reason, approver, expires")
    missing = [key for key in REQUIRED if not entry.get(key)]
    if missing:
        raise ConfigError("%s lacks %s" % (where, ", ".join(missing)), "each waiver has rule, urn, reason, approver, expires")
    rule = str(entry["rule"])
    if not (RULE_ID_PATTERN.match(rule) or _CHECKOV_ID.match(rule)):
        raise ConfigError("%s names rule %r, which is not a sahab, team or checkov rule id" % (where, rule),
                          "e.g. SAHAB-NET-001, ACME-NET-001 or CKV_K8S_16")
    expires = config_date(entry, "expires", where)
    if expires < today:
        raise ConfigError("%s for %s expired on %s" % (where, rule, expires.isoformat()), "renew it after review, or remove it and fix the finding")
    unknown = sorted(set(entry) - set(REQUIRED))
    if unknown:
        raise ConfigError("%s has unknown field(s) %s" % (where, ", ".join(unknown)), "allowed: " + ", ".join(REQUIRED))
    return Waiver(rule=rule, urn=str(entry["urn"]), reason=str(entry["reason"]), approver=str(entry["approver"]),
                  expires=expires, index=number)


def apply_waivers(findings: Sequence[Finding], waivers: Sequence[Waiver]) -> List[Finding]:
    """Mark violations and unchecked findings a waiver covers as ``waived`` (deferred stay deferred)."""
    result: List[Finding] = []
    for finding in findings:
        waiver = next((w for w in waivers if finding.status in ("violation", "unchecked") and w.covers(finding)), None)
        result.append(finding.waived_by(waiver.describe()) if waiver else finding)
    return result
