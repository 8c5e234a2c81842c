"""Waivers: reviewed, expiring exceptions to a rule for resources matching a URN pattern.

The waiver file is reviewed like code. Each entry needs a rule id, a URN glob, a reason, an
approver and an expiry date; a malformed or expired entry stops the gate (exit 2) rather than
quietly waiving or quietly not waiving. Waived findings are still reported, as ``waived``.

A blanket waiver, one whose URN glob matches any URN (``"*"``) or every resource of its rule in the
plan, switches a rule off for a whole stack; it must say so with ``scope: all``, so the reviewer
of the waiver file sees it for what it is (docs/gate.md#waivers). Without it the gate stops.
"""
from __future__ import annotations

import datetime
import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection, List, Mapping, Optional, Sequence

from ..config_dates import config_date
from ..errors import ConfigError
from ..inputs.safe_yaml import load_yaml
from .findings import Finding
from .rules import RULE_ID_PATTERN

_CHECKOV_ID = re.compile(r"^CKV2?_[A-Z0-9_]+$")
REQUIRED = ("rule", "urn", "reason", "approver", "expires")
SCOPE_ALL = "all"
_OPTIONAL = ("scope",)
# URNs no waiver author would write: a glob that matches the first matches any resource's URN; a
# glob that matches a resource's URN with its name replaced by the second ignores the name.
_ANY_URN = "urn:pulumi:\x00stack::\x00project::\x00pkg:mod:Type::\x00name"
_ANY_NAME = "\x00any-name"
_BLANKET_FIX = "add `scope: all` to the entry after review, or narrow its urn to the resources reviewed"


@dataclass(frozen=True)
class Waiver:
    rule: str
    urn: str
    reason: str
    approver: str
    expires: datetime.date
    index: int
    scope: Optional[str] = None   # "all": a reviewed blanket waiver (the whole rule on this stack)
    file: str = ""                # the waiver file's name, for messages

    def covers(self, finding: Finding) -> bool:
        return finding.rule_id == self.rule and fnmatch.fnmatchcase(finding.urn, self.urn)

    def describe(self) -> dict:
        described = {"rule": self.rule, "urn": self.urn, "reason": self.reason, "approver": self.approver,
                     "expires": self.expires.isoformat()}
        if self.scope:
            described["scope"] = self.scope
        return described

    @property
    def where(self) -> str:
        return "%s waiver #%d (%s, urn %r)" % (self.file, self.index, self.rule, self.urn)


def load_waivers(path: Path, today: Optional[datetime.date] = None) -> List[Waiver]:
    """Read and validate ``path``; raise ConfigError naming the first bad or expired entry."""
    today = today or datetime.date.today()
    document = load_yaml(path, "waivers file", "fix the path in --waivers or gate.waivers in sahab.yaml")
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
    not_text = [key for key in REQUIRED[:-1] if not isinstance(entry[key], str)]
    if not_text:
        raise ConfigError("%s: %s must be text, not %r" % (where, not_text[0], entry[not_text[0]]), "quote the value")
    rule = entry["rule"]
    if not (RULE_ID_PATTERN.match(rule) or _CHECKOV_ID.match(rule)):
        raise ConfigError("%s names rule %r, which is not a sahab, team or checkov rule id" % (where, rule),
                          "e.g. SAHAB-NET-001, ACME-NET-001 or CKV_K8S_16")
    expires = config_date(entry, "expires", where)
    if expires < today:
        raise ConfigError("%s for %s expired on %s" % (where, rule, expires.isoformat()), "renew it after review, or remove it and fix the finding")
    unknown = sorted(set(entry) - set(REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ConfigError("%s has unknown field(s) %s" % (where, ", ".join(unknown)), "allowed: " + ", ".join(REQUIRED + _OPTIONAL))
    scope = entry.get("scope")
    if scope is not None and scope != SCOPE_ALL:
        raise ConfigError("%s has scope %r; the only scope is `all`" % (where, scope),
                          "write `scope: all` for a reviewed blanket waiver, or drop the field")
    waiver = Waiver(rule=rule, urn=str(entry["urn"]), reason=str(entry["reason"]), approver=str(entry["approver"]),
                    expires=expires, index=number, scope=scope, file=path.name)
    if scope is None and fnmatch.fnmatchcase(_ANY_URN, waiver.urn):
        raise ConfigError("%s waives every resource: a blanket waiver needs `scope: all`" % waiver.where, _BLANKET_FIX)
    return waiver


def refuse_unscoped_blankets(waivers: Sequence[Waiver], plan: Mapping[str, Any], findings: Sequence[Finding],
                             rule_types: Mapping[str, Collection[str]]) -> None:
    """Stop (ConfigError, exit 2) at a waiver without ``scope: all`` that waives its rule on the whole plan.

    The resources of a rule are the plan's resources of the types it understands (``rule_types``,
    a Rego rule's ``custom.covers``), else of the types it reported, plus what it reported on
    (a project file). A glob matching all of them is blanket when there are several, or when it
    would also match that resource under any other name: it names no resource, it names the rule.
    """
    for waiver in waivers:
        if waiver.scope == SCOPE_ALL:
            continue
        reported = [f for f in findings if f.rule_id == waiver.rule]
        types = set(rule_types.get(waiver.rule) or ()) or {f.resource_type for f in reported}
        urns = sorted({r["urn"] for r in plan.get("resources", []) if r.get("type") in types} | {f.urn for f in reported})
        if not urns or not all(fnmatch.fnmatchcase(urn, waiver.urn) for urn in urns):
            continue
        if len(urns) > 1 or fnmatch.fnmatchcase(_renamed(urns[0]), waiver.urn):
            raise ConfigError("%s matches every resource of its rule in this plan (%d): a blanket waiver needs `scope: all`"
                              % (waiver.where, len(urns)), _BLANKET_FIX)


def _renamed(urn: str) -> str:
    """``urn`` with its name (after the last ``::``; a project file's path after ``file:``) replaced."""
    head, separator, _name = urn.rpartition("::")
    return head + separator + _ANY_NAME if separator else urn.split(":", 1)[0] + ":" + _ANY_NAME


def apply_waivers(findings: Sequence[Finding], waivers: Sequence[Waiver]) -> List[Finding]:
    """Mark violations and unchecked findings a waiver covers as ``waived`` (deferred stay deferred)."""
    result: List[Finding] = []
    for finding in findings:
        waiver = next((w for w in waivers if finding.status in ("violation", "unchecked") and w.covers(finding)), None)
        result.append(finding.waived_by(waiver.describe()) if waiver else finding)
    return result
