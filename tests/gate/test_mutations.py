"""Mutation test: break the reference plans one security property at a time.

Each mutation flips one security-relevant input of the reference prod plan (drop a key, open a
port, move a region, make an endpoint public, remove a companion resource...) and asserts that
the rule meant for it reports a violation on the resource it broke. The unmutated plans must be
clean, so every catch is caused by the mutation.
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Dict, Iterator, Tuple

import pytest

from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.evaluate import check_builtins, evaluate_rules
from sahab.gate.rules import load_bundle
from sahab.planner import plan_project

Plan = Dict[str, Any]
Mutate = Callable[[Plan], str]  # mutates the plan in place, returns the URN the rule must name


@pytest.fixture(scope="module")
def reference_plan(repo_root) -> Plan:
    return plan_project(repo_root, "prod")


@pytest.fixture(scope="module")
def rules():
    bundle = load_bundle()
    engine = EmbeddedEngine()
    check_builtins(bundle, engine)
    engine.load(bundle.without_tests())
    yield bundle, engine
    engine.close()


def _nth(plan: Plan, type_token: str, index: int) -> Dict[str, Any]:
    found = [r for r in plan["resources"] if r["type"] == type_token]
    assert len(found) > index, "the reference plan has %d %s, the mutation needs #%d" % (len(found), type_token, index)
    return found[index]


def _set(type_token: str, index: int, path: Tuple[str, ...], value: Any) -> Mutate:
    def mutate(plan: Plan) -> str:
        resource = _nth(plan, type_token, index)
        node = resource["inputs"]
        for key in path[:-1]:
            node = node.setdefault(key, {}) if isinstance(node, dict) else node[int(key)]
        if isinstance(node, list):
            node[int(path[-1])] = value
        else:
            node[path[-1]] = value
        return resource["urn"]
    return mutate


def _drop(type_token: str, index: int, path: Tuple[str, ...]) -> Mutate:
    def mutate(plan: Plan) -> str:
        resource = _nth(plan, type_token, index)
        node = resource["inputs"]
        for key in path[:-1]:
            node = node[key] if isinstance(node, dict) else node[int(key)]
        node.pop(path[-1], None)
        return resource["urn"]
    return mutate


def _remove_companion(target_type: str, index: int, companion_type: str) -> Mutate:
    """Delete the companion resource that configures the target (linked by propertyDependencies)."""
    def mutate(plan: Plan) -> str:
        target = _nth(plan, target_type, index)
        before = len(plan["resources"])
        plan["resources"] = [r for r in plan["resources"] if not (
            r["type"] == companion_type and target["urn"] in r.get("propertyDependencies", {}).get("bucket", []))]
        assert len(plan["resources"]) == before - 1, "no %s companion for %s" % (companion_type, target["urn"])
        return target["urn"]
    return mutate


def _move_region(type_token: str, index: int, region: str) -> Mutate:
    def mutate(plan: Plan) -> str:
        resource = _nth(plan, type_token, index)
        resource["inputs"]["region"] = region
        resource["region"], resource["regionSource"] = region, "resource"
        return resource["urn"]
    return mutate


def _default_provider(type_token: str, index: int) -> Mutate:
    def mutate(plan: Plan) -> str:
        resource = _nth(plan, type_token, index)
        resource["provider"] = None
        resource["region"], resource["regionSource"] = "unknown", "none"
        return resource["urn"]
    return mutate


def _move_provider(region: str) -> Mutate:
    """Re-pin the provider: its region and every resource that inherits it move, as a re-plan would show."""
    def mutate(plan: Plan) -> str:
        provider = _nth(plan, "pulumi:providers:aws", 0)
        provider["inputs"]["region"] = region
        provider["region"] = region
        for resource in plan["resources"]:
            if resource["provider"] == provider["urn"] and resource["regionSource"] == "provider":
                resource["region"] = region
        return provider["urn"]
    return mutate


def _add_resource(type_token: str, name: str, inputs: Dict[str, Any]) -> Mutate:
    def mutate(plan: Plan) -> str:
        provider = next(r for r in plan["resources"] if r["type"] == "pulumi:providers:aws")
        urn = "urn:pulumi:prod::sahab-platform::%s::%s" % (type_token, name)
        plan["resources"].append({
            "urn": urn, "type": type_token, "name": name, "mode": "create", "custom": True, "opaque": False,
            "parent": plan["stackUrn"], "provider": provider["urn"], "region": "me-central-1", "regionSource": "provider",
            "inputs": inputs, "unknowns": [], "secrets": [], "dependencies": [], "propertyDependencies": {}, "options": {},
        })
        return urn
    return mutate


OPEN_INGRESS = {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}

# (label, rule meant to catch it, mutation)
REFERENCE_COUNTS = {
    "aws:kms/key:Key": 6, "aws:s3/bucket:Bucket": 2, "aws:ec2/subnet:Subnet": 3, "aws:ec2/securityGroup:SecurityGroup": 2,
    "aws:ec2/launchTemplate:LaunchTemplate": 2, "aws:cloudwatch/logGroup:LogGroup": 2, "aws:ecr/repository:Repository": 2,
    "aws:ec2/vpcEndpoint:VpcEndpoint": 6, "aws:iam/role:Role": 7, "aws:eks/nodeGroup:NodeGroup": 2,
}


def mutations() -> Iterator[Tuple[str, str, Mutate]]:
    for type_token, count in sorted(REFERENCE_COUNTS.items()):
        short = type_token.split(":")[-1]
        for i in range(count):
            yield "%s#%d moved to eu-west-1" % (short, i), "SAHAB-RES-001", _move_region(type_token, i, "eu-west-1")
            yield "%s#%d on the default provider" % (short, i), "SAHAB-RES-002", _default_provider(type_token, i)
    yield "provider moved to us-east-1", "SAHAB-RES-001", _move_provider("us-east-1")
    for i in range(REFERENCE_COUNTS["aws:kms/key:Key"]):
        yield "key#%d multi-region" % i, "SAHAB-RES-004", _set("aws:kms/key:Key", i, ("multiRegion",), True)
        yield "key#%d rotation off" % i, "SAHAB-ENC-006", _set("aws:kms/key:Key", i, ("enableKeyRotation",), False)
        yield "key#%d rotation unset" % i, "SAHAB-ENC-006", _drop("aws:kms/key:Key", i, ("enableKeyRotation",))
    for i in range(REFERENCE_COUNTS["aws:s3/bucket:Bucket"]):
        bucket = "aws:s3/bucket:Bucket"
        yield "bucket#%d without encryption config" % i, "SAHAB-ENC-001", _remove_companion(
            bucket, i, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        yield "bucket#%d without public access block" % i, "SAHAB-NET-004", _remove_companion(
            bucket, i, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
        yield "bucket#%d without TLS-only policy" % i, "SAHAB-ENC-007", _remove_companion(
            bucket, i, "aws:s3/bucketPolicy:BucketPolicy")
    sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    pab = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    for i in range(2):
        yield "sse#%d AES256" % i, "SAHAB-ENC-001", _set(sse, i, ("rules", "0", "applyServerSideEncryptionByDefault"), {"sseAlgorithm": "AES256"})
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
            yield "pab#%d %s off" % (i, flag), "SAHAB-NET-004", _set(pab, i, (flag,), False)
    for i in range(REFERENCE_COUNTS["aws:ec2/subnet:Subnet"]):
        yield "subnet#%d maps public IPs" % i, "SAHAB-NET-003", _set("aws:ec2/subnet:Subnet", i, ("mapPublicIpOnLaunch",), True)
    for i in range(REFERENCE_COUNTS["aws:ec2/securityGroup:SecurityGroup"]):
        yield "sg#%d open to the internet" % i, "SAHAB-NET-001", _set("aws:ec2/securityGroup:SecurityGroup", i, ("ingress",), [OPEN_INGRESS])
        yield "sg#%d open to ::/0" % i, "SAHAB-NET-001", _set("aws:ec2/securityGroup:SecurityGroup", i, ("ingress",), [
            {"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}])
    lt = "aws:ec2/launchTemplate:LaunchTemplate"
    for i in range(REFERENCE_COUNTS[lt]):
        yield "lt#%d IMDSv1 allowed" % i, "SAHAB-NET-006", _set(lt, i, ("metadataOptions", "httpTokens"), "optional")
        yield "lt#%d no metadata options" % i, "SAHAB-NET-006", _drop(lt, i, ("metadataOptions",))
        yield "lt#%d public IP" % i, "SAHAB-NET-003", _set(lt, i, ("networkInterfaces", "0", "associatePublicIpAddress"), "true")
        yield "lt#%d root volume unencrypted" % i, "SAHAB-ENC-002", _set(lt, i, ("blockDeviceMappings", "0", "ebs", "encrypted"), "false")
        yield "lt#%d root volume without CMK" % i, "SAHAB-ENC-002", _drop(lt, i, ("blockDeviceMappings", "0", "ebs", "kmsKeyId"))
    for i in range(REFERENCE_COUNTS["aws:cloudwatch/logGroup:LogGroup"]):
        yield "log group#%d without CMK" % i, "SAHAB-ENC-005", _drop("aws:cloudwatch/logGroup:LogGroup", i, ("kmsKeyId",))
    for i in range(REFERENCE_COUNTS["aws:ecr/repository:Repository"]):
        yield "ecr#%d AES256" % i, "SAHAB-ENC-010", _set("aws:ecr/repository:Repository", i, ("encryptionConfigurations",), [{"encryptionType": "AES256"}])
    cluster = "aws:eks/cluster:Cluster"
    yield "eks public endpoint", "SAHAB-NET-002", _set(cluster, 0, ("vpcConfig", "endpointPublicAccess"), True)
    yield "eks endpoint access unset", "SAHAB-NET-002", _drop(cluster, 0, ("vpcConfig", "endpointPublicAccess"))
    yield "eks secrets unencrypted", "SAHAB-ENC-003", _drop(cluster, 0, ("encryptionConfig",))
    db = "aws:rds/instance:Instance"
    yield "rds unencrypted", "SAHAB-ENC-004", _set(db, 0, ("storageEncrypted",), False)
    yield "rds without CMK", "SAHAB-ENC-004", _drop(db, 0, ("kmsKeyId",))
    yield "rds public", "SAHAB-NET-005", _set(db, 0, ("publiclyAccessible",), True)
    yield "rds moved to eu-central-1", "SAHAB-RES-001", _move_region(db, 0, "eu-central-1")
    yield "iam access key", "SAHAB-IAM-001", _add_resource("aws:iam/accessKey:AccessKey", "ci-key", {"user": "ci"})
    yield "cloudfront distribution", "SAHAB-RES-005", _add_resource("aws:cloudfront/distribution:Distribution", "cdn", {"enabled": True})
    yield "kms replica key", "SAHAB-RES-004", _add_resource("aws:kms/replicaKey:ReplicaKey", "replica", {"primaryKeyArn": "arn:aws:kms:me-central-1:111122223333:key/mrk-1"})
    yield "open ingress rule", "SAHAB-NET-001", _add_resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ssh", {
        "securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"})
    yield "instance with public IP and IMDSv1", "SAHAB-NET-003", _add_resource("aws:ec2/instance:Instance", "bastion", {
        "ami": "ami-1", "instanceType": "t3.micro", "associatePublicIpAddress": True,
        "metadataOptions": {"httpTokens": "required"}, "rootBlockDevice": {"encrypted": True, "kmsKeyId": "arn:aws:kms:me-central-1:111122223333:key/k"}})


MUTATIONS = list(mutations())


def test_there_are_at_least_100_mutations():
    assert len(MUTATIONS) >= 100
    assert len({label for label, _, _ in MUTATIONS}) == len(MUTATIONS)


def test_the_unmutated_reference_plan_has_no_violations(reference_plan, rules):
    bundle, engine = rules
    violations = [f for f in evaluate_rules(reference_plan, bundle, engine, loaded=True) if f.status == "violation"]
    assert violations == []


@pytest.mark.parametrize("label, rule_id, mutate", MUTATIONS, ids=[label for label, _, _ in MUTATIONS])
def test_mutation_is_caught_by_its_rule(reference_plan, rules, label, rule_id, mutate):
    bundle, engine = rules
    plan = copy.deepcopy(reference_plan)
    urn = mutate(plan)
    findings = evaluate_rules(plan, bundle, engine, loaded=True)
    caught = {(f.rule_id, f.urn) for f in findings if f.status == "violation"}
    assert (rule_id, urn) in caught, "%s: %s did not report %s; violations: %s" % (label, rule_id, urn, sorted(caught))
