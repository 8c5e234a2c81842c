"""TrainingOperator and TrainingJob: KubeRay pinned and scoped to its queues; Ray jobs on the GPU
pool with GPU limits, secure containers, checkpoints in the artifact store and no static keys."""
from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from sahab.components.kubernetes import Allow, ChartRef, Image, NamespaceQuota, WorkloadIdentityBinding
from sahab.components.kubernetes.gpu import GpuEnablement, GpuEnablementArgs
from sahab.components.kubernetes.images import MUTABLE_TAGS
from sahab.components.kubernetes.training import (
    GpuPool, TrainingJob, TrainingJobArgs, TrainingOperator, TrainingOperatorArgs, TrainingQueue,
)
from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.evaluate import evaluate_rules
from sahab.gate.rules import load_bundle
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

ECR = "111122223333.dkr.ecr.me-central-1.amazonaws.com"
DIGEST = "sha256:" + "ab" * 32
ROLE = "arn:aws:iam::111122223333:role/llm-finetune"
RAY_JOB = "kubernetes:ray.io/v1:RayJob"
RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
S3_ENDPOINT = Allow("artifact-store", ports=[443], cidr="10.0.128.0/20")
POOL = GpuPool({"sahab.io/pool": "gpu-training"}, gpus_per_node=4)
STATIC_KEYS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_CLIENT_SECRET"}


def _operator(provider, **overrides):
    values = dict(provider=provider, operator_image=Image(ECR, "kuberay/operator", "v1.7.0"),
                  api_server_cidrs=["10.0.0.0/16"], queues=[TrainingQueue("training", egress=[S3_ENDPOINT])])
    values.update(overrides)
    return TrainingOperator("ray", TrainingOperatorArgs(**values))


def _job_args(operator, **overrides):
    values = dict(
        operator=operator, queue="training", image=Image(ECR, "ray/ray-ml", "2.52.0-gpu"), ray_version="2.52.0",
        entrypoint="python -m train --epochs 3", checkpoint_uri="s3://ml-artifacts/checkpoints/llm-finetune",
        identity=WorkloadIdentityBinding.aws_irsa("training", "llm-finetune", ROLE),
        gpu_pool=POOL, workers=2, gpus_per_worker=4)
    values.update(overrides)
    return TrainingJobArgs(**values)


def _plan(operator=None, **job):
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        TrainingJob("llm-finetune", _job_args(_operator(provider, **(operator or {})), **job))
    return plan_resources(program)


@pytest.fixture(scope="module")
def planned():
    return _plan()


def _spec(resources):
    return one_of_type(resources, RAY_JOB)["inputs"]["spec"]


def _pod_specs(spec):
    cluster = spec["rayClusterSpec"]
    return {"head": cluster["headGroupSpec"]["template"]["spec"],
            **{group["groupName"]: group["template"]["spec"] for group in cluster["workerGroupSpecs"]}}


def _namespaces(resources):
    return {r["inputs"]["metadata"]["name"]: r["inputs"]["metadata"] for r in resources_of_type(resources, NAMESPACE)}


def _policies(resources, namespace):
    return {r["inputs"]["metadata"]["name"]: r["inputs"]["spec"] for r in resources_of_type(resources, POLICY)
            if r["inputs"]["metadata"]["namespace"] == namespace}


def test_the_gate_finds_only_the_declared_gpu_exception():
    """The rules see the RayJob's pods (images, privilege, identity) and the namespaces: GPUs plus
    training raise nothing but the GPU operator's reported Pod Security exception."""
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        GpuEnablement("gpu", GpuEnablementArgs(provider=provider, registry=ECR, api_server_cidrs=["10.0.0.0/16"]))
        TrainingJob("llm-finetune", _job_args(_operator(provider)))
    plan = {"project": "test", "stack": "test", "resources": plan_resources(program)}
    engine = EmbeddedEngine()
    try:
        findings = evaluate_rules(plan, load_bundle(), engine)
    finally:
        engine.close()
    assert [(f.rule_id, f.status, f.urn.rsplit("::", 1)[-1]) for f in findings] == [
        ("SAHAB-WKL-004", "violation", "gpu-ns")]


# -- the operator ---------------------------------------------------------------------------------

