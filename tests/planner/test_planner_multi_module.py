"""A program split over a local package, with components, explicit providers, config,
secrets, apply chains and a stack transform: the plan must say what `pulumi preview` would."""
from __future__ import annotations

import json

import pytest

from planner_helpers import chosen_inputs, SECRET, UNKNOWN, assert_valid, default_provider_urn, plan, program, resource, unknown_of, urn, warnings

PROVIDER = "pulumi:providers:aws"
STACK_URN = "urn:pulumi:dev::multi-module::pulumi:pulumi:Stack::multi-module-dev"


@pytest.fixture(scope="module")
def doc():
    return plan("multi_module")


def test_document_is_valid(doc):
    assert_valid(doc)
    assert (doc["project"], doc["stack"], doc["stackUrn"]) == ("multi-module", "dev", STACK_URN)


def test_urns_follow_the_engine_parent_chain(doc):
    """Top-level resources have no stack type in their URN; children carry every ancestor."""
    subnet = resource(doc, "aws:ec2/subnet:Subnet", "core-private-0")
    assert subnet["urn"] == urn(doc, "sahab:examples:Network$aws:ec2/vpc:Vpc$aws:ec2/subnet:Subnet", "core-private-0")
    assert subnet["parent"] == urn(doc, "sahab:examples:Network$aws:ec2/vpc:Vpc", "core-vpc")
    assert resource(doc, "aws:ec2/vpc:Vpc", "core-vpc")["parent"] == urn(doc, "sahab:examples:Network", "core")
    assert resource(doc, "sahab:examples:Network", "core")["parent"] == STACK_URN
    assert resource(doc, PROVIDER, "uae")["urn"] == urn(doc, PROVIDER, "uae")
    assert resource(doc, "aws:iam/role:Role", "app-role")["urn"] == urn(doc, "aws:iam/role:Role", "app-role")
    assert not [r for r in doc["resources"] if "pulumi:pulumi:Stack$" in r["urn"]]
    # 27 of the program, plus the default providers of aws, random and tls
    assert len({r["urn"] for r in doc["resources"]}) == len(doc["resources"]) == 30


@pytest.mark.parametrize("type_, name, region, source", [
    # explicit provider, passed with `provider=`
    ("aws:iam/role:Role", "app-role", "me-central-1", "provider"),
    ("aws:rds/instance:Instance", "db", "me-central-1", "provider"),
    # children of a component that got `providers=[uae]` / `providers={"aws": uae}`
    ("aws:ec2/vpc:Vpc", "core-vpc", "me-central-1", "provider"),
    ("aws:ec2/subnet:Subnet", "core-private-1", "me-central-1", "provider"),
    ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
     "lake-encryption", "me-central-1", "provider"),
    # a read (Bucket.get) through the explicit provider
    ("aws:s3/bucket:Bucket", "shared-logs", "me-central-1", "provider"),
    # pulumi-aws v7 per-resource region wins over everything else
    ("aws:s3/bucket:Bucket", "dr-replica", "eu-west-1", "resource"),
    # the provider itself
    (PROVIDER, "uae", "me-central-1", "resource"),
    # default provider: created by the engine from the stack's aws:region
    ("aws:cloudwatch/logGroup:LogGroup", "app-logs", "me-central-1", "provider"),
    # default providers of packages without a region
    ("random:index/randomPassword:RandomPassword", "db-master", "unknown", "none"),
    ("tls:index/privateKey:PrivateKey", "bastion", "unknown", "none"),
])
def test_regions(doc, type_, name, region, source):
    found = resource(doc, type_, name)
    assert (found["region"], found["regionSource"]) == (region, source)


def test_explicit_provider_is_recorded(doc):
    provider_urn = urn(doc, PROVIDER, "uae")
    assert resource(doc, "aws:ec2/subnet:Subnet", "core-private-0")["provider"] == provider_urn
    assert resource(doc, "aws:ssm/parameter:Parameter", "api-token")["provider"] == provider_urn
    assert resource(doc, "aws:s3/bucket:Bucket", "dr-replica")["provider"] == default_provider_urn(doc, "aws")
    assert resource(doc, PROVIDER, "uae")["inputs"]["region"] == "me-central-1"


