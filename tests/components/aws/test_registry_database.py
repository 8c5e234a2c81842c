"""RegistryDatabase: encrypted, private, TLS-only PostgreSQL with no password in the program."""
from __future__ import annotations

import pulumi
import pytest

from sahab.components.aws.registry_database import RegistryDatabase, RegistryDatabaseArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

DB_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000005"
SECRETS_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000007"
SUBNETS = ["subnet-0a", "subnet-0b"]
INSTANCE = "aws:rds/instance:Instance"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def database(name="registry", **overrides):
    values = dict(vpc_id="vpc-0main", subnet_ids=SUBNETS, kms_key_arn=DB_KEY, master_user_secret_kms_key_arn=SECRETS_KEY,
                  allowed_security_group_ids=["sg-0cluster"], allowed_cidr_blocks=["10.20.0.0/16"])
    values.update(overrides)
    return RegistryDatabase(name, RegistryDatabaseArgs(**values))


@pytest.fixture(scope="module")
def planned():
    return plan_resources(lambda: database())


def test_postgres_pinned_and_encrypted_with_the_key(planned):
    inputs = one_of_type(planned, INSTANCE)["inputs"]
    assert inputs["engine"] == "postgres"
    assert inputs["engineVersion"] == "16.4"
    assert inputs["autoMinorVersionUpgrade"] is False
    assert inputs["storageEncrypted"] is True
    assert inputs["kmsKeyId"] == DB_KEY
    assert inputs["performanceInsightsEnabled"] is True
    assert inputs["performanceInsightsKmsKeyId"] == DB_KEY


def test_private_and_reachable_only_through_its_security_group(planned):
    instance = one_of_type(planned, INSTANCE)
    assert instance["inputs"]["publiclyAccessible"] is False
    subnet_group = one_of_type(planned, "aws:rds/subnetGroup:SubnetGroup")
    assert subnet_group["inputs"]["subnetIds"] == SUBNETS
    assert instance["propertyDependencies"]["dbSubnetGroupName"] == [subnet_group["urn"]]
    group = one_of_type(planned, "aws:ec2/securityGroup:SecurityGroup")
    assert instance["propertyDependencies"]["vpcSecurityGroupIds"] == [group["urn"]]
    assert group["inputs"]["vpcId"] == "vpc-0main"
    assert "ingress" not in group["inputs"] and "egress" not in group["inputs"]


def test_port_5432_only_from_the_given_sources(planned):
    rules = resources_of_type(planned, INGRESS)
    assert len(rules) == 2
    for rule in rules:
        assert (rule["inputs"]["ipProtocol"], rule["inputs"]["fromPort"], rule["inputs"]["toPort"]) == ("tcp", 5432, 5432)
    sources = sorted(r["inputs"].get("referencedSecurityGroupId") or r["inputs"]["cidrIpv4"] for r in rules)
    assert sources == ["10.20.0.0/16", "sg-0cluster"]
    assert "0.0.0.0/0" not in str([r["inputs"] for r in rules])


def test_tls_is_forced(planned):
    group = one_of_type(planned, "aws:rds/parameterGroup:ParameterGroup")
    assert group["inputs"]["family"] == "postgres16"
    parameters = {p["name"]: p["value"] for p in group["inputs"]["parameters"]}
    assert parameters["rds.force_ssl"] == "1"
    assert one_of_type(planned, INSTANCE)["propertyDependencies"]["parameterGroupName"] == [group["urn"]]


def test_no_password_in_the_program_iam_auth_on(planned):
    inputs = one_of_type(planned, INSTANCE)["inputs"]
    assert inputs["manageMasterUserPassword"] is True
    # Secrets Manager (not RDS) encrypts the managed secret: it takes the secrets-class key.
    assert inputs["masterUserSecretKmsKeyId"] == SECRETS_KEY
    assert "password" not in inputs and "passwordWo" not in inputs
    assert inputs["iamDatabaseAuthenticationEnabled"] is True
    assert one_of_type(planned, INSTANCE)["secrets"] == []