def test_kuberay_is_pinned_and_pulled_from_the_mirror(planned):
    inputs = one_of_type(planned, RELEASE)["inputs"]
    assert (inputs["chart"], inputs["version"], inputs["repositoryOpts"], inputs["namespace"]) == (
        "kuberay-operator", "1.7.0", {"repo": "https://ray-project.github.io/kuberay-helm/"}, "kuberay-system")
    assert inputs["values"]["image"] == {"repository": ECR + "/kuberay/operator", "tag": "v1.7.0",
                                         "pullPolicy": "Always"}


def test_a_digest_pins_the_operator_image():
    def program():
        _operator(k8s.Provider("cluster", kubeconfig="{}"),
                  operator_image=Image(ECR, "kuberay/operator", "v1.7.0", DIGEST))
    image = one_of_type(plan_resources(program), RELEASE)["inputs"]["values"]["image"]
    assert image == {"repository": ECR + "/kuberay/operator", "tag": "v1.7.0@" + DIGEST, "pullPolicy": "IfNotPresent"}


def test_the_operator_watches_only_its_queues_with_namespaced_rbac(planned):
    values = one_of_type(planned, RELEASE)["inputs"]["values"]
    assert (values["singleNamespaceInstall"], values["watchNamespace"], values["rbacEnable"],
            values["crNamespacedRbacEnable"]) == (True, ["training"], True, True)


def test_the_operator_pod_is_restricted_and_bounded(planned):
    values = one_of_type(planned, RELEASE)["inputs"]["values"]
    assert values["securityContext"] == {
        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
    # The image's USER (distroless nonroot), stated so the pod is checked as a high UID.
    assert values["podSecurityContext"] == {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                                            "seccompProfile": {"type": "RuntimeDefault"}}
    assert values["resources"] == {"requests": {"cpu": "100m", "memory": "512Mi"},
                                   "limits": {"cpu": "500m", "memory": "1Gi"}}


def test_operator_and_queue_namespaces_enforce_restricted(planned):
    namespaces = _namespaces(planned)
    assert set(namespaces) == {"kuberay-system", "training"}
    for metadata in namespaces.values():
        labels = metadata["labels"]
        levels = {mode: labels["pod-security.kubernetes.io/" + mode] for mode in ("enforce", "audit", "warn")}
        assert levels == {"enforce": "restricted", "audit": "restricted", "warn": "restricted"}
        assert "annotations" not in metadata


def test_only_the_operator_reaches_the_ray_dashboards(planned):
    operator = _policies(planned, "kuberay-system")
    assert sorted(operator) == ["allow-out-api-server-0", "allow-out-dns", "allow-out-ray-training", "default-deny"]
    assert operator["allow-out-ray-training"]["egress"] == [{
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "training"}},
                "podSelector": {"matchLabels": {"ray.io/node-type": "head"}}}],
        "ports": [{"port": 8265, "protocol": "TCP"}]}]
    queue = _policies(planned, "training")
    assert queue["allow-in-kuberay-operator"] == {
        "podSelector": {"matchLabels": {"ray.io/node-type": "head"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kuberay-system"}},
                               "podSelector": {"matchLabels": {"app.kubernetes.io/name": "kuberay-operator"}}}],
                     "ports": [{"port": 8265, "protocol": "TCP"}]}]}


def test_the_queue_has_a_gpu_quota(planned):
    quotas = {r["inputs"]["metadata"]["namespace"]: r["inputs"]["spec"]["hard"]
              for r in resources_of_type(planned, "kubernetes:core/v1:ResourceQuota")}
    assert quotas["training"]["requests.nvidia.com/gpu"] == "8"
    assert quotas["kuberay-system"]["requests.nvidia.com/gpu"] == "0"


# -- the job --------------------------------------------------------------------------------------

