"""CiRunners: GitHub (ARC) and GitLab runners, unprivileged by default, dind only when declared and
then reported by the gate, egress exactly the arguments, credentials only by reference, RBAC explicit."""
from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import pytest

from sahab.components.kubernetes import (
    CiRunners, CiRunnersArgs, DockerInDocker, GithubApp, GithubRunners, GitlabRunners, Image, RbacRule, RemoteRef,
    WorkloadIdentityBinding,
)
from sahab.charts.expand import expand_helm
from sahab.components.kubernetes.secrets import SecretStoreBinding
from sahab.components.validation import ComponentInputError
from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.evaluate import evaluate_rules
from sahab.gate.rules import load_bundle
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

ECR = "111122223333.dkr.ecr.me-central-1.amazonaws.com"
PUBLISHED_CHARTS = Path(__file__).resolve().parents[2] / "fixtures" / "charts" / "published"
KEY_ARN = "arn:aws:secretsmanager:me-central-1:111122223333:secret:ci/github-app-key"
TOKEN_ARN = "arn:aws:secretsmanager:me-central-1:111122223333:secret:ci/gitlab-runner"
RELEASE = "kubernetes:helm.sh/v3:Release"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NAMESPACE = "kubernetes:core/v1:Namespace"
STORE = SecretStoreBinding({"aws": {"service": "SecretsManager"}}, WorkloadIdentityBinding.aws_irsa(
    "ci-runners", "external-secrets-store", "arn:aws:iam::111122223333:role/ci-store"))
GITHUB = GithubRunners(
    config_url="https://github.com/example-org",
    controller_image=Image(ECR, "actions/gha-runner-scale-set-controller", "0.14.2"),
    runner_image=Image(ECR, "actions/actions-runner", "2.334.0"),
    app=GithubApp("123456", "654321", RemoteRef(KEY_ARN)))
GITLAB = GitlabRunners(
    url="https://gitlab.example.com", runner_token=RemoteRef(TOKEN_ARN),
    manager_image=Image(ECR, "gitlab-org/gitlab-runner", "alpine-v18.9.0"),
    helper_image=Image(ECR, "gitlab-org/gitlab-runner/gitlab-runner-helper", "x86_64-v18.9.0"),
    job_image=Image(ECR, "ci/python", "3.12"))
DIND = DockerInDocker(Image(ECR, "library/docker", "28.3-dind"), reason="image builds need a Docker daemon (team ml-images)")
# The networks every runner namespace may reach, and the ports: exactly the arguments below, plus DNS.
EXPECTED_EGRESS = {
    "allow-out-dns": ([{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}], [53, 53], {}),
    "allow-out-api-server-0": ([{"ipBlock": {"cidr": "10.0.0.0/19"}}], [443], {"sahab.io/ci-role": "runner"}),
    "allow-out-forge-0": ([{"ipBlock": {"cidr": "140.82.112.0/20"}}], [443], {}),
    "allow-out-forge-1": ([{"ipBlock": {"cidr": "192.30.252.0/22"}}], [443], {}),
    "allow-out-registry-0": ([{"ipBlock": {"cidr": "10.0.32.0/24"}}], [443], {}),
    "allow-out-cloud-endpoints-0": ([{"ipBlock": {"cidr": "10.0.33.0/24"}}], [443], {}),
}


def _args(provider, **overrides):
    values = dict(provider=provider, forge=GITHUB, secret_store=STORE, api_server_cidrs=["10.0.0.0/19"],
                  forge_cidrs=["140.82.112.0/20", "192.30.252.0/22"], registry_cidrs=["10.0.32.0/24"],
                  cloud_endpoint_cidrs=["10.0.33.0/24"])
    values.update(overrides)
    return CiRunnersArgs(**values)


def _plan(**overrides):
    def program():
        CiRunners("ci", _args(k8s.Provider("cluster", kubeconfig="{}"), **overrides))
    return plan_resources(program)


@pytest.fixture(scope="module")
def github():
    return _plan()


@pytest.fixture(scope="module")
def gitlab():
    return _plan(forge=GITLAB)


def _release(resources, chart):
    return next(r["inputs"] for r in resources_of_type(resources, RELEASE) if r["inputs"]["chart"].endswith(chart))


