"""WorkloadRole: an IRSA role trusting exactly one service account, with grants on exactly what they name."""
from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from sahab.components.aws import UaeProvider
from sahab.components.aws.workload_role import (
    BucketPrefixAccess, SecretsRead, WorkloadRole, WorkloadRoleArgs, bucket_prefix_statements, irsa_trust_policy,
    permissions_policy, secrets_read_statements,
)
from sahab.components.validation import ComponentInputError
from sahab.testing import assert_pinned_and_contained, attempt_plan, one_of_type, plan_resources

COMPONENT = "sahab:aws:WorkloadRole"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ISSUER_HOST = "oidc.eks.me-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
ISSUER_URL = "https://" + ISSUER_HOST
OIDC_PROVIDER = "arn:aws:iam::111122223333:oidc-provider/" + ISSUER_HOST
BUCKET = "arn:aws:s3:::ml-artifacts-uae"
ARTIFACTS_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000001"
SECRETS_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000007"
ADMIN_SECRET = "arn:aws:secretsmanager:me-central-1:111122223333:secret:ml/mlflow-admin-password-AbCdEf"
DB_SECRET = "arn:aws:secretsmanager:me-central-1:111122223333:secret:rds!db-0a1b2c3d-4e5f-AbCdEf"


def _args(**overrides):
    values = dict(
        namespace="mlflow", service_account="mlflow-server", oidc_provider_arn=OIDC_PROVIDER, oidc_issuer_url=ISSUER_URL,
        grants=[BucketPrefixAccess(BUCKET, "mlflow/artifacts", False, ARTIFACTS_KEY),
                SecretsRead([DB_SECRET, ADMIN_SECRET], SECRETS_KEY)],
    )
    values.update(overrides)
    return WorkloadRoleArgs(**values)


@pytest.fixture(scope="module")
def planned():
    made = {}

    def program():
        made["role"] = WorkloadRole("mlflow", _args())

    return plan_resources(program), made["role"]


@pytest.fixture(scope="module")
def plan(planned):
    return planned[0]


def _statements(plan):
    return json.loads(one_of_type(plan, ROLE_POLICY)["inputs"]["policy"])["Statement"]


def _as_list(value):
    return value if isinstance(value, list) else [value]


# -- the pure policy builders ---------------------------------------------------------------------

def test_trust_policy_pins_one_service_account_and_the_sts_audience():
    assert irsa_trust_policy(OIDC_PROVIDER, ISSUER_URL, "mlflow", "mlflow-server") == {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "OneServiceAccountOnly",
            "Effect": "Allow",
            "Principal": {"Federated": OIDC_PROVIDER},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                ISSUER_HOST + ":sub": "system:serviceaccount:mlflow:mlflow-server",
                ISSUER_HOST + ":aud": "sts.amazonaws.com",
            }},
        }],
    }


def test_read_only_bucket_grant_is_exactly_the_prefix_and_its_key():
    statements = bucket_prefix_statements(BucketPrefixAccess(BUCKET, "datasets/churn", True, ARTIFACTS_KEY), 0)
    assert statements == [
        {"Sid": "Grant0ObjectsUnderPrefix", "Effect": "Allow", "Action": ["s3:GetObject"],
         "Resource": "arn:aws:s3:::ml-artifacts-uae/datasets/churn/*"},
        {"Sid": "Grant0ListPrefixOnly", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET,
         "Condition": {"StringLike": {"s3:prefix": ["datasets/churn/", "datasets/churn/*"]}}},
        {"Sid": "Grant0BucketKeyThroughS3", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": ARTIFACTS_KEY,
         "Condition": {"StringEquals": {"kms:ViaService": "s3.me-central-1.amazonaws.com"}}},
    ]