def test_workers_get_exactly_the_gpus_they_ask_for_on_the_gpu_pool(planned):
    cluster = _spec(planned)["rayClusterSpec"]
    group = cluster["workerGroupSpecs"][0]
    sizes = (group["replicas"], group["minReplicas"], group["maxReplicas"])
    assert (group["groupName"], sizes) == ("gpu-workers", (2, 2, 2))
    worker = group["template"]["spec"]
    resources = worker["containers"][0]["resources"]
    assert resources["limits"]["nvidia.com/gpu"] == resources["requests"]["nvidia.com/gpu"] == "4"
    assert worker["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert worker["nodeSelector"] == {"sahab.io/pool": "gpu-training"}


def test_the_head_stays_off_gpu_nodes_and_runs_no_tasks(planned):
    head = _spec(planned)["rayClusterSpec"]["headGroupSpec"]
    assert head["rayStartParams"]["num-cpus"] == "0"
    spec = head["template"]["spec"]
    assert "tolerations" not in spec and "nodeSelector" not in spec
    assert "nvidia.com/gpu" not in spec["containers"][0]["resources"]["limits"]


def test_every_ray_container_is_secure_bounded_and_pinned_in_region(planned):
    for role, pod in _pod_specs(_spec(planned)).items():
        assert pod["securityContext"]["runAsNonRoot"] is True, role
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, role
        assert pod["automountServiceAccountToken"] is False, role
        assert pod["serviceAccountName"] == "llm-finetune", role
        for container in pod["containers"]:
            context = container["securityContext"]
            assert (context["runAsNonRoot"], context["readOnlyRootFilesystem"], context["allowPrivilegeEscalation"],
                    context["privileged"]) == (True, True, False, False), role
            assert context["capabilities"] == {"drop": ["ALL"]}, role
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}, role
            assert context["runAsUser"] > 0, role
            assert set(container["resources"]["limits"]) >= {"cpu", "memory"}, role
            image = container["image"]
            assert image.startswith(ECR + "/"), role
            assert image.rsplit(":", 1)[1].lower() not in MUTABLE_TAGS, role


def test_ray_writes_only_to_size_limited_scratch(planned):
    for role, pod in _pod_specs(_spec(planned)).items():
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["tmp"] == {"name": "tmp", "emptyDir": {"sizeLimit": "20Gi"}}, role
        assert volumes["shm"] == {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}}, role
        mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
        assert mounts == {"/tmp": "tmp", "/dev/shm": "shm"}, role


def test_checkpoints_go_to_the_artifact_store_without_static_credentials(planned):
    for role, pod in _pod_specs(_spec(planned)).items():
        env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
        assert env["SAHAB_CHECKPOINT_URI"] == "s3://ml-artifacts/checkpoints/llm-finetune", role
        assert not STATIC_KEYS & set(env), role
        assert all("valueFrom" not in e for e in pod["containers"][0]["env"]), role


def test_the_service_account_carries_the_cloud_identity_not_a_token(planned):
    account = one_of_type(planned, "kubernetes:core/v1:ServiceAccount")["inputs"]
    assert account["metadata"] == {"name": "llm-finetune", "namespace": "training",
                                   "annotations": {"eks.amazonaws.com/role-arn": ROLE}}
    assert account["automountServiceAccountToken"] is False


def test_azure_identity_labels_reach_the_pods():
    identity = WorkloadIdentityBinding.azure_workload_identity("training", "llm-finetune", "0000-client-id")
    spec = _spec(_plan(identity=identity,
                       checkpoint_uri="abfss://checkpoints@mlartifacts.dfs.core.windows.net/llm-finetune"))
    cluster = spec["rayClusterSpec"]
    for template in (cluster["headGroupSpec"]["template"], cluster["workerGroupSpecs"][0]["template"]):
        assert template["metadata"]["labels"] == {"azure.workload.identity/use": "true",
                                                  "sahab.io/ray-job": "llm-finetune"}


def test_the_job_is_bounded_in_time_and_cleaned_up(planned):
    spec = _spec(planned)
    assert (spec["submissionMode"], spec["shutdownAfterJobFinishes"], spec["ttlSecondsAfterFinished"],
            spec["activeDeadlineSeconds"], spec["backoffLimit"]) == ("HTTPMode", True, 600, 86400, 0)
    assert (spec["entrypoint"], spec["rayClusterSpec"]["rayVersion"]) == ("python -m train --epochs 3", "2.52.0")


def test_the_jobs_pods_talk_only_to_each_other_on_unprivileged_ports(planned):
    peers = _policies(planned, "training")["ray-llm-finetune-peers"]
    job = {"podSelector": {"matchLabels": {"sahab.io/ray-job": "llm-finetune"}}}
    ports = [{"protocol": "TCP", "port": 1024, "endPort": 65535}]
    assert peers == {"podSelector": job["podSelector"], "policyTypes": ["Ingress", "Egress"],
                     "ingress": [{"from": [job], "ports": ports}], "egress": [{"to": [job], "ports": ports}]}


def test_a_cpu_only_job_needs_no_pool_and_gets_no_gpus():
    worker = _pod_specs(_spec(_plan(gpu_pool=None, gpus_per_worker=0)))["workers"]
    assert "nvidia.com/gpu" not in worker["containers"][0]["resources"]["limits"]
    assert "tolerations" not in worker and "nodeSelector" not in worker


def test_the_job_is_inside_its_component_after_the_operator(planned):
    component = one_of_type(planned, "sahab:kubernetes:TrainingJob")
    job = one_of_type(planned, RAY_JOB)
    assert job["parent"] == component["urn"]
    # The CRDs come with the operator's release.
    assert one_of_type(planned, RELEASE)["urn"] in job["dependencies"]


@pytest.mark.parametrize("job, message", [
    ({"image": Image("docker.io", "rayproject/ray-ml", "2.52.0-gpu")},
     "TrainingJob: image.registry 'docker.io' is not an in-region registry; mirror the image into ECR in me-central-1 "
     "(<account>.dkr.ecr.me-central-1.amazonaws.com) or a UAE Azure Container Registry (<name>.azurecr.io)"),
    ({"image": Image(ECR, "ray/ray-ml", "latest")},
     "TrainingJob: image tag 'latest' moves to new content; pin a version tag or, better, a digest"),
    ({"gpu_pool": None},
     "TrainingJob: 4 GPU(s) per worker needs a GPU pool; pass gpu_pool (its node labels, taint and GPUs per node)"),
    ({"gpus_per_worker": 8},
     "TrainingJob: gpus_per_worker 8 exceeds the 4 GPU(s) a node of the pool has; a worker pod runs on one node"),
    ({"gpus_per_worker": 0},
     "TrainingJob: gpu_pool is for GPU workers; a CPU-only job must not occupy GPU nodes"),
    ({"workers": 0}, "TrainingJob: workers must be a whole number >= 1, got 0"),
    ({"workers": 3},
     "TrainingJob: 3 workers x 4 GPU(s) exceed queue 'training''s GPU quota of 8; the job could never be scheduled"),
    ({"checkpoint_uri": "gs://ml-artifacts/checkpoints"},
     "TrainingJob: checkpoint_uri 'gs://ml-artifacts/checkpoints' is not a prefix in the artifact store; use "
     "s3://<bucket>/<prefix> or abfss://<container>@<account>.dfs.core.windows.net/<prefix>"),
    ({"checkpoint_uri": "s3://ml-artifacts"},
     "TrainingJob: checkpoint_uri 's3://ml-artifacts' is not a prefix in the artifact store; use "
     "s3://<bucket>/<prefix> or abfss://<container>@<account>.dfs.core.windows.net/<prefix>"),
    ({"checkpoint_uri": "wasbs://checkpoints@mlartifacts.blob.core.windows.net/llm"},
     "TrainingJob: checkpoint_uri 'wasbs://checkpoints@mlartifacts.blob.core.windows.net/llm' uses wasbs://, which "
     "Ray's storage (pyarrow) cannot open; name the same container as "
     "abfss://<container>@<account>.dfs.core.windows.net/<prefix>"),
    ({"identity": WorkloadIdentityBinding.aws_irsa("training", "mlflow", ROLE)},
     "TrainingJob: identity is bound to training/mlflow but the workload runs as training/llm-finetune; create the "
     "cloud identity for namespace 'training' and service account 'llm-finetune'"),
    ({"env": {"AWS_SECRET_ACCESS_KEY": "x"}},
     "TrainingJob: env AWS_SECRET_ACCESS_KEY is a static cloud credential; the pods get access from identity "
     "(workload identity)"),
    ({"env": {"SAHAB_CHECKPOINT_URI": "s3://elsewhere/x"}},
     "TrainingJob: env SAHAB_CHECKPOINT_URI is set by the job; remove it"),
    ({"queue": "research"}, "TrainingJob: queue 'research' is not one of the operator's queues (training)"),
    ({"shutdown_after_job_finishes": False},
     "TrainingJob: ttl_seconds_after_finished applies only with shutdown_after_job_finishes (KubeRay refuses it "
     "otherwise)"),
    ({"active_deadline_seconds": 0}, "TrainingJob: active_deadline_seconds must be a whole number >= 1, got 0"),
    ({"shared_memory_size": "16Gi"},
     "TrainingJob: shared_memory_size 16Gi must stay below head_resources.memory_limit 16Gi (it is counted in it)"),
    ({"gpu_pool": GpuPool({}, gpus_per_node=4)},
     "TrainingJob: gpu_pool.node_selector must name the pool's node labels"),
    ({"ray_version": "latest"}, "TrainingJob: ray_version 'latest' must be the image's Ray version, e.g. 2.52.0"),
])
def test_bad_job_input_fails_before_any_job_resource_registers(job, message):
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        TrainingJob("llm-finetune", _job_args(_operator(provider), **job))
    resources, error = attempt_plan(program)
    assert str(error) == message
    assert not [r for r in resources if "llm-finetune" in r["name"]]
    assert not resources_of_type(resources, RAY_JOB)


