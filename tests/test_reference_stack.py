"""The reference platform plans offline, pinned to the UAE, in a stable documented format."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from sahab.planner import plan_project

SCHEMA = Path(__file__).resolve().parents[1] / "src" / "sahab" / "planner" / "plan.schema.json"
UAE_AWS_REGION = "me-central-1"


ENVIRONMENTS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def plans(repo_root: Path):
    return {env: plan_project(repo_root, env) for env in ENVIRONMENTS}


@pytest.fixture(params=ENVIRONMENTS)
def plan(request, plans):
    return plans[request.param]


def test_plan_matches_the_published_schema(plan):
    jsonschema.validate(plan, json.loads(SCHEMA.read_text()))


def test_every_resource_is_pinned_to_me_central_1(plan):
    assert plan["resources"], "the reference stack registered nothing"
    assert {r["region"] for r in plan["resources"]} == {UAE_AWS_REGION}


def test_every_custom_resource_uses_an_explicit_provider(plan):
    providers = {r["urn"] for r in plan["resources"] if r["type"].startswith("pulumi:providers:")}
    for resource in plan["resources"]:
        if resource["custom"] and not resource["type"].startswith("pulumi:providers:"):
            assert resource["provider"] in providers, resource["urn"]
            assert resource["regionSource"] in ("provider", "resource")


def test_cli_writes_identical_bytes_on_two_runs(repo_root: Path, tmp_path: Path, sahab_cli):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for out in (first, second):
        result = sahab_cli(["plan", str(repo_root), "--stack", "prod", "--out", str(out)])
        assert result.returncode == 0, result.stderr
    assert first.read_bytes() == second.read_bytes()
    urns = [r["urn"] for r in json.loads(first.read_text())["resources"]]
    assert urns == sorted(urns)


def test_environments_differ_in_size_not_in_security(plans):
    types = {env: {r["type"] for r in plan["resources"]} for env, plan in plans.items()}
    assert types["dev"] == types["staging"] == types["prod"]
    exceptions = {
        env: sorted((r["type"], r["inputs"]["tags"]["sahab:exception"]) for r in plan["resources"]
                    if isinstance(r["inputs"].get("tags"), dict) and "sahab:exception" in r["inputs"]["tags"])
        for env, plan in plans.items()
    }
    # The only relaxation outside prod is availability of the registry database, and it is visible.
    relaxed = [("aws:rds/instance:Instance", "deletion-protection-off,single-az")]
    assert exceptions == {"dev": relaxed, "staging": relaxed, "prod": []}
    gpu_dev = next(r for r in plans["dev"]["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup" and "gpu" in r["name"])
    gpu_prod = next(r for r in plans["prod"]["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup" and "gpu" in r["name"])
    assert gpu_dev["inputs"]["capacityType"] == "SPOT" and gpu_prod["inputs"]["capacityType"] == "ON_DEMAND"
    assert gpu_dev["inputs"]["taints"] == gpu_prod["inputs"]["taints"]