def _policies(resources, namespace):
    return {r["inputs"]["metadata"]["name"]: r["inputs"]["spec"] for r in resources_of_type(resources, POLICY)
            if r["inputs"]["metadata"]["namespace"] == namespace}


def _gate(resources):
    engine = EmbeddedEngine()
    try:
        return evaluate_rules({"project": "test", "stack": "test", "resources": resources}, load_bundle(), engine)
    finally:
        engine.close()


# -- GitHub: ARC ------------------------------------------------------------------------------------

def test_arc_charts_are_pinned_oci_releases_in_their_namespaces(github):
    controller, scale_set = _release(github, "-controller"), _release(github, "/gha-runner-scale-set")
    assert (controller["chart"], controller["version"], controller["namespace"]) == (
        "oci://ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set-controller", "0.14.2", "arc-system")
    assert (scale_set["chart"], scale_set["version"], scale_set["namespace"], scale_set["name"]) == (
        "oci://ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set", "0.14.2", "ci-runners",
        "sahab-runners")
    # The controller watches the runner namespace only, so its Roles are namespaced.
    assert controller["values"]["flags"]["watchSingleNamespace"] == "ci-runners"
    assert controller["values"]["image"] == {"repository": ECR + "/actions/gha-runner-scale-set-controller",
                                             "tag": "0.14.2", "pullPolicy": "Always"}


def test_runners_are_ephemeral_kubernetes_mode_and_unprivileged_by_default(github):
    values = _release(github, "/gha-runner-scale-set")["values"]
    assert values["containerMode"]["type"] == "kubernetes"
    assert values["containerMode"]["kubernetesModeWorkVolumeClaim"]["storageClassName"] == "gp3-encrypted"
    assert (values["minRunners"], values["maxRunners"]) == (0, 4)
    spec = values["template"]["spec"]
    assert "initContainers" not in spec
    [runner] = spec["containers"]
    assert runner["image"] == ECR + "/actions/actions-runner:2.334.0"
    context = runner["securityContext"]
    assert (context["privileged"], context["allowPrivilegeEscalation"], context["runAsNonRoot"],
            context["capabilities"]) == (False, False, True, {"drop": ["ALL"]})
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["serviceAccountName"] == "ci-runner"
    # The listener (controller namespace) is restricted too.
    listener = values["listenerTemplate"]["spec"]
    assert listener["securityContext"]["runAsUser"] == 65532
    assert listener["containers"][0]["securityContext"]["allowPrivilegeEscalation"] is False


def test_job_pods_are_restricted_tokenless_and_labelled(github):
    config_map = one_of_type(github, "kubernetes:core/v1:ConfigMap")["inputs"]
    template = json.loads(config_map["data"]["job-pod.json"])
    assert template["metadata"]["labels"] == {"sahab.io/ci-role": "job"}
    spec = template["spec"]
    assert (spec["serviceAccountName"], spec["automountServiceAccountToken"]) == ("ci-job", False)
    assert spec["securityContext"] == {"runAsNonRoot": True, "runAsUser": 1001, "runAsGroup": 1001, "fsGroup": 1001,
                                       "seccompProfile": {"type": "RuntimeDefault"}}
    [job] = spec["containers"]
    assert job["name"] == "$job"
    assert job["securityContext"]["allowPrivilegeEscalation"] is False
    assert job["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert job["resources"]["limits"] == {"cpu": "4", "memory": "8Gi"}
    # The runner mounts the template and points the container hook at it.
    runner = _release(github, "/gha-runner-scale-set")["values"]["template"]["spec"]["containers"][0]
    assert runner["env"] == [{"name": "ACTIONS_RUNNER_CONTAINER_HOOK_TEMPLATE",
                              "value": "/home/runner/hook-template/job-pod.json"}]


def test_the_runner_role_is_exactly_arcs_kubernetes_mode_rules(github):
    roles = {r["inputs"]["metadata"]["name"]: r["inputs"]["rules"]
             for r in resources_of_type(github, "kubernetes:rbac.authorization.k8s.io/v1:Role")}
    assert roles["ci-runner"] == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "create", "delete"]},
        {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["get", "create"]},
        {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "create", "delete"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "create", "delete"]},
    ]
    accounts = {r["inputs"]["metadata"]["name"]: r["inputs"] for r in resources_of_type(
        github, "kubernetes:core/v1:ServiceAccount")}
    assert accounts["ci-runner"]["automountServiceAccountToken"] is True
    assert accounts["ci-job"]["automountServiceAccountToken"] is False