def test_writable_bucket_grant_adds_put_delete_and_data_keys_only():
    objects, listing, key = bucket_prefix_statements(BucketPrefixAccess(BUCKET, "mlflow", False, ARTIFACTS_KEY), 3)
    assert objects["Action"] == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    assert objects["Resource"] == "arn:aws:s3:::ml-artifacts-uae/mlflow/*"
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["mlflow/", "mlflow/*"]}}
    assert key["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert key["Resource"] == ARTIFACTS_KEY
    assert [s["Sid"] for s in (objects, listing, key)] == [
        "Grant3ObjectsUnderPrefix", "Grant3ListPrefixOnly", "Grant3BucketKeyThroughS3"]


def test_secrets_grant_lists_exactly_the_given_secrets():
    assert secrets_read_statements(SecretsRead([DB_SECRET, ADMIN_SECRET, DB_SECRET], SECRETS_KEY), 1) == [
        {"Sid": "Grant1ReadTheseSecrets", "Effect": "Allow",
         "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
         "Resource": sorted([ADMIN_SECRET, DB_SECRET])},
        {"Sid": "Grant1SecretsKeyThroughSecretsManager", "Effect": "Allow", "Action": "kms:Decrypt",
         "Resource": SECRETS_KEY,
         "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.me-central-1.amazonaws.com"}}},
    ]


# -- the component --------------------------------------------------------------------------------

def test_every_resource_is_pinned_and_inside_the_component(plan):
    assert_pinned_and_contained(plan, COMPONENT)


def test_role_trusts_only_the_service_account(plan):
    role = one_of_type(plan, ROLE)
    assert json.loads(role["inputs"]["assumeRolePolicy"]) == irsa_trust_policy(OIDC_PROVIDER, ISSUER_URL, "mlflow", "mlflow-server")
    assert role["inputs"]["maxSessionDuration"] == 3600
    assert role["inputs"]["tags"]["sahab:service-account"] == "system:serviceaccount:mlflow:mlflow-server"


def test_policy_is_exactly_the_grants(plan):
    grants = [BucketPrefixAccess(BUCKET, "mlflow/artifacts", False, ARTIFACTS_KEY), SecretsRead([DB_SECRET, ADMIN_SECRET], SECRETS_KEY)]
    assert {"Version": "2012-10-17", "Statement": _statements(plan)} == permissions_policy(grants)
    policy = one_of_type(plan, ROLE_POLICY)
    assert policy["propertyDependencies"]["role"] == [one_of_type(plan, ROLE)["urn"]]


def test_no_wildcard_action_or_resource_beyond_the_prefix(plan):
    for statement in _statements(plan):
        assert statement["Effect"] == "Allow"
        assert not any("*" in action for action in _as_list(statement["Action"]))
        for resource in _as_list(statement["Resource"]):
            assert "*" not in resource or resource == "arn:aws:s3:::ml-artifacts-uae/mlflow/artifacts/*"


def test_no_static_credentials(plan):
    types = {r["type"] for r in plan}
    assert not types & {"aws:iam/accessKey:AccessKey", "aws:iam/user:User", "aws:iam/userPolicy:UserPolicy"}


def test_binding_is_the_irsa_annotation_for_the_same_account(planned):
    _, role = planned
    binding = role.binding
    assert (binding.cloud, binding.namespace, binding.service_account) == ("aws", "mlflow", "mlflow-server")
    assert binding.service_account_annotations == {"eks.amazonaws.com/role-arn": role.role_arn}
    assert binding.pod_labels == {}


def test_a_key_made_in_the_same_program_keeps_the_policy_unknown_until_deploy():
    def program():
        provider = UaeProvider("uae")
        key = aws.kms.Key("artifacts", enable_key_rotation=True, opts=pulumi.ResourceOptions(provider=provider))
        WorkloadRole("mlflow", _args(grants=[BucketPrefixAccess(BUCKET, "mlflow", True, key.arn)], provider=provider))

    resources = plan_resources(program)
    assert one_of_type(resources, ROLE_POLICY)["inputs"]["policy"] == {"$unknown": True}
    assert json.loads(one_of_type(resources, ROLE)["inputs"]["assumeRolePolicy"])["Statement"][0]["Condition"]


