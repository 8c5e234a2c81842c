"""Network: private subnets, no internet path by default, endpoints, locked default SG, flow logs."""
from __future__ import annotations

import ipaddress
import json

import pulumi_aws as aws
import pytest

from sahab.components.aws import UaeProvider
from sahab.components.aws.network import Network, NetworkArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import assert_pinned_and_contained, attempt_plan, one_of_type, plan_resources, resources_of_type

REGION = "me-central-1"
ZONES = ["me-central-1a", "me-central-1b", "me-central-1c"]
LOGS_KEY = "arn:aws:kms:me-central-1:123456789012:key/0b5c8a3e-1111-2222-3333-444455556666"
COMPONENT = "sahab:aws:Network"
SUBNET = "aws:ec2/subnet:Subnet"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
INTERNET_TYPES = ("aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip",
                  "aws:ec2/route:Route", "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway")


def _network(**overrides):
    return Network("ml", NetworkArgs(flow_log_kms_key_arn=LOGS_KEY, **overrides))


@pytest.fixture(scope="module")
def plan():
    return plan_resources(lambda: _network())


@pytest.fixture(scope="module")
def nat_plan():
    return plan_resources(lambda: _network(egress="nat"))



def _private_subnets(resources):
    return [s for s in resources_of_type(resources, SUBNET) if s["inputs"]["tags"]["sahab:tier"] == "private"]


def test_every_resource_is_pinned_and_inside_the_component(plan, nat_plan):
    assert_pinned_and_contained(plan, COMPONENT)
    assert_pinned_and_contained(nat_plan, COMPONENT)


def test_callers_uae_provider_is_used():
    resources = plan_resources(lambda: Network("ml", NetworkArgs(flow_log_kms_key_arn=LOGS_KEY, provider=UaeProvider("uae"))))
    assert one_of_type(resources, "pulumi:providers:aws")["name"] == "uae"
    assert_pinned_and_contained(resources, COMPONENT)


def test_vpc_resolves_dns_privately(plan):
    vpc = one_of_type(plan, "aws:ec2/vpc:Vpc")["inputs"]
    assert vpc["enableDnsSupport"] is True and vpc["enableDnsHostnames"] is True
    assert vpc["cidrBlock"] == "10.0.0.0/16"
    assert vpc["tags"]["sahab:egress"] == "none"
    assert "sahab:exception" not in vpc["tags"]


def test_one_private_subnet_per_zone_without_public_ips(plan):
    subnets = resources_of_type(plan, SUBNET)
    assert sorted(s["inputs"]["availabilityZone"] for s in subnets) == ZONES
    vpc_net = ipaddress.ip_network("10.0.0.0/16")
    nets = [ipaddress.ip_network(s["inputs"]["cidrBlock"]) for s in subnets]
    for subnet, net in zip(subnets, nets):
        assert subnet["inputs"]["mapPublicIpOnLaunch"] is False
        assert subnet["inputs"]["tags"]["sahab:tier"] == "private"
        assert net.subnet_of(vpc_net)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])


def test_default_has_no_internet_path(plan):
    for type_token in INTERNET_TYPES:
        assert resources_of_type(plan, type_token) == [], type_token
    for table in resources_of_type(plan, "aws:ec2/routeTable:RouteTable"):
        assert not table["inputs"].get("routes")


def test_nat_egress_is_an_explicit_visible_exception(nat_plan):
    vpc = one_of_type(nat_plan, "aws:ec2/vpc:Vpc")["inputs"]
    assert vpc["tags"]["sahab:egress"] == "nat"
    assert vpc["tags"]["sahab:exception"] == "internet-egress-via-nat"
    gateway = one_of_type(nat_plan, "aws:ec2/internetGateway:InternetGateway")
    assert gateway["inputs"]["tags"]["sahab:exception"] == "internet-egress-via-nat"
    nats = resources_of_type(nat_plan, "aws:ec2/natGateway:NatGateway")
    assert len(nats) == len(ZONES)
    assert all(n["inputs"]["tags"]["sahab:exception"] == "internet-egress-via-nat" for n in nats)
    nat_subnets = [s for s in resources_of_type(nat_plan, SUBNET) if s["inputs"]["tags"]["sahab:tier"] == "nat-only"]
    assert len(nat_subnets) == len(ZONES)
    # NAT gateways live only in the NAT-only subnets; nothing there gets a public IP either.
    nat_subnet_urns = {s["urn"] for s in nat_subnets}
    assert all(set(n["propertyDependencies"]["subnetId"]) <= nat_subnet_urns for n in nats)
    assert all(s["inputs"]["mapPublicIpOnLaunch"] is False for s in resources_of_type(nat_plan, SUBNET))
    routes = resources_of_type(nat_plan, "aws:ec2/route:Route")
    assert {r["inputs"]["destinationCidrBlock"] for r in routes} == {"0.0.0.0/0"}
    private_routes = [r for r in routes if "natGatewayId" in r["inputs"]]
    assert len(private_routes) == len(ZONES)


