"""A team's own rules beside sahab's: loaded with the same contract, evaluated fail closed.

examples/team-rules is the documented example: a program, ACME's Rego rule and its test, ACME's
checkov check and the sahab.yaml that uses them.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import sahab
from real_opa import RealOpaEngine
from sahab.errors import ConfigError
from sahab.gate.config import GateConfig, load_gate_config
from sahab.gate.engines.base import EngineError
from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.evaluate import check_builtins, evaluate_rules
from sahab.gate.rules import load_bundle
from sahab.gate.selection import rule_selection, select_bundle
from sahab.gate.waivers import load_waivers
from sahab.planner import plan_project

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "team-rules"
TEAM = EXAMPLE / "policies"
SCRATCH = "urn:pulumi:dev::team-rules-example::aws:kms/key:Key::scratch"
HEADER = """# METADATA
# title: t
# description: d
# custom:
#   id: {id}
#   severity: low
#   enforcement: mandatory
#   remediation: r
#   controls: ["ISO/IEC 27001:2022 A.8.9: Configuration management"]
package {package}

import rego.v1
"""


def _team(tmp_path: Path, name: str, package: str, rule_id: str, body: str = "deny contains x if false") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "rule.rego").write_text(HEADER.format(id=rule_id, package=package) + "\n" + body + "\n")
    return folder


@pytest.fixture(scope="module")
def example_plan():
    return plan_project(EXAMPLE, "dev")


def test_team_rules_load_beside_sahabs_with_their_own_namespace():
    sahabs = load_bundle()
    bundle = load_bundle(team_dirs=[TEAM])
    team = [rule for rule in bundle.rules if not rule.rule_id.startswith("SAHAB-")]
    assert [(r.rule_id, r.package, r.rules_root, r.module, r.concern, r.severity) for r in team] == [
        ("ACME-TAG-001", "acme.rules.tagging.owner_tag", "acme.rules", "teams/policies/tagging/owner_tag.rego",
         "tagging", "medium")]
    assert len(bundle.rules) == len(sahabs.rules) + 1
    assert "teams/policies/tagging/owner_tag_test.rego" in bundle.modules


@pytest.mark.parametrize("package, rule_id, message", [
    ("acme.rules.net.x", "SAHAB-NET-001", "rule id 'SAHAB-NET-001' is not ACME-<CONCERN>-<NNN> (package acme.rules.*)"),
    ("acme.rules.net.x", "OTHER-NET-001", "rule id 'OTHER-NET-001' is not ACME-<CONCERN>-<NNN>"),
    ("sahab.rules.net.x", "ACME-NET-001", "declares package sahab.rules.net.x: a team's modules may not add to sahab's packages"),
    ("sahab.lib.plan", "ACME-NET-001", "declares package sahab.lib.plan"),
])
def test_a_team_rule_cannot_take_sahabs_ids_or_packages(tmp_path, package, rule_id, message):
    folder = _team(tmp_path, "acme", package, rule_id)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        load_bundle(team_dirs=[folder])


def test_a_team_rule_without_metadata_or_folder_is_refused(tmp_path):
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "rule.rego").write_text("package acme.rules.net.x\n\nimport rego.v1\n\ndeny contains x if false\n")
    with pytest.raises(ConfigError, match="has no # METADATA header"):
        load_bundle(team_dirs=[folder])
    with pytest.raises(ConfigError, match="policy folder .*missing does not exist"):
        load_bundle(team_dirs=[tmp_path / "missing"])
    with pytest.raises(ConfigError, match="rule id ACME-TAG-001 is used by both"):
        load_bundle(team_dirs=[TEAM, _team(tmp_path, "again", "acme.rules.tagging.again", "ACME-TAG-001")])


def test_a_team_rule_that_answers_nothing_fails_closed(tmp_path, example_plan):
    folder = _team(tmp_path, "acme", "acme.rules.net.silent", "ACME-NET-001", body="allow := true")
    bundle = load_bundle(team_dirs=[folder])
    engine = EmbeddedEngine()
    try:
        with pytest.raises(EngineError) as raised:
            evaluate_rules(example_plan, bundle, engine)
    finally:
        engine.close()
    assert "rule ACME-NET-001 (acme.rules.net.silent) produced no `deny` set" in raised.value.one_line()
    assert raised.value.exit_code == 3


def test_team_rule_finds_the_untagged_key_and_a_mutation_breaks_the_tagged_one(example_plan):
    bundle = load_bundle(team_dirs=[TEAM])
    engine = EmbeddedEngine()
    try:
        check_builtins(bundle, engine)
        engine.load(bundle.without_tests())
        team = [f for f in evaluate_rules(example_plan, bundle, engine, loaded=True) if f.rule_id == "ACME-TAG-001"]
        assert [(f.status, f.urn, f.message, f.enforcement) for f in team] == [
            ("violation", SCRATCH, "scratch (aws:kms/key:Key) has no `owner` tag", "mandatory")]
        mutated = copy.deepcopy(example_plan)
        data = next(r for r in mutated["resources"] if r["name"] == "data")
        data["inputs"]["tags"] = {"$unknown": True}
        caught = {(f.status, f.urn.rsplit("::", 1)[-1]) for f in evaluate_rules(mutated, bundle, engine, loaded=True)
                  if f.rule_id == "ACME-TAG-001"}
        assert caught == {("violation", "scratch"), ("deferred", "data")}
    finally:
        engine.close()


def test_team_rules_find_the_same_on_regorus_and_opa(example_plan):
    bundle = load_bundle(team_dirs=[TEAM])
    plans = [example_plan, json.loads(json.dumps(example_plan).replace('"owner"', '"team"'))]
    answers = []
    for engine in (EmbeddedEngine(), RealOpaEngine()):
        try:
            check_builtins(bundle, engine)
            engine.load(bundle.without_tests())
            answers.append([sorted((f.rule_id, f.status, f.urn, f.message) for f in evaluate_rules(p, bundle, engine, loaded=True))
                            for p in plans])
        finally:
            engine.close()
    assert answers[0] == answers[1]
    assert sum(1 for f in answers[0][1] if f[0] == "ACME-TAG-001") == 2  # both keys lose their owner


def test_rule_selection_and_waivers_take_team_ids(tmp_path):
    bundle = load_bundle(team_dirs=[TEAM])
    selection = rule_selection([], ["ACME-*"], [], known=[r.rule_id for r in bundle.rules], always_on=())
    kept, skipped = select_bundle(bundle, selection)
    assert skipped == ["ACME-TAG-001"] and not any(key.startswith("teams/") and "owner_tag.rego" in key for key in kept.modules)
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - rule: ACME-TAG-001\n    urn: '*::scratch'\n    reason: r\n    approver: a@acme.ae\n"
                       "    expires: 2099-01-01\n")
    assert [w.rule for w in load_waivers(waivers)] == ["ACME-TAG-001"]


def test_sahab_yaml_names_team_folders_relative_to_itself():
    config = load_gate_config(EXAMPLE)
    assert config.policy_dirs == (EXAMPLE / "policies",)
    assert config.checkov_checks_dirs == (EXAMPLE / "checkov",)


def test_the_example_gates_with_the_teams_rego_rule_and_checkov_check():
    run = sahab.run_gate(EXAMPLE, "dev")
    assert sorted((f.rule_id, f.status, f.enforcement, f.urn, f.message) for f in run.result.blocking) == [
        ("ACME-TAG-001", "violation", "mandatory", SCRATCH, "scratch (aws:kms/key:Key) has no `owner` tag"),
        ("CKV_ACME_1", "violation", "mandatory", "file:Dockerfile", "Base images come from registry.acme.ae (Dockerfile.FROM)"),
    ]
    assert run.result.exit_code == 1


def test_a_missing_checkov_checks_folder_is_a_usage_error(tmp_path, example_plan):
    with pytest.raises(ConfigError, match="checkov checks folder .*nowhere does not exist"):
        sahab.gate_saved_plan(_saved(tmp_path, example_plan), GateConfig(checkov_checks_dirs=(tmp_path / "nowhere",)))


def _saved(tmp_path: Path, plan) -> Path:
    from sahab.planner import dumps

    path = tmp_path / "plan.json"
    path.write_text(dumps(plan))
    return path


def test_policy_test_runs_only_the_teams_tests(sahab_cli, tmp_path):
    ok = sahab_cli(["policy", "test", str(TEAM)])
    assert (ok.returncode, ok.stdout.strip()) == (0, "5 passed, 0 failed")
    broken = tmp_path / "policies"
    broken.mkdir()
    for path in TEAM.rglob("*.rego"):
        target = broken / path.relative_to(TEAM)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text().replace('"owner"', '"contact"') if path.name == "owner_tag_test.rego"
                          else path.read_text())
    failed = sahab_cli(["policy", "test", str(broken)])
    assert failed.returncode == 1
    assert "FAIL  teams/policies/tagging/owner_tag_test.rego: test_owner_tag_passes" in failed.stdout
