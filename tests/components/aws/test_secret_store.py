"""SecretsManagerStore: the ESO store's IRSA role reads exactly one namespace's secrets."""
from __future__ import annotations

import json

import pytest

from sahab.components.aws.secret_store import SecretsManagerStore, SecretsManagerStoreArgs
from sahab.components.kubernetes.secrets import SecretStoreBinding
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources

ISSUER_HOST = "oidc.eks.me-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
OIDC_PROVIDER = "arn:aws:iam::111122223333:oidc-provider/" + ISSUER_HOST
SECRETS_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000007"
ADMIN_SECRET = "arn:aws:secretsmanager:me-central-1:111122223333:secret:ml/mlflow-admin-password-AbCdEf"
DB_SECRET = "arn:aws:secretsmanager:me-central-1:111122223333:secret:rds!db-0a1b2c3d-4e5f-AbCdEf"


def _args(**overrides):
    values = dict(namespace="mlflow", secret_arns=[ADMIN_SECRET, DB_SECRET], kms_key_arn=SECRETS_KEY,
                  oidc_provider_arn=OIDC_PROVIDER, oidc_issuer_url="https://" + ISSUER_HOST)
    values.update(overrides)
    return SecretsManagerStoreArgs(**values)


@pytest.fixture(scope="module")
def planned():
    made = {}

    def program():
        made["store"] = SecretsManagerStore("mlflow-store", _args())

    return plan_resources(program), made["store"]


def test_binding_is_the_eso_v1_secrets_manager_provider_with_jwt_auth(planned):
    _, store = planned
    binding = store.binding
    assert isinstance(binding, SecretStoreBinding)
    assert binding.provider == {"aws": {
        "service": "SecretsManager",
        "region": "me-central-1",
        "auth": {"jwt": {"serviceAccountRef": {"name": "external-secrets-store"}}},
    }}
    identity = binding.identity
    assert (identity.cloud, identity.namespace, identity.service_account) == ("aws", "mlflow", "external-secrets-store")
    assert identity.service_account_annotations == {"eks.amazonaws.com/role-arn": store.role_arn}


def test_role_trusts_only_the_store_service_account(planned):
    plan, _ = planned
    (statement,) = json.loads(one_of_type(plan, "aws:iam/role:Role")["inputs"]["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Federated": OIDC_PROVIDER}
    assert statement["Condition"] == {"StringEquals": {
        ISSUER_HOST + ":sub": "system:serviceaccount:mlflow:external-secrets-store",
        ISSUER_HOST + ":aud": "sts.amazonaws.com",
    }}


def test_role_reads_exactly_the_namespace_secrets_and_nothing_else(planned):
    plan, _ = planned
    statements = json.loads(one_of_type(plan, "aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"])["Statement"]
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        (["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"], sorted([ADMIN_SECRET, DB_SECRET])),
        ("kms:Decrypt", SECRETS_KEY),
    ]
    assert statements[1]["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.me-central-1.amazonaws.com"}}


def test_role_sits_inside_the_store_component(planned):
    plan, _ = planned
    store = one_of_type(plan, "sahab:aws:SecretsManagerStore")
    role_component = one_of_type(plan, "sahab:aws:WorkloadRole")
    provider = one_of_type(plan, "pulumi:providers:aws")
    assert role_component["parent"] == store["urn"]
    role = one_of_type(plan, "aws:iam/role:Role")
    assert (role["parent"], role["provider"], role["region"]) == (role_component["urn"], provider["urn"], "me-central-1")


@pytest.mark.parametrize("overrides, message", [
    ({"secret_arns": []}, "SecretsManagerStore: secret_arns must not be empty"),
    ({"secret_arns": ["arn:aws:secretsmanager:me-central-1:111122223333:secret:*"]},
     "SecretsManagerStore: secret_arns[0] 'arn:aws:secretsmanager:me-central-1:111122223333:secret:*' contains a "
     "wildcard; name exactly one secret"),
    ({"secret_arns": ["arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"]},
     "SecretsManagerStore: secret_arns[0] 'arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf' is a secret "
     "in us-east-1, outside the UAE; use a secret in me-central-1"),
    ({"kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/abc"},
     "SecretsManagerStore: kms_key_arn 'arn:aws:kms:eu-west-1:111122223333:key/abc' is a key in eu-west-1, outside "
     "the UAE; use a key in me-central-1"),
    ({"namespace": "MLflow"},
     "SecretsManagerStore: namespace 'MLflow' must be a DNS label (lowercase letters, digits and dashes, at most 63)"),
])
def test_bad_input_registers_nothing(overrides, message):
    resources, error = attempt_plan(lambda: SecretsManagerStore("mlflow-store", _args(**overrides)))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []
