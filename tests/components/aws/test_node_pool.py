"""The hardening both node pools share (components/aws/node_pool.py), checked through each pool."""
from __future__ import annotations

import base64
import json

import pulumi
import pytest

from sahab.components.aws.gpu_training_pool import GpuTrainingPool, GpuTrainingPoolArgs
from sahab.components.aws.inference_pool import InferencePool, InferencePoolArgs
from sahab.components.aws.node_pool import NodeTaint
from sahab.components.node_bootstrap import NodeBootstrap, al2023_mime
from sahab.components.validation import require_cidrs
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

VOLUMES_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000004"
CLUSTER_SG = "sg-0cluster"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def gpu_pool(name="gpu", **overrides):
    values = dict(cluster_name="ml", volumes_kms_key_arn=VOLUMES_KEY, security_group_ids=[CLUSTER_SG],
                  zones=["me-central-1a", "me-central-1b"],
                  subnet_ids_by_zone={"me-central-1a": "subnet-0a", "me-central-1b": "subnet-0b"},
                  instance_types=["g6e.xlarge"])
    values.update(overrides)
    return GpuTrainingPool(name, GpuTrainingPoolArgs(**values))


def inference_pool(name="serve", **overrides):
    values = dict(cluster_name="ml", volumes_kms_key_arn=VOLUMES_KEY, security_group_ids=[CLUSTER_SG],
                  subnet_ids=["subnet-0a", "subnet-0b"])
    values.update(overrides)
    return InferencePool(name, InferencePoolArgs(**values))


POOLS = {"gpu": gpu_pool, "inference": inference_pool}


@pytest.fixture(scope="module", params=sorted(POOLS))
def pool(request):
    factory = POOLS[request.param]
    return factory, plan_resources(lambda: factory())


def test_imds_v2_only_with_hop_limit_one(pool):
    _, resources = pool
    metadata = one_of_type(resources, LAUNCH_TEMPLATE)["inputs"]["metadataOptions"]
    assert metadata == {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1}


def test_root_volume_encrypted_with_the_volumes_key(pool):
    _, resources = pool
    mappings = one_of_type(resources, LAUNCH_TEMPLATE)["inputs"]["blockDeviceMappings"]
    assert [m["deviceName"] for m in mappings] == ["/dev/xvda"]
    ebs = mappings[0]["ebs"]
    assert ebs["encrypted"] == "true"
    assert ebs["kmsKeyId"] == VOLUMES_KEY
    assert ebs["volumeType"] == "gp3"
    assert ebs["deleteOnTermination"] == "true"


def test_no_public_ip_and_security_groups_on_the_interface(pool):
    _, resources = pool
    inputs = one_of_type(resources, LAUNCH_TEMPLATE)["inputs"]
    assert inputs["networkInterfaces"] == [{
        "deviceIndex": 0, "associatePublicIpAddress": "false", "deleteOnTermination": "true",
        "securityGroups": [CLUSTER_SG],
    }]
    assert "keyName" not in inputs and "imageId" not in inputs  # user data: the node bootstrap, below


def test_monitoring_and_tags_on_everything_launched(pool):
    _, resources = pool
    inputs = one_of_type(resources, LAUNCH_TEMPLATE)["inputs"]
    assert inputs["monitoring"] == {"enabled": True}
    assert [t["resourceType"] for t in inputs["tagSpecifications"]] == ["instance", "volume", "network-interface"]
    assert all(t["tags"]["sahab:node-pool"] for t in inputs["tagSpecifications"])


