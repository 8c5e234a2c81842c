"""The zero-trust controls sahab promises, and the mandatory Rego rules that keep each one.

``policies/promises.yaml`` is the one list. Reading it checks it against the rule catalogue and the
curated checkov list, so a promise can never rest on checkov alone (a project may disable checkov
or replace its mandatory list) or on a rule that does not block by default.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ..errors import ConfigError
from ..inputs.safe_yaml import load_yaml
from .checkov.engine import load_mandatory
from .rules import PolicyBundle, default_policies_root

PROMISES_FILE = "promises.yaml"


@dataclass(frozen=True)
class Promise:
    """One promised control: what it guarantees and the mandatory Rego rules that enforce it."""

    promise_id: str
    control: str
    rules: Tuple[str, ...]
    checkov: Tuple[str, ...]  # checkov checks that check the same thing: a second opinion only


@dataclass(frozen=True)
class CheckovOnly:
    """A mandatory checkov check that no Rego rule enforces, and why."""

    check_id: str
    reason: str


@dataclass(frozen=True)
class Promises:
    promises: Tuple[Promise, ...]
    checkov_only: Tuple[CheckovOnly, ...]


def load_promises(bundle: PolicyBundle, path: Optional[Path] = None,
                  checkov_mandatory: Optional[List[str]] = None) -> Promises:
    """Read and check ``promises.yaml`` (default: beside the rules of ``bundle``).

    ``checkov_mandatory`` defaults to the curated list (``mandatory.yaml``); every id in it must be
    the second opinion of a promise or be listed under ``checkov_only``.
    """
    path = path or (bundle.root / PROMISES_FILE if (bundle.root / PROMISES_FILE).is_file()
                    else default_policies_root() / PROMISES_FILE)
    document = load_yaml(path, "promises file", "restore policies/promises.yaml") or {}
    if not isinstance(document, dict) or set(document) != {"promises", "checkov_only"}:
        raise ConfigError("%s must hold exactly `promises:` and `checkov_only:`" % path, "see docs/controls.md")
    promises = tuple(_promise(entry, path) for entry in _entries(document["promises"], "promises", path))
    checkov_only = tuple(_checkov_only(entry, path) for entry in _entries(document["checkov_only"], "checkov_only", path))
    _check_rules(promises, bundle, path)
    _check_checkov(promises, checkov_only, list(load_mandatory()) if checkov_mandatory is None else checkov_mandatory, path)
    return Promises(promises, checkov_only)


def _entries(value: Any, key: str, path: Path) -> List[Dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise ConfigError("%s: `%s` must be a list of mappings" % (path, key), "see docs/controls.md")
    return value


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _promise(entry: Dict[str, Any], path: Path) -> Promise:
    if set(entry) != {"id", "control", "rules", "checkov"} or not isinstance(entry["id"], str) \
            or not isinstance(entry["control"], str) or not _strings(entry["rules"]) or not entry["rules"] \
            or not _strings(entry["checkov"]):
        raise ConfigError("%s: promise %r needs id, control, rules (one or more) and checkov (a list)" % (path, entry.get("id")),
                          "see docs/controls.md")
    return Promise(entry["id"], " ".join(entry["control"].split()), tuple(entry["rules"]), tuple(entry["checkov"]))


def _checkov_only(entry: Dict[str, Any], path: Path) -> CheckovOnly:
    if set(entry) != {"id", "reason"} or not all(isinstance(entry[key], str) and entry[key] for key in ("id", "reason")):
        raise ConfigError("%s: checkov_only entry %r needs id and reason" % (path, entry.get("id")), "see docs/controls.md")
    return CheckovOnly(entry["id"], " ".join(entry["reason"].split()))


def _check_rules(promises: Tuple[Promise, ...], bundle: PolicyBundle, path: Path) -> None:
    rules = {rule.rule_id: rule for rule in bundle.rules}
    ids = [promise.promise_id for promise in promises]
    if len(set(ids)) != len(ids):
        raise ConfigError("%s: a promise id is used twice" % path, "give every promise its own id")
    for promise in promises:
        for rule_id in promise.rules:
            if rule_id not in rules:
                raise ConfigError("%s: promise %s names rule %s, which does not exist" % (path, promise.promise_id, rule_id),
                                  "name the Rego rule that enforces it")
            if rules[rule_id].enforcement != "mandatory":
                raise ConfigError("%s: promise %s rests on %s, which is %s by default" % (
                    path, promise.promise_id, rule_id, rules[rule_id].enforcement), "a promised control must be mandatory in Rego")


def _check_checkov(promises: Tuple[Promise, ...], checkov_only: Tuple[CheckovOnly, ...], mandatory: List[str], path: Path) -> None:
    placed = [check for promise in promises for check in promise.checkov] + [entry.check_id for entry in checkov_only]
    for check in sorted(set(mandatory) - set(placed)):
        raise ConfigError("%s: mandatory checkov check %s is neither the second opinion of a promise nor listed under checkov_only" % (
            path, check), "enforce it with a mandatory Rego rule and name it in that promise, or say why it is checkov only")
    for check in sorted(set(placed) - set(mandatory)):
        raise ConfigError("%s: %s is not in checkov's mandatory list" % (path, check), "list only checks of mandatory.yaml")
    if len(set(placed)) != len(placed):
        raise ConfigError("%s: a checkov check is listed twice" % path, "list each mandatory check in one place")


def render_markdown(promises: Promises) -> str:
    """The tables of docs/controls.md#promised-zero-trust-controls (tests keep the doc equal to this)."""
    lines = ["| promised control | Rego rule(s), mandatory | checkov (second opinion) |", "| --- | --- | --- |"]
    for promise in promises.promises:
        lines.append("| %s | %s | %s |" % (promise.control, ", ".join(promise.rules), ", ".join(promise.checkov) or "–"))
    lines += ["", "| mandatory checkov check, not in Rego | why |", "| --- | --- |"]
    for entry in promises.checkov_only:
        lines.append("| %s | %s |" % (entry.check_id, entry.reason))
    return "\n".join(lines) + "\n"
