"""Reviewed charts: a person read a chart at one version with one set of values, until a date.

``sahab.yaml``::

    gate:
      reviewed_charts:
        - chart: gpu-operator
          repository: https://helm.ngc.nvidia.com/nvidia
          version: v26.7.0
          values_digest: sha256:…      # copied from the SAHAB-PLN-002 message
          reviewer: Jane Doe <jane@example.org>
          reviewed: 2026-12-01
          expires: 2027-06-01
          notes: why it is acceptable   # optional

A review applies to a release that was not rendered only while it is unexpired and the release
still names the same chart, repository, version and values digest; it then makes SAHAB-PLN-002
advisory (reported, not blocking). Anything else leaves the finding mandatory and says why the
review does not apply. Entries are checked strictly when sahab.yaml is read: a malformed entry
stops the gate (exit 2) rather than silently not applying.
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, List, Optional, Tuple

from ..config_dates import config_date
from ..errors import ConfigError
from .releases import HelmInstall

REQUIRED = ("chart", "repository", "version", "values_digest", "reviewer", "reviewed", "expires")
OPTIONAL = ("notes",)
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_HINT = "each reviewed chart has chart, repository, version, values_digest, reviewer, reviewed, expires (docs/charts.md)"


@dataclass(frozen=True)
class ChartReview:
    chart: str
    repository: str
    version: str
    values_digest: str
    reviewer: str
    reviewed: datetime.date
    expires: datetime.date
    notes: str = ""

    def covers_chart(self, install: HelmInstall) -> bool:
        return self.chart == install.chart and _same_repository(self.repository, install.repository)


@dataclass(frozen=True)
class Verdict:
    """What the reviews say about one release: advisory or mandatory, and why."""

    enforcement: str
    note: str


def parse_reviews(entries: Any, path: Path) -> Tuple[ChartReview, ...]:
    """``gate.reviewed_charts`` of ``path``, validated; ConfigError names the entry and the fix."""
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise ConfigError("%s: gate.reviewed_charts must be a list" % path, _HINT)
    return tuple(_review(entry, number, path) for number, entry in enumerate(entries, start=1))


def _review(entry: Any, number: int, path: Path) -> ChartReview:
    where = "%s: gate.reviewed_charts #%d" % (path, number)
    if not isinstance(entry, dict):
        raise ConfigError("%s is not a mapping" % where, _HINT)
    unknown = sorted(str(key) for key in set(entry) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ConfigError("%s has unknown field(s) %s" % (where, ", ".join(unknown)), "allowed: " + ", ".join(REQUIRED + OPTIONAL))
    missing = [key for key in REQUIRED if entry.get(key) in (None, "")]
    if missing:
        raise ConfigError("%s lacks %s" % (where, ", ".join(missing)), _HINT)
    for key in ("chart", "repository", "version", "values_digest", "reviewer") + OPTIONAL:
        if key in entry and not isinstance(entry[key], str):
            raise ConfigError("%s: %s must be a string, not %r" % (where, key, entry[key]),
                              "quote it in YAML (e.g. version: \"1.10\")")
    if not _DIGEST.match(entry["values_digest"]):
        raise ConfigError("%s: values_digest %r is not sha256:<64 hex digits>" % (where, entry["values_digest"]),
                          "copy it from the SAHAB-PLN-002 message")
    if not entry["repository"].startswith(("https://", "oci://")):
        raise ConfigError("%s: repository %r is not an https:// or oci:// chart repository" % (where, entry["repository"]),
                          "name the repository the release installs from")
    reviewed, expires = config_date(entry, "reviewed", where), config_date(entry, "expires", where)
    if expires < reviewed:
        raise ConfigError("%s expires (%s) before it was reviewed (%s)" % (where, expires, reviewed), "fix the dates")
    return ChartReview(chart=entry["chart"], repository=entry["repository"], version=entry["version"],
                       values_digest=entry["values_digest"], reviewer=entry["reviewer"], reviewed=reviewed,
                       expires=expires, notes=entry.get("notes", ""))




def judge(install: HelmInstall, reviews: Iterable[ChartReview], today: datetime.date) -> Verdict:
    """Advisory when an unexpired review matches chart, repository, version and values digest."""
    candidates: List[ChartReview] = [review for review in reviews if review.covers_chart(install)]
    for review in candidates:
        if _mismatch(review, install, today) is None:
            return Verdict("advisory", "reviewed by %s on %s, valid until %s" % (
                review.reviewer, review.reviewed.isoformat(), review.expires.isoformat()))
    if not candidates:
        return Verdict("mandatory", "no review in sahab.yaml gate.reviewed_charts names this chart and repository")
    reasons = [_mismatch(review, install, today) for review in candidates]
    return Verdict("mandatory", "; ".join(r for r in reasons if r))


def _mismatch(review: ChartReview, install: HelmInstall, today: datetime.date) -> Optional[str]:
    who = "the review by %s" % review.reviewer
    if review.version != install.version:
        return "%s covers version %s, not %s" % (who, review.version, install.version or "(none pinned)")
    if review.values_digest != install.values_digest:
        return "%s covers values %s, but the values changed to %s" % (who, review.values_digest, install.values_digest)
    if review.expires < today:
        return "%s expired on %s" % (who, review.expires.isoformat())
    return None


def _same_repository(a: Optional[str], b: Optional[str]) -> bool:
    return a is not None and b is not None and a.rstrip("/") == b.rstrip("/")
