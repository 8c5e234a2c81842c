"""Provider functions: answered with values shaped like the SDK's Get…Result types."""
from __future__ import annotations

import pytest

from planner_helpers import UNKNOWN, assert_valid, plan, resource, warnings


@pytest.fixture(scope="module")
def doc():
    return plan("invokes")


def test_document_is_valid(doc):
    assert_valid(doc)


def test_well_known_lookups(doc):
    outputs = doc["outputs"]
    assert outputs["accountId"] == "123456789012"
    assert outputs["region"] == "me-central-1"
    assert outputs["dnsSuffix"] == "amazonaws.com"
    assert outputs["amiId"] == "ami-0123456789abcdef0"
    assert outputs["amiArchitecture"] == "x86_64"


def test_result_shapes(doc):
    """Lists are lists, numbers numbers, booleans booleans."""
    outputs = doc["outputs"]
    assert outputs["zoneNames"] == ["me-central-1a", "me-central-1b", "me-central-1c"]
    assert outputs["zoneCount"] == 3 and isinstance(outputs["zoneCount"], int)
    assert outputs["uaeZones"] == ["me-central-1a", "me-central-1b", "me-central-1c"]
    assert outputs["defaultVpcIsDefault"] is True  # echoed from get_vpc(default=True)
    assert isinstance(outputs["defaultVpcCidr"], str)
    associations = outputs["defaultVpcAssociations"]
    assert isinstance(associations, list) and len(associations) == 1
    assert set(associations[0]) == {"association_id", "cidr_block", "state"}


def test_lookup_region_follows_its_own_argument(doc):
    """pulumi-aws v7: get_availability_zones(region=...) answers for that region, minus exclusions."""
    assert doc["outputs"]["irelandZones"] == ["eu-west-1a", "eu-west-1b"]


def test_answers_feed_resources(doc):
    server = resource(doc, "aws:ec2/instance:Instance", "web")
    assert server["inputs"] == {
        "ami": "ami-0123456789abcdef0",
        "availabilityZone": "me-central-1a",
        "instanceType": "t3.micro",
        "tags": {"Account": "123456789012", "Partition": "aws"},
    }
    assert server["unknowns"] == []
    subnet = resource(doc, "aws:ec2/subnet:Subnet", "in-default-vpc")
    assert subnet["inputs"]["availabilityZone"] == "me-central-1b"  # names[1] of the output form
    assert isinstance(subnet["inputs"]["vpcId"], str) and isinstance(subnet["inputs"]["cidrBlock"], str)


def test_placeholder_answer_is_reported(doc):
    assert "invoke aws:ec2/getVpc:getVpc answered with placeholder values shaped like GetVpcResult" in warnings(doc)


def test_output_lookup_with_unknown_arguments_is_unknown(doc):
    assert doc["outputs"]["subnetVpcCidr"] == UNKNOWN


def test_unknown_function_is_unknown_with_a_warning(doc):
    assert doc["outputs"]["widget"] == UNKNOWN
    assert "invoke acme:index/getWidget:getWidget is not known to the planner; its result is unknown" in warnings(doc)


def test_provider_method_call_is_unknown_with_a_warning(doc):
    """Provider.terraform_config() is a method call (Call RPC): unknown, not a crash."""
    assert doc["outputs"]["providerConfig"] == UNKNOWN
    assert "method pulumi:providers:aws/terraformConfig is not run by the planner; its result is unknown" in warnings(doc)


def test_no_other_warnings(doc):
    assert sorted(warnings(doc)) == [
        "invoke acme:index/getWidget:getWidget is not known to the planner; its result is unknown",
        "invoke aws:ec2/getVpc:getVpc answered with placeholder values shaped like GetVpcResult",
        "method pulumi:providers:aws/terraformConfig is not run by the planner; its result is unknown",
    ]
