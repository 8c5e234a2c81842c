"""PlatformSecrets: generated credentials in Secrets Manager, CMK-encrypted, shown only as secrets."""
from __future__ import annotations

import pytest

from sahab.components.aws.platform_secrets import GeneratedSecret, PlatformSecrets, PlatformSecretsArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

COMPONENT = "sahab:aws:PlatformSecrets"
SECRETS_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000007"
SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
PASSWORD = "random:index/randomPassword:RandomPassword"
NAMES = ["mlflow-admin-password", "mlflow-flask-secret-key"]


@pytest.fixture(scope="module")
def planned():
    made = {}

    def program():
        made["secrets"] = PlatformSecrets("ml", PlatformSecretsArgs(kms_key_arn=SECRETS_KEY))

    return plan_resources(program), made["secrets"]


@pytest.fixture(scope="module")
def plan(planned):
    return planned[0]


def _by_name(resources, type_token):
    return {r["name"]: r for r in resources_of_type(resources, type_token)}


def test_one_cmk_encrypted_secret_per_credential(plan):
    secrets = _by_name(plan, SECRET)
    assert sorted(secrets) == ["ml-%s" % n for n in NAMES]
    for name in NAMES:
        inputs = secrets["ml-" + name]["inputs"]
        assert inputs["name"] == "ml/" + name
        assert inputs["kmsKeyId"] == SECRETS_KEY
        assert inputs["recoveryWindowInDays"] == 30
        assert "replicas" not in inputs  # never copied out of the region
        assert "policy" not in inputs


def test_values_are_generated_and_appear_only_as_secrets(plan):
    passwords = _by_name(plan, PASSWORD)
    for name in NAMES:
        generated = passwords["ml-" + name]["inputs"]
        assert generated == {"length": 48, "special": False, "minLower": 1, "minUpper": 1, "minNumeric": 1}
        version = _by_name(plan, VERSION)["ml-" + name]
        assert version["inputs"]["secretString"] == {"$secret": True}
        assert set(version["inputs"]) == {"secretId", "secretString"}  # the generated value and nothing else
        assert version["secrets"] == ["secretString"]
        secret_urn = _by_name(plan, SECRET)["ml-" + name]["urn"]
        assert version["propertyDependencies"]["secretId"] == [secret_urn]
        assert version["propertyDependencies"]["secretString"] == [passwords["ml-" + name]["urn"]]


def test_every_resource_is_inside_the_component_on_an_explicit_provider(plan):
    component = one_of_type(plan, COMPONENT)
    aws_provider = one_of_type(plan, "pulumi:providers:aws")
    random_provider = one_of_type(plan, "pulumi:providers:random")
    assert aws_provider["inputs"]["region"] == "me-central-1"
    assert random_provider["parent"] == component["urn"]
    for resource in resources_of_type(plan, SECRET) + resources_of_type(plan, VERSION):
        assert (resource["provider"], resource["parent"], resource["region"]) == (aws_provider["urn"], component["urn"], "me-central-1")
    for resource in resources_of_type(plan, PASSWORD):
        assert (resource["provider"], resource["parent"]) == (random_provider["urn"], component["urn"])


def test_secret_arns_by_name(planned):
    _, secrets = planned
    assert sorted(secrets.secret_arns) == NAMES
    assert secrets.secret_arn("mlflow-admin-password") is secrets.secret_arns["mlflow-admin-password"]
    with pytest.raises(ComponentInputError) as raised:
        secrets.secret_arn("db-password")
    assert str(raised.value) == ("PlatformSecrets: no secret 'db-password'; this component has: "
                                 "mlflow-admin-password, mlflow-flask-secret-key")


def test_custom_secret_and_recovery_window():
    resources = plan_resources(lambda: PlatformSecrets("ci", PlatformSecretsArgs(
        kms_key_arn=SECRETS_KEY, secrets=[GeneratedSecret("runner-webhook", "webhook HMAC", length=64)],
        recovery_window_in_days=7)))
    assert one_of_type(resources, SECRET)["inputs"]["recoveryWindowInDays"] == 7
    assert one_of_type(resources, PASSWORD)["inputs"]["length"] == 64


@pytest.mark.parametrize("overrides, message", [
    ({"kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/abc"},
     "PlatformSecrets: kms_key_arn 'arn:aws:kms:eu-west-1:111122223333:key/abc' is a key in eu-west-1, outside the UAE; "
     "use a key in me-central-1"),
    ({"kms_key_arn": "arn:aws:kms:me-central-1:111122223333:alias/secrets"},
     "PlatformSecrets: kms_key_arn 'arn:aws:kms:me-central-1:111122223333:alias/secrets' is not a KMS key ARN "
     "(arn:aws:kms:me-central-1:<account>:key/<id>)"),
    ({"kms_key_arn": None}, "PlatformSecrets: kms_key_arn is required (a KMS key ARN in me-central-1)"),
    ({"secrets": []}, "PlatformSecrets: secrets must not be empty"),
    ({"secrets": [GeneratedSecret("a", "x"), GeneratedSecret("a", "y")]}, "PlatformSecrets: secrets[1].name 'a' is repeated"),
    ({"secrets": [GeneratedSecret("Admin", "x")]},
     "PlatformSecrets: secrets[0].name 'Admin' must be 1-48 lowercase letters, digits or dashes"),
    ({"secrets": [GeneratedSecret("short", "x", length=16)]}, "PlatformSecrets: secrets[0].length must be between 32 and 128, got 16"),
    ({"recovery_window_in_days": 0},
     "PlatformSecrets: recovery_window_in_days must be between 7 and 30 (a deleted secret stays recoverable), got 0"),
])
def test_bad_input_registers_nothing(overrides, message):
    resources, error = attempt_plan(lambda: PlatformSecrets("ml", PlatformSecretsArgs(**{"kms_key_arn": SECRETS_KEY, **overrides})))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []
