"""What ``sahab verify`` checks on the reference platform, exported as the stack outputs it reads.

Only what is known when the program runs, so the outputs are plain values at plan time too:

* ``verifyHosts``: per role, *how to find* the hosts, not their names (nodes come and go with the
  autoscaler, runner pods with jobs): the node pools' labels, read through node-debug pods whose
  image is the busybox mirrored in the stack's registry (nodes boot with SSH disabled), and the
  runner pods' namespace, labels and container. ``sahab verify`` resolves them with ``kubectl``.
* ``verifyEndpoints``: MLflow's and each served model's in-cluster URL with what the platform
  promises about it. Both are ClusterIP Services (private). Neither serves TLS inside the cluster
  (the zero-trust network policies, not TLS, guard the hop), so ``tls`` is false and that check is
  skipped with the reason, never passed. MLflow requires a login (its basic-auth app; the probe is
  an API call); MLServer has no authentication of its own, so serving promises none.

docs/verify.md#stack-outputs describes the format; tests/test_reference_stack.py parses these.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping

import pulumi

from sahab.components.kubernetes import Image
from sahab.components.kubernetes.ci_runner_values import RUNNER_POD_LABELS
from sahab.components.kubernetes.model_registry import service_host
from sahab.components.kubernetes.serving import HTTP_PORT
from sahab.verification.inventory import ENDPOINTS_OUTPUT, HOSTS_OUTPUT

from .ml_services import MLFLOW_NAMESPACE, SERVING_NAMESPACE
from .platform_services import CI_NAMESPACE
from .settings import AzurePlatformSettings, PlatformSettings

# The node-debug pods' image: a shell, chroot and sleep. Mirror docker.io/library/busybox:1.37.0 in the registry.
DEBUG_IMAGE = ("busybox", "1.37.0")
MLFLOW_PORT = 5000  # ModelRegistryArgs' default, which the reference stack keeps (the test compares mlflowTrackingUri)
MLFLOW_AUTH_PROBE = "/api/2.0/mlflow/experiments/search?max_results=1"
RUNNER_CONTAINER = "runner"  # ARC's runner container (ci_runner_values)


def _nodes(labels: Mapping[str, str], registry: str) -> Dict[str, Any]:
    return {"nodes": dict(labels), "image": Image(registry, DEBUG_IMAGE[0], tag=DEBUG_IMAGE[1]).reference}


def _verify_outputs(registry: str, gpu_labels: Mapping[str, str], inference_labels: Mapping[str, str],
                    served_models: Mapping[str, str]) -> Dict[str, Any]:
    endpoints: List[Dict[str, Any]] = [{
        "name": "mlflow", "url": "http://%s:%d" % (service_host("mlflow", MLFLOW_NAMESPACE), MLFLOW_PORT),
        "tls": False, "auth": True, "private": True, "auth_probe": MLFLOW_AUTH_PROBE}]
    endpoints += [{"name": "serving-%s" % model, "url": "http://%s.%s.svc:%d" % (model, SERVING_NAMESPACE, HTTP_PORT),
                   "tls": False, "auth": False, "private": True} for model in sorted(served_models)]
    return {HOSTS_OUTPUT: {
        "gpu-training": [_nodes(gpu_labels, registry)],
        "inference": [_nodes(inference_labels, registry)],
        "ci-runner": [{"pods": dict(RUNNER_POD_LABELS), "namespace": CI_NAMESPACE, "container": RUNNER_CONTAINER}],
    }, ENDPOINTS_OUTPUT: endpoints}


def aws_verify_outputs(settings: PlatformSettings) -> Dict[str, Any]:
    """``verifyHosts`` and ``verifyEndpoints`` of the AWS reference platform (stacks/platform_services.py)."""
    from sahab.components.aws import gpu_training_pool as gpu, inference_pool as inference

    return _verify_outputs(settings.image_registry, gpu.POOL_LABELS, inference.POOL_LABELS, settings.served_models)


def azure_verify_outputs(settings: AzurePlatformSettings) -> Dict[str, Any]:
    """The same for the Azure platform (its AKS pools have SSH disabled too)."""
    from sahab.components.azure import gpu_training_pool as gpu, inference_pool as inference

    return _verify_outputs(settings.image_registry, gpu.POOL_LABELS, inference.POOL_LABELS, settings.served_models)


def export_verify_outputs(outputs: Mapping[str, Any]) -> None:
    for name, value in outputs.items():
        pulumi.export(name, value)
