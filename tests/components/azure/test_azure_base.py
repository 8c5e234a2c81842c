"""Every Azure component runs on an explicit provider and resource group pinned to a UAE location."""
from __future__ import annotations

import pulumi_azure_native as azure_native
import pytest

from sahab.components.azure import AzureComponent, UaeAzureProvider, UaeResourceGroup
from sahab.components.validation import ComponentInputError
from sahab.testing import assert_azure_pinned_and_contained, attempt_plan, one_of_type, plan_resources

VNET = "azure-native:network:VirtualNetwork"
GROUP = "azure-native:resources:ResourceGroup"


class _Probe(AzureComponent):
    """A minimal component: one child VNet in the component's group."""

    def __init__(self, name, **placement):
        super().__init__("sahab:test:Probe", name, **placement)
        azure_native.network.VirtualNetwork(
            name, resource_group_name=self.resource_group_name, location=self.location,
            address_space=azure_native.network.AddressSpaceArgs(address_prefixes=["10.0.0.0/16"]), opts=self.child_opts(),
        )
        self.register_outputs({})


def test_component_creates_a_pinned_provider_and_group_that_children_use():
    resources = plan_resources(lambda: _Probe("probe"))
    assert_azure_pinned_and_contained(resources, "sahab:test:Probe")
    group = one_of_type(resources, GROUP)
    assert group["inputs"]["location"] == "uaenorth"
    assert one_of_type(resources, VNET)["inputs"]["location"] == "uaenorth"
    assert one_of_type(resources, VNET)["propertyDependencies"]["resourceGroupName"] == [group["urn"]]


@pytest.mark.parametrize("given", ["uaecentral", "UAE Central"])
def test_uaecentral_is_carried_by_provider_group_and_resources(given):
    resources = plan_resources(lambda: _Probe("probe", location=given))
    assert_azure_pinned_and_contained(resources, "sahab:test:Probe", location="uaecentral")


def test_callers_provider_and_shared_group_are_used():
    def program():
        provider = UaeAzureProvider("shared", location="uaenorth")
        group = UaeResourceGroup("platform", provider=provider)
        _Probe("probe", provider=provider, resource_group=group)

    resources = plan_resources(program)
    provider = one_of_type(resources, "pulumi:providers:azure-native")
    group = one_of_type(resources, GROUP)  # no second group was created
    assert provider["name"] == "shared" and group["name"] == "platform"
    assert group["provider"] == provider["urn"] and group["inputs"]["location"] == "uaenorth"
    vnet = one_of_type(resources, VNET)
    assert vnet["provider"] == provider["urn"]
    assert vnet["propertyDependencies"]["resourceGroupName"] == [group["urn"]]


@pytest.mark.parametrize("location", ["westeurope", "qatarcentral", "", None])
def test_non_uae_location_is_refused_before_any_resource(location):
    resources, error = attempt_plan(lambda: _Probe("probe", location=location))
    assert isinstance(error, ComponentInputError)
    assert str(error) == "Probe: region %r is outside the UAE; sahab pins Azure resources to uaenorth, uaecentral" % location
    assert resources == []


def test_plain_azure_provider_is_refused_before_anything_registers():
    def program():
        _Probe("probe", provider=azure_native.Provider("plain", location="uaenorth"))

    resources, error = attempt_plan(program)
    assert str(error).startswith("Probe: provider must be a sahab UaeAzureProvider (its location is checked); got Provider.")
    assert [r["type"] for r in resources] == ["pulumi:providers:azure-native"]  # only the caller's own provider


def test_provider_in_the_other_uae_location_is_refused():
    def program():
        _Probe("probe", provider=UaeAzureProvider("central", location="uaecentral"), location="uaenorth")

    resources, error = attempt_plan(program)
    assert str(error) == "Probe: provider is pinned to uaecentral but location=uaenorth was requested"
    assert [r["name"] for r in resources] == ["central"]


def test_plain_resource_group_is_refused():
    def program():
        provider = UaeAzureProvider("uae")
        group = azure_native.resources.ResourceGroup("plain", location="westeurope", opts=None)
        _Probe("probe", provider=provider, resource_group=group)

    resources, error = attempt_plan(program)
    assert str(error).startswith(
        "Probe: resource_group must be a sahab UaeResourceGroup (its location is checked); got ResourceGroup."
    )
    assert not any(r["type"] == "sahab:test:Probe" or r["type"] == VNET for r in resources)


def test_group_in_the_other_location_is_refused():
    def program():
        group = UaeResourceGroup("central", provider=UaeAzureProvider("central", location="uaecentral"))
        _Probe("probe", resource_group=group)

    resources, error = attempt_plan(program)
    assert str(error) == "Probe: resource_group is in uaecentral but location=uaenorth was requested"
    assert not any(r["type"] == "sahab:test:Probe" for r in resources)


def test_uae_provider_and_group_refuse_what_they_cannot_check():
    resources, error = attempt_plan(lambda: UaeAzureProvider("p", location="eastus"))
    assert str(error) == "UaeAzureProvider: region 'eastus' is outside the UAE; sahab pins Azure resources to uaenorth, uaecentral"
    assert resources == []
    resources, error = attempt_plan(lambda: UaeResourceGroup("g", provider=azure_native.Provider("plain")))
    assert str(error) == "UaeResourceGroup: provider must be a sahab UaeAzureProvider (its location is checked); got Provider"
    assert [r["type"] for r in resources] == ["pulumi:providers:azure-native"]
