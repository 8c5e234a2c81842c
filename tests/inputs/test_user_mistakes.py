"""A user's mistake is exit 2 and one line naming the file and the fix, never exit 3 (internal error).

Dates YAML would resolve, impossible waiver dates, strings where sahab.yaml wants booleans (``"false"``
is not false), and a bad ``--opa-url``, named as the flag the user typed.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostile import assert_refused, write_project

DATES_PROGRAM = '''import pulumi
import pulumi_aws as aws

config = pulumi.Config()
uae = aws.Provider("uae", region="me-central-1")
aws.s3.Bucket("dated", tags={"first": config.get_object("dates")[0], "odd": config.get_object("dates")[1],
                             "plain": config.require("expiry")}, opts=pulumi.ResourceOptions(provider=uae))
'''


def test_dates_in_stack_config_reach_the_program_as_pulumi_gives_them(sahab_cli, tmp_path: Path):
    """``2027-01-01`` inside a config list used to crash the plan's JSON encoding (exit 3)."""
    root = write_project(tmp_path / "p", program=DATES_PROGRAM, stack_config=(
        "config:\n  aws:region: me-central-1\n  hostile:dates: [2027-01-01, 2027-13-45]\n  hostile:expiry: 2027-06-01\n"))
    result = sahab_cli(["plan", str(root), "--stack", "dev", "--format", "json"], timeout=120)
    assert result.returncode == 0, result.stderr
    bucket = next(r for r in json.loads(result.stdout)["resources"] if r["name"] == "dated")
    assert bucket["inputs"]["tags"] == {"first": "2027-01-01", "odd": "2027-13-45", "plain": "2027-06-01"}


WAIVER = "waivers:\n  - {rule: SAHAB-RES-001, urn: '*offshore*', reason: r, approver: a, expires: %s}\n"


@pytest.mark.parametrize("expires, message", [
    ("2027-13-45", "waivers.yaml waiver #1 has expires '2027-13-45', which is not a date (write it as YYYY-MM-DD)"),
    ("2027-02-30", "waivers.yaml waiver #1 has expires '2027-02-30', which is not a date (write it as YYYY-MM-DD)"),
    ("2027-01-01T10:00:00", "waivers.yaml waiver #1 has expires '2027-01-01T10:00:00', which is not a date"),
    ("[2027-01-01]", "waivers.yaml waiver #1 has expires ['2027-01-01'], which is not a date"),
])
def test_a_malformed_waiver_date_is_exit_2_naming_the_entry(sahab_cli, project: Path, saved_plan: Path, tmp_path: Path,
                                                             expires, message):
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVER % expires)
    result = sahab_cli(["gate", str(project), "--plan", str(saved_plan), "--no-checkov", "--waivers", str(waivers)], timeout=120)
    assert_refused(result, message)


def test_a_waiver_field_that_is_not_text_is_refused(sahab_cli, project: Path, saved_plan: Path, tmp_path: Path):
    """``urn: [a]`` would otherwise become the glob ``['a']``, a character class."""
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - {rule: SAHAB-RES-001, urn: ['*'], reason: r, approver: a, expires: 2099-01-01}\n")
    result = sahab_cli(["gate", str(project), "--plan", str(saved_plan), "--no-checkov", "--waivers", str(waivers)], timeout=120)
    assert_refused(result, "waivers.yaml waiver #1: urn must be text, not ['*'] (quote the value)")