def test_default_security_group_is_emptied(plan):
    default = one_of_type(plan, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default["inputs"]["ingress"] == [] and default["inputs"]["egress"] == []
    assert default["propertyDependencies"]["vpcId"] == [one_of_type(plan, "aws:ec2/vpc:Vpc")["urn"]]


def test_endpoint_security_group_allows_only_https_from_the_vpc(plan):
    group = one_of_type(plan, "aws:ec2/securityGroup:SecurityGroup")["inputs"]
    assert group["ingress"] == [{
        "cidrBlocks": ["10.0.0.0/16"], "description": "HTTPS from the VPC", "fromPort": 443, "protocol": "tcp", "toPort": 443,
    }]
    assert group["egress"] == []


@pytest.mark.parametrize("which", ["plan", "nat_plan"])
def test_no_ingress_from_anywhere(which, request):
    resources = request.getfixturevalue(which)
    for group in resources_of_type(resources, "aws:ec2/securityGroup:SecurityGroup") + \
            resources_of_type(resources, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        for rule in group["inputs"].get("ingress", []):
            assert "0.0.0.0/0" not in rule.get("cidrBlocks", [])
            assert "::/0" not in rule.get("ipv6CidrBlocks", [])
    assert resources_of_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") == []


def test_s3_gateway_endpoint_serves_every_private_route_table(plan):
    endpoint = next(e for e in resources_of_type(plan, ENDPOINT) if e["inputs"]["vpcEndpointType"] == "Gateway")
    assert endpoint["inputs"]["serviceName"] == "com.amazonaws.me-central-1.s3"
    tables = {t["urn"] for t in resources_of_type(plan, "aws:ec2/routeTable:RouteTable")}
    assert len(tables) == len(ZONES)
    assert set(endpoint["propertyDependencies"]["routeTableIds"]) == tables


def test_interface_endpoints_use_private_dns_private_subnets_and_the_endpoint_group(plan):
    interfaces = [e for e in resources_of_type(plan, ENDPOINT) if e["inputs"]["vpcEndpointType"] == "Interface"]
    assert sorted(e["inputs"]["serviceName"] for e in interfaces) == [
        "com.amazonaws.me-central-1.%s" % s for s in ("ecr.api", "ecr.dkr", "kms", "logs", "sts")
    ]
    private = {s["urn"] for s in _private_subnets(plan)}
    group = one_of_type(plan, "aws:ec2/securityGroup:SecurityGroup")["urn"]
    for endpoint in interfaces:
        assert endpoint["inputs"]["privateDnsEnabled"] is True
        assert set(endpoint["propertyDependencies"]["subnetIds"]) == private
        assert endpoint["propertyDependencies"]["securityGroupIds"] == [group]


def test_extra_interface_endpoints():
    resources = plan_resources(lambda: _network(extra_interface_endpoints=["ssm", "ec2messages"]))
    names = {e["inputs"]["serviceName"] for e in resources_of_type(resources, ENDPOINT)}
    assert {"com.amazonaws.me-central-1.ssm", "com.amazonaws.me-central-1.ec2messages"} <= names


def test_flow_logs_capture_all_traffic_to_an_encrypted_log_group(plan):
    group = one_of_type(plan, "aws:cloudwatch/logGroup:LogGroup")
    assert group["inputs"]["kmsKeyId"] == LOGS_KEY
    assert group["inputs"]["retentionInDays"] == 365
    flow = one_of_type(plan, "aws:ec2/flowLog:FlowLog")
    assert flow["inputs"]["trafficType"] == "ALL"
    assert flow["inputs"]["logDestinationType"] == "cloud-watch-logs"
    assert flow["propertyDependencies"]["logDestination"] == [group["urn"]]
    assert flow["propertyDependencies"]["vpcId"] == [one_of_type(plan, "aws:ec2/vpc:Vpc")["urn"]]
    assert flow["propertyDependencies"]["iamRoleArn"] == [one_of_type(plan, "aws:iam/role:Role")["urn"]]


def test_flow_log_role_is_least_privilege(plan):
    trust = json.loads(one_of_type(plan, "aws:iam/role:Role")["inputs"]["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    policy = json.loads(one_of_type(plan, "aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"])
    group_arn = "arn:aws:logs:me-central-1:123456789012:log-group:/sahab/ml/vpc-flow-logs"
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert statement["Effect"] == "Allow"
        assert all(a.startswith("logs:") and "*" not in a for a in actions)
        assert "*" not in resources
        assert all(r.startswith("arn:aws:logs:me-central-1:123456789012:log-group:") for r in resources)
    assert group_arn in policy["Statement"][0]["Resource"]


def test_shorter_retention_stays_visible():
    resources = plan_resources(lambda: _network(flow_log_retention_days=90))
    assert one_of_type(resources, "aws:cloudwatch/logGroup:LogGroup")["inputs"]["retentionInDays"] == 90


# -- bad input: refused with the exact reason, before anything is registered --------------------

@pytest.mark.parametrize("overrides, message", [
    ({"region": "eu-west-1"}, "Network: region 'eu-west-1' is outside the UAE; sahab pins AWS resources to me-central-1"),
    ({"zones": ["me-central-1a", "me-central-1z"]},
     "Network: zone(s) me-central-1z are not in me-central-1; choose from me-central-1a, me-central-1b, me-central-1c"),
    ({"zones": []}, "Network: zones must not be empty; choose from me-central-1a, me-central-1b, me-central-1c"),
    ({"egress": "open"}, "Network: egress 'open' is not allowed; choose one of: nat, none"),
    ({"cidr_block": "8.8.0.0/16"}, "Network: cidr_block '8.8.0.0/16' must be a private (RFC 1918) range"),
    ({"cidr_block": "10.0.0.0/8"}, "Network: cidr_block '10.0.0.0/8' must be an IPv4 network from /16 to /24"),
    ({"flow_log_retention_days": 10},
     "Network: flow_log_retention_days 10 is not a CloudWatch Logs retention; choose one of: "
     "1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"),
    ({"flow_log_kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/abc"},
     "Network: flow_log_kms_key_arn 'arn:aws:kms:eu-west-1:123456789012:key/abc' is a key in eu-west-1, outside the UAE; "
     "use a key in me-central-1"),
    ({"flow_log_kms_key_arn": ""}, "Network: flow_log_kms_key_arn is required (a KMS key ARN in me-central-1)"),
    ({"extra_interface_endpoints": ["s3"]},
     "Network: the s3 endpoint is always created; remove it from extra_interface_endpoints"),
])
def test_bad_input_registers_nothing(overrides, message):
    args = {"flow_log_kms_key_arn": LOGS_KEY, **overrides}
    resources, error = attempt_plan(lambda: Network("ml", NetworkArgs(**args)))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []


def test_empty_name_registers_nothing():
    resources, error = attempt_plan(lambda: Network("", NetworkArgs(flow_log_kms_key_arn=LOGS_KEY)))
    assert isinstance(error, ComponentInputError)
    assert str(error) == "Network: name must be a non-empty string"
    assert resources == []


def test_plain_aws_provider_is_refused():
    def program():
        Network("ml", NetworkArgs(flow_log_kms_key_arn=LOGS_KEY, provider=aws.Provider("plain", region=REGION)))

    resources, error = attempt_plan(program)
    assert isinstance(error, ComponentInputError)
    assert str(error) == ("Network: provider must be a sahab UaeProvider (its region is checked); got Provider. "
                          "Create it with sahab.components.aws.UaeProvider(name, region='me-central-1')")
    assert [r["name"] for r in resources] == ["plain"]  # only the caller's own provider
