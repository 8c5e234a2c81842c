"""pulumi.StackReference: outputs from a --stack-outputs file, or unknown (with a warning)."""
from __future__ import annotations

import json

import pytest

from planner_helpers import chosen_inputs, SECRET, UNKNOWN, assert_valid, plan, program, resource, warnings

REFERENCE = "pulumi:pulumi:StackReference"
OUTPUTS_FILE = program("stack_reference") / "network-outputs.json"


@pytest.fixture(scope="module")
def with_outputs():
    return plan("stack_reference", stack_outputs=OUTPUTS_FILE)


@pytest.fixture(scope="module")
def without_outputs():
    return plan("stack_reference")


def test_documents_are_valid(with_outputs, without_outputs):
    assert_valid(with_outputs)
    assert_valid(without_outputs)


def test_reference_is_a_resource_named_by_stack(with_outputs):
    reference = resource(with_outputs, REFERENCE, "org/network/prod")
    assert reference["inputs"] == {"name": "org/network/prod"}
    assert reference["urn"] == "urn:pulumi:dev::app-on-shared-network::pulumi:pulumi:StackReference::org/network/prod"


def test_known_outputs_flow_into_inputs(with_outputs):
    group = resource(with_outputs, "aws:ec2/securityGroup:SecurityGroup", "app")
    assert group["inputs"]["vpcId"] == "vpc-0a1b2c3d4e5f60718"
    instance = resource(with_outputs, "aws:ec2/instance:Instance", "app")
    assert instance["inputs"]["subnetId"] == "subnet-0aaa1111"
    assert instance["inputs"]["availabilityZone"] == "me-central-1a"  # zones of the provider's region
    assert instance["unknowns"] == ["vpcSecurityGroupIds.0"]
    provider = resource(with_outputs, "pulumi:providers:aws", "network-region")
    assert provider["inputs"]["region"] == "me-central-1"
    assert (instance["region"], instance["regionSource"]) == ("me-central-1", "provider")
    assert warnings(with_outputs) == []


def test_secret_outputs_stay_secret(with_outputs):
    parameter = resource(with_outputs, "aws:ssm/parameter:Parameter", "app-db-password")
    assert (parameter["inputs"]["value"], parameter["secrets"], parameter["unknowns"]) == (SECRET, ["value"], [])
    assert with_outputs["outputs"] == {
        "dbPassword": SECRET,
        "firstSubnet": "subnet-0aaa1111",
        "vpcId": "vpc-0a1b2c3d4e5f60718",
    }
    assert "n3tw0rk-db-passw0rd" not in json.dumps(with_outputs)


def test_a_secret_region_is_unknown_not_the_providers(with_outputs):
    audit = resource(with_outputs, "aws:s3/bucket:Bucket", "audit")
    assert (chosen_inputs(audit), audit["secrets"]) == ({"region": SECRET}, ["region"])
    assert (audit["region"], audit["regionSource"]) == ("unknown", "resource")


def test_without_outputs_everything_from_the_reference_is_unknown(without_outputs):
    group = resource(without_outputs, "aws:ec2/securityGroup:SecurityGroup", "app")
    assert (group["inputs"]["vpcId"], group["unknowns"]) == (UNKNOWN, ["vpcId"])
    instance = resource(without_outputs, "aws:ec2/instance:Instance", "app")
    assert instance["inputs"]["subnetId"] == UNKNOWN
    assert instance["unknowns"] == ["subnetId", "vpcSecurityGroupIds.0"]
    provider = resource(without_outputs, "pulumi:providers:aws", "network-region")
    assert (provider["inputs"]["region"], provider["unknowns"]) == (UNKNOWN, ["region"])
    # an unknown provider region makes every resource behind it unknown, never a guess
    assert (instance["region"], instance["regionSource"]) == ("unknown", "provider")
    # ... and so are the zones of that provider: not those of the configured aws:region
    assert instance["inputs"]["availabilityZone"] == "unknown"
    audit = resource(without_outputs, "aws:s3/bucket:Bucket", "audit")
    assert (chosen_inputs(audit), audit["unknowns"]) == ({"region": UNKNOWN}, ["region"])
    assert (audit["region"], audit["regionSource"]) == ("unknown", "resource")
    assert without_outputs["outputs"] == {"dbPassword": UNKNOWN, "firstSubnet": UNKNOWN, "vpcId": UNKNOWN}


def test_without_outputs_there_are_warnings(without_outputs):
    assert warnings(without_outputs) == [
        "invoke aws:index/getAvailabilityZones:getAvailabilityZones goes to a provider whose region is not known "
        "before deploy; its region-specific values read 'unknown'",
        "stack reference 'org/network/prod' has no outputs file entry; its outputs are unknown "
        "(pass them with --stack-outputs FILE)",
    ]
    reference_urn = resource(without_outputs, REFERENCE, "org/network/prod")["urn"]
    assert [d for d in without_outputs["diagnostics"] if d.get("urn") == reference_urn] == [{
        "severity": "warning",
        "urn": reference_urn,
        "message": "stack reference 'org/network/prod' has no outputs file entry; its outputs are unknown "
                   "(pass them with --stack-outputs FILE)",
    }]
