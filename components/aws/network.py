"""A private VPC for ML workloads: no internet path unless one is asked for by name.

Why: training data and model weights must stay in the UAE and off the public internet. Nodes
live in private subnets that never assign public IPs; AWS APIs (ECR, STS, KMS, Logs, S3) are
reached through VPC endpoints, so the default needs no internet egress at all. A NAT path
(``egress="nat"``) is an explicit, tagged exception that shows up in the plan. The default
security group is emptied, and every flow is logged to a KMS-encrypted log group.
"""
from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Dict, List, Literal, Optional, Sequence

import pulumi
import pulumi_aws as aws

from ..validation import ComponentInputError, require_choice, require_name
from .base import AwsComponent
from .catalogue import UAE_AWS_REGION, load_catalogue, require_zones
from .arguments import require_kms_key_arn
from .provider import UaeProvider, resolve_provider

COMPONENT = "Network"
TYPE_TOKEN = "sahab:aws:Network"

DEFAULT_INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "sts", "kms", "logs")
# The values CloudWatch Logs accepts for retention_in_days.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
NAT_EXCEPTION = "internet-egress-via-nat"
_SERVICE = re.compile(r"^[a-z0-9]+([.-][a-z0-9]+)*$")


@dataclass
class NetworkArgs:
    """Only ``flow_log_kms_key_arn`` (a key in the UAE, e.g. EncryptionKeys' ``logs`` key) is required."""

    flow_log_kms_key_arn: pulumi.Input[str]
    cidr_block: str = "10.0.0.0/16"
    zones: Sequence[str] = field(default_factory=lambda: list(load_catalogue(UAE_AWS_REGION).zones))
    egress: Literal["none", "nat"] = "none"
    extra_interface_endpoints: Sequence[str] = ()
    flow_log_retention_days: int = 365
    provider: Optional[UaeProvider] = None
    region: str = UAE_AWS_REGION


