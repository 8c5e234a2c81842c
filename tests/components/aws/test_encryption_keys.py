"""EncryptionKeys: one rotating, single-region key per data class with a least-privilege policy."""
from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from sahab.components.aws import UaeProvider
from sahab.components.aws.encryption_keys import EncryptionKeys, EncryptionKeysArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import assert_pinned_and_contained, attempt_plan, one_of_type, plan_resources, resources_of_type

REGION = "me-central-1"
ACCOUNT = "123456789012"  # the planner's answer to get_caller_identity
ADMIN = "arn:aws:iam::123456789012:role/platform-admin"
COMPONENT = "sahab:aws:EncryptionKeys"
KEY = "aws:kms/key:Key"
CLASSES = ["artifacts", "cluster-secrets", "volumes", "database", "logs", "images", "secrets", "caches"]
USAGE = {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}
VIA = {"artifacts": "s3", "cluster-secrets": "eks", "volumes": "ec2", "database": "rds", "images": "ecr",
       "secrets": "secretsmanager", "caches": "elasticache"}


@pytest.fixture(scope="module")
def planned():
    made = {}

    def program():
        made["keys"] = EncryptionKeys("ml", EncryptionKeysArgs(admin_role_arn=ADMIN))

    return plan_resources(program), made["keys"]


@pytest.fixture(scope="module")
def plan(planned):
    return planned[0]



def _key(resources, data_class):
    (key,) = [k for k in resources_of_type(resources, KEY) if k["inputs"]["tags"]["sahab:data-class"] == data_class]
    return key


def _policy(resources, data_class):
    return json.loads(_key(resources, data_class)["inputs"]["policy"])


def _actions(statement):
    action = statement["Action"]
    return set(action if isinstance(action, list) else [action])


def test_every_resource_is_pinned_and_inside_the_component(plan):
    assert_pinned_and_contained(plan, COMPONENT)


def test_callers_uae_provider_is_used():
    resources = plan_resources(lambda: EncryptionKeys("ml", EncryptionKeysArgs(admin_role_arn=ADMIN, provider=UaeProvider("uae"))))
    assert one_of_type(resources, "pulumi:providers:aws")["name"] == "uae"
    assert_pinned_and_contained(resources, COMPONENT)


def test_one_key_per_data_class_rotating_single_region(plan):
    keys = resources_of_type(plan, KEY)
    assert sorted(k["inputs"]["tags"]["sahab:data-class"] for k in keys) == sorted(CLASSES)
    for key in keys:
        assert key["inputs"]["enableKeyRotation"] is True
        assert key["inputs"]["multiRegion"] is False
        assert key["inputs"]["deletionWindowInDays"] == 30
        assert key["inputs"]["bypassPolicyLockoutSafetyCheck"] is False


def test_each_key_has_its_alias(plan):
    aliases = resources_of_type(plan, "aws:kms/alias:Alias")
    assert sorted(a["inputs"]["name"] for a in aliases) == sorted("alias/ml-%s" % c for c in CLASSES)
    for alias in aliases:
        data_class = alias["inputs"]["name"][len("alias/ml-"):]
        assert alias["propertyDependencies"]["targetKeyId"] == [_key(plan, data_class)["urn"]]


