"""OnlineStoreCache: the feature store's Valkey cache is private, CMK-encrypted, TLS-only and
password-protected with a generated token that only Secrets Manager holds."""
from __future__ import annotations

import json

import pytest

from sahab.components.aws.online_store_cache import OnlineStoreCache, OnlineStoreCacheArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

CACHE_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000008"
SECRETS_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000007"
SUBNETS = ["subnet-0a", "subnet-0b"]
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECRET = "aws:secretsmanager/secret:Secret"


def cache(name="features", **overrides):
    values = dict(vpc_id="vpc-0main", subnet_ids=SUBNETS, kms_key_arn=CACHE_KEY, auth_token_kms_key_arn=SECRETS_KEY,
                  allowed_security_group_ids=["sg-0cluster"], allowed_cidr_blocks=["10.20.0.0/16"])
    values.update(overrides)
    return OnlineStoreCache(name, OnlineStoreCacheArgs(**values))


@pytest.fixture(scope="module")
def planned():
    return plan_resources(lambda: cache())


def test_valkey_pinned_and_encrypted_at_rest_with_the_key(planned):
    inputs = one_of_type(planned, GROUP)["inputs"]
    assert (inputs["engine"], inputs["engineVersion"], inputs["autoMinorVersionUpgrade"]) == ("valkey", "8.0", False)
    assert inputs["atRestEncryptionEnabled"] is True
    assert inputs["kmsKeyId"] == CACHE_KEY


def test_tls_required_and_auth_token_is_a_secret(planned):
    group = one_of_type(planned, GROUP)
    assert group["inputs"]["transitEncryptionEnabled"] is True
    assert group["inputs"]["transitEncryptionMode"] == "required"
    assert group["inputs"]["authToken"] == {"$secret": True}
    assert "authToken" in group["secrets"]
    # the generated value lives only in Secrets Manager, encrypted with the secrets key
    (secret,) = resources_of_type(planned, SECRET)
    assert secret["inputs"]["name"] == "features-cache/auth-token"
    assert secret["inputs"]["kmsKeyId"] == SECRETS_KEY
    (version,) = resources_of_type(planned, "aws:secretsmanager/secretVersion:SecretVersion")
    assert version["inputs"]["secretString"] == {"$secret": True}
    (token,) = resources_of_type(planned, "random:index/randomPassword:RandomPassword")
    assert (token["inputs"]["length"], token["inputs"]["special"]) == (48, False)
    assert group["propertyDependencies"]["authToken"] == [token["urn"]]


def test_private_subnets_and_only_the_named_sources_on_the_port(planned):
    group = one_of_type(planned, GROUP)
    subnet_group = one_of_type(planned, "aws:elasticache/subnetGroup:SubnetGroup")
    assert subnet_group["inputs"]["subnetIds"] == SUBNETS
    assert group["propertyDependencies"]["subnetGroupName"] == [subnet_group["urn"]]
    security_group = one_of_type(planned, "aws:ec2/securityGroup:SecurityGroup")
    assert group["propertyDependencies"]["securityGroupIds"] == [security_group["urn"]]
    assert "ingress" not in security_group["inputs"] and "egress" not in security_group["inputs"]
    rules = resources_of_type(planned, INGRESS)
    assert {(r["inputs"]["ipProtocol"], r["inputs"]["fromPort"], r["inputs"]["toPort"]) for r in rules} == {("tcp", 6379, 6379)}
    sources = sorted(r["inputs"].get("referencedSecurityGroupId") or r["inputs"]["cidrIpv4"] for r in rules)
    assert sources == ["10.20.0.0/16", "sg-0cluster"]
    assert "0.0.0.0/0" not in json.dumps(planned)