# -- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, message", [
    ({"grants": [BucketPrefixAccess(BUCKET, "mlflow/*", True, ARTIFACTS_KEY)]},
     "WorkloadRole: grants[0].prefix 'mlflow/*' contains a wildcard; give the exact prefix "
     "(the grant itself covers the objects under it)"),
    ({"grants": [BucketPrefixAccess(BUCKET, "/mlflow", True, ARTIFACTS_KEY)]},
     "WorkloadRole: grants[0].prefix '/mlflow' must not start or end with '/'"),
    ({"grants": [BucketPrefixAccess(BUCKET, "mlflow/../ci", True, ARTIFACTS_KEY)]},
     "WorkloadRole: grants[0].prefix 'mlflow/../ci' must be '/'-separated segments of letters, digits, '_', '.', '=' "
     "or '-' (no empty, '.' or '..' segment)"),
    ({"grants": [BucketPrefixAccess("arn:aws:s3:::ml-*", "mlflow", True, ARTIFACTS_KEY)]},
     "WorkloadRole: grants[0].bucket_arn 'arn:aws:s3:::ml-*' contains a wildcard; name exactly one bucket"),
    ({"grants": [BucketPrefixAccess(BUCKET, "mlflow", True, "arn:aws:kms:eu-west-1:111122223333:key/abc")]},
     "WorkloadRole: grants[0].kms_key_arn 'arn:aws:kms:eu-west-1:111122223333:key/abc' is a key in eu-west-1, "
     "outside the UAE; use a key in me-central-1"),
    ({"grants": [SecretsRead([], SECRETS_KEY)]}, "WorkloadRole: grants[0].secret_arns must not be empty"),
    ({"grants": [SecretsRead(["arn:aws:secretsmanager:me-central-1:111122223333:secret:ml/*"], SECRETS_KEY)]},
     "WorkloadRole: grants[0].secret_arns[0] 'arn:aws:secretsmanager:me-central-1:111122223333:secret:ml/*' "
     "contains a wildcard; name exactly one secret"),
    ({"grants": [SecretsRead(["arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf"], SECRETS_KEY)]},
     "WorkloadRole: grants[0].secret_arns[0] 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf' "
     "is a secret in eu-west-1, outside the UAE; use a secret in me-central-1"),
    ({"grants": []}, "WorkloadRole: grants must not be empty"),
    ({"grants": ["s3:*"]}, "WorkloadRole: grants[0] must be a BucketPrefixAccess or SecretsRead, got str"),
    ({"namespace": "ML_Flow"},
     "WorkloadRole: namespace 'ML_Flow' must be a DNS label (lowercase letters, digits and dashes, at most 63)"),
    ({"service_account": "*"},
     "WorkloadRole: service_account '*' must be a Kubernetes name (lowercase letters, digits, dashes and dots)"),
    ({"oidc_issuer_url": "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"},
     "WorkloadRole: oidc_issuer_url 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE' belongs to a cluster in "
     "eu-west-1, outside the UAE"),
    ({"oidc_issuer_url": "https://oidc.eks.me-central-1.amazonaws.com/id/OTHER"},
     "WorkloadRole: oidc_provider_arn is for %s but oidc_issuer_url is "
     "oidc.eks.me-central-1.amazonaws.com/id/OTHER; pass both from the same cluster" % ISSUER_HOST),
    ({"oidc_provider_arn": None}, "WorkloadRole: oidc_provider_arn is required (pass the cluster's Cluster.oidc_provider_arn)"),
    ({"region": "us-east-1"}, "WorkloadRole: region 'us-east-1' is outside the UAE; sahab pins AWS resources to me-central-1"),
])
def test_bad_input_registers_nothing(overrides, message):
    resources, error = attempt_plan(lambda: WorkloadRole("mlflow", _args(**overrides)))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []
