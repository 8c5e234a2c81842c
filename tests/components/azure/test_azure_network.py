"""Network: NSGs deny the internet inbound, no implicit outbound, private DNS zones for the endpoints."""
from __future__ import annotations

import ipaddress

import pytest

from sahab.components.azure import Network, NetworkArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import assert_azure_pinned_and_contained, attempt_plan, plan_resources, resources_of_type

COMPONENT = "sahab:azure:Network"
SUBNET = "azure-native:network:Subnet"
NSG = "azure-native:network:NetworkSecurityGroup"
ZONE = "azure-native:privatedns:PrivateZone"
LINK = "azure-native:privatedns:VirtualNetworkLink"


@pytest.fixture(scope="module")
def plan():
    return plan_resources(lambda: Network("ml"))


def test_everything_is_pinned_to_uaenorth_and_inside_the_component(plan):
    assert_azure_pinned_and_contained(plan, COMPONENT)


def test_every_subnet_has_an_nsg_denying_internet_inbound_first(plan):
    nsgs = resources_of_type(plan, NSG)
    assert len(nsgs) == 4
    for nsg in nsgs:
        rules = nsg["inputs"]["securityRules"]
        assert len(rules) == 1
        rule = rules[0]
        assert (rule["direction"], rule["access"], rule["sourceAddressPrefix"], rule["destinationPortRange"], rule["protocol"]) == (
            "Inbound", "Deny", "Internet", "*", "*")
        assert rule["priority"] == 100
    subnets = resources_of_type(plan, SUBNET)
    nsg_urns = {n["urn"] for n in nsgs}
    for subnet in subnets:
        assert subnet["inputs"]["defaultOutboundAccess"] is False
        [source] = subnet["propertyDependencies"]["networkSecurityGroup"]
        assert source in nsg_urns


def test_subnets_split_the_address_space_without_overlap(plan):
    subnets = {s["name"]: s["inputs"] for s in resources_of_type(plan, SUBNET)}
    assert {name: s["addressPrefix"] for name, s in subnets.items()} == {
        "ml-nodes": "10.0.0.0/17", "ml-endpoints": "10.0.128.0/19", "ml-database": "10.0.160.0/19",
        "ml-apiserver": "10.0.192.0/22"}
    nets = [ipaddress.ip_network(s["addressPrefix"]) for s in subnets.values()]
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])
    assert subnets["ml-database"]["delegations"] == [{"name": "database", "serviceName": "Microsoft.DBforPostgreSQL/flexibleServers"}]
    # API Server VNet Integration: a subnet of its own, delegated to AKS, and nothing else delegated.
    assert subnets["ml-apiserver"]["delegations"] == [{"name": "apiserver", "serviceName": "Microsoft.ContainerService/managedClusters"}]
    assert sorted(name for name, s in subnets.items() if s.get("delegations")) == ["ml-apiserver", "ml-database"]
    assert subnets["ml-endpoints"]["privateEndpointNetworkPolicies"] == "Enabled"


def test_private_dns_zones_are_linked_without_auto_registration(plan):
    zones = {z["inputs"]["privateZoneName"] for z in resources_of_type(plan, ZONE)}
    assert zones == {"privatelink.blob.core.windows.net", "privatelink.vaultcore.azure.net", "privatelink.azurecr.io",
                     "privatelink.uaenorth.azmk8s.io", "private.postgres.database.azure.com"}
    links = resources_of_type(plan, LINK)
    assert len(links) == 5
    assert all(link["inputs"]["registrationEnabled"] is False and link["inputs"]["location"] == "global" for link in links)


def test_no_public_ip_or_internet_gateway_is_created(plan):
    assert not [r for r in plan if r["type"] in ("azure-native:network:PublicIPAddress", "azure-native:network:NatGateway")]


def test_uaecentral_names_its_own_aks_zone():
    resources = plan_resources(lambda: Network("ml", NetworkArgs(location="uaecentral")))
    assert_azure_pinned_and_contained(resources, COMPONENT, location="uaecentral")
    assert "privatelink.uaecentral.azmk8s.io" in {z["inputs"]["privateZoneName"] for z in resources_of_type(resources, ZONE)}


def test_private_link_of_an_unknown_service_is_refused():
    def program():
        Network("ml").private_link("cosmos")

    _, error = attempt_plan(program)
    assert str(error) == "Network: no private DNS zone for 'cosmos'; choose one of: aks, blob, postgres, registry, vault"


def test_the_smallest_address_space_still_gives_the_api_server_a_28():
    """AKS needs at least a /28 for API Server VNet Integration; a /22 VNet is the smallest allowed."""
    resources = plan_resources(lambda: Network("ml", NetworkArgs(address_space="10.1.4.0/22")))
    prefixes = {s["name"]: s["inputs"]["addressPrefix"] for s in resources_of_type(resources, SUBNET)}
    assert prefixes["ml-apiserver"] == "10.1.7.0/28"


@pytest.mark.parametrize("name, args, message", [
    ("", NetworkArgs(), "Network: name must be a non-empty string"),
    ("ml", NetworkArgs(location="eastus"), "Network: region 'eastus' is outside the UAE; sahab pins Azure resources to uaenorth, uaecentral"),
    ("ml", NetworkArgs(address_space="8.8.0.0/16"), "Network: address_space '8.8.0.0/16' must be a private (RFC 1918) range"),
    ("ml", NetworkArgs(address_space="10.0.0.0/8"), "Network: address_space '10.0.0.0/8' must be an IPv4 network from /16 to /22"),
    ("ml", NetworkArgs(address_space="10.0.0.1/16"), "Network: address_space '10.0.0.1/16' is not an IPv4 network such as 10.0.0.0/16"),
])
def test_bad_input_is_refused_before_any_resource(name, args, message):
    resources, error = attempt_plan(lambda: Network(name, args))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []
