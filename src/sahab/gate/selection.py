"""Which rules a gate run evaluates: ``--rule``/``--skip-rule`` globs and ``enforcement: disabled``.

Semantics (docs/gate.md, like checkov's ``--check``/``--skip-check``): a rule left out is not
evaluated, so it can neither report nor fail closed, and every report names it as skipped. Globs
are :func:`fnmatch.fnmatchcase` patterns on rule ids, sahab's (``SAHAB-NET-*``) and checkov's
(``CKV_K8S_*``). A pattern that matches no sahab rule and cannot be a checkov id is a typo and
stops the gate: a skip that silently skips nothing, or a selection that silently selects nothing,
would misreport what was checked.

The plan's visibility rules (an opaque component, an unrendered chart) are never left out: they
say what the gate could not see, without which no other verdict means anything. Naming one
explicitly is an error; a glob that matches one leaves it on.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, replace
from typing import Collection, FrozenSet, Iterable, List, Sequence, Tuple

from ..errors import ConfigError
from .rules import PolicyBundle

# A checkov check id (CKV_K8S_16, CKV2_K8S_6, CKV_SAHAB_1), glob characters allowed. checkov's
# catalogue is not known before it runs, so such a pattern is accepted on its form alone.
_CHECKOV_PATTERN = re.compile(r"^CKV[A-Z0-9_*?\[\]!]*$")
_HINT = "`sahab policy list` lists sahab's rule ids; checkov's look like CKV_K8S_16"


@dataclass(frozen=True)
class RuleSelection:
    """The rules to evaluate: those ``include`` matches (all when empty) minus those ``exclude`` matches."""

    include: Tuple[str, ...] = ()
    exclude: Tuple[str, ...] = ()
    always_on: FrozenSet[str] = frozenset()

    def selects(self, rule_id: str) -> bool:
        if rule_id in self.always_on:
            return True
        if self.include and not _matches(rule_id, self.include):
            return False
        return not _matches(rule_id, self.exclude)

    @property
    def everything(self) -> bool:
        return not self.include and not self.exclude


def rule_selection(rules: Sequence[str], skip_rules: Sequence[str], disabled: Iterable[str], *,
                   known: Collection[str], always_on: Collection[str]) -> RuleSelection:
    """Validate the patterns against the ``known`` sahab rule ids and build the selection.

    ``disabled`` are exact ids (``gate.enforcement: {ID: disabled}``); they are left out like
    ``skip_rules``. Raises :class:`ConfigError` (exit 2) for a pattern that selects nothing.
    """
    disabled = tuple(disabled)
    for option, patterns, leaves_out in (("--rule / gate.rules", rules, False),
                                         ("--skip-rule / gate.skip_rules", skip_rules, True),
                                         ("gate.enforcement (disabled)", disabled, True)):
        for pattern in patterns:
            _check_pattern(option, pattern, known, always_on if leaves_out else ())
    return RuleSelection(include=tuple(rules), exclude=tuple(skip_rules) + disabled, always_on=frozenset(always_on))


def select_bundle(bundle: PolicyBundle, selection: RuleSelection) -> Tuple[PolicyBundle, List[str]]:
    """``bundle`` without the rules ``selection`` leaves out (their modules and tests), and their ids."""
    if selection.everything:
        return bundle, []
    skipped = [rule for rule in bundle.rules if not selection.selects(rule.rule_id)]
    if not skipped:
        return bundle, []
    dropped = set()
    for rule in skipped:
        relative = rule.module or rule.path.relative_to(bundle.root).as_posix()
        dropped.update({relative, relative[:-len(".rego")] + "_test.rego"})
    kept = {path: text for path, text in bundle.modules.items() if path not in dropped}
    rules = tuple(rule for rule in bundle.rules if selection.selects(rule.rule_id))
    return replace(bundle, modules=kept, rules=rules), [rule.rule_id for rule in skipped]


def _matches(rule_id: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(rule_id, pattern) for pattern in patterns)


def _check_pattern(option: str, pattern: str, known: Collection[str], protected: Collection[str]) -> None:
    """Refuse an empty pattern, one that leaves out a ``protected`` rule by name, or one that matches nothing."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise ConfigError("%s: empty rule pattern" % option, "give a rule id or a glob such as SAHAB-NET-*")
    if pattern in protected:
        raise ConfigError("%s: %s reports what the gate cannot see and cannot be skipped or disabled" % (option, pattern),
                          "waive its findings after review (docs/gate.md)")
    if _CHECKOV_PATTERN.match(pattern) or any(fnmatch.fnmatchcase(rule_id, pattern) for rule_id in known):
        return
    raise ConfigError("%s: %r matches no sahab rule and is not a checkov check id" % (option, pattern), _HINT)
