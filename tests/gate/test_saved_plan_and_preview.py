"""Gating a plan written earlier (`--plan`) and a real `pulumi preview --json` (`--pulumi-preview`).

The preview fixture (tests/fixtures/preview/, see its README) is written by hand to the format
`pulumi preview --json --show-sames` prints; these tests pin how each part of it reaches the plan
and the findings, and that nothing the preview leaves out (unchanged resources without
`--show-sames`, an op sahab does not know) is ever gated as if it were not there.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import sahab
from sahab.errors import PlannerError, UsageError
from sahab.gate.config import GateConfig
from sahab.planner import dumps, plan_project
from sahab.planner.preview_json import plan_from_preview
from sahab.planner.saved import load_plan

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "preview" / "show-sames.json"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "team-rules"
P = "urn:pulumi:dev::team-rules-example::"
UAE = P + "pulumi:providers:aws::uae"
RULES_ONLY = GateConfig(checkov_enabled=False)


@pytest.fixture(scope="module")
def preview():
    return json.loads(FIXTURE.read_text())


@pytest.fixture(scope="module")
def mapped(preview):
    return plan_from_preview(copy.deepcopy(preview))


def _by_name(plan):
    return {r["name"]: r for r in plan["resources"]}


def test_preview_maps_to_the_plan_document_with_real_regions_and_providers(mapped):
    resources = _by_name(mapped)
    assert (mapped["project"], mapped["stack"]) == ("team-rules-example", "dev")
    assert mapped["stackUrn"] == P + "pulumi:pulumi:Stack::team-rules-example-dev"
    # delete and delete-replaced leave nothing; the default provider is kept, as `sahab plan` records
    # it; `same` resources exist and are planned; the replaced key is planned once.
    assert sorted(resources) == ["ambient", "data", "db-password", "default_7_3_0", "later", "offshore", "rotated",
                                 "scratch", "uae"]
    assert resources["data"]["region"] == "me-central-1" and resources["data"]["regionSource"] == "provider"
    assert resources["data"]["provider"] == UAE
    assert (resources["offshore"]["region"], resources["offshore"]["regionSource"]) == ("eu-west-1", "resource")
    # on the default provider: the region the engine created it with, not the stack's config of today
    assert resources["ambient"]["provider"] == P + "pulumi:providers:aws::default_7_3_0"
    assert (resources["ambient"]["region"], resources["ambient"]["regionSource"]) == ("eu-west-1", "provider")
    assert resources["rotated"]["inputs"]["multiRegion"] is False  # the newState, not the old one
    assert resources["scratch"]["inputs"]["tags"] == {"purpose": "scratch"}


def test_unknowns_stay_unknown_and_secrets_are_markers(mapped):
    resources = _by_name(mapped)
    later, secret = resources["later"], resources["db-password"]
    assert later["inputs"]["region"] == {"$unknown": True} and later["unknowns"] == ["region"]
    assert later["region"] == "unknown" and later["regionSource"] == "resource"
    assert secret["inputs"]["value"] == {"$secret": True} and secret["secrets"] == ["value"]
    assert secret["inputs"]["keyId"] == {"$unknown": True} and secret["unknowns"] == ["keyId"]
    assert secret["propertyDependencies"]["keyId"] == [P + "aws:kms/key:Key::data"]
    assert mapped["config"]["team-rules-example:dbPassword"] == {"$secret": True}
    assert mapped["outputs"] == {"keyArn": {"$unknown": True}}
    assert "[secret]" not in dumps(mapped) and "04da6b54" not in dumps(mapped)
    # Only the engine's warnings and errors are kept, not the program's printed lines.
    assert [d["severity"] for d in mapped["diagnostics"]] == ["warning"]


def test_preview_gate_reports_the_real_engines_values(preview, tmp_path):
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(preview))
    config = GateConfig(checkov_enabled=False, policy_dirs=(EXAMPLE / "policies",))
    run = sahab.gate_pulumi_preview(path, config)
    found = {(f.rule_id, f.status, f.urn.rsplit("::", 1)[-1]) for f in run.result.findings}
    assert {("SAHAB-RES-001", "violation", "offshore"), ("SAHAB-RES-001", "deferred", "later"),
            ("SAHAB-RES-002", "violation", "ambient"), ("ACME-TAG-001", "violation", "scratch"),
            ("SAHAB-RES-001", "violation", "ambient"), ("SAHAB-RES-001", "violation", "default_7_3_0")} <= found
    ambient = next(f for f in run.result.findings if f.rule_id == "SAHAB-RES-002")
    assert ambient.message == ("ambient (aws:kms/key:Key) uses the default aws provider (eu-west-1, outside the UAE): the "
                               "stack configuration and the environment of the deploy, not the program, decide its "
                               "region and credentials")
    # The deleted key (rotation off, us-east-1) and the replaced key's old multi-Region state are gone.
    assert not [f for f in run.result.findings if f.urn.endswith(("::legacy", "::rotated"))]
    assert run.result.exit_code == 1


def test_a_preview_without_show_sames_is_refused(preview):
    without = copy.deepcopy(preview)
    without["steps"] = [s for s in without["steps"] if s["op"] != "same" or s["urn"].endswith("team-rules-example-dev")]
    with pytest.raises(UsageError) as raised:
        plan_from_preview(without, where="preview.json")
    assert raised.value.one_line() == ("preview.json lists 1 of the 3 unchanged resources its changeSummary counts "
                                       "(rerun `pulumi preview --json --show-sames`, so every resource the stack keeps is gated)")
    assert raised.value.exit_code == 2


def test_an_unknown_op_stops_the_mapping(preview):
    odd = copy.deepcopy(preview)
    odd["steps"][3]["op"] = "teleport"
    with pytest.raises(PlannerError, match="has op 'teleport', which sahab does not know how to plan") as raised:
        plan_from_preview(odd)
    assert raised.value.exit_code == 3


@pytest.mark.parametrize("document, message", [
    ({"changeSummary": {}}, "is not the JSON of `pulumi preview --json`: it has no `steps` list"),
    ({"steps": [{"op": "create", "urn": P + "aws:kms/key:Key::k"}]}, "create step #0 (%saws:kms/key:Key::k) has no valid `newState`" % P),
    ({"steps": [{"op": "delete", "urn": P + "aws:kms/key:Key::k"}]}, "plans no resource"),
])
def test_malformed_previews_are_usage_errors(document, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)").replace("$", r"\$")):
        plan_from_preview(document)


@pytest.fixture(scope="module")
def example_plan(tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "plan.json"
    path.write_text(dumps(plan_project(EXAMPLE, "dev")))
    return path


def test_a_saved_plan_gates_like_the_program(example_plan):
    config = GateConfig(checkov_enabled=False, policy_dirs=(EXAMPLE / "policies",))
    saved = sahab.gate_saved_plan(example_plan, config)
    planned = sahab.run_gate(EXAMPLE, "dev", config)
    assert [(f.rule_id, f.status, f.urn) for f in saved.result.findings] == \
        [(f.rule_id, f.status, f.urn) for f in planned.result.findings] == \
        [("ACME-TAG-001", "violation", P + "aws:kms/key:Key::scratch")]
    with pytest.raises(UsageError, match="is a plan of stack dev, not prod"):
        sahab.gate_saved_plan(example_plan, config, stack="prod")


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(schemaVersion="sahab.dev/plan/v2"),
     "is a sahab.dev/plan/v2 document; this sahab reads sahab.dev/plan/v1"),
    (lambda d: d.update(schemaVersion="other/v1"), "is not a sahab plan document (schemaVersion 'other/v1')"),
    (lambda d: d["resources"][0].pop("custom"), "resource #0 (%s) lacks `custom`" % (P + "aws:kms/key:Key::data")),
    (lambda d: d["resources"][1].update(region=None), "`region` is null, not string"),
    (lambda d: d.pop("resources"), "lacks `resources`"),
])
def test_a_saved_plan_is_checked_before_any_rule_runs(example_plan, tmp_path, edit, message):
    document = json.loads(example_plan.read_text())
    edit(document)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)").replace("$", r"\$")) as raised:
        load_plan(path)
    assert raised.value.exit_code == 2


def test_cli_gates_a_saved_plan_and_refuses_program_flags(sahab_cli, example_plan, tmp_path):
    ok = sahab_cli(["gate", "--plan", str(example_plan), "--no-checkov", "--format", "json"])
    assert ok.returncode == 0, ok.stderr  # sahab's rules only: the example is compliant with them
    assert json.loads(ok.stdout)["summary"]["verdict"] == "pass"
    team = sahab_cli(["gate", "--plan", str(example_plan), "--no-checkov", "--policy-dir", str(EXAMPLE / "policies")])
    assert team.returncode == 1 and "ACME-TAG-001" in team.stdout
    refused = sahab_cli(["gate", "--plan", str(example_plan), "--stack-outputs", "refs.yaml"])
    assert (refused.returncode, refused.stderr.strip()) == (
        2, "error: --stack-outputs runs the program, which --plan does not (drop --stack-outputs)")
    both = sahab_cli(["gate", "--plan", str(example_plan), "--pulumi-preview", str(FIXTURE)])
    assert both.returncode == 2 and "pass one of them" in both.stderr
