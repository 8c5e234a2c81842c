"""SecretSync: the External Secrets Operator, pinned, in-region, least privilege, zero-trust network."""
from __future__ import annotations

import pulumi_kubernetes as k8s
import pytest

from sahab.components.kubernetes import Image, Resources
from sahab.components.kubernetes.secret_sync import SecretSync, SecretSyncArgs
from sahab.components.kubernetes.secrets import ServiceAccountRef
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

ECR = "111122223333.dkr.ecr.me-central-1.amazonaws.com"
DIGEST = "sha256:" + "ab" * 32
IMAGE = Image(ECR, "external-secrets/external-secrets", "v2.9.0", DIGEST)
RELEASE = "kubernetes:helm.sh/v3:Release"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CONTROLLER = {"app.kubernetes.io/name": "external-secrets", "app.kubernetes.io/instance": "external-secrets"}
WEBHOOK = {"app.kubernetes.io/name": "external-secrets-webhook", "app.kubernetes.io/instance": "external-secrets"}


def _args(provider, **overrides):
    values = dict(provider=provider, image=IMAGE, api_server_cidrs=["10.0.0.0/19"], cloud_endpoint_cidrs=["10.0.32.0/24"])
    values.update(overrides)
    return SecretSyncArgs(**values)


def _plan(**overrides):
    made = {}

    def program():
        made["sync"] = SecretSync("eso", _args(k8s.Provider("cluster", kubeconfig="{}"), **overrides))

    return plan_resources(program), made["sync"]


@pytest.fixture(scope="module")
def planned():
    return _plan()


@pytest.fixture(scope="module")
def values(planned):
    return one_of_type(planned[0], RELEASE)["inputs"]["values"]


def _policies(resources):
    return {r["inputs"]["metadata"]["name"]: r["inputs"]["spec"] for r in resources_of_type(resources, POLICY)}


def test_chart_is_pinned_with_its_crds_into_its_own_namespace(planned):
    plan, _ = planned
    release = one_of_type(plan, RELEASE)["inputs"]
    assert (release["chart"], release["version"], release["repositoryOpts"]) == (
        "external-secrets", "2.9.0", {"repo": "https://charts.external-secrets.io"})
    assert (release["name"], release["namespace"], release["createNamespace"]) == ("external-secrets", "external-secrets", False)
    assert release["skipCrds"] is False
    assert release["values"]["installCRDs"] is True
    namespace = one_of_type(plan, "kubernetes:core/v1:Namespace")
    assert namespace["inputs"]["metadata"]["name"] == "external-secrets"
    assert namespace["inputs"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    # The release waits for the namespace and all of its policies (default deny first).
    waits_for = set(one_of_type(plan, RELEASE)["dependencies"])
    assert namespace["urn"] in waits_for
    assert {p["urn"] for p in resources_of_type(plan, POLICY)} <= waits_for


def test_every_image_comes_from_the_in_region_registry_pinned(values):
    images = [values["image"], values["webhook"]["image"], values["certController"]["image"]]
    assert images == [{
        "repository": ECR + "/external-secrets/external-secrets", "tag": "v2.9.0@" + DIGEST, "flavour": "",
        "pullPolicy": "IfNotPresent",
    }] * 3


def test_only_namespaced_stores_and_no_cluster_wide_token_minting(values):
    assert values["processSecretStore"] is True
    for key in ("processClusterStore", "processClusterExternalSecret", "processPushSecret", "processClusterPushSecret",
                "processClusterGenerator"):
        assert values[key] is False, key
    assert values["rbac"] == {"create": True, "serviceAccountTokenCreate": False, "aggregateToView": True,
                              "aggregateToEdit": False, "aggregateToAdmin": False, "servicebindings": {"create": False}}
    assert values["serviceAccount"] == {"create": True, "name": "external-secrets"}
    assert values["bitwarden-sdk-server"] == {"enabled": False}


@pytest.mark.parametrize("path", [(), ("webhook",), ("certController",)])
def test_every_deployment_runs_restricted_with_resources(values, path):
    part = values
    for key in path:
        part = part[key]
    assert part["securityContext"] == {
        "enabled": True, "runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
        "allowPrivilegeEscalation": False, "privileged": False, "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert part["podSecurityContext"] == {
        "enabled": True, "runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert set(part["resources"]) == {"requests", "limits"}
    assert set(part["resources"]["limits"]) == {"cpu", "memory"}


def test_every_deployment_is_probed_for_liveness_and_readiness(values):
    # The chart turns on only the webhook's and cert-controller's readiness probes by default.
    assert (values["livenessProbe"], values["readinessProbe"]) == ({"enabled": True}, {"enabled": True})
    assert values["webhook"]["livenessProbe"] == {"enabled": True}
    assert values["certController"]["livenessProbe"] == {"enabled": True}


def test_network_allows_only_the_api_server_and_the_cloud_endpoints(planned):
    policies = _policies(planned[0])
    assert sorted(policies) == ["allow-in-webhook-from-api-server-0", "allow-out-api-server-0",
                                "allow-out-cloud-endpoints-0", "allow-out-dns", "default-deny"]
    assert policies["allow-in-webhook-from-api-server-0"] == {
        "podSelector": {"matchLabels": WEBHOOK}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/19"}}], "ports": [{"port": 10250, "protocol": "TCP"}]}],
    }
    assert policies["allow-out-api-server-0"] == {
        "podSelector": {"matchLabels": {}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/19"}}], "ports": [{"port": 443, "protocol": "TCP"}]}],
    }
    assert policies["allow-out-cloud-endpoints-0"] == {
        "podSelector": {"matchLabels": CONTROLLER}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "10.0.32.0/24"}}], "ports": [{"port": 443, "protocol": "TCP"}]}],
    }