SETTINGS = [
    # "false" is a string: bool("false") is True, and a quoted "no" would turn checkov *on* silently; refuse both ways.
    ("checkov: {enabled: 'false'}", "gate.checkov.enabled must be true or false, not 'false' (e.g. enabled: true)"),
    ("fail_on_deferred: 'false'", "gate.fail_on_deferred must be true or false, not 'false' (e.g. fail_on_deferred: true)"),
    ("fail_on_deferred: 1", "gate.fail_on_deferred must be true or false, not 1 (e.g. fail_on_deferred: true)"),
    ("soft_fail: 'no'", "gate.soft_fail must be true or false, not 'no' (e.g. soft_fail: true)"),
    ("engine: [opa]", "gate.engine ['opa'] is not one of embedded|opa (e.g. engine: embedded)"),
    ("engine: regorus", "gate.engine 'regorus' is not one of embedded|opa (e.g. engine: embedded)"),
    ("opa: http://127.0.0.1:8181", "gate.opa must be a mapping"),
    ("opa: {timeout: '10'}", "gate.opa.timeout must be a number of seconds, not '10' (e.g. timeout: 30)"),
    ("opa: {timeout: true}", "gate.opa.timeout must be a number of seconds, not True (e.g. timeout: 30)"),
    ("opa: {url: 8181}", "gate.opa.url must be a string, not 8181 (quote it)"),
    ("checkov: {mandatory: CKV_K8S_16}", "gate.checkov.mandatory must be a list of rule ids or globs"),
    ("checkov: {enable: false}", "gate.checkov must be a mapping of checks_dirs, enabled, mandatory"),
    ("enforcement: {2027: advisory}", "gate.enforcement keys must be rule ids"),
    ("waivers: [waivers.yaml]", "gate.waivers must be a file path (e.g. waivers: waivers.yaml)"),
    ("rules: [2027-01-01]", "gate.rules: '2027-01-01' matches no sahab rule and is not a checkov check id"),
]


@pytest.mark.parametrize("setting, message", SETTINGS, ids=[s for s, _ in SETTINGS])
def test_a_wrongly_typed_setting_is_exit_2_naming_sahab_yaml(sahab_cli, saved_plan: Path, tmp_path: Path, setting, message):
    root = tmp_path / "p"
    root.mkdir()
    (root / "sahab.yaml").write_text("gate:\n  %s\n" % setting)
    result = sahab_cli(["gate", str(root), "--plan", str(saved_plan), "--no-checkov"], timeout=120)
    line = assert_refused(result, message)
    if not setting.startswith("rules:"):  # the selection names the setting, not the file
        assert line.startswith("error: %s: " % (root / "sahab.yaml")), line


@pytest.mark.parametrize("url, message", [
    ("http://[::1", "--opa-url 'http://[::1' is not a usable URL: Invalid IPv6 URL (e.g. --opa-url http://127.0.0.1:8181)"),
    ("http://127.0.0.1:99999", "--opa-url 'http://127.0.0.1:99999' is not a usable URL: Port out of range 0-65535"),
    ("ftp://127.0.0.1", "--opa-url 'ftp://127.0.0.1' is not an http(s) URL (e.g. --opa-url http://127.0.0.1:8181)"),
    ("", "--opa-url '' is not an http(s) URL"),
    ("http://127.0.0.1:8181/v1", "--opa-url 'http://127.0.0.1:8181/v1' has a path; OPA's API must be at the root of the URL"),
])
def test_a_bad_opa_url_is_exit_2_naming_the_flag(sahab_cli, project: Path, saved_plan: Path, url, message):
    for command in (["gate", str(project), "--plan", str(saved_plan), "--no-checkov", "--engine", "opa", "--opa-url", url],
                    ["policy", "test", "--engine", "opa", "--opa-url", url]):
        line = assert_refused(sahab_cli(command, timeout=120), message)
        assert "opa.url" not in line


def test_a_bad_opa_url_in_sahab_yaml_names_the_setting(sahab_cli, saved_plan: Path, tmp_path: Path):
    root = tmp_path / "p"
    root.mkdir()
    (root / "sahab.yaml").write_text("gate:\n  engine: opa\n  opa: {url: 'http://[::1'}\n")
    result = sahab_cli(["gate", str(root), "--plan", str(saved_plan), "--no-checkov"], timeout=120)
    assert_refused(result, "opa.url 'http://[::1' is not a usable URL: Invalid IPv6 URL (e.g. url: http://127.0.0.1:8181)")


@pytest.mark.parametrize("project_file, message", [
    ("name: [x]\nruntime: python\n", "has no 'name'"),
    ("name: x\nruntime: {name: python, options: {virtualenv: [venv]}}\n", "runtime.options.virtualenv must be a path, not ['venv']"),
    ("name: x\nruntime: python\nmain: [src]\n", "main must be a path, not ['src']"),
])
def test_a_wrongly_typed_pulumi_yaml_is_exit_2(sahab_cli, tmp_path: Path, project_file, message):
    root = write_project(tmp_path / "p")
    (root / "Pulumi.yaml").write_text(project_file)
    assert_refused(sahab_cli(["plan", str(root), "--stack", "dev"], timeout=120), str(root / "Pulumi.yaml"), message)
