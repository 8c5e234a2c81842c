"""Deferred findings are a promise, not a pass (issue 9, section 2).

Every rule that can report ``deferred`` says what deploy-time value it waits for
(``custom.deferred_on``); ``--strict`` (``gate.fail_on_deferred``) blocks on mandatory deferred
findings; without it the reports count the mandatory rules deferred and say the CrossGuard pack
enforces them at deploy (tests/crossguard/test_deferred_at_deploy.py shows that it does).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sahab.errors import ConfigError
from sahab.gate.rules import load_bundle
from program_projects import write_project

PROGRAM = '''import pulumi
import pulumi_aws as aws

uae = aws.Provider("uae", region="me-central-1")
opts = pulumi.ResourceOptions(provider=uae)
first = aws.kms.Key("first", enable_key_rotation=True, multi_region=False, opts=opts)
# Whether the second key is multi-Region is only known once the first exists.
aws.kms.Key("second", enable_key_rotation=True, multi_region=first.arn.apply(lambda _: False), opts=opts)
'''
NOTE = ("1 mandatory rule(s) deferred (SAHAB-RES-004): values only known at deploy; enforced at deploy by the "
        "CrossGuard pack (docs/crossguard.md), or now with --strict")


@pytest.fixture(scope="module")
def pending(tmp_path_factory) -> Path:
    return write_project(tmp_path_factory.mktemp("pending"), PROGRAM, name="pending")


def test_every_rule_that_can_defer_says_what_it_waits_for():
    bundle = load_bundle()
    defers = {rule.rule_id for rule in bundle.rules if re.search(r"^deferred\s+contains\b", rule.path.read_text(), re.M)}
    assert len(defers) >= 25
    assert sorted(rule.rule_id for rule in bundle.rules if rule.rule_id in defers and not rule.deferred_on) == []
    assert sorted(rule.rule_id for rule in bundle.rules if rule.rule_id not in defers and rule.deferred_on) == []
    assert all(len(rule.deferred_on) > 20 for rule in bundle.rules if rule.deferred_on)


def _rule(root: Path, deferred_on: str, body: str) -> None:
    (root / "network").mkdir()
    (root / "network" / "pending.rego").write_text(
        "# METADATA\n# title: t\n# description: d\n# custom:\n#   id: SAHAB-NET-950\n#   severity: high\n"
        "#   enforcement: mandatory\n#   remediation: r\n#   controls:\n#     - \"ISO/IEC 27001:2022 A.8.20: Networks security\"\n"
        + deferred_on + "package sahab.rules.network.pending\n\nimport rego.v1\n\ndeny contains x if { false; x := 1 }\n" + body)


@pytest.mark.parametrize("deferred_on, body, message", [
    ("", "\ndeferred contains x if { false; x := 1 }\n", "the rule reports `deferred` but its METADATA lacks custom.deferred_on"),
    ("#   deferred_on: the port\n", "", "custom.deferred_on is set but the rule has no `deferred contains` rule"),
    ("#   deferred_on: [the, port]\n", "\ndeferred contains x if { false; x := 1 }\n", "custom.deferred_on must be a sentence"),
])
def test_deferred_on_is_required_exactly_when_a_rule_defers(tmp_path: Path, deferred_on, body, message):
    _rule(tmp_path, deferred_on, body)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_bundle(tmp_path)


def test_policy_list_shows_what_a_rule_waits_for(sahab_cli):
    result = sahab_cli(["policy", "list"])
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("SAHAB-RES-004 "))
    assert lines[at + 1].strip() == "deferred until deploy: Whether a KMS key is multi-Region, when computed at deploy time."
    assert not lines[next(i for i, line in enumerate(lines) if line.startswith("SAHAB-RES-002 ")) + 1].startswith(" ")


def test_a_mandatory_deferred_finding_is_counted_and_blocks_only_with_strict(sahab_cli, pending: Path):
    result = sahab_cli(["gate", str(pending), "--stack", "dev", "--no-checkov"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^DEFERRED\s+SAHAB-RES-004\s+mandatory/high\s+second \(aws:kms/key:Key\)$", result.stdout, re.M)
    assert NOTE in result.stdout.splitlines()
    report = json.loads(sahab_cli(["gate", str(pending), "--stack", "dev", "--no-checkov", "--format", "json"]).stdout)
    assert (report["summary"]["deferred_mandatory"], report["summary"]["deferred_mandatory_rules"]) == (1, ["SAHAB-RES-004"])

    strict = sahab_cli(["gate", str(pending), "--stack", "dev", "--no-checkov", "--strict"])
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "1 mandatory rule(s) deferred (SAHAB-RES-004): blocking (--strict / gate.fail_on_deferred)" in strict.stdout.splitlines()
    assert "FAIL: 1 mandatory finding(s) block the deploy" in strict.stdout

    (pending / "sahab.yaml").write_text("gate:\n  fail_on_deferred: true\n")
    try:
        assert sahab_cli(["gate", str(pending), "--stack", "dev", "--no-checkov"]).returncode == 1
    finally:
        (pending / "sahab.yaml").unlink()