def test_production_is_multi_az_with_failover_and_snapshots(planned):
    inputs = one_of_type(planned, GROUP)["inputs"]
    assert (inputs["numCacheClusters"], inputs["automaticFailoverEnabled"], inputs["multiAzEnabled"]) == (2, True, True)
    assert (inputs["snapshotRetentionLimit"], inputs["snapshotWindow"]) == (7, "01:00-02:00")
    assert inputs["finalSnapshotIdentifier"] == "final-features"
    assert inputs["clusterMode"] == "disabled"
    assert "sahab:exception" not in inputs["tags"]


def test_outside_production_a_single_node_is_a_visible_exception():
    resources = plan_resources(lambda: cache(production=False, nodes=1, subnet_ids=["subnet-0a"]))
    inputs = one_of_type(resources, GROUP)["inputs"]
    assert (inputs["numCacheClusters"], inputs["automaticFailoverEnabled"], inputs["multiAzEnabled"]) == (1, False, False)
    assert inputs["tags"]["sahab:exception"] == "single-node,single-az"
    assert inputs["transitEncryptionMode"] == "required" and inputs["kmsKeyId"] == CACHE_KEY


def test_outputs_name_the_endpoint_and_the_token_secret():
    holder = {}
    plan_resources(lambda: holder.setdefault("cache", cache()))
    outputs = holder["cache"]
    assert outputs.port == 6379
    for output in (outputs.primary_endpoint, outputs.auth_token_secret_arn, outputs.security_group_id):
        assert output is not None


@pytest.mark.parametrize("overrides, message", [
    ({"allowed_security_group_ids": [], "allowed_cidr_blocks": []},
     "OnlineStoreCache: give allowed_security_group_ids or allowed_cidr_blocks: nothing could connect otherwise"),
    ({"allowed_cidr_blocks": ["0.0.0.0/0"]},
     "OnlineStoreCache: allowed_cidr_blocks must not contain 0.0.0.0/0 (the whole internet); list the networks that need access"),
    ({"allowed_cidr_blocks": ["8.8.8.0/24"]},
     "OnlineStoreCache: allowed_cidr_blocks entry 8.8.8.0/24 is not a private range; only addresses inside the VPC may connect"),
    ({"kms_key_arn": None}, "OnlineStoreCache: kms_key_arn is required (a KMS key ARN in me-central-1)"),
    ({"kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/abc"},
     "OnlineStoreCache: kms_key_arn 'arn:aws:kms:eu-west-1:111122223333:key/abc' is a key in eu-west-1, outside the UAE; use a key in me-central-1"),
    ({"kms_key_arn": "alias/aws/elasticache"},
     "OnlineStoreCache: kms_key_arn 'alias/aws/elasticache' is not a KMS key ARN (arn:aws:kms:me-central-1:<account>:key/<id>)"),
    ({"nodes": 1}, "OnlineStoreCache: a production cache keeps nodes >= 2 (a replica in another zone for automatic failover), "
                   "got 1; pass production=False for a single node"),
    ({"subnet_ids": ["subnet-0a"]},
     "OnlineStoreCache: subnet_ids needs private subnets in at least two availability zones (Multi-AZ), got 1"),
    ({"engine_version": "6.x"},
     "OnlineStoreCache: engine_version '6.x' must pin a Valkey major.minor version (7.2 or later) such as '8.0'"),
    ({"snapshot_retention_days": 0},
     "OnlineStoreCache: snapshot_retention_days must be between 1 and 35 (0 would turn snapshots off), got 0"),
    ({"node_type": "r7g.large"}, "OnlineStoreCache: node_type 'r7g.large' is not an ElastiCache node type such as 'cache.r7g.large'"),
    ({"maintenance_window": "sunday 2am"},
     "OnlineStoreCache: maintenance_window 'sunday 2am' must be ddd:hh:mm-ddd:hh:mm (UTC), such as 'sun:02:30-sun:03:30'"),
])
def test_bad_input_fails_before_anything_registers(overrides, message):
    resources, error = attempt_plan(lambda: cache(**overrides))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []
