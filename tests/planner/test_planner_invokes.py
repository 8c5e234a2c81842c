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
    # wire names, as the SDK registers a stack output of an output type
    assert set(associations[0]) == {"associationId", "cidrBlock", "state"}


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


def test_output_form_of_a_placeholder_lookup_is_unknown(doc):
    """get_secret_version_output(...).secret_string.apply(json.loads): the apply is skipped (no crash on a
    placeholder), and what the program derived from it is unknown in the plan."""
    database = resource(doc, "aws:rds/instance:Instance", "registry")
    assert database["inputs"]["username"] == UNKNOWN
    assert "username" in database["unknowns"]
    assert ("invoke aws:secretsmanager/getSecretVersion:getSecretVersion (output form) is unknown before deploy: the "
            "planner does not make up its result, so what the program derives from it is unknown") in warnings(doc)


def test_invented_values_that_look_real_are_reported(doc):
    """An account id, an AMI id, zones outside the UAE: answered (the plain form must return a value),
    and every such answer names the invented fields."""
    assert ("invoke aws:index/getCallerIdentity:getCallerIdentity answered with invented values that look real "
            "(accountId, arn, userId, id): nothing in the plan may rely on them") in warnings(doc)
    assert ("invoke aws:ec2/getAmi:getAmi answered with invented values that look real "
            "(id, imageId, name, architecture): nothing in the plan may rely on them") in warnings(doc)
    assert ("invoke aws:index/getAvailabilityZones:getAvailabilityZones answered with invented values that look "
            "real (names, zoneIds): nothing in the plan may rely on them") in warnings(doc)  # eu-west-1


def test_uae_zones_are_facts_not_invented(doc):
    """The UAE zones come from the region catalogue: the me-central-1 lookups carry no invented-values note."""
    assert doc["outputs"]["uaeZones"] == ["me-central-1a", "me-central-1b", "me-central-1c"]
    zone_notes = [w for w in warnings(doc) if "getAvailabilityZones" in w]
    assert len(zone_notes) == 1  # the eu-west-1 lookup only


def test_no_other_warnings(doc):
    assert sorted(warnings(doc)) == sorted([
        "invoke acme:index/getWidget:getWidget is not known to the planner; its result is unknown",
        "invoke aws:ec2/getVpc:getVpc answered with placeholder values shaped like GetVpcResult",
        "method pulumi:providers:aws/terraformConfig is not run by the planner; its result is unknown",
        "invoke aws:secretsmanager/getSecretVersion:getSecretVersion (output form) is unknown before deploy: the "
        "planner does not make up its result, so what the program derives from it is unknown",
        "invoke aws:index/getCallerIdentity:getCallerIdentity answered with invented values that look real "
        "(accountId, arn, userId, id): nothing in the plan may rely on them",
        "invoke aws:ec2/getAmi:getAmi answered with invented values that look real "
        "(id, imageId, name, architecture): nothing in the plan may rely on them",
        "invoke aws:index/getAvailabilityZones:getAvailabilityZones answered with invented values that look "
        "real (names, zoneIds): nothing in the plan may rely on them",
    ])
