"""Hostile YAML in every file sahab reads as YAML: refused in milliseconds, exit 2, naming the file.

Alias bombs ("billion laughs"), recursive aliases, deep nesting, oversized documents and
non-UTF-8 bytes, in stack files, sahab.yaml, waivers, stack outputs and policy data.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from hostile import assert_refused, write_project
from sahab.errors import ConfigError
from sahab.inputs.files import MAX_INPUT_BYTES
from sahab.inputs.safe_yaml import MAX_DEPTH, MAX_NODES, parse_json, parse_yaml

# Nine levels of nine aliases: 9**9 (387 million) strings for whoever walks it, in 400 bytes.
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    "%s: &%s [%s]\n" % (chr(98 + i), chr(98 + i), ",".join(["*" + chr(97 + i)] * 9)) for i in range(8))
DEEP = "a: " + "[" * 5000 + "]" * 5000 + "\n"
RECURSIVE = "waivers: &w [*w]\n"
# Deep only once aliases are followed: each anchor is 40 levels, nested in the next.
DEEP_BY_ALIAS = "a: &a " + "[" * 40 + "]" * 40 + "\n" + "b: &b " + "[" * 40 + "*a" + "]" * 40 + "\n"

HOSTILE = {
    "alias bomb": (BOMB, "expands to more than %d values once its aliases are followed" % MAX_NODES),
    "deep nesting": (DEEP, "nests deeper than %d levels" % MAX_DEPTH),
    "recursive alias": (RECURSIVE, "has an alias to one of its own ancestors"),
    "deep through aliases": (DEEP_BY_ALIAS, "nests deeper than %d levels once its aliases are followed" % MAX_DEPTH),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_the_loader_refuses_hostile_yaml_in_milliseconds(case):
    text, message = HOSTILE[case]
    started = time.perf_counter()
    with pytest.raises(ConfigError) as raised:
        parse_yaml(text, "f.yaml", "fix f.yaml")
    assert time.perf_counter() - started < 0.5
    assert raised.value.one_line().startswith("f.yaml ") and message in raised.value.one_line()
    assert raised.value.one_line().endswith("(fix f.yaml)")


def test_safe_yaml_still_reads_what_users_write():
    text = "base: &base {region: me-central-1}\nprod: {<<: *base, size: 3}\nexpires: 2027-01-01\nlist: [1, 2.5, true, null]\n"
    assert parse_yaml(text, "f.yaml", "fix") == {
        "base": {"region": "me-central-1"}, "prod": {"region": "me-central-1", "size": 3},
        "expires": "2027-01-01",  # as Pulumi (Go) reads it: text, not a date object
        "list": [1, 2.5, True, None]}


def test_python_tags_are_never_constructed():
    with pytest.raises(ConfigError, match="could not determine a constructor"):
        parse_yaml("x: !!python/object/apply:os.system ['touch /tmp/owned']", "f.yaml", "fix")


def test_json_inputs_have_the_same_depth_limit():
    for text in ("[" * 100000 + "]" * 100000, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)):
        with pytest.raises(ConfigError, match="f.json nests deeper than %d levels" % MAX_DEPTH):
            parse_json(text, "f.json", "fix")


def _oversized(path: Path) -> None:
    path.write_text("# padding\n" * (MAX_INPUT_BYTES // 10 + 1))


def _latin1(path: Path) -> None:
    path.write_bytes("config:\n  hostile:greeting: caf\xe9\n".encode("latin-1"))


WRITERS = {name: (lambda text: lambda path: path.write_text(text))(text) for name, (text, _) in HOSTILE.items()}
WRITERS["oversized"] = _oversized
WRITERS["latin-1"] = _latin1
MESSAGES = {name: message for name, (_, message) in HOSTILE.items()}
MESSAGES["oversized"] = "is larger than the 4 MiB limit"
MESSAGES["latin-1"] = "is not UTF-8 text (invalid byte 0xe9 on line 2)"


def hint(case: str, fix: str) -> str:
    """The fix the one line ends with: the flag or file the user named; for bad bytes, the encoding."""
    return "(save it as UTF-8)" if case == "latin-1" else "(%s)" % fix


@pytest.mark.parametrize("case", sorted(WRITERS))
def test_a_hostile_stack_file_stops_sahab_plan(sahab_cli, tmp_path: Path, case):
    root = write_project(tmp_path / "p")
    WRITERS[case](root / "Pulumi.dev.yaml")
    started = time.perf_counter()
    result = sahab_cli(["plan", str(root), "--stack", "dev"], timeout=60)
    assert time.perf_counter() - started < 30
    assert_refused(result, "Pulumi file %s " % (root / "Pulumi.dev.yaml"), MESSAGES[case], hint(case, "fix Pulumi.dev.yaml"))


@pytest.mark.parametrize("case", sorted(WRITERS))
def test_a_hostile_sahab_yaml_stops_the_gate_before_the_program_runs(sahab_cli, tmp_path: Path, case):
    root = write_project(tmp_path / "p", program="raise SystemExit('the program must not run')\n")
    WRITERS[case](root / "sahab.yaml")
    result = sahab_cli(["gate", str(root), "--stack", "dev", "--no-checkov"], timeout=60)
    assert_refused(result, "gate configuration %s " % (root / "sahab.yaml"), MESSAGES[case], hint(case, "fix sahab.yaml"))
    passed = tmp_path / "elsewhere.yaml"
    WRITERS[case](passed)
    result = sahab_cli(["gate", str(root), "--stack", "dev", "--no-checkov", "--config", str(passed)], timeout=60)
    assert_refused(result, "gate configuration %s " % passed, MESSAGES[case], hint(case, "fix --config"))


@pytest.mark.parametrize("case", sorted(WRITERS))
def test_a_hostile_waivers_file_stops_the_gate(sahab_cli, project: Path, saved_plan: Path, tmp_path: Path, case):
    waivers = tmp_path / "waivers.yaml"
    WRITERS[case](waivers)
    result = sahab_cli(["gate", str(project), "--plan", str(saved_plan), "--no-checkov", "--waivers", str(waivers)], timeout=60)
    assert_refused(result, "waivers file %s " % waivers, MESSAGES[case])


JSON_WRITERS = {
    "deep nesting": lambda path: path.write_text('{"a": ' + "[" * 5000 + "]" * 5000 + "}"),
    "oversized": lambda path: path.write_text('{"a": "%s"}' % ("x" * MAX_INPUT_BYTES)),
    "latin-1": lambda path: path.write_bytes('{"org/net/prod": {"greeting": "caf\xe9"}}'.encode("latin-1")),
}
JSON_MESSAGES = {"deep nesting": "nests deeper than %d levels" % MAX_DEPTH, "oversized": MESSAGES["oversized"],
                 "latin-1": "is not UTF-8 text (invalid byte 0xe9 on line 1)"}
OUTPUT_CASES = [(name, ".yaml", WRITERS[name], MESSAGES[name]) for name in ("alias bomb", "deep nesting", "oversized", "latin-1")]
OUTPUT_CASES += [(name, ".json", JSON_WRITERS[name], JSON_MESSAGES[name]) for name in sorted(JSON_WRITERS)]


@pytest.mark.parametrize("case, suffix, writer, message", OUTPUT_CASES, ids=["%s%s" % (c[0], c[1]) for c in OUTPUT_CASES])
def test_hostile_stack_outputs_stop_sahab_plan(sahab_cli, project: Path, tmp_path: Path, case, suffix, writer, message):
    outputs = tmp_path / ("outputs" + suffix)
    writer(outputs)
    result = sahab_cli(["plan", str(project), "--stack", "dev", "--stack-outputs", str(outputs)], timeout=60)
    assert_refused(result, "stack outputs file %s " % outputs, message, hint(case, "fix --stack-outputs"))


@pytest.mark.parametrize("case", ["alias bomb", "deep nesting", "recursive alias", "latin-1"])
def test_hostile_policy_metadata_in_a_team_folder_is_refused(sahab_cli, tmp_path: Path, case):
    team = tmp_path / "team"
    team.mkdir()
    rule = team / "rule.rego"
    WRITERS[case](rule)
    if case != "latin-1":  # the hostile YAML as the rule's METADATA header
        rule.write_text("# METADATA\n" + "".join("# " + line for line in rule.read_text().splitlines(True)) + "package acme.rules.net.hostile\n")
        fragment = "%s: METADATA " % rule
    else:
        fragment = "policy %s " % rule
    assert_refused(sahab_cli(["policy", "list", str(team)], timeout=60), fragment, MESSAGES[case])
