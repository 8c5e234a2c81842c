"""Every AWS component runs on an explicit provider pinned to me-central-1."""
from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from sahab.components.aws import AwsComponent, UaeProvider
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources


class _Probe(AwsComponent):
    """A minimal component: one child bucket."""

    def __init__(self, name, provider=None, region="me-central-1"):
        super().__init__("sahab:test:Probe", name, provider=provider, region=region)
        aws.s3.Bucket(name, opts=self.child_opts())
        self.register_outputs({})


def test_component_creates_a_pinned_provider_and_children_use_it():
    resources = plan_resources(lambda: _Probe("probe"))
    provider = one_of_type(resources, "pulumi:providers:aws")
    assert provider["inputs"]["region"] == "me-central-1"
    bucket = one_of_type(resources, "aws:s3/bucket:Bucket")
    component = one_of_type(resources, "sahab:test:Probe")
    assert bucket["provider"] == provider["urn"]
    assert bucket["parent"] == component["urn"]
    assert {r["region"] for r in resources} == {"me-central-1"}


def test_component_uses_the_callers_provider():
    def program():
        _Probe("probe", provider=UaeProvider("shared"))

    resources = plan_resources(program)
    provider = one_of_type(resources, "pulumi:providers:aws")
    assert provider["name"] == "shared"
    assert one_of_type(resources, "aws:s3/bucket:Bucket")["provider"] == provider["urn"]


def test_plain_aws_provider_is_refused_before_anything_registers():
    def program():
        provider = aws.Provider("plain", region="me-central-1")
        _Probe("probe", provider=provider)

    resources, error = attempt_plan(program)
    assert isinstance(error, ComponentInputError)
    assert str(error).startswith("Probe: provider must be a sahab UaeProvider (its region is checked); got Provider.")
    assert [r["type"] for r in resources] == ["pulumi:providers:aws"]  # only the caller's own provider


@pytest.mark.parametrize("region", ["eu-west-1", "me-south-1", ""])
def test_non_uae_region_is_refused_before_any_resource(region):
    resources, error = attempt_plan(lambda: _Probe("probe", region=region))
    assert isinstance(error, ComponentInputError)
    assert str(error) == "Probe: region %r is outside the UAE; sahab pins AWS resources to me-central-1" % region
    assert resources == []


def test_uae_provider_refuses_other_regions():
    resources, error = attempt_plan(lambda: UaeProvider("p", region="us-east-1"))
    assert str(error) == "UaeProvider: region 'us-east-1' is outside the UAE; sahab pins AWS resources to me-central-1"
    assert resources == []


def test_default_tags_reach_the_provider():
    resources = plan_resources(lambda: UaeProvider("p", default_tags={"team": "ml"}))
    tags = one_of_type(resources, "pulumi:providers:aws")["inputs"]["defaultTags"]
    # Provider configuration reaches the engine JSON-encoded, as Pulumi sends it to the provider.
    assert json.loads(tags) == {"tags": {"team": "ml"}}