def test_the_github_app_key_is_synced_by_reference_and_the_ids_are_templated(github):
    secret = one_of_type(github, "kubernetes:external-secrets.io/v1:ExternalSecret")["inputs"]
    assert secret["metadata"] == {"name": "forge-credential", "namespace": "ci-runners"}
    assert secret["spec"]["data"] == [{"secretKey": "private_key", "remoteRef": {"key": KEY_ARN}}]
    assert secret["spec"]["target"]["template"]["data"] == {
        "github_app_id": "123456", "github_app_installation_id": "654321",
        "github_app_private_key": "{{ .private_key }}"}
    assert _release(github, "/gha-runner-scale-set")["values"]["githubConfigSecret"] == "forge-credential"
    labels = {r["inputs"]["metadata"]["name"]: r["inputs"]["metadata"]["labels"] for r in resources_of_type(github, NAMESPACE)}
    assert labels["ci-runners"]["sahab.io/ci-forge-credential"] == "github-app"


@pytest.mark.parametrize("forge", ["github", "gitlab"])
def test_no_inline_credential_and_no_cloud_identity_anywhere(forge, request):
    resources = request.getfixturevalue(forge)
    text = json.dumps(resources)
    for shape in ("-----BEGIN", "ghp_", "github_pat_", "glrt-", "GR1348941", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert shape not in text, shape
    assert resources_of_type(resources, "kubernetes:core/v1:Secret") == []
    # Only the store's account has a cloud role (to read the forge credential); runners and jobs none.
    irsa = {r["inputs"]["metadata"]["name"] for r in resources_of_type(resources, "kubernetes:core/v1:ServiceAccount")
            if "eks.amazonaws.com/role-arn" in (r["inputs"]["metadata"].get("annotations") or {})}
    assert irsa == {"external-secrets-store"}


@pytest.mark.parametrize("forge", ["github", "gitlab"])
def test_egress_is_exactly_the_arguments(forge, request):
    policies = _policies(request.getfixturevalue(forge), "ci-runners")
    assert policies.pop("default-deny") == {"podSelector": {"matchLabels": {}}, "policyTypes": ["Ingress", "Egress"]}
    assert sorted(policies) == sorted(EXPECTED_EGRESS)
    for name, (peers, ports, pods) in EXPECTED_EGRESS.items():
        [rule] = policies[name]["egress"]
        assert (rule["to"], [p["port"] for p in rule["ports"]], policies[name]["podSelector"]["matchLabels"]) == (
            peers, ports, pods), name
        assert policies[name]["policyTypes"] == ["Egress"]


def test_the_s3_gateway_networks_are_one_more_https_flow():
    def program():
        s3 = pulumi.Output.from_input(["52.95.144.0/24"])  # as aws.ec2.get_prefix_list_output(...).cidr_blocks
        CiRunners("ci", _args(k8s.Provider("cluster", kubeconfig="{}"), s3_cidrs=s3))
    resources = plan_resources(program)
    assert _policies(resources, "ci-runners")["allow-out-s3"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "52.95.144.0/24"}}], "ports": [{"port": 443, "protocol": "TCP"}]}]


def test_the_controller_namespace_reaches_only_the_api_server_and_the_forge(github):
    assert sorted(_policies(github, "arc-system")) == [
        "allow-out-api-server-0", "allow-out-dns", "allow-out-forge-0", "allow-out-forge-1", "default-deny"]


def test_the_gate_finds_nothing_in_the_default_runners(github, gitlab):
    assert _gate(github) == []
    assert _gate(gitlab) == []