def test_components_are_not_custom_and_have_no_inputs(doc):
    for type_, name in (("sahab:examples:Network", "core"), ("sahab:examples:DataBucket", "lake")):
        component = resource(doc, type_, name)
        assert component["custom"] is False and component["opaque"] is False
        assert component["inputs"] == {}


def test_config_is_namespaced_and_secure_values_are_redacted(doc):
    assert doc["config"] == {
        "aws:region": "me-central-1",
        "multi-module:dbPassword": SECRET,
        "multi-module:environment": "dev",
        "multi-module:network": json.dumps({"cidr": "10.20.0.0/16", "subnets": ["10.20.1.0/24", "10.20.2.0/24"]}),
        "multi-module:retentionDays": "30",
        "multi-module:versioning": "true",
    }


def test_config_reaches_resources(doc):
    """require_object / get_int / get_bool values end up in inputs with their types."""
    assert resource(doc, "aws:ec2/vpc:Vpc", "core-vpc")["inputs"]["cidrBlock"] == "10.20.0.0/16"
    assert [resource(doc, "aws:ec2/subnet:Subnet", "core-private-%d" % i)["inputs"]["cidrBlock"] for i in (0, 1)] == [
        "10.20.1.0/24", "10.20.2.0/24"]
    assert resource(doc, "aws:cloudwatch/logGroup:LogGroup", "app-logs")["inputs"]["retentionInDays"] == 30
    lifecycle = resource(doc, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lake-lifecycle")
    assert lifecycle["inputs"]["rules"][0]["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    versioning = resource(doc, "aws:s3/bucketVersioning:BucketVersioning", "lake-versioning")
    assert versioning["inputs"]["versioningConfiguration"] == {"status": "Enabled"}


def test_unknowns_are_markers_with_paths(doc):
    encryption = resource(
        doc, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "lake-encryption")
    assert encryption["inputs"] == {
        "bucket": UNKNOWN,
        "rules": [{
            "applyServerSideEncryptionByDefault": {"kmsMasterKeyId": UNKNOWN, "sseAlgorithm": "aws:kms"},
            "bucketKeyEnabled": True,
        }],
    }
    assert encryption["unknowns"] == ["bucket", "rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId"]
    subnets = resource(doc, "aws:rds/subnetGroup:SubnetGroup", "db-subnets")
    assert subnets["inputs"]["subnetIds"] == [UNKNOWN, UNKNOWN]
    assert subnets["unknowns"] == ["subnetIds.0", "subnetIds.1"]
    # tls public key: computed by the provider, unknown in a preview
    key_pair = resource(doc, "aws:ec2/keyPair:KeyPair", "bastion")
    assert (chosen_inputs(key_pair), key_pair["unknowns"]) == ({"publicKey": UNKNOWN}, ["publicKey"])
    assert key_pair["autonamed"] == ["keyName"]


def test_property_dependencies_link_encryption_to_its_bucket_and_key(doc):
    encryption = resource(
        doc, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "lake-encryption")
    bucket_urn = resource(doc, "aws:s3/bucket:Bucket", "lake-bucket")["urn"]
    key_urn = resource(doc, "aws:kms/key:Key", "lake-key")["urn"]
    assert encryption["propertyDependencies"] == {"bucket": [bucket_urn], "rules": [key_urn]}
    assert encryption["dependencies"] == sorted([bucket_urn, key_urn])


def test_json_policies_built_in_apply(doc):
    """Known values flow through Output.all(...).apply(json.dumps); unknown ones stay unknown."""
    key = resource(doc, "aws:kms/key:Key", "lake-key")
    statement = json.loads(key["inputs"]["policy"])["Statement"][0]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert key["unknowns"] == []
    tls_only = resource(doc, "aws:s3/bucketPolicy:BucketPolicy", "lake-tls-only")
    # Built from the bucket's unknown ARN: unknown, with its known structure (test_planner_partial_values.py).
    assert tls_only["inputs"]["policy"]["$unknown"] is True and tls_only["partials"] == ["policy"]
    assert sorted(tls_only["propertyDependencies"]["policy"]) == sorted([
        resource(doc, "aws:kms/key:Key", "lake-key")["urn"], resource(doc, "aws:s3/bucket:Bucket", "lake-bucket")["urn"]])
    reader = json.loads(resource(doc, "aws:iam/policy:Policy", "fixed-reader")["inputs"]["policy"])
    assert reader["Statement"][0]["Resource"] == ["arn:aws:s3:::sahab-reference-data", "arn:aws:s3:::sahab-reference-data/*"]


def test_secrets_are_redacted_with_paths(doc):
    literal = resource(doc, "aws:ssm/parameter:Parameter", "api-token")
    assert chosen_inputs(literal) == {"type": "SecureString", "value": SECRET}
    assert (literal["secrets"], literal["unknowns"]) == (["value"], [])
    configured = resource(doc, "aws:ssm/parameter:Parameter", "db-password")
    assert (configured["inputs"]["value"], configured["secrets"]) == (SECRET, ["value"])
    # RandomPassword.result: secret (additionalSecretOutputs) and unknown until deploy
    database = resource(doc, "aws:rds/instance:Instance", "db")
    assert database["inputs"]["password"] == SECRET
    assert database["secrets"] == ["password"]
    assert "password" in database["unknowns"]
    assert database["propertyDependencies"]["password"] == [
        resource(doc, "random:index/randomPassword:RandomPassword", "db-master")["urn"]]
    assert "s3cr3t-literal-value" not in json.dumps(doc)


def test_stack_outputs(doc):
    assert doc["outputs"] == {
        "apiToken": SECRET,
        # the bucket's auto-name (pulumi-aws fills `bucket` in preview), as the plan's bucket has it
        "bucketName": next(r["inputs"]["bucket"] for r in doc["resources"] if r["type"] == "aws:s3/bucket:Bucket"
                           and r["name"] == "lake-bucket"),
        "connection": UNKNOWN,
        "region": "me-central-1",
        "replicas": 2,
        "roleArn": unknown_of(doc, "aws:iam/role:Role", "app-role", "arn"),
        "tags": {"Environment": "dev", "ManagedBy": "pulumi", "Region": "me-central-1"},
        "vpcId": unknown_of(doc, "aws:ec2/vpc:Vpc", "core-vpc", "id"),
    }


def test_stack_transform_is_applied(doc):
    """register_resource_transform runs engine-side; the planner must run it too."""
    assert resource(doc, "aws:s3/bucket:Bucket", "lake-bucket")["inputs"]["tags"] == {"CostCenter": "data-platform"}
    assert resource(doc, "aws:s3/bucket:Bucket", "dr-replica")["inputs"]["tags"]["CostCenter"] == "data-platform"
    assert "CostCenter" not in resource(doc, "aws:ec2/subnet:Subnet", "core-private-0")["inputs"]["tags"]
    assert "tags" not in resource(doc, "aws:iam/role:Role", "app-role")["inputs"]


def test_resource_options_and_reads(doc):
    assert resource(doc, "aws:kms/key:Key", "lake-key")["options"] == {"protect": True}
    assert resource(doc, "aws:s3/bucket:Bucket", "dr-replica")["options"] == {"ignoreChanges": ["tags"]}
    shared = resource(doc, "aws:s3/bucket:Bucket", "shared-logs")
    assert (shared["mode"], shared["options"], shared["inputs"]) == ("read", {"id": "sahab-shared-logs"}, {})
    assert resource(doc, "aws:s3/bucket:Bucket", "lake-bucket")["mode"] == "create"


def test_program_warnings_are_diagnostics(doc):
    assert sorted(warnings(doc)) == [
        "invoke aws:index/getCallerIdentity:getCallerIdentity answered with invented values that look real "
        "(accountId, arn, userId, id): nothing in the plan may rely on them",
        "the disaster-recovery replica lives outside the UAE",
    ]


def test_a_project_folder_may_be_given_as_a_string():
    from sahab.planner import load_project

    as_string = load_project(str(program("multi_module")), "dev")
    assert as_string == load_project(program("multi_module"), "dev")
    assert (as_string.name, as_string.stack) == ("multi-module", "dev")
