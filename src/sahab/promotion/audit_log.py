"""The promotion audit log: append-only JSON lines, each entry chained to the one before it.

Every line is one entry as canonical JSON (keys sorted, no spaces, UTF-8) carrying ``prev``, the
``sha256:`` of the previous line's bytes (the first entry's is :data:`GENESIS`), and ``seq``, its
position from 1. Editing, removing, inserting or reordering any entry but the last breaks the chain
at the next one, which :func:`verify_promotion_log` reports. The last entry's hash (the *head*) is
also recorded on the model version it decided (tag ``sahab.promotion.<alias>.entry``), so a
rewritten or dropped last entry shows against the registry (docs/promotion.md).
"""
from __future__ import annotations

import datetime
import fcntl
import getpass
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple

from ..errors import UsageError

GENESIS = "sha256:" + "0" * 64
_FIELDS = {"seq", "prev", "at", "actor", "ci_run", "action", "model", "version", "alias", "from_version", "to_version",
           "decision", "findings", "policy_bundle", "tracking_uri"}


def canonical(entry: Mapping[str, Any]) -> str:
    """The one serialisation of an entry: what is written, hashed and compared."""
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hash(line: str) -> str:
    return "sha256:" + hashlib.sha256(line.encode("utf-8")).hexdigest()


def actor_of(explicit: Optional[str] = None, environ: Mapping[str, str] = os.environ) -> Tuple[str, Optional[str]]:
    """Who decides, and the CI run they decide in: ``--actor``, else the CI's identity, else the OS user."""
    run = None
    if environ.get("GITHUB_ACTIONS") == "true" and environ.get("GITHUB_RUN_ID"):
        run = "%s/%s/actions/runs/%s" % (environ.get("GITHUB_SERVER_URL", "https://github.com"), environ.get("GITHUB_REPOSITORY", "?"),
                                         environ["GITHUB_RUN_ID"])
    elif environ.get("GITLAB_CI") == "true":
        run = environ.get("CI_JOB_URL")
    if explicit:
        return explicit, run
    if environ.get("GITHUB_ACTIONS") == "true" and environ.get("GITHUB_ACTOR"):
        return "github:" + environ["GITHUB_ACTOR"], run
    if environ.get("GITLAB_CI") == "true" and environ.get("GITLAB_USER_LOGIN"):
        return "gitlab:" + environ["GITLAB_USER_LOGIN"], run
    try:
        return "user:" + getpass.getuser(), run
    except (KeyError, OSError):
        raise UsageError("cannot tell who is promoting: no --actor, no CI identity and no OS user name",
                         "pass --actor NAME") from None


@dataclass(frozen=True)
class LogCheck:
    """The result of checking a log: entries read, the head hash, and the first problem (None: intact)."""

    path: Path
    entries: int
    head: str
    problem: Optional[str] = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify_promotion_log(path: Path) -> LogCheck:
    """Check the whole chain of ``path``; a missing or unreadable file is exit 2, a broken chain is reported."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageError("audit log %s does not exist" % path, "pass the log promotions were recorded in (--audit-log, promotion.audit_log)") from None
    except OSError as exc:
        raise UsageError("cannot read audit log %s: %s" % (path, exc.strerror), "fix its path or permissions") from None
    return _check(Path(path), data)


def _check(path: Path, data: bytes) -> LogCheck:
    head, count = GENESIS, 0
    for number, line in _lines(data):
        problem = _problem(line, number, head)
        if problem is not None:
            return LogCheck(path, count, head, "line %d: %s" % (number, problem))
        head, count = entry_hash(line), count + 1
    return LogCheck(path, count, head)


def _lines(data: bytes) -> Iterator[Tuple[int, str]]:
    if data and not data.endswith(b"\n"):
        data += b"\n"  # a last line without its newline is judged like the others
    for number, raw in enumerate(data.split(b"\n")[:-1], start=1):
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError:
            yield number, "\ufffd"  # not UTF-8: cannot be an entry sahab wrote


def _problem(line: str, number: int, previous: str) -> Optional[str]:
    try:
        entry = json.loads(line)
    except ValueError:
        return "not a JSON entry"
    if not isinstance(entry, dict) or set(entry) != _FIELDS:
        return "not an audit entry (its fields differ)"
    if canonical(entry) != line:
        return "the entry was rewritten (it is not in the canonical form sahab writes)"
    if entry["seq"] != number:
        return "sequence number %r where %d belongs: an entry was removed or inserted" % (entry["seq"], number)
    if entry["prev"] != previous:
        return "prev is %s but the entry before hashes to %s: an earlier entry was changed, removed or reordered" % (entry["prev"], previous)
    return None


def append_entry(path: Path, fields: Dict[str, Any]) -> Tuple[Dict[str, Any], str]:
    """Append one entry (``fields`` without seq and prev) under an exclusive lock; return it and its hash.

    The chain is checked first: sahab never extends a log that was tampered with (exit 2).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError as exc:
        raise UsageError("cannot open audit log %s: %s" % (path, exc.strerror), "choose a writable path (--audit-log, promotion.audit_log)") from None
    with os.fdopen(handle, "r+b") as stream:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
        stream.seek(0)
        data = stream.read()
        check = _check(path, data)
        if not check.intact:
            raise UsageError("audit log %s is broken at %s" % (path, check.problem),
                             "restore it from its copy before promoting; sahab does not extend a tampered log")
        if data and not data.endswith(b"\n"):
            raise UsageError("audit log %s ends inside a line" % path, "restore it from its copy before promoting")
        entry = dict(fields, seq=check.entries + 1, prev=check.head)
        line = canonical(entry)
        stream.write((line + "\n").encode("utf-8"))
        stream.flush()
        os.fsync(stream.fileno())
    return entry, entry_hash(line)


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