def test_dind_only_when_declared_and_then_reported_by_the_gate():
    resources = _plan(container_mode="dind", docker_in_docker=DIND)
    metadata = {r["inputs"]["metadata"]["name"]: r["inputs"]["metadata"] for r in resources_of_type(resources, NAMESPACE)}
    runners = metadata["ci-runners"]
    assert (runners["labels"]["pod-security.kubernetes.io/enforce"], runners["labels"]["pod-security.kubernetes.io/audit"],
            runners["annotations"]["sahab.io/pod-security-exception"]) == (
        "privileged", "restricted", "image builds need a Docker daemon (team ml-images)")
    assert metadata["arc-system"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    values = _release(resources, "/gha-runner-scale-set")["values"]
    assert "containerMode" not in values  # the chart's own dind container would pull docker:dind from Docker Hub
    init = {c["name"]: c for c in values["template"]["spec"]["initContainers"]}
    assert init["dind"]["image"] == ECR + "/library/docker:28.3-dind"
    assert init["dind"]["securityContext"] == {"privileged": True}
    assert values["template"]["spec"]["containers"][0]["securityContext"]["privileged"] is False
    findings = [(f.rule_id, f.status, f.urn.rsplit("::", 1)[-1]) for f in _gate(resources)]
    assert findings == [("SAHAB-WKL-004", "violation", "ci-ci-runners")]


def test_gitlab_dind_makes_job_pods_privileged_under_the_declared_exception():
    config = _release(_plan(forge=GITLAB, container_mode="dind", docker_in_docker=DIND), "gitlab-runner")["values"][
        "runners"]["config"]
    assert "    privileged = true\n" in config
    assert "pod_security_context" not in config


# -- GitLab ---------------------------------------------------------------------------------------

def test_gitlab_runner_uses_the_glrt_token_secret_and_explicit_rules(gitlab):
    release = _release(gitlab, "gitlab-runner")
    assert (release["chart"], release["version"], release["repositoryOpts"], release["namespace"]) == (
        "gitlab-runner", "0.86.0", {"repo": "https://charts.gitlab.io"}, "ci-runners")
    values = release["values"]
    assert values["runners"]["secret"] == "forge-credential"
    assert "runnerToken" not in values and "runnerRegistrationToken" not in values
    assert values["rbac"]["create"] is True and values["rbac"]["clusterWideAccess"] is False
    assert values["rbac"]["rules"] and all(rule["verbs"] and "*" not in json.dumps(rule) for rule in values["rbac"]["rules"])
    assert values["securityContext"]["allowPrivilegeEscalation"] is False
    assert values["podSecurityContext"]["runAsNonRoot"] is True
    secret = one_of_type(gitlab, "kubernetes:external-secrets.io/v1:ExternalSecret")["inputs"]["spec"]
    assert secret["data"] == [{"secretKey": "token", "remoteRef": {"key": TOKEN_ARN}}]
    assert secret["target"]["template"]["data"] == {"runner-token": "{{ .token }}", "runner-registration-token": ""}
    # No ARC pieces for GitLab.
    assert [r["inputs"]["metadata"]["name"] for r in resources_of_type(gitlab, NAMESPACE)] == ["ci-runners"]


def test_gitlab_jobs_are_restricted_and_pull_only_from_the_registry(gitlab):
    config = _release(gitlab, "gitlab-runner")["values"]["runners"]["config"]
    for line in ('    namespace = "ci-runners"', "    privileged = false", "    allow_privilege_escalation = false",
                 '    service_account = "ci-job"', '    allowed_images = ["%s/**/*"]' % ECR,
                 '    helper_image = "%s/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v18.9.0"' % ECR,
                 "      run_as_non_root = true", '      drop = ["ALL"]',
                 "    FF_USE_ADVANCED_POD_SPEC_CONFIGURATION = true"):
        assert line + "\n" in config, line
    assert '\\"seccompProfile\\": {\\"type\\": \\"RuntimeDefault\\"}' in config


# -- bad input ------------------------------------------------------------------------------------

def test_the_published_gitlab_runner_chart_renders_exactly_what_the_values_ask(gitlab):
    # The pinned chart's archive as GitLab publishes it (tests/fixtures/charts/published): the values
    # must reach the objects, since a key the chart ignores would silently weaken the runner.
    resources, _ = expand_helm(gitlab, cache=PUBLISHED_CHARTS, program_dir=None)
    rendered = {(r["inputs"]["kind"], r["inputs"]["metadata"]["name"]): r["inputs"] for r in resources if "rendered" in r}
    assert sorted(rendered) == [("ConfigMap", "gitlab-runner"), ("Deployment", "gitlab-runner"), ("Role", "gitlab-runner"),
                                ("RoleBinding", "gitlab-runner"), ("ServiceAccount", "gitlab-runner")]
    assert rendered[("Role", "gitlab-runner")]["rules"] == [rule.values() for rule in GITLAB.rbac_rules]
    pod = rendered[("Deployment", "gitlab-runner")]["spec"]["template"]["spec"]
    (manager,) = pod["containers"]
    assert manager["image"] == GITLAB.manager_image.reference
    assert (manager["securityContext"]["privileged"], manager["securityContext"]["allowPrivilegeEscalation"]) == (False, False)
    assert manager["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["securityContext"]["runAsNonRoot"] is True
    config = rendered[("ConfigMap", "gitlab-runner")]["data"]["config.template.toml"]
    assert "    privileged = false\n" in config and "    allow_privilege_escalation = false\n" in config
    assert '    allowed_images = ["%s/**/*"]\n' % ECR in config
    assert not [kind for kind, _ in rendered if kind in ("ClusterRole", "ClusterRoleBinding", "Secret")]
    assert _gate(resources) == []


def _github(**changes):
    return GithubRunners(**{**GITHUB.__dict__, **changes})


def _gitlab(**changes):
    return GitlabRunners(**{**GITLAB.__dict__, **changes})


@pytest.mark.parametrize("overrides, message", [
    ({"forge": _gitlab(runner_token="GR1348941abcdefghijkl")},
     "CiRunners: forge.runner_token is a GitLab registration token (deprecated since GitLab 15.6); create a runner in "
     "GitLab and pass its glrt- authentication token as a RemoteRef into the secret store"),
    ({"forge": _gitlab(runner_token="glrt-abcdefghijklmnopqrst")},
     "CiRunners: forge.runner_token is a credential written into the program; store it in the cloud's secret store "
     "and pass RemoteRef(<secret ARN or name>)"),
    ({"forge": _gitlab(runner_token=RemoteRef(TOKEN_ARN, "runner-registration-token"))},
     "CiRunners: forge.runner_token names a registration token (runner-registration-token); registration tokens are "
     "deprecated since GitLab 15.6: store the runner's glrt- authentication token and reference it"),
    ({"forge": _gitlab(runner_token=RemoteRef("glrt-abcdefghijklmnopqrst"))},
     "CiRunners: forge.runner_token holds a credential instead of naming where it is stored; pass the secret's ARN "
     "or name"),
    ({"forge": _gitlab(tags=["gpu"])},
     "CiRunners: forge.tags ['gpu'] cannot be set by the runner: a runner created in GitLab takes its tags from "
     "GitLab, and its glrt- token cannot change them; set the tags where the runner is created (GitLab's runner "
     "settings or API) and leave forge.tags empty"),
    ({"forge": _gitlab(rbac_rules=())},
     "CiRunners: forge.rbac_rules must not be empty: the gitlab-runner chart turns empty rules into every verb on "
     "every core resource; list the rules the executor needs (GITLAB_RUNNER_RULES)"),
    ({"forge": _gitlab(rbac_rules=[RbacRule([""], ["pods"], ["*"])])},
     "CiRunners: forge.rbac_rules[0].verbs ['*'] must list exact names (no '*', not empty)"),
    ({"forge": _github(app=GithubApp("123456", "654321", "-----BEGIN RSA PRIVATE KEY-----"))},
     "CiRunners: forge.app.private_key is a credential written into the program; store it in the cloud's secret store "
     "and pass RemoteRef(<secret ARN or name>)"),
    ({"forge": _github(app=None, token=RemoteRef("arn:aws:secretsmanager:me-central-1:111122223333:secret:ci/pat"))},
     "CiRunners: forge.token is a personal access token, tied to a person and broader than the runners need; use a "
     "GitHub App, or set allow_personal_access_token=True to accept it (the namespace then says so)"),
    ({"forge": _github(app=None)},
     "CiRunners: forge needs exactly one credential: app=GithubApp(...) (preferred) or token=RemoteRef(...)"),
    ({"forge": _github(config_url="http://github.com/example-org")},
     "CiRunners: forge.config_url 'http://github.com/example-org' must be https://<host>/<org>, "
     "https://<host>/<org>/<repo> or https://<host>/enterprises/<enterprise>"),
    ({"forge": _github(runner_image=Image("ghcr.io", "actions/actions-runner", "latest"))},
     "CiRunners: forge.runner_image.registry 'ghcr.io' is not an in-region registry; mirror the image into ECR in "
     "me-central-1 (<account>.dkr.ecr.me-central-1.amazonaws.com) or a UAE Azure Container Registry (<name>.azurecr.io)"),
    ({"container_mode": "dind"},
     "CiRunners: container_mode 'dind' runs a privileged Docker daemon beside every runner; pass "
     "docker_in_docker=DockerInDocker(image=..., reason=...) so the exception is declared and reported"),
    ({"docker_in_docker": DIND},
     "CiRunners: docker_in_docker is the exception for container_mode 'dind'; drop it or set the mode"),
    ({"container_mode": "privileged"},
     "CiRunners: container_mode 'privileged' is not allowed; choose one of: dind, kubernetes"),
    ({"registry_cidrs": ["52.95.0.0/20"]},
     "CiRunners: registry_cidrs entry 52.95.0.0/20 is not a private range; only addresses inside the VPC may connect"),
    ({"cloud_endpoint_cidrs": ["3.5.0.0/16"]},
     "CiRunners: cloud_endpoint_cidrs entry 3.5.0.0/16 is not a private range; only addresses inside the VPC may "
     "connect"),
    ({"forge_cidrs": ["0.0.0.0/0"]},
     "CiRunners: forge_cidrs must not contain 0.0.0.0/0 (the whole internet); list the networks that need access"),
    ({"forge_cidrs": []}, "CiRunners: forge_cidrs must not be empty"),
    ({"s3_cidrs": ["52.95.144.0/24"]},
     "CiRunners: s3_cidrs is the S3 gateway prefix list's entries, known at deploy (an Output); give literal networks "
     "in cloud_endpoint_cidrs"),
    ({"min_runners": 5, "max_runners": 2}, "CiRunners: min_runners (5) must not exceed max_runners (2)"),
    ({"max_runners": 0}, "CiRunners: max_runners must be a whole number >= 1, got 0"),
    ({"controller_namespace": "ci-runners"},
     "CiRunners: controller_namespace must differ from namespace: the runners' Role reads the Secrets of theirs"),
    ({"namespace": "builds"},
     "CiRunners: secret_store is bound to namespace 'ci-runners' but the runners run in 'builds'; create the store's "
     "identity for 'builds'"),
    ({"forge": "github"}, "CiRunners: forge must be GithubRunners(...) or GitlabRunners(...), got str"),
])
def test_bad_input_fails_before_anything_registers(overrides, message):
    def program():
        CiRunners("ci", _args(k8s.Provider("cluster", kubeconfig="{}"), **overrides))
    resources, error = attempt_plan(program)
    assert str(error) == message
    assert [r["type"] for r in resources] == ["pulumi:providers:kubernetes"]


def test_a_personal_access_token_is_accepted_only_when_asked_and_is_labelled():
    token = RemoteRef("arn:aws:secretsmanager:me-central-1:111122223333:secret:ci/pat")
    resources = _plan(forge=_github(app=None, token=token, allow_personal_access_token=True))
    labels = {r["inputs"]["metadata"]["name"]: r["inputs"]["metadata"]["labels"] for r in resources_of_type(resources, NAMESPACE)}
    assert labels["ci-runners"]["sahab.io/ci-forge-credential"] == "github-personal-access-token"
    secret = one_of_type(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")["inputs"]["spec"]
    assert secret["target"]["template"]["data"] == {"github_token": "{{ .token }}"}


def test_a_public_token_service_is_one_more_https_flow_for_the_runner_namespace():
    """Azure: jobs exchange their forge OIDC token at Entra ID, which has no private endpoint."""
    resources = _plan(identity_provider_cidrs=["20.190.128.0/18"])
    assert _policies(resources, "ci-runners")["allow-out-identity-provider-0"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "20.190.128.0/18"}}], "ports": [{"port": 443, "protocol": "TCP"}]}]
    assert not [n for n in _policies(resources, "arc-system") if "identity-provider" in n]
    _, error = attempt_plan(lambda: CiRunners("ci", _args(k8s.Provider("cluster", kubeconfig="{}"),
                                                           identity_provider_cidrs=["0.0.0.0/0"])))
    assert isinstance(error, ComponentInputError) and "identity_provider_cidrs must not contain 0.0.0.0/0" in str(error)
