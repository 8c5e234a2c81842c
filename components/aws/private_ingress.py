"""One service port opened to named sources only: the security group every private AWS data
service of the platform sits behind (the registry database, the feature cache).

Why one helper: "who may connect" is the same decision for each of them (at least one source;
security groups and private VPC ranges only, never ``0.0.0.0/0``), and the same resources
express it: an empty security group and one ``SecurityGroupIngressRule`` per source, on the
service's port and nothing else (no inline rules, so no rule is ever dropped by a later edit).
"""
from __future__ import annotations

from typing import Sequence

import pulumi
import pulumi_aws as aws

from ..base import SahabComponent
from ..validation import ComponentInputError, require_cidrs


def require_sources(component: str, security_group_ids: Sequence[pulumi.Input[str]], cidr_blocks: Sequence[str]) -> None:
    """At least one source, and every CIDR a private range (nothing outside the VPC connects)."""
    if not security_group_ids and not cidr_blocks:
        raise ComponentInputError(
            "%s: give allowed_security_group_ids or allowed_cidr_blocks: nothing could connect otherwise" % component
        )
    require_cidrs(component, "allowed_cidr_blocks", list(cidr_blocks), private_only=True)


def private_ingress(owner: SahabComponent, resource_name: str, *, service: str, description: str,
                    vpc_id: pulumi.Input[str], port: int, security_group_ids: Sequence[pulumi.Input[str]],
                    cidr_blocks: Sequence[str], tags: dict) -> aws.ec2.SecurityGroup:
    """The security group ``resource_name`` and its ingress rules (``<resource_name>-from-sg-N`` and
    ``-from-cidr-N``): ``service`` on ``port`` from each source, TCP only."""
    group = aws.ec2.SecurityGroup(
        resource_name,
        description=description,
        vpc_id=vpc_id,
        tags=tags,
        opts=owner.child_opts(),
    )
    sources = [("sg-%d" % i, "%s from an allowed security group" % service, {"referenced_security_group_id": source})
               for i, source in enumerate(security_group_ids)]
    sources += [("cidr-%d" % i, "%s from a private VPC range" % service,
                 {"cidr_ipv6": cidr} if ":" in cidr else {"cidr_ipv4": cidr})
                for i, cidr in enumerate(cidr_blocks)]
    for suffix, rule_description, source in sources:
        aws.vpc.SecurityGroupIngressRule(
            "%s-from-%s" % (resource_name, suffix),
            security_group_id=group.id,
            description=rule_description,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            opts=owner.child_opts(),
            **source,
        )
    return group
