"""The audit log's hash chain: every entry carries the hash of the one before; any edit shows."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sahab.errors import UsageError
from sahab.promotion.audit_log import GENESIS, actor_of, append_entry, canonical, entry_hash, verify_promotion_log


def _fields(n: int) -> dict:
    return {"at": "2026-12-03T16:00:%02dZ" % n, "actor": "user:ci", "ci_run": None, "action": "promote", "model": "churn",
            "version": str(n), "alias": "champion", "from_version": str(n - 1) if n > 1 else None,
            "to_version": str(n), "decision": "allowed", "findings": [], "policy_bundle": "sha256:" + "ab" * 32,
            "tracking_uri": "http://127.0.0.1:5000"}


@pytest.fixture()
def log(tmp_path) -> Path:
    path = tmp_path / "audit.jsonl"
    for n in range(1, 5):
        append_entry(path, _fields(n))
    return path


def test_entries_chain_to_the_previous_line(log):
    lines = log.read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4]
    assert entries[0]["prev"] == GENESIS
    assert [e["prev"] for e in entries[1:]] == [entry_hash(line) for line in lines[:-1]]
    assert all(canonical(e) == line for e, line in zip(entries, lines))
    check = verify_promotion_log(log)
    assert check.intact and check.entries == 4 and check.head == entry_hash(lines[-1])


def test_append_returns_the_entry_and_its_hash(tmp_path):
    entry, digest = append_entry(tmp_path / "a.jsonl", _fields(1))
    assert entry == dict(_fields(1), seq=1, prev=GENESIS)
    assert digest == entry_hash((tmp_path / "a.jsonl").read_text().rstrip("\n"))


def _rewrite(log: Path, edit) -> None:
    lines = log.read_text().splitlines()
    edit(lines)
    log.write_text("\n".join(lines) + "\n")


def _flip_decision(lines):
    entry = json.loads(lines[1])
    entry["decision"] = "denied"
    lines[1] = canonical(entry)


@pytest.mark.parametrize("edit, problem", [
    (_flip_decision, "line 3: prev is"),
    (lambda lines: lines.pop(1), "line 2: sequence number 3 where 2 belongs"),
    (lambda lines: lines.insert(3, lines.pop(2)), "line 3: sequence number 4 where 3 belongs"),
    (lambda lines: lines.__setitem__(0, lines[0].replace('"decision":"allowed"', '"decision": "allowed"')),
     "line 1: the entry was rewritten"),
    (lambda lines: lines.__setitem__(2, "{}"), "line 3: not an audit entry"),
    (lambda lines: lines.__setitem__(2, "garbage"), "line 3: not a JSON entry"),
], ids=["changed", "removed", "reordered", "reformatted", "emptied", "garbage"])
def test_a_tampered_log_is_reported_at_the_first_broken_line(log, edit, problem):
    _rewrite(log, edit)
    check = verify_promotion_log(log)
    assert not check.intact and check.problem.startswith(problem)


def test_a_broken_log_is_never_extended(log):
    _rewrite(log, _flip_decision)
    before = log.read_bytes()
    with pytest.raises(UsageError, match="is broken at line 3"):
        append_entry(log, _fields(5))
    assert log.read_bytes() == before


def test_a_missing_log_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        verify_promotion_log(tmp_path / "none.jsonl")


def test_the_actor_is_the_flag_else_the_ci_identity_else_the_os_user(monkeypatch):
    github = {"GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "octocat", "GITHUB_RUN_ID": "42", "GITHUB_REPOSITORY": "org/repo",
              "GITHUB_SERVER_URL": "https://github.com"}
    assert actor_of(None, github) == ("github:octocat", "https://github.com/org/repo/actions/runs/42")
    assert actor_of("release-bot", github) == ("release-bot", "https://github.com/org/repo/actions/runs/42")
    assert actor_of(None, {"GITLAB_CI": "true", "GITLAB_USER_LOGIN": "amal", "CI_JOB_URL": "https://gl/j/1"}) == ("gitlab:amal", "https://gl/j/1")
    monkeypatch.setenv("LOGNAME", "operator")
    monkeypatch.setenv("USER", "operator")
    assert actor_of(None, {}) == ("user:operator", None)


def test_a_tracking_uri_is_recorded_without_its_credentials():
    from sahab.promotion.gather import redact_uri

    assert redact_uri("https://ci:s3cret@mlflow.example.ae:8443/ml?x=1") == "https://mlflow.example.ae:8443/ml?x=1"
    assert redact_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
