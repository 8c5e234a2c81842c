"""awsx.ec2.Vpc planned offline by the awsx provider plugin, built from awsx's own source (issue 16).

The programs are written as awsx's docs write them (``awsx.ec2.Vpc("vpc")``, and one with a single
NAT gateway and explicit subnet specs) against the pulumi-awsx 3.8.0 Python SDK. The plugin is
``pulumi-resource-awsx`` v3.8.0 compiled from pulumi/pulumi-awsx's ``awsx/`` folder at tag v3.8.0
(:mod:`awsx_plugin`; vendored in ``tests/fixtures/plugins/awsx-3.8.0``) and installed in a Pulumi
home as ``pulumi plugin install`` would: the planner finds it by version, starts it in the sandbox
and its children register with the planning monitor, as for a user who has the released plugin.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import pytest

from awsx_plugin import SOURCE, pulumi_home
from node_projects import CACHE, children, gate, python_project
from planner_helpers import assert_valid, resource

PROJECT = "urn:pulumi:dev::awsx-vpc::"
VPC_URN = PROJECT + "awsx:ec2:Vpc::vpc"
ZONES = ["me-central-1a", "me-central-1b", "me-central-1c"]  # me-central-1's three zones (mec1-az1..3)
# The default aws provider of the @pulumi/aws the plugin is built with (7.38.0, awsx 3.8.0's exact pin).
PROVIDER = "pulumi:providers:aws::default_7_38_0"
LINE = {"file": "__main__.py", "line": 5}  # the program line of awsx.ec2.Vpc(...)


@pytest.fixture(scope="module")
def installed() -> Path:
    """PULUMI_HOME holding resource-awsx-v3.8.0 for this module (and the gate's child processes)."""
    patch = pytest.MonkeyPatch()
    home = pulumi_home()
    patch.setenv("PULUMI_HOME", str(home))
    patch.setenv("SAHAB_CACHE_DIR", str(CACHE))
    yield home
    patch.undo()


@pytest.fixture(scope="module")
def vpc_project(tmp_path_factory, installed) -> Path:
    return python_project(tmp_path_factory, "awsx_vpc")


@pytest.fixture(scope="module")
def vpc_plan(vpc_project) -> Dict[str, Any]:
    from sahab.planner import plan_project

    return plan_project(vpc_project, "dev")


@pytest.fixture(scope="module")
def single_project(tmp_path_factory, installed) -> Path:
    return python_project(tmp_path_factory, "awsx_vpc_single_nat")


@pytest.fixture(scope="module")
def single_plan(single_project) -> Dict[str, Any]:
    from sahab.planner import plan_project

    return plan_project(single_project, "dev")


def _kinds(doc: Dict[str, Any], urn: str) -> Dict[str, List[str]]:
    """The names below ``urn`` by the last part of their type (``Subnet``: [...]), sorted."""
    found: Dict[str, List[str]] = {}
    for item in children(doc, urn):
        found.setdefault(item["type"].rsplit(":", 1)[1], []).append(item["name"])
    return {kind: sorted(names) for kind, names in found.items()}


def _numbered(*prefixes: str, count: int = 3) -> List[str]:
    return sorted("%s%d" % (prefix, i) for prefix in prefixes for i in range(1, count + 1))


# -- defaults: awsx.ec2.Vpc("vpc") --------------------------------------------------------------

def test_vpc_is_constructed_by_the_installed_awsx_plugin(vpc_plan, installed):
    assert_valid(vpc_plan)
    vpc = resource(vpc_plan, "awsx:ec2:Vpc", "vpc")
    assert vpc["opaque"] is False
    launcher = installed / "plugins" / "resource-awsx-v3.8.0" / "pulumi-resource-awsx"
    assert launcher.read_bytes() == (SOURCE / "pulumi-resource-awsx").read_bytes()  # awsx's own launcher ran
    assert vpc["expanded"] == {
        "by": "plugin", "package": "awsx", "version": "3.8.0", "plugin": "pulumi-resource-awsx",
        "executableDigest": "sha256:" + hashlib.sha256(launcher.read_bytes()).hexdigest(), "objects": 32,
    }


def test_vpc_defaults_give_public_and_private_subnets_route_tables_and_nat_per_zone(vpc_plan):
    assert _kinds(vpc_plan, VPC_URN) == {
        "Vpc": ["vpc"],
        "InternetGateway": ["vpc"],
        "Subnet": _numbered("vpc-private-", "vpc-public-"),
        "RouteTable": _numbered("vpc-private-", "vpc-public-"),
        "RouteTableAssociation": _numbered("vpc-private-", "vpc-public-"),
        "Route": _numbered("vpc-private-", "vpc-public-"),
        "NatGateway": _numbered("vpc-"),  # awsx's default strategy: one per zone...
        "Eip": _numbered("vpc-"),  # ...each with its elastic IP
    }
    assert resource(vpc_plan, "aws:ec2/vpc:Vpc", "vpc")["inputs"] == {"cidrBlock": "10.0.0.0/16", "tags": {"Name": "vpc"}}


def test_subnets_are_spread_over_the_uae_zones_the_monitor_answers(vpc_plan):
    layout = {}
    for item in children(vpc_plan, VPC_URN):
        if item["type"] == "aws:ec2/subnet:Subnet":
            inputs = item["inputs"]
            layout[item["name"]] = (inputs["availabilityZone"], inputs["cidrBlock"], inputs["mapPublicIpOnLaunch"])
    # awsx's legacy layout: per zone a /19 private and a /20 public subnet; public ones map public IPs.
    assert layout == {
        "vpc-private-1": (ZONES[0], "10.0.0.0/19", False), "vpc-public-1": (ZONES[0], "10.0.32.0/20", True),
        "vpc-private-2": (ZONES[1], "10.0.64.0/19", False), "vpc-public-2": (ZONES[1], "10.0.96.0/20", True),
        "vpc-private-3": (ZONES[2], "10.0.128.0/19", False), "vpc-public-3": (ZONES[2], "10.0.160.0/20", True),
    }
    # The zone names are facts of me-central-1, not invented: the plan carries no diagnostic about them.
    assert not [d for d in vpc_plan["diagnostics"] if "getAvailabilityZones" in json.dumps(d)]


def test_zones_outside_the_uae_are_flagged_as_invented(tmp_path_factory, installed):
    from sahab.planner import plan_project

    project = python_project(tmp_path_factory, "awsx_vpc")
    (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n", encoding="utf-8")
    doc = plan_project(project, "dev")
    zones = {item["inputs"]["availabilityZone"] for item in children(doc, VPC_URN) if item["type"] == "aws:ec2/subnet:Subnet"}
    assert zones == {"eu-west-1a", "eu-west-1b", "eu-west-1c"}
    notes = [d["message"] for d in doc["diagnostics"] if "getAvailabilityZones" in d["message"]]
    assert notes == ["invoke aws:index/getAvailabilityZones:getAvailabilityZones answered with invented values that "
                     "look real (names, zoneIds): nothing in the plan may rely on them"]


def test_nat_gateways_sit_in_public_subnets_and_private_routes_use_them(vpc_plan):
    for i in (1, 2, 3):
        nat = resource(vpc_plan, "aws:ec2/natGateway:NatGateway", "vpc-%d" % i)
        assert nat["parent"] == resource(vpc_plan, "aws:ec2/subnet:Subnet", "vpc-public-%d" % i)["urn"]
        private = resource(vpc_plan, "aws:ec2/route:Route", "vpc-private-%d" % i)
        public = resource(vpc_plan, "aws:ec2/route:Route", "vpc-public-%d" % i)
        assert (private["inputs"]["destinationCidrBlock"], set(private["unknowns"])) == ("0.0.0.0/0", {"natGatewayId", "routeTableId"})
        assert (public["inputs"]["destinationCidrBlock"], set(public["unknowns"])) == ("0.0.0.0/0", {"gatewayId", "routeTableId"})


def test_every_child_has_the_stack_region_the_default_provider_and_the_program_line(vpc_plan):
    below = children(vpc_plan, VPC_URN)
    assert len(below) == 32
    for item in below:
        assert item["urn"].startswith(PROJECT + "awsx:ec2:Vpc$"), item["urn"]
        assert (item["region"], item["regionSource"]) == ("me-central-1", "provider"), item["urn"]
        assert item["provider"] == PROJECT + PROVIDER, item["urn"]
        assert item["source"] == LINE, item["urn"]
    provider = next(item for item in vpc_plan["resources"] if item["urn"] == PROJECT + PROVIDER)
    assert provider["inputs"]["region"] == "me-central-1"  # the engine's default provider, from the stack's aws:region


def test_vpc_plans_are_byte_identical(vpc_project, vpc_plan):
    from sahab.planner import plan_project
    from sahab.planner.document import dumps

    assert dumps(plan_project(vpc_project, "dev")) == dumps(vpc_plan)


# -- one NAT gateway, explicit subnet specs ------------------------------------------------------

def test_single_nat_strategy_with_explicit_subnet_specs(single_plan):
    assert_valid(single_plan)
    urn = "urn:pulumi:dev::awsx-vpc-single-nat::awsx:ec2:Vpc::vpc"
    assert resource(single_plan, "awsx:ec2:Vpc", "vpc")["expanded"]["objects"] == 20
    kinds = _kinds(single_plan, urn)
    assert (kinds["NatGateway"], kinds["Eip"]) == (["vpc-1"], ["vpc-1"])
    assert kinds["Subnet"] == kinds["RouteTable"] == kinds["Route"] == _numbered("vpc-private-", "vpc-public-", count=2)
    subnets = {item["name"]: (item["inputs"]["availabilityZone"], item["inputs"]["cidrBlock"])
               for item in children(single_plan, urn) if item["type"] == "aws:ec2/subnet:Subnet"}
    # awsx's "Auto" strategy: the /16 split into one /17 per zone, each holding the specs' /22 public and /20 private.
    assert subnets == {
        "vpc-public-1": (ZONES[0], "10.0.0.0/22"), "vpc-private-1": (ZONES[0], "10.0.16.0/20"),
        "vpc-public-2": (ZONES[1], "10.0.128.0/22"), "vpc-private-2": (ZONES[1], "10.0.144.0/20"),
    }
    nat = resource(single_plan, "aws:ec2/natGateway:NatGateway", "vpc-1")
    assert nat["parent"] == resource(single_plan, "aws:ec2/subnet:Subnet", "vpc-public-1")["urn"]
    assert {(item["region"], item["source"]["line"]) for item in children(single_plan, urn)} == {("me-central-1", 5)}


# -- the gate --------------------------------------------------------------------------------

HAND_WRITTEN = '''
import pulumi_aws as aws
vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags={"Name": "vpc"})
igw = aws.ec2.InternetGateway("vpc", vpc_id=vpc.id, tags={"Name": "vpc"})
public = aws.ec2.Subnet("vpc-public-1", vpc_id=vpc.id, availability_zone="me-central-1a", cidr_block="10.0.32.0/20",
                        map_public_ip_on_launch=True, tags={"Name": "vpc-public-1", "SubnetType": "Public"})
private = aws.ec2.Subnet("vpc-private-1", vpc_id=vpc.id, availability_zone="me-central-1a", cidr_block="10.0.0.0/19",
                         map_public_ip_on_launch=False, tags={"Name": "vpc-private-1", "SubnetType": "Private"})
eip = aws.ec2.Eip("vpc-1", domain="vpc", tags={"Name": "vpc-1"})
nat = aws.ec2.NatGateway("vpc-1", subnet_id=public.id, allocation_id=eip.id, tags={"Name": "vpc-1"})
table = aws.ec2.RouteTable("vpc-private-1", vpc_id=vpc.id, tags={"Name": "vpc-private-1"})
aws.ec2.RouteTableAssociation("vpc-private-1", route_table_id=table.id, subnet_id=private.id)
aws.ec2.Route("vpc-private-1", route_table_id=table.id, destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)
'''


def _findings(report: Dict[str, Any]) -> Dict[Tuple[str, str], Set[Tuple[str, str]]]:
    """(resource type, name) -> {(rule, status)} of a gate's JSON report."""
    found: Dict[Tuple[str, str], Set[Tuple[str, str]]] = {}
    for finding in report["findings"]:
        key = (finding.get("resource_type") or "", finding["urn"].rsplit("::", 1)[-1])
        found.setdefault(key, set()).add((finding["rule_id"], finding["status"]))
    return found


def test_gate_reports_on_the_vpc_children_what_it_reports_on_hand_written_equivalents(vpc_project, tmp_path):
    from program_projects import write_project

    report = json.loads(gate(vpc_project).stdout)
    public_ip = [f for f in report["findings"] if f["rule_id"] == "SAHAB-NET-003"]
    # awsx's public subnets map public IPs on launch: reported at the program line of the Vpc.
    assert sorted((f["status"], f["urn"].rsplit("::", 1)[-1], f["file"], f["line"]) for f in public_ip) == [
        ("violation", "vpc-public-%d" % i, "__main__.py", 5) for i in (1, 2, 3)]
    assert public_ip[0]["urn"].startswith(PROJECT + "awsx:ec2:Vpc$aws:ec2/vpc:Vpc$aws:ec2/subnet:Subnet::")
    assert not [f for f in report["findings"] if f["rule_id"] == "SAHAB-PLN-001"]  # nothing left unchecked
    hand = _findings(json.loads(gate(write_project(tmp_path / "hand", HAND_WRITTEN, name="awsx-vpc")).stdout))
    constructed = _findings(report)
    assert len(hand) == 9 and ("aws:ec2/subnet:Subnet", "vpc-public-1") in hand
    assert {key: constructed.get(key) for key in hand} == hand
