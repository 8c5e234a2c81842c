"""GpuTrainingPool and InferencePool on AKS: catalogued GPU sizes, taints, scale from zero, hardening."""
from __future__ import annotations

import pytest

from azure_compute_fixtures import NODE_SUBNET
from sahab.components.azure import UaeAzureProvider, UaeResourceGroup
from sahab.components.azure.gpu_training_pool import GpuTrainingPool, GpuTrainingPoolArgs
from sahab.components.azure.inference_pool import InferencePool, InferencePoolArgs
from sahab.components.azure.node_pool import NodeTaint
from sahab.components.node_bootstrap import NodeBootstrap
from sahab.components.validation import ComponentInputError
from sahab.testing import assert_azure_pinned_and_contained, attempt_plan, one_of_type, plan_resources

POOL = "azure-native:containerservice:AgentPool"


def _pool(kind, name, location="uaenorth", **overrides):
    provider = UaeAzureProvider("azure", location=location)
    group = UaeResourceGroup("platform", provider=provider)
    values = dict(cluster_name="ml", resource_group=group, subnet_id=NODE_SUBNET, provider=provider, location=location)
    values.update(overrides)
    if kind == "gpu":
        return GpuTrainingPool(name, GpuTrainingPoolArgs(**values))
    return InferencePool(name, InferencePoolArgs(**values))


@pytest.fixture(scope="module")
def gpu():
    return plan_resources(lambda: _pool("gpu", "gpu"))


def test_gpu_pool_hardening_in_the_plan(gpu):
    inputs = one_of_type(gpu, POOL)["inputs"]
    assert inputs["mode"] == "User" and inputs["resourceName"] == "ml" and inputs["agentPoolName"] == "gpu"
    assert inputs["enableNodePublicIP"] is False
    assert inputs["enableEncryptionAtHost"] is True
    # The node bootstrap's AKS part: SSH off, no unsafe sysctls, swap off.
    assert inputs["securityProfile"] == {"sshAccess": "Disabled"}
    assert inputs["kubeletConfig"] == {"allowedUnsafeSysctls": [], "failSwapOn": True}
    assert inputs["linuxOSConfig"] == {"swapFileSizeMB": 0}
    assert inputs["vnetSubnetID"] == NODE_SUBNET


def test_key_only_ssh_is_akss_local_user_access():
    pool = plan_resources(lambda: _pool("gpu", "gpu", bootstrap=NodeBootstrap(ssh="key-only")))
    assert one_of_type(pool, POOL)["inputs"]["securityProfile"] == {"sshAccess": "LocalUser"}


def test_gpu_pool_taint_labels_and_scale_from_zero(gpu):
    inputs = one_of_type(gpu, POOL)["inputs"]
    assert inputs["nodeTaints"] == ["nvidia.com/gpu=true:NoSchedule"]
    assert inputs["nodeLabels"] == {"sahab.io/pool": "gpu-training", "nvidia.com/gpu.present": "true"}
    assert (inputs["enableAutoScaling"], inputs["minCount"], inputs["count"], inputs["maxCount"]) == (True, 0, 0, 2)
    assert "scaleSetPriority" not in inputs


def test_gpu_pool_leaves_the_driver_to_the_gpu_operator_and_records_unverified_availability(gpu):
    inputs = one_of_type(gpu, POOL)["inputs"]
    assert inputs["vmSize"] == "Standard_NC24ads_A100_v4"
    assert inputs["gpuProfile"] == {"driver": "None"}
    assert inputs["tags"]["sahab:gpu-availability"] == "unverified"
    assert inputs["tags"]["sahab:gpu-family"] == "NC_A100_v4"


def test_gpu_pool_zones_in_uaenorth_and_none_in_uaecentral(gpu):
    assert one_of_type(gpu, POOL)["inputs"]["availabilityZones"] == ["1", "2", "3"]
    central = plan_resources(lambda: _pool("gpu", "gpu", location="uaecentral"))
    assert "availabilityZones" not in one_of_type(central, POOL)["inputs"]
    assert_azure_pinned_and_contained([r for r in central if r["type"] != "azure-native:resources:ResourceGroup"],
                                      "sahab:azure:GpuTrainingPool", location="uaecentral")


def test_spot_and_aks_driver_are_opt_in():
    inputs = one_of_type(plan_resources(lambda: _pool("gpu", "gpu", spot=True, aks_installs_driver=True, zones=["2"])), POOL)["inputs"]
    assert (inputs["scaleSetPriority"], inputs["scaleSetEvictionPolicy"], inputs["spotMaxPrice"]) == ("Spot", "Delete", -1)
    assert inputs["gpuProfile"] == {"driver": "Install"}
    assert inputs["availabilityZones"] == ["2"]


def test_gpu_pool_exposes_what_training_jobs_target():
    holder = {}
    plan_resources(lambda: holder.setdefault("pool", _pool("gpu", "gpu", vm_size="Standard_NC96ads_A100_v4")))
    pool = holder["pool"].gpu_pool
    assert (dict(pool.node_selector), pool.taint_key, pool.gpus_per_node) == (
        {"sahab.io/pool": "gpu-training", "nvidia.com/gpu.present": "true"}, "nvidia.com/gpu", 4)


@pytest.mark.parametrize("overrides, message", [
    (dict(vm_size="Standard_NC6s_v3"), "vm_size Standard_NC6s_v3 is in the NCv3 family (NVIDIA V100), which Azure retired on 2025-09-30"),
    (dict(vm_size="Standard_D4ds_v5"), "vm_size 'Standard_D4ds_v5' is not in sahab's GPU size catalogue"),
    (dict(zones=["1"], location="uaecentral"), "zones ['1'] given, but uaecentral has no availability zones"),
    (dict(zones=["4"]), "zones entry '4' is not a zone of uaenorth"),
    (dict(location="westeurope"), "region 'westeurope' is outside the UAE; sahab pins Azure resources to uaenorth, uaecentral"),
    (dict(pool_name="GPU-Pool"), "AKS pool name 'GPU-Pool' must be 1-12 lowercase letters or digits"),
    (dict(cluster_name=""), "cluster_name is required"),
    (dict(subnet_id=""), "subnet_id is required"),
    (dict(labels={"sahab.io/pool": "other"}), "label sahab.io/pool is set by the pool"),
    (dict(taints=[NodeTaint("a", "b", "NO_SCHEDULE")]), "taint effect 'NO_SCHEDULE' is not allowed"),
    (dict(min_count=3, max_count=2), "min_count (3) must not exceed max_count (2)"),
    (dict(bootstrap=NodeBootstrap(ssh="password")), "bootstrap ssh must be one of disabled, key-only, got 'password'"),
    (dict(bootstrap="disabled"), "bootstrap must be a NodeBootstrap(ssh=...), got 'disabled'"),
])
def test_bad_gpu_pool_input_is_refused_before_anything_registers(overrides, message):
    location = overrides.pop("location", "uaenorth")

    def program():
        provider = UaeAzureProvider("azure", location=location if location.startswith("uae") else "uaenorth")
        group = UaeResourceGroup("platform", provider=provider)
        values = dict(cluster_name="ml", resource_group=group, subnet_id=NODE_SUBNET, location=location)
        if location.startswith("uae"):
            values["provider"] = provider
        values.update(overrides)
        GpuTrainingPool("gpu", GpuTrainingPoolArgs(**values))

    resources, error = attempt_plan(program)
    assert isinstance(error, ComponentInputError) and message in str(error), error
    assert [r for r in resources if r["type"] not in ("pulumi:providers:azure-native", "azure-native:resources:ResourceGroup")] == []


def test_a_long_component_name_needs_an_explicit_pool_name():
    _, error = attempt_plan(lambda: _pool("gpu", "gpu-training-a100"))
    assert "AKS pool name 'gpu-training-a100' must be 1-12 lowercase letters or digits starting with a letter; pass pool_name=..." in str(error)
    resources = plan_resources(lambda: _pool("gpu", "gpu-training-a100", pool_name="a100"))
    assert one_of_type(resources, POOL)["inputs"]["agentPoolName"] == "a100"


def test_inference_pool_is_cpu_always_on_and_hardened():
    inputs = one_of_type(plan_resources(lambda: _pool("cpu", "serve")), POOL)["inputs"]
    assert inputs["vmSize"] == "Standard_D4ds_v5"
    assert (inputs["minCount"], inputs["maxCount"]) == (2, 6)
    assert inputs["nodeLabels"] == {"sahab.io/pool": "inference"}
    assert "nodeTaints" not in inputs and "gpuProfile" not in inputs
    assert inputs["enableNodePublicIP"] is False and inputs["enableEncryptionAtHost"] is True


@pytest.mark.parametrize("overrides, message", [
    (dict(vm_size="Standard_NC4as_T4_v3"), "Standard_NC4as_T4_v3 is an N-series (GPU/FPGA) size; the inference pool is CPU-only"),
    (dict(vm_size="d4ds"), "vm_size 'd4ds' is not an Azure VM size"),
    (dict(min_count=0), "min_count must be >= 1, got 0"),
])
def test_bad_inference_pool_input_is_refused(overrides, message):
    resources, error = attempt_plan(lambda: _pool("cpu", "serve", **overrides))
    assert isinstance(error, ComponentInputError) and message in str(error), error
    assert [r for r in resources if r["type"] == POOL] == []


def test_inference_pool_scales_to_zero_only_when_asked():
    inputs = one_of_type(plan_resources(lambda: _pool("cpu", "serve", min_count=0, allow_scale_to_zero=True)), POOL)["inputs"]
    assert inputs["minCount"] == 0