def test_a_queue_without_egress_to_the_artifact_store_is_refused():
    resources, error = attempt_plan(lambda: TrainingJob("llm-finetune", _job_args(_operator(
        k8s.Provider("cluster", kubeconfig="{}"), queues=[TrainingQueue("training")]))))
    assert str(error) == (
        "TrainingJob: queue 'training' allows no egress to the artifact store, so checkpoints could not be written; "
        "add its endpoint networks on port 443 to TrainingQueue.egress")
    assert not resources_of_type(resources, RAY_JOB)


def test_a_deploy_time_prefix_list_counts_as_egress_to_the_store():
    def program():
        store = Allow("s3", ports=[443], cidrs=pulumi.Output.from_input(["52.95.0.0/20"]))
        provider = k8s.Provider("cluster", kubeconfig="{}")
        operator = _operator(provider, queues=[TrainingQueue("training", egress=[store])])
        TrainingJob("llm-finetune", _job_args(operator))
    assert len(resources_of_type(plan_resources(program), RAY_JOB)) == 1


@pytest.mark.parametrize("operator, message", [
    ({"operator_image": Image("quay.io", "kuberay/operator", "v1.7.0")},
     "TrainingOperator: operator_image.registry 'quay.io' is not an in-region registry; mirror the image into ECR in "
     "me-central-1 (<account>.dkr.ecr.me-central-1.amazonaws.com) or a UAE Azure Container Registry "
     "(<name>.azurecr.io)"),
    ({"operator_image": Image(ECR, "kuberay/operator", digest=DIGEST)},
     "TrainingOperator: operator_image needs a version tag as well as its digest (the chart pulls <repository>:<tag>)"),
    ({"chart": ChartRef("https://ray-project.github.io/kuberay-helm/", "kuberay-operator", "1.x")},
     "TrainingOperator: chart.version '1.x' must be an exact chart version (e.g. 1.7.0), not a range"),
    ({"queues": []}, "TrainingOperator: queues must not be empty"),
    ({"queues": [TrainingQueue("kuberay-system")]},
     "TrainingOperator: queues[0] namespace 'kuberay-system' is used twice; each queue is its own namespace, apart "
     "from the operator's"),
    ({"queues": [TrainingQueue("training", quota=NamespaceQuota(gpus=-1))]},
     "ZeroTrustNamespace: quota.gpus must be a whole number (pods >= 1, gpus >= 0), got -1"),
    ({"api_server_cidrs": ["0.0.0.0/0"]},
     "TrainingOperator: api_server_cidrs must not contain 0.0.0.0/0 (the whole internet); list the networks that need "
     "access"),
])
def test_bad_operator_input_fails_before_anything_registers(operator, message):
    resources, error = attempt_plan(lambda: _operator(k8s.Provider("cluster", kubeconfig="{}"), **operator))
    assert str(error) == message
    assert [r["type"] for r in resources] == ["pulumi:providers:kubernetes"]
