"""InferencePool: CPU-only serving nodes, always-on unless scale-to-zero is explicitly allowed."""
from __future__ import annotations

import pytest

from sahab.components.aws.inference_pool import InferencePool, InferencePoolArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources

VOLUMES_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000004"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
GPU_REFUSAL = ("InferencePool: %s is a GPU/accelerator instance type; the inference pool is CPU-only. "
               "Use GpuTrainingPool for GPU nodes (it checks zone offerings and taints the nodes)")


def inference_pool(name="serve", **overrides):
    values = dict(cluster_name="ml", volumes_kms_key_arn=VOLUMES_KEY, security_group_ids=["sg-0cluster"],
                  subnet_ids=["subnet-0a", "subnet-0b"])
    values.update(overrides)
    return InferencePool(name, InferencePoolArgs(**values))


@pytest.fixture(scope="module")
def planned():
    return plan_resources(lambda: inference_pool())


def test_cpu_node_group_for_serving(planned):
    inputs = one_of_type(planned, NODE_GROUP)["inputs"]
    assert inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert inputs["instanceTypes"] == ["m7i.xlarge"]
    assert inputs["capacityType"] == "ON_DEMAND"
    assert inputs["labels"] == {"sahab.io/pool": "inference"}
    assert "taints" not in inputs
    assert inputs["subnetIds"] == ["subnet-0a", "subnet-0b"]


def test_always_on_by_default(planned):
    scaling = one_of_type(planned, NODE_GROUP)["inputs"]["scalingConfig"]
    assert scaling == {"minSize": 2, "desiredSize": 2, "maxSize": 6}
    assert scaling["minSize"] >= 1


def test_in_the_uae(planned):
    assert {r["region"] for r in planned} == {"me-central-1"}
    assert one_of_type(planned, "sahab:aws:InferencePool")["regionSource"] == "provider"


def test_scale_to_zero_needs_the_explicit_argument_and_shows_in_the_plan():
    resources = plan_resources(lambda: inference_pool(min_size=0, allow_scale_to_zero=True))
    assert one_of_type(resources, NODE_GROUP)["inputs"]["scalingConfig"]["minSize"] == 0


@pytest.mark.parametrize("instance_type", ["g5.xlarge", "p5en.48xlarge", "g4dn.xlarge", "inf2.xlarge", "trn1.2xlarge"])
def test_gpu_and_accelerator_types_point_to_the_gpu_pool(instance_type):
    resources, error = attempt_plan(lambda: inference_pool(instance_types=["m7i.xlarge", instance_type]))
    assert isinstance(error, ComponentInputError)
    assert str(error) == GPU_REFUSAL % instance_type
    assert resources == []


@pytest.mark.parametrize("name, overrides, message", [
    ("serve", {"min_size": 0}, "InferencePool: min_size must be >= 1, got 0"),
    ("serve", {"min_size": 4, "max_size": 3}, "InferencePool: min_size (4) must not exceed max_size (3)"),
    ("", {}, "InferencePool: name must be a non-empty string"),
    ("serve", {"region": "eu-central-1"},
     "InferencePool: region 'eu-central-1' is outside the UAE; sahab pins AWS resources to me-central-1"),
    ("serve", {"subnet_ids": []}, "InferencePool: subnet_ids must not be empty"),
    ("serve", {"instance_types": ["m7i xlarge"]}, "InferencePool: 'm7i xlarge' is not an EC2 instance type"),
    ("serve", {"ami_type": "AL2023_x86_64_NVIDIA"},
     "InferencePool: ami_type 'AL2023_x86_64_NVIDIA' is not allowed; choose one of: "
     "AL2023_x86_64_STANDARD, BOTTLEROCKET_x86_64"),
])
def test_bad_input_is_refused_before_any_resource(name, overrides, message):
    resources, error = attempt_plan(lambda: inference_pool(name, **overrides))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []
