"""In-region pinned images and the secure container/pod defaults every workload is built from."""
from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from sahab.components.kubernetes import Image, Resources
from sahab.components.kubernetes.images import require_image
from sahab.components.kubernetes.workload import gpu_tolerations, secure_container, secure_pod_spec
from sahab.components.validation import ComponentInputError
from sahab.testing import one_of_type, plan_resources

ECR = "111122223333.dkr.ecr.me-central-1.amazonaws.com"
DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize("image, reference", [
    (Image(ECR, "mlflow/mlflow", tag="v3.17.2"), ECR + "/mlflow/mlflow:v3.17.2"),
    (Image(ECR, "mlflow/mlflow", tag="v3.17.2", digest=DIGEST), ECR + "/mlflow/mlflow@" + DIGEST),
    (Image("sahabmodels.azurecr.io", "serving/mlserver", tag="1.7.1"), "sahabmodels.azurecr.io/serving/mlserver:1.7.1"),
])
def test_in_region_pinned_images_are_accepted(image, reference):
    assert require_image("Thing", "image", image) == reference


def test_an_image_reference_parses_back():
    assert Image.parse(ECR + "/mlflow/mlflow:v3.17.2@" + DIGEST) == Image(ECR, "mlflow/mlflow", "v3.17.2", DIGEST)


@pytest.mark.parametrize("image, message", [
    (Image("docker.io", "mlflow/mlflow", tag="v3.17.2"),
     "Thing: image.registry 'docker.io' is not an in-region registry; mirror the image into ECR in me-central-1 "
     "(<account>.dkr.ecr.me-central-1.amazonaws.com) or a UAE Azure Container Registry (<name>.azurecr.io)"),
    (Image("111122223333.dkr.ecr.eu-west-1.amazonaws.com", "mlflow", tag="1.0"),
     "Thing: image.registry '111122223333.dkr.ecr.eu-west-1.amazonaws.com' is not an in-region registry; mirror the image "
     "into ECR in me-central-1 (<account>.dkr.ecr.me-central-1.amazonaws.com) or a UAE Azure Container Registry (<name>.azurecr.io)"),
    (Image(ECR, "mlflow", tag="latest"), "Thing: image tag 'latest' moves to new content; pin a version tag or, better, a digest"),
    (Image(ECR, "mlflow"), "Thing: image needs a digest (sha256:...) or a version tag; got None"),
    (Image(ECR, "mlflow", digest="sha256:abc"), "Thing: image.digest 'sha256:abc' must be sha256:<64 lowercase hex>"),
    (ECR + "/mlflow:1.0", "Thing: image must be a sahab Image(registry, repository, tag|digest); got '%s/mlflow:1.0'" % ECR),
])
def test_other_images_are_refused(image, message):
    with pytest.raises(ComponentInputError) as error:
        require_image("Thing", "image", image)
    assert str(error.value) == message


@pytest.mark.parametrize("resources, message", [
    (Resources("1", "1Gi", "500m", "1Gi"), "Thing: resources.cpu_request 1 exceeds cpu_limit 500m"),
    (Resources("100m", "2Gi", "1", "1Gi"), "Thing: resources.memory_request 2Gi exceeds memory_limit 1Gi"),
    (Resources("lots", "1Gi", "1", "1Gi"), "Thing: resources.cpu_request 'lots' is not a CPU quantity such as 500m or 2"),
    (Resources("1", "1GB", "1", "1Gi"), "Thing: resources.memory_request '1GB' is not a memory quantity such as 512Mi"),
    (Resources("1", "1Gi", "1", "1Gi", gpus=-1), "Thing: resources.gpus must be a whole number >= 0, got -1"),
])
def test_resources_must_be_bounded_and_consistent(resources, message):
    with pytest.raises(ComponentInputError) as error:
        resources.validate("Thing", "resources")
    assert str(error.value) == message


def _deployment_pod(**pod):
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        container = secure_container("app", ECR + "/app@" + DIGEST, Resources("100m", "128Mi", "1", "1Gi", gpus=2),
                                     ports={"http": 8080})
        k8s.apps.v1.Deployment("app", spec=k8s.apps.v1.DeploymentSpecArgs(
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": "a"}),
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels={"app": "a"}),
                spec=secure_pod_spec([container], **pod))), opts=pulumi.ResourceOptions(provider=provider))
    return one_of_type(plan_resources(program), "kubernetes:apps/v1:Deployment")["inputs"]["spec"]["template"]["spec"]


def test_containers_are_non_root_read_only_and_capability_free():
    container = _deployment_pod()["containers"][0]
    assert container["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "allowPrivilegeEscalation": False,
        "privileged": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi", "nvidia.com/gpu": "2"},
                                      "limits": {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": "2"}}
    assert container["imagePullPolicy"] == "IfNotPresent"


def test_pods_mount_no_api_token_unless_they_call_the_api():
    pod = _deployment_pod(tolerations=gpu_tolerations())
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert _deployment_pod(needs_api=True)["automountServiceAccountToken"] is True