def test_node_role_trusts_ec2_with_minimal_policies(pool):
    _, resources = pool
    role = one_of_type(resources, "aws:iam/role:Role")
    trust = json.loads(role["inputs"]["assumeRolePolicy"])
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}]
    policies = sorted(a["inputs"]["policyArn"]
                      for a in resources_of_type(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"))
    assert policies == ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
                        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"]


def test_node_group_uses_the_launch_template_and_role(pool):
    _, resources = pool
    group = one_of_type(resources, NODE_GROUP)
    template = one_of_type(resources, LAUNCH_TEMPLATE)
    role = one_of_type(resources, "aws:iam/role:Role")
    assert group["propertyDependencies"]["launchTemplate"] == [template["urn"]]
    assert group["propertyDependencies"]["nodeRoleArn"] == [role["urn"]]
    assert group["inputs"]["updateConfig"] == {"maxUnavailable": 1}
    assert group["inputs"]["clusterName"] == "ml"
    assert group["options"]["ignoreChanges"] == ["scalingConfig.desiredSize"]
    attachments = resources_of_type(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert {a["urn"] for a in attachments} <= set(group["dependencies"])


def test_every_pool_resource_is_in_the_uae_under_the_component(pool):
    _, resources = pool
    provider = one_of_type(resources, "pulumi:providers:aws")
    component = next(r for r in resources if r["type"].startswith("sahab:aws:"))
    assert {r["region"] for r in resources} == {"me-central-1"}
    children = [r for r in resources if r["custom"] and r["type"] != "pulumi:providers:aws"]
    assert len(children) == 5
    assert all(r["provider"] == provider["urn"] and r["parent"] == component["urn"] for r in children)


@pytest.mark.parametrize("factory, ami_type", [(gpu_pool, "BOTTLEROCKET_x86_64_NVIDIA"),
                                               (inference_pool, "BOTTLEROCKET_x86_64")])
def test_bottlerocket_encrypts_os_and_data_volumes(factory, ami_type):
    resources = plan_resources(lambda: factory(ami_type=ami_type, bootstrap=None))
    mappings = one_of_type(resources, LAUNCH_TEMPLATE)["inputs"]["blockDeviceMappings"]
    assert [m["deviceName"] for m in mappings] == ["/dev/xvda", "/dev/xvdb"]
    assert all(m["ebs"]["encrypted"] == "true" and m["ebs"]["kmsKeyId"] == VOLUMES_KEY for m in mappings)
    assert one_of_type(resources, NODE_GROUP)["inputs"]["amiType"] == ami_type


def test_extra_labels_and_taints_are_added():
    resources = plan_resources(lambda: inference_pool(labels={"team": "search"},
                                                      taints=[NodeTaint("dedicated", "search", "NO_EXECUTE")]))
    inputs = one_of_type(resources, NODE_GROUP)["inputs"]
    assert inputs["labels"] == {"team": "search", "sahab.io/pool": "inference"}
    assert inputs["taints"] == [{"key": "dedicated", "value": "search", "effect": "NO_EXECUTE"}]


@pytest.mark.parametrize("component, factory", [("GpuTrainingPool", gpu_pool), ("InferencePool", inference_pool)])
@pytest.mark.parametrize("overrides, message", [
    ({"min_size": 3, "max_size": 2}, "{c}: min_size (3) must not exceed max_size (2)"),
    ({"min_size": 1, "max_size": 4, "desired_size": 5},
     "{c}: desired_size (5) must be between min_size (1) and max_size (4)"),
    ({"volumes_kms_key_arn": ""},
     "{c}: volumes_kms_key_arn is required (a KMS key ARN in me-central-1)"),
    ({"volumes_kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/abc"},
     "{c}: volumes_kms_key_arn 'arn:aws:kms:eu-west-1:111122223333:key/abc' is a key in eu-west-1, outside the UAE"),
    ({"volumes_kms_key_arn": "alias/aws/ebs"},
     "{c}: volumes_kms_key_arn 'alias/aws/ebs' is not a KMS key ARN (arn:aws:kms:me-central-1:<account>:key/<id>)"),
    ({"security_group_ids": []}, "{c}: security_group_ids must not be empty (include the cluster security group)"),
    ({"labels": {"sahab.io/pool": "other"}}, "{c}: label sahab.io/pool is set by the pool"),
    ({"labels": {"bad key": "x"}}, "{c}: label key 'bad key' is not a valid Kubernetes label key"),
    ({"taints": [NodeTaint("a", "b", "NoSchedule")]},
     "{c}: taint effect 'NoSchedule' is not allowed; choose one of: NO_EXECUTE, NO_SCHEDULE, PREFER_NO_SCHEDULE"),
    ({"root_volume_size_gib": 8}, "{c}: root_volume_size_gib must be between 20 and 16384, got 8"),
    ({"region": "me-south-1"}, "{c}: region 'me-south-1' is outside the UAE; sahab pins AWS resources to me-central-1"),
])
def test_shared_checks_refuse_before_any_resource(component, factory, overrides, message):
    resources, error = attempt_plan(lambda: factory(**overrides))
    assert isinstance(error, ComponentInputError)
    assert str(error).startswith(message.format(c=component))
    assert resources == []


@pytest.mark.parametrize("factory", [gpu_pool, inference_pool])
def test_empty_name_is_refused(factory):
    resources, error = attempt_plan(lambda: factory(name=""))
    assert str(error) == "%s: name must be a non-empty string" % ("GpuTrainingPool" if factory is gpu_pool else "InferencePool")
    assert resources == []


def test_cidr_checks():
    require_cidrs("X", "cidrs", ["10.0.0.0/16", "fd00::/8"], private_only=True)
    for cidr in ("0.0.0.0/0", "::/0"):
        with pytest.raises(ComponentInputError, match="must not contain"):
            require_cidrs("X", "cidrs", [cidr], private_only=False)
    with pytest.raises(ComponentInputError, match="is not a private range"):
        require_cidrs("X", "cidrs", ["8.8.8.0/24"], private_only=True)
    with pytest.raises(ComponentInputError, match="is not a valid CIDR block"):
        require_cidrs("X", "cidrs", ["10.0.0.1/16"], private_only=False)


def test_lists_may_be_outputs_from_other_components():
    """Network hands out ``private_subnet_ids`` as one Output; pools accept it as it is."""

    def program():
        subnets = pulumi.Output.from_input(["subnet-0a", "subnet-0b"])
        groups = pulumi.Output.from_input([CLUSTER_SG])
        inference_pool(subnet_ids=subnets, security_group_ids=groups)

    resources = plan_resources(program)
    assert one_of_type(resources, NODE_GROUP)["inputs"]["subnetIds"] == ["subnet-0a", "subnet-0b"]
    interfaces = one_of_type(resources, LAUNCH_TEMPLATE)["inputs"]["networkInterfaces"]
    assert interfaces[0]["securityGroups"] == [CLUSTER_SG]


# -- the node bootstrap (components/node_bootstrap) ----------------------------------------


def _user_data(factory, **overrides) -> str:
    resources = plan_resources(lambda: factory(**overrides))
    return base64.b64decode(one_of_type(resources, LAUNCH_TEMPLATE)["inputs"]["userData"]).decode("ascii")


@pytest.mark.parametrize("factory, gpu", [(gpu_pool, True), (inference_pool, False)])
def test_default_bootstrap_is_the_library_render_with_ssh_disabled(factory, gpu):
    text = _user_data(factory)
    assert text == al2023_mime(NodeBootstrap(ssh="disabled"), gpu=gpu)
    assert 'SAHAB_SSH_MODE="disabled"' in text
    assert "readOnlyPort: 0" in text and "protectKernelDefaults: true" in text
    assert ('default_runtime_name = "nvidia"' in text) is gpu


def test_key_only_ssh_is_rendered():
    assert 'SAHAB_SSH_MODE="key-only"' in _user_data(inference_pool, bootstrap=NodeBootstrap(ssh="key-only"))


@pytest.mark.parametrize("factory, ami_type, component", [
    (gpu_pool, "BOTTLEROCKET_x86_64_NVIDIA", "GpuTrainingPool"), (inference_pool, "BOTTLEROCKET_x86_64", "InferencePool")])
def test_bottlerocket_with_a_bootstrap_is_refused(factory, ami_type, component):
    _, error = attempt_plan(lambda: factory(ami_type=ami_type))
    assert isinstance(error, ComponentInputError)
    assert str(error).startswith("%s: %s cannot run sahab's node bootstrap" % (component, ami_type))


def test_bottlerocket_without_bootstrap_has_no_user_data():
    resources = plan_resources(lambda: inference_pool(ami_type="BOTTLEROCKET_x86_64", bootstrap=None))
    assert one_of_type(resources, LAUNCH_TEMPLATE)["inputs"].get("userData") is None


@pytest.mark.parametrize("overrides, message", [
    ({"bootstrap": None}, "InferencePool: bootstrap=None leaves AL2023_x86_64_STANDARD nodes without sahab's hardening"),
    ({"bootstrap": NodeBootstrap(ssh="password")}, "InferencePool: bootstrap ssh must be one of disabled, key-only, got 'password'"),
])
def test_bad_bootstrap_arguments_are_refused(overrides, message):
    _, error = attempt_plan(lambda: inference_pool(**overrides))
    assert isinstance(error, ComponentInputError) and str(error).startswith(message)