def _validate(name: str, args: NetworkArgs) -> ipaddress.IPv4Network:
    resolve_provider(COMPONENT, args.provider, args.region)
    require_name(COMPONENT, name)
    require_zones(COMPONENT, list(args.zones), args.region)
    require_choice(COMPONENT, "egress", args.egress, ["none", "nat"])
    require_kms_key_arn(COMPONENT, "flow_log_kms_key_arn", args.flow_log_kms_key_arn, allow_alias=False)
    try:
        network = ipaddress.ip_network(args.cidr_block, strict=True)
    except (TypeError, ValueError):
        raise ComponentInputError("%s: cidr_block %r is not an IPv4 network such as 10.0.0.0/16" % (COMPONENT, args.cidr_block)) from None
    if not isinstance(network, ipaddress.IPv4Network) or not 16 <= network.prefixlen <= 24:
        raise ComponentInputError("%s: cidr_block %r must be an IPv4 network from /16 to /24" % (COMPONENT, args.cidr_block))
    if not any(network.subnet_of(ipaddress.ip_network(p)) for p in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")):
        raise ComponentInputError("%s: cidr_block %r must be a private (RFC 1918) range" % (COMPONENT, args.cidr_block))
    for service in args.extra_interface_endpoints:
        if not isinstance(service, str) or not _SERVICE.match(service):
            raise ComponentInputError(
                "%s: extra_interface_endpoints entry %r is not a service name such as 'ssm' or 'ec2messages'" % (COMPONENT, service)
            )
        if service in DEFAULT_INTERFACE_ENDPOINTS or service == "s3":
            raise ComponentInputError(
                "%s: the %s endpoint is always created; remove it from extra_interface_endpoints" % (COMPONENT, service)
            )
    if args.flow_log_retention_days not in LOG_RETENTION_DAYS:
        raise ComponentInputError(
            "%s: flow_log_retention_days %r is not a CloudWatch Logs retention; choose one of: %s"
            % (COMPONENT, args.flow_log_retention_days, ", ".join(map(str, LOG_RETENTION_DAYS)))
        )
    return network


class Network(AwsComponent):
    """VPC, private subnets per zone, VPC endpoints, flow logs; internet egress only by exception."""

    vpc_id: pulumi.Output[str]
    private_subnet_ids: pulumi.Output[List[str]]
    private_subnet_ids_by_zone: Dict[str, pulumi.Output[str]]
    public_subnet_ids: pulumi.Output[List[str]]
    private_route_table_ids: pulumi.Output[List[str]]
    endpoint_security_group_id: pulumi.Output[str]
    s3_endpoint_id: pulumi.Output[str]
    interface_endpoint_ids: Dict[str, pulumi.Output[str]]
    flow_log_group_name: str
    cidr_block: str

    def __init__(self, name: str, args: NetworkArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        network = _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, region=args.region, opts=opts)
        region, zones = args.region, list(args.zones)
        self.cidr_block = str(network)
        # Eight equal blocks: private subnets take the first ones, NAT-only public subnets the
        # second half (so turning NAT on later never renumbers a private subnet).
        blocks = list(network.subnets(prefixlen_diff=3))
        exception_tags = {"sahab:exception": NAT_EXCEPTION} if args.egress == "nat" else {}

        vpc = aws.ec2.Vpc(
            name,
            cidr_block=self.cidr_block,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": name, "sahab:egress": args.egress, **exception_tags},
            opts=self.child_opts(),
        )
        aws.ec2.DefaultSecurityGroup(
            "%s-default" % name,
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": "%s-default-locked" % name},
            opts=self.child_opts(),
        )

        private_subnets, private_route_tables = [], []
        for index, zone in enumerate(zones):
            subnet = aws.ec2.Subnet(
                "%s-private-%s" % (name, zone),
                vpc_id=vpc.id,
                availability_zone=zone,
                cidr_block=str(blocks[index]),
                map_public_ip_on_launch=False,
                assign_ipv6_address_on_creation=False,
                tags={"Name": "%s-private-%s" % (name, zone), "sahab:tier": "private"},
                opts=self.child_opts(),
            )
            route_table = aws.ec2.RouteTable(
                "%s-private-%s" % (name, zone),
                vpc_id=vpc.id,
                tags={"Name": "%s-private-%s" % (name, zone), "sahab:tier": "private"},
                opts=self.child_opts(),
            )
            aws.ec2.RouteTableAssociation(
                "%s-private-%s" % (name, zone), subnet_id=subnet.id, route_table_id=route_table.id, opts=self.child_opts()
            )
            private_subnets.append(subnet)
            private_route_tables.append(route_table)

        public_subnets: List[aws.ec2.Subnet] = []
        if args.egress == "nat":
            public_subnets = self._nat_egress(name, vpc, zones, blocks[4:], private_route_tables, exception_tags)

        endpoint_sg = aws.ec2.SecurityGroup(
            "%s-endpoints" % name,
            vpc_id=vpc.id,
            description="sahab %s: HTTPS to VPC interface endpoints from inside the VPC only" % name,
            ingress=[aws.ec2.SecurityGroupIngressArgs(
                description="HTTPS from the VPC", protocol="tcp", from_port=443, to_port=443, cidr_blocks=[self.cidr_block],
            )],
            egress=[],
            tags={"Name": "%s-endpoints" % name},
            opts=self.child_opts(),
        )
        s3_endpoint = aws.ec2.VpcEndpoint(
            "%s-s3" % name,
            vpc_id=vpc.id,
            service_name="com.amazonaws.%s.s3" % region,
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_route_tables],
            tags={"Name": "%s-s3" % name},
            opts=self.child_opts(),
        )
        self.interface_endpoint_ids = {}
        for service in list(DEFAULT_INTERFACE_ENDPOINTS) + list(args.extra_interface_endpoints):
            endpoint = aws.ec2.VpcEndpoint(
                "%s-%s" % (name, service.replace(".", "-")),
                vpc_id=vpc.id,
                service_name="com.amazonaws.%s.%s" % (region, service),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in private_subnets],
                security_group_ids=[endpoint_sg.id],
                tags={"Name": "%s-%s" % (name, service)},
                opts=self.child_opts(),
            )
            self.interface_endpoint_ids[service] = endpoint.id

        self.flow_log_group_name = "/sahab/%s/vpc-flow-logs" % name
        self._flow_logs(name, vpc, args)

        self.vpc_id = vpc.id
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private_subnets])
        self.private_subnet_ids_by_zone = {zone: subnet.id for zone, subnet in zip(zones, private_subnets)}
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public_subnets])
        self.private_route_table_ids = pulumi.Output.all(*[rt.id for rt in private_route_tables])
        self.endpoint_security_group_id = endpoint_sg.id
        self.s3_endpoint_id = s3_endpoint.id
        self.register_outputs({
            "vpc_id": self.vpc_id,
            "private_subnet_ids": self.private_subnet_ids,
            "public_subnet_ids": self.public_subnet_ids,
            "endpoint_security_group_id": self.endpoint_security_group_id,
            "s3_endpoint_id": self.s3_endpoint_id,
            "egress": args.egress,
        })

    def _nat_egress(self, name: str, vpc: aws.ec2.Vpc, zones: Sequence[str], blocks: Sequence[ipaddress.IPv4Network],
                    private_route_tables: Sequence[aws.ec2.RouteTable], exception_tags: Dict[str, str]) -> List[aws.ec2.Subnet]:
        """The explicit exception: public subnets that hold only NAT gateways, one per zone."""
        gateway = aws.ec2.InternetGateway(
            "%s-igw" % name, vpc_id=vpc.id, tags={"Name": "%s-igw" % name, **exception_tags}, opts=self.child_opts()
        )
        public_route_table = aws.ec2.RouteTable(
            "%s-public" % name, vpc_id=vpc.id, tags={"Name": "%s-public" % name, "sahab:tier": "nat-only", **exception_tags},
            opts=self.child_opts(),
        )
        aws.ec2.Route(
            "%s-public-internet" % name, route_table_id=public_route_table.id, destination_cidr_block="0.0.0.0/0",
            gateway_id=gateway.id, opts=self.child_opts(),
        )
        public_subnets = []
        for index, zone in enumerate(zones):
            subnet = aws.ec2.Subnet(
                "%s-nat-%s" % (name, zone),
                vpc_id=vpc.id,
                availability_zone=zone,
                cidr_block=str(blocks[index]),
                map_public_ip_on_launch=False,
                tags={"Name": "%s-nat-%s" % (name, zone), "sahab:tier": "nat-only", **exception_tags},
                opts=self.child_opts(),
            )
            aws.ec2.RouteTableAssociation(
                "%s-nat-%s" % (name, zone), subnet_id=subnet.id, route_table_id=public_route_table.id, opts=self.child_opts()
            )
            address = aws.ec2.Eip(
                "%s-nat-%s" % (name, zone), domain="vpc", tags={"Name": "%s-nat-%s" % (name, zone), **exception_tags},
                opts=self.child_opts(depends_on=[gateway]),
            )
            nat = aws.ec2.NatGateway(
                "%s-nat-%s" % (name, zone), subnet_id=subnet.id, allocation_id=address.allocation_id,
                connectivity_type="public", tags={"Name": "%s-nat-%s" % (name, zone), **exception_tags},
                opts=self.child_opts(),
            )
            aws.ec2.Route(
                "%s-private-%s-internet" % (name, zone), route_table_id=private_route_tables[index].id,
                destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat.id, opts=self.child_opts(),
            )
            public_subnets.append(subnet)
        return public_subnets

    def _flow_logs(self, name: str, vpc: aws.ec2.Vpc, args: NetworkArgs) -> None:
        """All traffic, to a KMS-encrypted log group, through a role that can write only there."""
        region = args.region
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(provider=self.provider, parent=self)).account_id
        log_group = aws.cloudwatch.LogGroup(
            "%s-flow-logs" % name,
            name=self.flow_log_group_name,
            kms_key_id=args.flow_log_kms_key_arn,
            retention_in_days=args.flow_log_retention_days,
            opts=self.child_opts(),
        )
        group_arn = account_id.apply(lambda account: "arn:aws:logs:%s:%s:log-group:%s" % (region, account, self.flow_log_group_name))
        trust = account_id.apply(lambda account: json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "VpcFlowLogsOnly",
                "Effect": "Allow",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": "arn:aws:ec2:%s:%s:vpc-flow-log/*" % (region, account)},
                },
            }],
        }))
        role = aws.iam.Role(
            "%s-flow-logs" % name,
            description="sahab %s: VPC flow logs delivery to %s" % (name, self.flow_log_group_name),
            assume_role_policy=trust,
            max_session_duration=3600,
            opts=self.child_opts(),
        )
        aws.iam.RolePolicy(
            "%s-flow-logs" % name,
            role=role.id,
            policy=group_arn.apply(lambda arn: json.dumps({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "WriteThisLogGroupOnly",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        "Resource": [arn, arn + ":log-stream:*"],
                    },
                    {
                        "Sid": "FindThisLogGroup",
                        "Effect": "Allow",
                        "Action": "logs:DescribeLogGroups",
                        "Resource": arn[: arn.index(":log-group:")] + ":log-group:*",
                    },
                ],
            })),
            opts=self.child_opts(),
        )
        aws.ec2.FlowLog(
            "%s-flow-logs" % name,
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": "%s-flow-logs" % name},
            opts=self.child_opts(),
        )