def test_backups_snapshots_and_production_safety(planned):
    inputs = one_of_type(planned, INSTANCE)["inputs"]
    assert inputs["backupRetentionPeriod"] == 7
    assert inputs["copyTagsToSnapshot"] is True
    assert inputs["skipFinalSnapshot"] is False
    assert inputs["deletionProtection"] is True
    assert inputs["multiAz"] is True
    assert "sahab:exception" not in inputs["tags"]


def test_everything_in_the_uae_on_the_pinned_provider(planned):
    provider = one_of_type(planned, "pulumi:providers:aws")
    assert {r["region"] for r in planned} == {"me-central-1"}
    children = [r for r in planned if r["custom"] and r["type"] != "pulumi:providers:aws"]
    assert len(children) == 6
    assert all(r["provider"] == provider["urn"] for r in children)


def test_outputs_are_public_attributes():
    seen = {}

    def program():
        db = database()
        for attribute in ("endpoint", "port", "db_name", "master_user_secret_arn"):
            seen[attribute] = isinstance(getattr(db, attribute), pulumi.Output)

    plan_resources(program)
    assert seen and all(seen.values())


def test_non_production_may_relax_and_the_plan_shows_it():
    resources = plan_resources(lambda: database(production=False, deletion_protection=False, multi_az=False))
    inputs = one_of_type(resources, INSTANCE)["inputs"]
    assert inputs["deletionProtection"] is False
    assert inputs["multiAz"] is False
    assert inputs["tags"]["sahab:exception"] == "deletion-protection-off,single-az"
    assert inputs["storageEncrypted"] is True and inputs["publiclyAccessible"] is False


@pytest.mark.parametrize("name, overrides, message", [
    ("registry", {"deletion_protection": False},
     "RegistryDatabase: a production database keeps deletion_protection=True; "
     "pass production=False to turn it off outside production"),
    ("registry", {"multi_az": False},
     "RegistryDatabase: a production database keeps multi_az=True; pass production=False for a single-AZ database"),
    ("registry", {"allowed_cidr_blocks": ["0.0.0.0/0"]},
     "RegistryDatabase: allowed_cidr_blocks must not contain 0.0.0.0/0 (the whole internet); "
     "list the networks that need access"),
    ("registry", {"allowed_cidr_blocks": ["52.95.0.0/16"]},
     "RegistryDatabase: allowed_cidr_blocks entry 52.95.0.0/16 is not a private range; "
     "only addresses inside the VPC may connect"),
    ("registry", {"allowed_cidr_blocks": [], "allowed_security_group_ids": []},
     "RegistryDatabase: give allowed_security_group_ids or allowed_cidr_blocks: nothing could connect otherwise"),
    ("registry", {"backup_retention_days": 0},
     "RegistryDatabase: backup_retention_days must be between 1 and 35, got 0"),
    ("registry", {"kms_key_arn": None},
     "RegistryDatabase: kms_key_arn is required (a KMS key ARN in me-central-1)"),
    ("registry", {"master_user_secret_kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/abc"},
     "RegistryDatabase: master_user_secret_kms_key_arn 'arn:aws:kms:eu-west-1:111122223333:key/abc' is a key in "
     "eu-west-1, outside the UAE; use a key in me-central-1"),
    ("registry", {"engine_version": "16"},
     "RegistryDatabase: engine_version '16' must be a pinned PostgreSQL version (13 or later) such as '16.4'"),
    ("registry", {"subnet_ids": ["subnet-0a"]},
     "RegistryDatabase: subnet_ids needs private subnets in at least two availability zones, got 1"),
    ("", {}, "RegistryDatabase: name must be a non-empty string"),
    ("registry", {"region": "us-west-2"},
     "RegistryDatabase: region 'us-west-2' is outside the UAE; sahab pins AWS resources to me-central-1"),
])
def test_bad_input_is_refused_before_any_resource(name, overrides, message):
    resources, error = attempt_plan(lambda: database(name, **overrides))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []
