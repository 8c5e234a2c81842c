"""GpuTrainingPool: catalogue-checked GPU types, GPU taint, scale to zero, spot, EFA for p5en."""
from __future__ import annotations

import pytest

from sahab.components.aws.catalogue import load_catalogue
from sahab.components.aws.gpu_training_pool import GpuTrainingPool, GpuTrainingPoolArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

VOLUMES_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000004"
CLUSTER_SG = "sg-0cluster"
SUBNETS = {"me-central-1a": "subnet-0a", "me-central-1b": "subnet-0b", "me-central-1c": "subnet-0c"}
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
PLACEMENT_GROUP = "aws:ec2/placementGroup:PlacementGroup"
CATALOGUE = "(catalogue: moto 5.2.5, 2026-12-02)"


def gpu_pool(name="gpu", **overrides):
    values = dict(cluster_name="ml", volumes_kms_key_arn=VOLUMES_KEY, security_group_ids=[CLUSTER_SG],
                  zones=["me-central-1a", "me-central-1b"], subnet_ids_by_zone=SUBNETS,
                  instance_types=["g6e.2xlarge", "g6e.4xlarge"])
    values.update(overrides)
    return GpuTrainingPool(name, GpuTrainingPoolArgs(**values))


@pytest.fixture(scope="module")
def planned():
    return plan_resources(lambda: gpu_pool())


def test_nvidia_ami_and_the_catalogued_types(planned):
    inputs = one_of_type(planned, NODE_GROUP)["inputs"]
    assert inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert inputs["instanceTypes"] == ["g6e.2xlarge", "g6e.4xlarge"]
    assert inputs["subnetIds"] == ["subnet-0a", "subnet-0b"]


def test_gpu_taint_and_labels(planned):
    inputs = one_of_type(planned, NODE_GROUP)["inputs"]
    assert inputs["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert inputs["labels"] == {"sahab.io/pool": "gpu-training", "nvidia.com/gpu.present": "true"}


def test_scales_to_zero_on_demand_by_default(planned):
    inputs = one_of_type(planned, NODE_GROUP)["inputs"]
    assert inputs["scalingConfig"] == {"minSize": 0, "desiredSize": 0, "maxSize": 2}
    assert inputs["capacityType"] == "ON_DEMAND"


def test_no_efa_or_placement_group_for_g_families(planned):
    assert resources_of_type(planned, PLACEMENT_GROUP) == []
    template = one_of_type(planned, LAUNCH_TEMPLATE)["inputs"]
    assert "placement" not in template
    assert all("interfaceType" not in ni for ni in template["networkInterfaces"])
    assert one_of_type(planned, "sahab:aws:GpuTrainingPool")["region"] == "me-central-1"


def test_spot_is_opt_in():
    resources = plan_resources(lambda: gpu_pool(spot=True))
    assert one_of_type(resources, NODE_GROUP)["inputs"]["capacityType"] == "SPOT"


def test_p5en_gets_efa_interfaces_and_a_cluster_placement_group():
    resources = plan_resources(lambda: gpu_pool(instance_types=["p5en.48xlarge"], zones=["me-central-1c"]))
    group = one_of_type(resources, PLACEMENT_GROUP)
    assert group["inputs"]["strategy"] == "cluster"
    assert group["region"] == "me-central-1"
    template = one_of_type(resources, LAUNCH_TEMPLATE)
    assert template["propertyDependencies"]["placement"] == [group["urn"]]
    # The group is auto-named (as pulumi-aws does in a preview); the template names it, marked as an auto-name.
    assert template["inputs"]["placement"] == {"groupName": group["inputs"]["name"]}
    assert "placement.groupName" in template.get("autonamed", [])
    interfaces = template["inputs"]["networkInterfaces"]
    assert len(interfaces) == 16
    assert all(ni["interfaceType"] == "efa" for ni in interfaces)
    assert [ni["networkCardIndex"] for ni in interfaces] == list(range(16))
    assert interfaces[0]["deviceIndex"] == 0 and interfaces[0]["associatePublicIpAddress"] == "false"
    assert all(ni["deviceIndex"] == 1 and "associatePublicIpAddress" not in ni for ni in interfaces[1:])
    assert all(ni["securityGroups"] == [CLUSTER_SG] for ni in interfaces)
    assert template["inputs"]["metadataOptions"]["httpTokens"] == "required"
    assert one_of_type(resources, NODE_GROUP)["inputs"]["subnetIds"] == ["subnet-0c"]


def test_efa_interface_count_can_be_lowered():
    resources = plan_resources(lambda: gpu_pool(instance_types=["p5en.48xlarge"], zones=["me-central-1a"],
                                                efa_interfaces=4))
    assert len(one_of_type(resources, LAUNCH_TEMPLATE)["inputs"]["networkInterfaces"]) == 4


@pytest.mark.parametrize("overrides, message", [
    ({"instance_types": ["g5.xlarge"], "zones": ["me-central-1c"]},
     "GpuTrainingPool: GPU instance type g5.xlarge is not offered in me-central-1c %s; "
     "valid choices for zones me-central-1c: p5en.48xlarge" % CATALOGUE),
    ({"instance_types": ["p5en.48xlarge"], "zones": ["me-central-1b"]},
     "GpuTrainingPool: GPU instance type p5en.48xlarge is not offered in me-central-1b %s; "
     "valid choices for zones me-central-1b: g5.12xlarge, g5.16xlarge, g5.24xlarge, g5.2xlarge, g5.48xlarge, "
     "g5.4xlarge, g5.8xlarge, g5.xlarge, g6.12xlarge, g6.16xlarge, g6.24xlarge, g6.2xlarge, g6.48xlarge, "
     "g6.4xlarge, g6.8xlarge, g6.xlarge, g6e.12xlarge, g6e.16xlarge, g6e.24xlarge, g6e.2xlarge, g6e.48xlarge, "
     "g6e.4xlarge, g6e.8xlarge, g6e.xlarge" % CATALOGUE),
    ({"instance_types": ["m7i.xlarge"]},
     "GpuTrainingPool: GPU instance type m7i.xlarge is not offered in me-central-1a, me-central-1b %s; "
     "valid choices for zones me-central-1a, me-central-1b: %s"
     % (CATALOGUE, ", ".join(load_catalogue().types_offered_in(["me-central-1a", "me-central-1b"])))),
    ({"instance_types": ["p5en.48xlarge"], "zones": ["me-central-1a", "me-central-1c"]},
     "GpuTrainingPool: p5en.48xlarge uses a cluster placement group, which lives in one availability zone; "
     "choose exactly one zone, got me-central-1a, me-central-1c"),
    ({"instance_types": ["p5en.48xlarge", "g6e.xlarge"], "zones": ["me-central-1a"]},
     "GpuTrainingPool: p5en.48xlarge needs EFA networking and a cluster placement group; "
     "put it in its own pool, not with g6e.xlarge"),
    ({"efa_interfaces": 2}, "GpuTrainingPool: efa_interfaces applies only to EFA instance types (p5en)"),
    ({"zones": ["me-central-1a", "me-central-1d"]},
     "GpuTrainingPool: zone(s) me-central-1d are not in me-central-1; choose from me-central-1a, me-central-1b, me-central-1c"),
    ({"subnet_ids_by_zone": {"me-central-1a": "subnet-0a"}},
     "GpuTrainingPool: subnet_ids_by_zone has no subnet for me-central-1b; it has me-central-1a"),
    ({"ami_type": "AL2023_x86_64_STANDARD"},
     "GpuTrainingPool: ami_type 'AL2023_x86_64_STANDARD' is not allowed; choose one of: "
     "AL2023_x86_64_NVIDIA, BOTTLEROCKET_x86_64_NVIDIA"),
    ({"min_size": 2, "max_size": 1}, "GpuTrainingPool: min_size (2) must not exceed max_size (1)"),
    ({"region": "us-east-1"},
     "GpuTrainingPool: region 'us-east-1' is outside the UAE; sahab pins AWS resources to me-central-1"),
    ({"instance_types": []}, "GpuTrainingPool: instance_types must not be empty"),
])
def test_bad_input_is_refused_before_any_resource(overrides, message):
    resources, error = attempt_plan(lambda: gpu_pool(**overrides))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []


def test_empty_name_is_refused():
    resources, error = attempt_plan(lambda: gpu_pool(name=""))
    assert str(error) == "GpuTrainingPool: name must be a non-empty string"
    assert resources == []


@pytest.mark.parametrize("instance_types, gpus", [(["g6e.2xlarge", "g6e.4xlarge"], 1), (["g6e.12xlarge", "g6e.48xlarge"], 4)])
def test_training_jobs_target_the_pool_by_its_labels_taint_and_smallest_node(instance_types, gpus):
    pools = []
    plan_resources(lambda: pools.append(gpu_pool(instance_types=instance_types)))
    pool = pools[0].gpu_pool
    assert (dict(pool.node_selector), pool.taint_key, pool.gpus_per_node) == (
        {"sahab.io/pool": "gpu-training", "nvidia.com/gpu.present": "true"}, "nvidia.com/gpu", gpus)


def test_the_catalogue_knows_the_gpus_of_every_offered_type():
    catalogue = load_catalogue()
    assert set(catalogue.gpus) == set(catalogue.accelerated)
    assert (catalogue.gpus["g6e.48xlarge"], catalogue.gpus["p5en.48xlarge"], catalogue.gpus["g5.xlarge"]) == (8, 8, 1)