def test_metrics_are_not_exposed(values):
    assert values["serviceMonitor"] == {"enabled": False}
    assert values["metrics"] == {"service": {"enabled": False}}


def test_quota_covers_a_rolling_update_of_all_three_deployments(planned):
    hard = one_of_type(planned[0], "kubernetes:core/v1:ResourceQuota")["inputs"]["spec"]["hard"]
    # limits 500m + 200m + 200m and 512Mi + 256Mi + 256Mi, twice (old and new pod side by side)
    assert (hard["limits.cpu"], hard["limits.memory"], hard["pods"]) == ("1800m", str(2 * 1024 * 2**20), "6")


def test_controller_service_account_is_published(planned):
    _, sync = planned
    assert sync.controller == ServiceAccountRef("external-secrets", "external-secrets")
    _, moved = _plan(namespace="secrets-sync")
    assert moved.controller == ServiceAccountRef("secrets-sync", "external-secrets")


def test_tag_only_image_is_pulled_every_time():
    plan, _ = _plan(image=Image(ECR, "external-secrets/external-secrets", "v2.9.0"))
    image = one_of_type(plan, RELEASE)["inputs"]["values"]["image"]
    assert (image["tag"], image["pullPolicy"]) == ("v2.9.0", "Always")


@pytest.mark.parametrize("overrides, message", [
    ({"image": Image("ghcr.io", "external-secrets/external-secrets", "v2.9.0")},
     "SecretSync: image.registry 'ghcr.io' is not an in-region registry; mirror the image into ECR in me-central-1 "
     "(<account>.dkr.ecr.me-central-1.amazonaws.com) or a UAE Azure Container Registry (<name>.azurecr.io)"),
    ({"image": Image("111122223333.dkr.ecr.eu-west-1.amazonaws.com", "external-secrets/external-secrets", "v2.9.0")},
     "SecretSync: image.registry '111122223333.dkr.ecr.eu-west-1.amazonaws.com' is not an in-region registry; mirror "
     "the image into ECR in me-central-1 (<account>.dkr.ecr.me-central-1.amazonaws.com) or a UAE Azure Container "
     "Registry (<name>.azurecr.io)"),
    ({"image": Image(ECR, "external-secrets/external-secrets", None, DIGEST)},
     "SecretSync: image needs a version tag as well as its digest (the chart pulls <repository>:<tag>)"),
    ({"image": Image(ECR, "external-secrets/external-secrets", "latest")},
     "SecretSync: image tag 'latest' moves to new content; pin a version tag or, better, a digest"),
    ({"cloud_endpoint_cidrs": []}, "SecretSync: cloud_endpoint_cidrs must not be empty"),
    ({"cloud_endpoint_cidrs": ["0.0.0.0/0"]},
     "SecretSync: cloud_endpoint_cidrs must not contain 0.0.0.0/0 (the whole internet); list the networks that need access"),
    ({"api_server_cidrs": ["52.95.1.0/24"]},
     "SecretSync: api_server_cidrs entry 52.95.1.0/24 is not a private range; only addresses inside the VPC may connect"),
    ({"api_server_port": 0}, "SecretSync: api_server_port must be a port number (1-65535), got 0"),
    ({"controller_resources": Resources("1", "128Mi", "500m", "512Mi")},
     "SecretSync: controller_resources.cpu_request 1 exceeds cpu_limit 500m"),
])
def test_bad_input_registers_nothing(overrides, message):
    resources, error = attempt_plan(lambda: SecretSync("eso", _args(k8s.Provider("cluster", kubeconfig="{}"), **overrides)))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert [r["type"] for r in resources] == ["pulumi:providers:kubernetes"]


def test_ambient_kubeconfig_is_refused():
    resources, error = attempt_plan(lambda: SecretSync("eso", _args(None)))
    assert isinstance(error, ComponentInputError)
    assert str(error).startswith("SecretSync: provider must be the pulumi_kubernetes.Provider of the target cluster")
    assert resources == []


def test_a_public_token_service_is_reached_by_the_controller_only():
    """Azure: Entra ID has no private endpoint; its networks are egress for the controller on 443, nothing else."""
    resources, _ = _plan(identity_provider_cidrs=["20.190.128.0/18", "40.126.0.0/18"])
    policies = _policies(resources)
    assert sorted(n for n in policies if n.startswith("allow-out-identity-provider")) == [
        "allow-out-identity-provider-0", "allow-out-identity-provider-1"]
    assert policies["allow-out-identity-provider-1"] == {
        "podSelector": {"matchLabels": CONTROLLER}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "40.126.0.0/18"}}], "ports": [{"port": 443, "protocol": "TCP"}]}],
    }


def test_the_whole_internet_is_not_a_token_service():
    resources, error = attempt_plan(lambda: SecretSync("eso", _args(
        k8s.Provider("cluster", kubeconfig="{}"), identity_provider_cidrs=["0.0.0.0/0"])))
    assert isinstance(error, ComponentInputError)
    assert "identity_provider_cidrs must not contain 0.0.0.0/0 (the whole internet)" in str(error)
    assert resources_of_type(resources, RELEASE) == []
