"""ImageRegistry: KMS-encrypted, scan-on-push repositories with immutable tags by default."""
from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from sahab.components.aws import UaeProvider
from sahab.components.aws.image_registry import ImageRegistry, ImageRegistryArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import assert_pinned_and_contained, attempt_plan, one_of_type, plan_resources, resources_of_type

REGION = "me-central-1"
KEY = "arn:aws:kms:me-central-1:123456789012:key/5a6b7c8d-1111-2222-3333-444455556666"
COMPONENT = "sahab:aws:ImageRegistry"
REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"


@pytest.fixture(scope="module")
def plan():
    return plan_resources(lambda: ImageRegistry("ml", ImageRegistryArgs(kms_key_arn=KEY)))



def test_every_resource_is_pinned_and_inside_the_component(plan):
    assert_pinned_and_contained(plan, COMPONENT)


def test_callers_uae_provider_is_used():
    resources = plan_resources(lambda: ImageRegistry("ml", ImageRegistryArgs(kms_key_arn=KEY, provider=UaeProvider("uae"))))
    assert one_of_type(resources, "pulumi:providers:aws")["name"] == "uae"
    assert_pinned_and_contained(resources, COMPONENT)


def test_default_repositories_are_immutable_scanned_and_kms_encrypted(plan):
    repositories = resources_of_type(plan, REPOSITORY)
    assert sorted(r["inputs"]["name"] for r in repositories) == ["ml/serving", "ml/training"]
    for repository in repositories:
        inputs = repository["inputs"]
        assert inputs["imageTagMutability"] == "IMMUTABLE"
        assert inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KEY}]
        assert inputs["forceDelete"] is False
        assert "sahab:exception" not in (inputs.get("tags") or {})


def test_key_from_the_same_program_is_traced_to_the_key_resource():
    def program():
        provider = UaeProvider("uae")
        key = aws.kms.Key("images", enable_key_rotation=True, opts=pulumi.ResourceOptions(provider=provider))
        ImageRegistry("ml", ImageRegistryArgs(kms_key_arn=key.arn, repositories=["serving"], provider=provider))

    resources = plan_resources(program)
    repository = one_of_type(resources, REPOSITORY)
    assert repository["inputs"]["encryptionConfigurations"][0]["encryptionType"] == "KMS"
    assert one_of_type(resources, "aws:kms/key:Key")["urn"] in repository["propertyDependencies"]["encryptionConfigurations"]


def test_every_repository_has_a_lifecycle_policy(plan):
    policies = resources_of_type(plan, LIFECYCLE)
    assert sorted(p["inputs"]["repository"] for p in policies) == ["ml/serving", "ml/training"]
    for policy in policies:
        rules = json.loads(policy["inputs"]["policy"])["rules"]
        untagged = next(r for r in rules if r["selection"]["tagStatus"] == "untagged")
        assert untagged["selection"]["countType"] == "sinceImagePushed" and untagged["selection"]["countNumber"] == 14
        assert all(r["action"] == {"type": "expire"} for r in rules)
        repository = next(r for r in resources_of_type(plan, REPOSITORY) if r["inputs"]["name"] == policy["inputs"]["repository"])
        assert policy["propertyDependencies"]["repository"] == [repository["urn"]]


def test_mutable_tags_only_by_name_and_visible_in_the_plan():
    resources = plan_resources(lambda: ImageRegistry("ml", ImageRegistryArgs(kms_key_arn=KEY, allow_mutable_tags=True)))
    for repository in resources_of_type(resources, REPOSITORY):
        assert repository["inputs"]["imageTagMutability"] == "MUTABLE"
        assert repository["inputs"]["tags"]["sahab:exception"] == "mutable-image-tags"
        assert repository["inputs"]["imageScanningConfiguration"] == {"scanOnPush": True}


def test_outputs_by_repository():
    made = {}

    def program():
        made["registry"] = ImageRegistry("ml", ImageRegistryArgs(kms_key_arn=KEY, repositories=["serving"]))

    plan_resources(program)
    assert made["registry"].repository_names == {"serving": "ml/serving"}
    assert set(made["registry"].repository_urls) == {"serving"}


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, message", [
    ({"region": "eu-west-1"}, "ImageRegistry: region 'eu-west-1' is outside the UAE; sahab pins AWS resources to me-central-1"),
    ({"repositories": []}, "ImageRegistry: repositories must not be empty"),
    ({"repositories": ["training", ""]},
     "ImageRegistry: repository name '' must be 1-64 lowercase letters or digits, separated by single '.', '_' or '-'"),
    ({"repositories": ["Training"]},
     "ImageRegistry: repository name 'Training' must be 1-64 lowercase letters or digits, separated by single '.', '_' or '-'"),
    ({"repositories": ["serving", "serving"]}, "ImageRegistry: repositories must not repeat: serving, serving"),
    ({"allow_mutable_tags": "yes"}, "ImageRegistry: allow_mutable_tags must be True or False, got 'yes'"),
    ({"kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/abc"},
     "ImageRegistry: kms_key_arn 'arn:aws:kms:eu-west-1:123456789012:key/abc' is a key in eu-west-1, outside the UAE; "
     "use a key in me-central-1"),
    ({"untagged_expiry_days": 0}, "ImageRegistry: untagged_expiry_days must be a whole number >= 1, got 0"),
])
def test_bad_input_registers_nothing(overrides, message):
    args = {"kms_key_arn": KEY, **overrides}
    resources, error = attempt_plan(lambda: ImageRegistry("ml", ImageRegistryArgs(**args)))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []


def test_empty_name_registers_nothing():
    resources, error = attempt_plan(lambda: ImageRegistry("", ImageRegistryArgs(kms_key_arn=KEY)))
    assert str(error) == "ImageRegistry: name must be a non-empty string"
    assert resources == []


def test_plain_aws_provider_is_refused():
    resources, error = attempt_plan(
        lambda: ImageRegistry("ml", ImageRegistryArgs(kms_key_arn=KEY, provider=aws.Provider("plain", region=REGION))))
    assert isinstance(error, ComponentInputError)
    assert str(error) == ("ImageRegistry: provider must be a sahab UaeProvider (its region is checked); got Provider. "
                          "Create it with sahab.components.aws.UaeProvider(name, region='me-central-1')")
    assert [r["name"] for r in resources] == ["plain"]
