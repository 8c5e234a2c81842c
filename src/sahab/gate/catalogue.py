"""The type-classification catalogue (``policies/coverage.yaml``): what a resource type *is*.

The catalogue says which resource types hold data, open a network path or run code (their
*classes*) and which concerns each class must be judged on (``requires``). Rules say which types
they understand (``custom.covers`` in their METADATA, :mod:`.rules`); :mod:`.coverage` joins the
two, so a classified type that no rule of a required concern understands is reported
``unchecked`` instead of passing unseen. It also holds named *type sets* that rules cover as a
whole (``custom.covers_sets``), so a long family such as every Kubernetes kind that runs pods is
written once. The format is documented in docs/coverage.md; a malformed catalogue is a
:class:`~sahab.errors.ConfigError`, never an empty one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

from ..errors import ConfigError
from ..inputs.safe_yaml import load_yaml

CATALOGUE_FILE = "coverage.yaml"
CONCERNS: Tuple[str, ...] = ("residency", "encryption", "network", "identity", "workload", "audit", "node")

# A Pulumi type token: <package>:<module>:<Name> (aws:rds/instance:Instance,
# azure-native:dbforpostgresql:Server, kubernetes:networking.k8s.io/v1:Ingress).
TYPE_TOKEN = re.compile(r"^[a-z][a-z0-9-]*:[A-Za-z0-9._/-]+:[A-Za-z][A-Za-z0-9]*$")
_PATTERN = re.compile(r"^[a-z][a-z0-9-]*:[A-Za-z0-9._/*:-]+$")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
# azure-native's explicit API versions: azure-native:storage/v20230101:StorageAccount.
_AZURE_VERSION = re.compile(r"^(azure-native:[A-Za-z0-9]+)/v[0-9a-z]+(:.*)$")


@dataclass(frozen=True)
class TypeClass:
    """A class of resource types and the concerns a type of it must be judged on."""

    name: str
    description: str
    requires: Tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    """One catalogue entry: type patterns (``*`` globs over the whole token) and their classes."""

    patterns: Tuple[str, ...]
    classes: Tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Catalogue:
    """The classes, the ordered entries (the first entry with a matching pattern decides) and the sets."""

    path: Optional[Path]
    classes: Mapping[str, TypeClass]
    entries: Tuple[Entry, ...]
    sets: Mapping[str, Tuple[str, ...]]

    def entry_for(self, type_token: str) -> Optional[Entry]:
        """The entry that classifies ``type_token`` (``None``: the catalogue does not classify it).

        An azure-native token's API version is ignored here (what a resource *is* does not depend
        on the API version it is written against); whether a rule covers it is still decided on
        the exact token (:mod:`.coverage`).
        """
        name = _AZURE_VERSION.sub(r"\1\2", type_token)
        for entry in self.entries:
            if any(fnmatchcase(name, pattern) for pattern in entry.patterns):
                return entry
        return None

    def classes_of(self, type_token: str) -> Tuple[str, ...]:
        entry = self.entry_for(type_token)
        return entry.classes if entry is not None else ()

    def required_concerns(self, type_token: str) -> Tuple[str, ...]:
        """The concerns some rule must understand ``type_token`` for, in CONCERNS order."""
        wanted = {c for name in self.classes_of(type_token) for c in self.classes[name].requires}
        return tuple(c for c in CONCERNS if c in wanted)


EMPTY = Catalogue(path=None, classes={}, entries=(), sets={})


def load_catalogue(root: Path) -> Catalogue:
    """``root/coverage.yaml``; a policy folder without one declares no classes (:data:`EMPTY`)."""
    path = root / CATALOGUE_FILE
    if not path.is_file():
        return EMPTY
    data = load_yaml(path, "coverage catalogue", "fix the catalogue")
    if not isinstance(data, dict) or set(data) != {"classes", "sets", "types"}:
        raise ConfigError("%s must be a mapping with exactly `classes`, `sets` and `types`" % path,
                          "see docs/coverage.md for the format")
    classes = _classes(path, data["classes"])
    return Catalogue(path=path, classes=classes, entries=_entries(path, data["types"], classes),
                     sets=_sets(path, data["sets"]))


def _classes(path: Path, raw: object) -> Dict[str, TypeClass]:
    if not isinstance(raw, dict) or not raw:
        raise ConfigError("%s: `classes` must be a non-empty mapping" % path, "see docs/coverage.md")
    classes: Dict[str, TypeClass] = {}
    for name, body in raw.items():
        where = "%s: class %r" % (path, name)
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError("%s: class name %r is not lower-case-dashed" % (path, name), "rename it")
        if not isinstance(body, dict) or set(body) != {"description", "requires"}:
            raise ConfigError("%s needs exactly `description` and `requires`" % where, "see docs/coverage.md")
        requires = body["requires"]
        if not isinstance(requires, list) or not requires or any(c not in CONCERNS for c in requires):
            raise ConfigError("%s: `requires` must list concerns among %s" % (where, ", ".join(CONCERNS)), "fix the class")
        classes[name] = TypeClass(name=name, description=" ".join(str(body["description"]).split()),
                                  requires=tuple(requires))
    return classes


def _entries(path: Path, raw: object, classes: Mapping[str, TypeClass]) -> Tuple[Entry, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("%s: `types` must be a non-empty list" % path, "see docs/coverage.md")
    entries: List[Entry] = []
    for index, item in enumerate(raw):
        where = "%s: types[%d]" % (path, index)
        if not isinstance(item, dict) or not {"match", "classes"} <= set(item) <= {"match", "classes", "note"}:
            raise ConfigError("%s needs `match` and `classes` (and optionally `note`)" % where, "see docs/coverage.md")
        patterns, names = item["match"], item["classes"]
        if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) and _PATTERN.match(p) for p in patterns):
            raise ConfigError("%s: `match` must list type tokens or `*` patterns (package:module:Name)" % where,
                              "e.g. aws:rds/instance:Instance or aws:rds/*")
        if not isinstance(names, list) or any(n not in classes for n in names):
            raise ConfigError("%s: `classes` must list classes declared under `classes` (%s), or be []" % (
                where, ", ".join(classes)), "fix the entry")
        entries.append(Entry(patterns=tuple(patterns), classes=tuple(names), note=" ".join(str(item.get("note") or "").split())))
    return tuple(entries)


def _sets(path: Path, raw: object) -> Dict[str, Tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise ConfigError("%s: `sets` must be a mapping of names to type token lists" % path, "see docs/coverage.md")
    sets: Dict[str, Tuple[str, ...]] = {}
    for name, tokens in raw.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError("%s: set name %r is not lower-case-dashed" % (path, name), "rename it")
        sets[name] = type_tokens(tokens, "%s: set %s" % (path, name))
    return sets


def type_tokens(raw: object, where: str) -> Tuple[str, ...]:
    """A list of exact type tokens (rules' ``custom.covers``, the catalogue's sets), validated."""
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise ConfigError("%s must be a list of type tokens" % where, "e.g. [\"aws:rds/instance:Instance\"]")
    bad = [t for t in raw if not TYPE_TOKEN.match(t)]
    if bad:
        raise ConfigError("%s: %r is not a Pulumi type token (package:module:Name)" % (where, bad[0]),
                          "write the exact type as the plan shows it, e.g. aws:rds/instance:Instance")
    repeated = sorted({t for t in raw if raw.count(t) > 1})
    if repeated:
        raise ConfigError("%s lists %s twice" % (where, repeated[0]), "list every type once")
    return tuple(raw)