@pytest.mark.parametrize("data_class", CLASSES)
def test_no_wildcard_grants(plan, data_class):
    for statement in _policy(plan, data_class)["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "kms:*" not in _actions(statement)
        assert statement["Principal"] != "*" and statement["Principal"] != {"AWS": "*"}


@pytest.mark.parametrize("data_class", CLASSES)
def test_admin_administers_but_cannot_use(plan, data_class):
    (admin,) = [s for s in _policy(plan, data_class)["Statement"] if s["Principal"] == {"AWS": ADMIN}]
    assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:EnableKeyRotation"} <= _actions(admin)
    assert not _actions(admin) & {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant"}


@pytest.mark.parametrize("data_class", sorted(VIA))
def test_usage_only_through_the_data_class_service(plan, data_class):
    statements = _policy(plan, data_class)["Statement"]
    (usage,) = [s for s in statements if s.get("Sid") == "UseThroughServiceOnly"]
    assert _actions(usage) == USAGE
    assert usage["Principal"] == {"AWS": "arn:aws:iam::%s:root" % ACCOUNT}
    assert usage["Condition"]["StringEquals"] == {
        "kms:ViaService": "%s.%s.amazonaws.com" % (VIA[data_class], REGION), "kms:CallerAccount": ACCOUNT,
    }
    for statement in statements:
        if statement["Principal"] != {"AWS": ADMIN}:
            assert statement.get("Condition"), statement  # every non-admin grant is conditional


def test_grants_only_for_aws_resources(plan):
    for data_class in ("volumes", "database", "cluster-secrets", "images", "caches"):
        grants = [s for s in _policy(plan, data_class)["Statement"] if "kms:CreateGrant" in _actions(s)]
        assert grants
        assert all(g["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"} for g in grants)
    for data_class in ("artifacts", "secrets"):
        assert not any("kms:CreateGrant" in _actions(s) for s in _policy(plan, data_class)["Statement"])


def test_secrets_key_is_usable_only_through_secrets_manager(plan):
    statements = _policy(plan, "secrets")["Statement"]
    assert [s["Sid"] for s in statements] == ["KeyAdministration", "UseThroughServiceOnly"]
    assert statements[1]["Condition"] == {"StringEquals": {
        "kms:ViaService": "secretsmanager.me-central-1.amazonaws.com", "kms:CallerAccount": ACCOUNT}}


def test_volumes_key_lets_only_the_autoscaling_service_linked_role_launch_nodes(plan):
    slr = "arn:aws:iam::%s:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling" % ACCOUNT
    statements = [s for s in _policy(plan, "volumes")["Statement"] if s["Principal"] == {"AWS": slr}]
    assert {s["Sid"] for s in statements} == {"AutoScalingNodeVolumes", "AutoScalingNodeVolumeGrants"}
    (grants,) = [s for s in statements if s["Sid"] == "AutoScalingNodeVolumeGrants"]
    assert _actions(grants) == {"kms:CreateGrant"}
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    for data_class in ("artifacts", "cluster-secrets", "database", "logs", "images", "secrets"):
        assert not [s for s in _policy(plan, data_class)["Statement"] if s["Principal"] == {"AWS": slr}]
    resources = plan_resources(lambda: EncryptionKeys("ml", EncryptionKeysArgs(
        admin_role_arn=ADMIN, data_classes=["volumes"], autoscaling_service_linked_role=False)))
    assert not [s for s in _policy(resources, "volumes")["Statement"] if s["Principal"] == {"AWS": slr}]


def test_logs_key_is_for_this_accounts_log_groups_only(plan):
    statements = _policy(plan, "logs")["Statement"]
    (logs,) = [s for s in statements if s["Principal"] == {"Service": "logs.me-central-1.amazonaws.com"}]
    assert _actions(logs) == USAGE
    assert logs["Condition"] == {"ArnLike": {
        "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:me-central-1:%s:log-group:*" % ACCOUNT,
    }}
    assert [s["Sid"] for s in statements] == [  # admin, logs service, CloudTrail (AuditTrail), nothing else
        "KeyAdministration", "CloudWatchLogsUse", "CloudTrailEncryptLogs", "CloudTrailDescribeKey", "ReadCloudTrailLogs"]


def test_logs_key_lets_cloudtrail_encrypt_only_this_accounts_trails(plan):
    statements = {s["Sid"]: s for s in _policy(plan, "logs")["Statement"]}
    trails = "arn:aws:cloudtrail:me-central-1:%s:trail/*" % ACCOUNT
    encrypt = statements["CloudTrailEncryptLogs"]
    assert (encrypt["Principal"], _actions(encrypt)) == ({"Service": "cloudtrail.amazonaws.com"}, {"kms:GenerateDataKey*"})
    assert encrypt["Condition"] == {"StringLike": {
        "aws:SourceArn": trails, "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:%s:trail/*" % ACCOUNT}}
    assert statements["CloudTrailDescribeKey"]["Condition"] == {"StringLike": {"aws:SourceArn": trails}}
    read = statements["ReadCloudTrailLogs"]
    assert (read["Principal"], _actions(read)) == ({"AWS": "arn:aws:iam::%s:root" % ACCOUNT}, {"kms:Decrypt"})
    assert read["Condition"]["StringEquals"] == {"kms:CallerAccount": ACCOUNT}
    for data_class in ("artifacts", "cluster-secrets", "database", "images", "secrets"):
        assert not [s for s in _policy(plan, data_class)["Statement"] if "CloudTrail" in s["Sid"]]


def test_outputs_by_data_class(planned):
    _, keys = planned
    assert sorted(keys.key_arns) == sorted(CLASSES)
    assert keys.key_arn("logs") is keys.key_arns["logs"]
    with pytest.raises(ComponentInputError) as raised:
        keys.key_arn("backups")
    assert str(raised.value) == ("EncryptionKeys: no key for data class 'backups'; this component has: "
                                 "artifacts, cluster-secrets, volumes, database, logs, images, secrets, caches")


def test_subset_of_data_classes():
    resources = plan_resources(lambda: EncryptionKeys("ml", EncryptionKeysArgs(admin_role_arn=ADMIN, data_classes=["logs"])))
    assert [k["inputs"]["tags"]["sahab:data-class"] for k in resources_of_type(resources, KEY)] == ["logs"]


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, message", [
    ({"region": "eu-west-1"}, "EncryptionKeys: region 'eu-west-1' is outside the UAE; sahab pins AWS resources to me-central-1"),
    ({"data_classes": []}, "EncryptionKeys: data_classes must not be empty"),
    ({"data_classes": ["logs", "backups"]},
     "EncryptionKeys: data class(es) 'backups' are not known; choose from artifacts, cluster-secrets, volumes, database, "
     "logs, images, secrets, caches"),
    ({"data_classes": ["logs", "logs"]}, "EncryptionKeys: data_classes must not repeat: logs, logs"),
    ({"deletion_window_in_days": 3}, "EncryptionKeys: deletion_window_in_days must be between 7 and 30, got 3"),
    ({"admin_role_arn": ""}, "EncryptionKeys: admin_role_arn is required (the IAM role that administers the keys)"),
    ({"admin_role_arn": "arn:aws:iam::123456789012:role/*"},
     "EncryptionKeys: admin_role_arn 'arn:aws:iam::123456789012:role/*' must be an IAM role ARN "
     "(arn:aws:iam::<account>:role/<name>), without wildcards"),
])
def test_bad_input_registers_nothing(overrides, message):
    args = {"admin_role_arn": ADMIN, **overrides}
    resources, error = attempt_plan(lambda: EncryptionKeys("ml", EncryptionKeysArgs(**args)))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []


def test_empty_name_registers_nothing():
    resources, error = attempt_plan(lambda: EncryptionKeys("", EncryptionKeysArgs(admin_role_arn=ADMIN)))
    assert str(error) == "EncryptionKeys: name must be a non-empty string"
    assert resources == []


def test_plain_aws_provider_is_refused():
    def program():
        EncryptionKeys("ml", EncryptionKeysArgs(admin_role_arn=ADMIN, provider=aws.Provider("plain", region=REGION)))

    resources, error = attempt_plan(program)
    assert isinstance(error, ComponentInputError)
    assert str(error) == ("EncryptionKeys: provider must be a sahab UaeProvider (its region is checked); got Provider. "
                          "Create it with sahab.components.aws.UaeProvider(name, region='me-central-1')")
    assert [r["name"] for r in resources] == ["plain"]
