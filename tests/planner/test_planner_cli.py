"""`sahab plan` as a user runs it: determinism, secrets never printed or written, and a
50-instance program that passes resources as inputs (no "attached to a different loop")."""
from __future__ import annotations

import json

import pytest

from planner_helpers import UNKNOWN, assert_valid, program, resource, resources_of, run_cli_many, unknown_of

SECRET_LITERAL = "s3cr3t-literal-value"
SECURE_CIPHERTEXT = "AAABAJbS2CwGCx7qpm0nJ7xVf1vzS0TzZ1ryf2wC3lZLMl4bD0Rp8Q=="
REFERENCED_SECRET = "n3tw0rk-db-passw0rd"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("plans")
    commands = {
        "mm_json": ["plan", str(program("multi_module")), "--stack", "dev", "--format", "json", "--out", str(out / "mm1.json")],
        "mm_table": ["plan", str(program("multi_module")), "--stack", "dev", "--out", str(out / "mm2.json")],
        "fleet_1": ["plan", str(program("resource_as_input")), "--stack", "dev", "--format", "json",
                    "--out", str(out / "fleet1.json")],
        "fleet_2": ["plan", str(program("resource_as_input")), "--stack", "dev", "--format", "json",
                    "--out", str(out / "fleet2.json")],
        "ref_table": ["plan", str(program("stack_reference")), "--stack", "dev", "--out", str(out / "ref.json"),
                      "--stack-outputs", str(program("stack_reference") / "network-outputs.json")],
    }
    results = dict(zip(commands, run_cli_many(commands.values())))
    for name, result in results.items():
        assert result.returncode == 0, "%s failed: %s" % (name, result.stderr)
    return {"dir": out, "results": results}


def _read(runs, name):
    return (runs["dir"] / name).read_bytes()


def test_same_program_gives_byte_identical_plans(runs):
    assert _read(runs, "mm1.json") == _read(runs, "mm2.json")
    assert _read(runs, "fleet1.json") == _read(runs, "fleet2.json")


def test_json_stdout_is_the_plan_file(runs):
    assert runs["results"]["mm_json"].stdout.encode("utf-8") == _read(runs, "mm1.json")
    assert runs["results"]["fleet_1"].stdout.encode("utf-8") == _read(runs, "fleet1.json")


@pytest.mark.parametrize("secret", [SECRET_LITERAL, SECURE_CIPHERTEXT, REFERENCED_SECRET])
def test_secrets_appear_nowhere(runs, secret):
    for name in ("mm1.json", "mm2.json", "ref.json"):
        assert secret.encode("utf-8") not in _read(runs, name)
    for result in runs["results"].values():
        assert secret not in result.stdout
        assert secret not in result.stderr


def test_table_output(runs):
    table = runs["results"]["mm_table"]
    assert "Plan for multi-module/dev" in table.stdout
    assert "dr-replica" in table.stdout and "eu-west-1" in table.stdout
    assert "[warning] the disaster-recovery replica lives outside the UAE" in table.stdout
    assert table.stderr == ""


def test_fifty_resources_as_inputs(runs):
    doc = json.loads(_read(runs, "fleet1.json"))
    assert_valid(doc)
    assert doc["diagnostics"] == []
    assert len(doc["resources"]) == 4 + 50 * 4
    instances = resources_of(doc, "aws:ec2/instance:Instance")
    assert len(instances) == 50
    subnet = resource(doc, "aws:ec2/subnet:Subnet", "fleet")["urn"]
    group = resource(doc, "aws:ec2/securityGroup:SecurityGroup", "fleet")["urn"]
    for i in (0, 17, 49):
        instance = resource(doc, "aws:ec2/instance:Instance", "worker-%d" % i)
        profile = resource(doc, "aws:iam/instanceProfile:InstanceProfile", "worker-%d" % i)
        assert instance["inputs"]["iamInstanceProfile"] == UNKNOWN
        assert instance["inputs"]["subnetId"] == UNKNOWN
        assert instance["inputs"]["vpcSecurityGroupIds"] == [UNKNOWN]
        assert instance["unknowns"] == ["iamInstanceProfile", "subnetId", "vpcSecurityGroupIds.0"]
        assert instance["propertyDependencies"] == {
            "iamInstanceProfile": [profile["urn"]], "subnetId": [subnet], "vpcSecurityGroupIds": [group]}
        assert instance["dependencies"] == sorted([group, profile["urn"], subnet])
        assert (instance["region"], instance["regionSource"]) == ("me-central-1", "provider")
        role = resource(doc, "aws:iam/role:Role", "worker-%d" % i)
        attachment = resource(doc, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "worker-%d-ssm" % i)
        assert attachment["inputs"] == {
            "policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", "role": UNKNOWN}
        assert attachment["propertyDependencies"] == {"role": [role["urn"]]}
    assert doc["outputs"] == {"firstInstance": unknown_of(doc, "aws:ec2/instance:Instance", "worker-0", "id"),
                              "instanceCount": 50}
