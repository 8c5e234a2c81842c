"""DriftMonitor: a hardened, credential-less drift check per served model, egress exactly MLflow and
the S3/STS endpoints, its metric scraped and alerted on, and bad input refused before anything registers."""
from __future__ import annotations

from typing import Any, Dict, List

import pulumi
import pulumi_kubernetes as k8s
import pytest

from sahab.components.kubernetes import Image, WorkloadIdentityBinding, ZeroTrustNamespace, ZeroTrustNamespaceArgs
from sahab.components.kubernetes.drift_monitor import DriftMonitor, DriftMonitorArgs, RegistryEndpoint, RetrainTrigger
from sahab.components.kubernetes.workload import Resources
from sahab.drift.__main__ import parser, retrain_config
from sahab.drift.metrics import LAST_SUCCESS, SHARE
from sahab.drift.retrain import RetrainConfig
from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.evaluate import evaluate_rules
from sahab.gate.rules import load_bundle
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

ECR = "111122223333.dkr.ecr.me-central-1.amazonaws.com"
ROLE = "arn:aws:iam::111122223333:role/fraud-drift"
IMAGE = Image(ECR, "sahab/drift", tag="0.1.0", digest="sha256:" + "ef" * 32)
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
LABELS = {"app.kubernetes.io/name": "fraud-drift", "app.kubernetes.io/component": "drift-monitor"}


def _monitor(provider: k8s.Provider, **overrides: Any) -> DriftMonitor:
    args: Dict[str, Any] = {
        "provider": provider, "namespace": "drift", "model_uri": "models:/fraud@champion", "image": IMAGE,
        "identity": WorkloadIdentityBinding.aws_irsa("drift", "fraud-drift", ROLE),
        "tracking_credentials_secret": "mlflow-credentials", "inputs_uri": "s3://ml-artifacts/inference-inputs",
        "storage_cidrs": ["52.95.0.0/20", "3.5.0.0/19"], "identity_endpoint_cidrs": ["10.20.0.0/16"], **overrides,
    }
    return DriftMonitor(args.pop("name", "fraud-drift"), DriftMonitorArgs(**args))


@pytest.fixture(scope="module")
def planned() -> List[Dict[str, Any]]:
    return plan_resources(lambda: _monitor(k8s.Provider("cluster", kubeconfig="{}")))


def _pod(resources: List[Dict[str, Any]]) -> Dict[str, Any]:
    return one_of_type(resources, "kubernetes:apps/v1:Deployment")["inputs"]["spec"]["template"]


def test_the_check_runs_non_root_hardened_and_with_no_static_credentials(planned):
    deployment = one_of_type(planned, "kubernetes:apps/v1:Deployment")["inputs"]
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"] == {"type": "Recreate"}
    spec = _pod(planned)["spec"]
    assert spec["automountServiceAccountToken"] is False and spec["serviceAccountName"] == "fraud-drift"
    assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] == 10001
    (container,) = spec["containers"]
    assert container["image"] == IMAGE.reference
    context = container["securityContext"]
    assert (context["runAsNonRoot"], context["allowPrivilegeEscalation"], context["privileged"],
            context["readOnlyRootFilesystem"], context["capabilities"], context["seccompProfile"]) == (
        True, False, False, True, {"drop": ["ALL"]}, {"type": "RuntimeDefault"})
    # Nothing secret in the environment: MLflow's password is a read-only file, the bucket's access IRSA.
    assert {item["name"]: item["value"] for item in container["env"]} == {
        "HOME": "/tmp", "MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_TRACKING_URI": "http://mlflow.mlflow.svc:5000",
        "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": "/tmp"}
    assert {"name": "mlflow-credentials", "mountPath": "/tmp/.mlflow", "readOnly": True} in container["volumeMounts"]
    assert {"name": "mlflow-credentials", "secret": {"secretName": "mlflow-credentials", "defaultMode": 0o400}} in spec["volumes"]
    account = one_of_type(planned, "kubernetes:core/v1:ServiceAccount")["inputs"]
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": ROLE}
    assert account["automountServiceAccountToken"] is False


def test_the_pod_runs_exactly_the_job_the_library_parses(planned):
    (container,) = _pod(planned)["spec"]["containers"]
    assert container["command"] == ["python", "-m", "sahab.drift"]
    parsed = parser().parse_args(container["args"])
    assert (parsed.model_uri, parsed.inputs_uri, parsed.window_days, parsed.drift_share, parsed.min_rows, parsed.interval,
            parsed.port, parsed.once) == ("models:/fraud@champion", "s3://ml-artifacts/inference-inputs", 1, 0.5, 100,
                                          6 * 3600, 8000, False)
    assert container["ports"] == [{"name": "metrics", "containerPort": 8000, "protocol": "TCP"}]


def test_egress_is_exactly_mlflow_and_the_s3_and_sts_endpoints_and_only_prometheus_scrapes(planned):
    policies = {p["inputs"]["metadata"]["name"]: p["inputs"]["spec"] for p in resources_of_type(planned, POLICY)}
    assert set(policies) == {"fraud-drift-allow-out", "fraud-drift-allow-in-metrics"}
    out = policies["fraud-drift-allow-out"]
    assert out["podSelector"] == {"matchLabels": LABELS} and out["policyTypes"] == ["Egress"]
    https = [{"port": 443, "protocol": "TCP"}]
    assert out["egress"] == [
        {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "mlflow"}},
                 "podSelector": {"matchLabels": {"app.kubernetes.io/name": "mlflow"}}}],
         "ports": [{"port": 5000, "protocol": "TCP"}]},
        {"to": [{"ipBlock": {"cidr": "52.95.0.0/20"}}, {"ipBlock": {"cidr": "3.5.0.0/19"}}], "ports": https},
        {"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}], "ports": https},
    ]
    inbound = policies["fraud-drift-allow-in-metrics"]
    assert inbound["policyTypes"] == ["Ingress"] and inbound["ingress"] == [
        {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                   "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}],
         "ports": [{"port": 8000, "protocol": "TCP"}]}]


def test_the_drift_metric_is_scraped_and_alerted_on_with_the_threshold_and_staleness(planned):
    monitor = one_of_type(planned, "kubernetes:monitoring.coreos.com/v1:PodMonitor")["inputs"]["spec"]
    assert monitor["selector"] == {"matchLabels": LABELS}
    assert monitor["podMetricsEndpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "1m"}]
    (group,) = one_of_type(planned, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")["inputs"]["spec"]["groups"]
    rules = {rule["alert"]: rule for rule in group["rules"]}
    assert set(rules) == {"ModelDriftDetected", "ModelDriftCheckStale"}
    assert rules["ModelDriftDetected"]["expr"] == 'max by (model, version) (%s{namespace="drift",model="fraud"}) >= 0.5' % SHARE
    assert rules["ModelDriftDetected"]["labels"] == {"severity": "warning", "model": "fraud", "action": "retrain"}
    last = '%s{namespace="drift",model="fraud"}' % LAST_SUCCESS
    assert rules["ModelDriftCheckStale"]["expr"] == "(time() - max(%s) > 43200) or absent(%s)" % (last, last)
    assert rules["ModelDriftCheckStale"]["for"] == "30m"


def test_the_threshold_and_interval_arguments_reach_both_the_job_and_the_alerts():
    resources = plan_resources(lambda: _monitor(k8s.Provider("cluster", kubeconfig="{}"), drift_share=0.3, interval="1d"))
    (container,) = _pod(resources)["spec"]["containers"]
    parsed = parser().parse_args(container["args"])
    assert (parsed.drift_share, parsed.interval) == (0.3, 86400)
    (group,) = one_of_type(resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")["inputs"]["spec"]["groups"]
    exprs = {rule["alert"]: rule["expr"] for rule in group["rules"]}
    assert exprs["ModelDriftDetected"].endswith(") >= 0.3")
    assert "> 172800)" in exprs["ModelDriftCheckStale"]


def test_deploy_time_inputs_and_storage_networks_are_accepted():
    resources = plan_resources(lambda: _monitor(
        k8s.Provider("cluster", kubeconfig="{}"), inputs_uri=pulumi.Output.from_input("s3://bucket-x/inference-inputs"),
        storage_cidrs=pulumi.Output.from_input(["52.95.0.0/20"])))
    (container,) = _pod(resources)["spec"]["containers"]
    assert container["args"][3] == "s3://bucket-x/inference-inputs"


def test_a_drift_monitor_in_its_namespace_passes_every_rule_of_the_gate():
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        ZeroTrustNamespace("drift", ZeroTrustNamespaceArgs(provider=provider))
        _monitor(provider)

    resources = plan_resources(program)
    engine = EmbeddedEngine()
    try:
        findings = evaluate_rules({"resources": resources}, load_bundle(), engine)
    finally:
        engine.close()
    assert [(f.rule_id, f.urn, f.message) for f in findings] == []


@pytest.mark.parametrize("overrides, message", [
    ({"model_uri": "models:/fraud/latest"},
     "DriftMonitor: model_uri 'models:/fraud/latest' must be models:/<name>/<version> (e.g. models:/fraud/7) or "
     "models:/<name>@<alias> (e.g. models:/fraud@champion); 'latest' and stages change the model without a rollout"),
    ({"image": Image("docker.io", "sahab/drift", tag="0.1.0")},
     "DriftMonitor: image.registry 'docker.io' is not an in-region registry; mirror the image into ECR in me-central-1 "
     "(<account>.dkr.ecr.me-central-1.amazonaws.com) or a UAE Azure Container Registry (<name>.azurecr.io)"),
    ({"identity": WorkloadIdentityBinding.aws_irsa("serving", "fraud", ROLE)},
     "DriftMonitor: identity is bound to serving/fraud but the workload runs as drift/fraud-drift; create the cloud "
     "identity for namespace 'drift' and service account 'fraud-drift'"),
    ({"tracking_credentials_secret": None},
     "DriftMonitor: tracking_credentials_secret '<not a name>' must name the Secret holding the MLflow credentials file "
     "of a registry user with EDIT on the model (never the password itself)"),
    ({"inputs_uri": "https://example.com/inputs"},
     "DriftMonitor: inputs_uri 'https://example.com/inputs' must be s3://<bucket>/<prefix> or "
     "wasbs://<container>@<account>.blob.core.windows.net/<path>, the root the serving side logs inputs under"),
    ({"storage_cidrs": ["0.0.0.0/0"]},
     "DriftMonitor: storage_cidrs must not contain 0.0.0.0/0 (the whole internet); list the networks that need access"),
    ({"identity_endpoint_cidrs": ["52.95.0.0/20"]},
     "DriftMonitor: identity_endpoint_cidrs entry 52.95.0.0/20 is not a private range; only addresses inside the VPC may connect"),
    ({"identity_endpoint_cidrs": []},
     "DriftMonitor: identity_endpoint_cidrs (a private token endpoint, e.g. the STS VPC endpoint) or identity_provider_cidrs "
     "(a public one, e.g. Entra ID's) must name where the pod exchanges its identity token"),
    ({"registry": RegistryEndpoint(pods={})},
     "DriftMonitor: registry.pods must name the MLflow pods' labels (the egress allow names exactly them)"),
    ({"interval": "5m"}, "DriftMonitor: interval '5m' must be a duration from 30m to 7d, such as '6h' or '1d'"),
    ({"interval": "6 hours"}, "DriftMonitor: interval '6 hours' must be a duration from 30m to 7d, such as '6h' or '1d'"),
    ({"window_days": 0}, "DriftMonitor: window_days must be a whole number of days from 1 to 90, got 0"),
    ({"drift_share": 0}, "DriftMonitor: drift_share is the share of drifted columns that counts as drift, above 0 and at "
                         "most 1 (0.5 = half); got 0"),
    ({"drift_share": 1.5}, "DriftMonitor: drift_share is the share of drifted columns that counts as drift, above 0 and at "
                           "most 1 (0.5 = half); got 1.5"),
    ({"min_rows": 10}, "DriftMonitor: min_rows must be a whole number >= 30 (fewer rows give the statistical tests no power), got 10"),
    ({"resources": Resources("2", "1Gi", "1", "2Gi")}, "DriftMonitor: resources.cpu_request 2 exceeds cpu_limit 1"),
])
def test_bad_input_fails_at_construction_with_one_clear_line(overrides, message):
    resources, error = attempt_plan(lambda: _monitor(k8s.Provider("cluster", kubeconfig="{}"), **overrides))
    assert str(error) == message
    assert [r["type"] for r in resources] == ["pulumi:providers:kubernetes"]


GITHUB_API = ["140.82.112.0/20", "143.55.64.0/20"]


def _retrain(**overrides: Any) -> RetrainTrigger:
    return RetrainTrigger(**{"repository": "acme/models", "token_secret": "github-dispatch", "api_cidrs": GITHUB_API,
                             **overrides})


def test_retraining_mounts_the_token_as_a_file_and_allows_exactly_the_github_api():
    resources = plan_resources(lambda: _monitor(k8s.Provider("cluster", kubeconfig="{}"), retrain=_retrain()))
    spec = _pod(resources)["spec"]
    (container,) = spec["containers"]
    assert {"name": "github-token", "secret": {"secretName": "github-dispatch", "defaultMode": 0o400}} in spec["volumes"]
    assert {"name": "github-token", "mountPath": "/tmp/.github-dispatch", "readOnly": True} in container["volumeMounts"]
    # The token is a file only: the environment is what it is without retraining, and holds no Secret reference.
    assert {item["name"]: item["value"] for item in container["env"]} == {
        "HOME": "/tmp", "MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_TRACKING_URI": "http://mlflow.mlflow.svc:5000",
        "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": "/tmp"}
    assert "envFrom" not in container and all("valueFrom" not in item for item in container["env"])
    assert retrain_config(parser().parse_args(container["args"])) == RetrainConfig(
        repository="acme/models", token_file="/tmp/.github-dispatch/token", event_type="model-drift",
        api_url="https://api.github.com")
    out = {p["inputs"]["metadata"]["name"]: p["inputs"]["spec"] for p in resources_of_type(resources, POLICY)}["fraud-drift-allow-out"]
    assert len(out["egress"]) == 4 and out["egress"][3] == {
        "to": [{"ipBlock": {"cidr": "140.82.112.0/20"}}, {"ipBlock": {"cidr": "143.55.64.0/20"}}],
        "ports": [{"port": 443, "protocol": "TCP"}]}


def test_on_azure_the_token_exchange_goes_to_entra_ids_public_networks_only():
    resources = plan_resources(lambda: _monitor(
        k8s.Provider("cluster", kubeconfig="{}"), storage_cidrs=["10.22.4.0/24"], identity_endpoint_cidrs=[],
        identity_provider_cidrs=["20.190.128.0/18", "40.126.0.0/18"]))
    out = {p["inputs"]["metadata"]["name"]: p["inputs"]["spec"] for p in resources_of_type(resources, POLICY)}["fraud-drift-allow-out"]
    https = [{"port": 443, "protocol": "TCP"}]
    assert out["egress"][1:] == [
        {"to": [{"ipBlock": {"cidr": "10.22.4.0/24"}}], "ports": https},
        {"to": [{"ipBlock": {"cidr": "20.190.128.0/18"}}, {"ipBlock": {"cidr": "40.126.0.0/18"}}], "ports": https},
    ]


def test_the_whole_internet_is_never_an_identity_provider():
    _, error = attempt_plan(lambda: _monitor(k8s.Provider("cluster", kubeconfig="{}"), identity_provider_cidrs=["0.0.0.0/0"]))
    assert str(error) == ("DriftMonitor: identity_provider_cidrs must not contain 0.0.0.0/0 (the whole internet); "
                          "list the networks that need access")


def test_a_github_enterprise_server_gets_its_own_url_key_event_and_port():
    trigger = _retrain(api_url="https://github.example.ae:8443/api/v3", api_cidrs=["10.30.0.0/24"], token_key="pat",
                       event_type="churn-drift")
    resources = plan_resources(lambda: _monitor(k8s.Provider("cluster", kubeconfig="{}"), retrain=trigger))
    (container,) = _pod(resources)["spec"]["containers"]
    assert retrain_config(parser().parse_args(container["args"])) == RetrainConfig(
        repository="acme/models", token_file="/tmp/.github-dispatch/pat", event_type="churn-drift",
        api_url="https://github.example.ae:8443/api/v3")
    out = {p["inputs"]["metadata"]["name"]: p["inputs"]["spec"] for p in resources_of_type(resources, POLICY)}["fraud-drift-allow-out"]
    assert out["egress"][3] == {"to": [{"ipBlock": {"cidr": "10.30.0.0/24"}}], "ports": [{"port": 8443, "protocol": "TCP"}]}


def test_a_drift_monitor_that_dispatches_retraining_passes_every_rule_of_the_gate():
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        ZeroTrustNamespace("drift", ZeroTrustNamespaceArgs(provider=provider))
        _monitor(provider, retrain=_retrain())

    engine = EmbeddedEngine()
    try:
        findings = evaluate_rules({"resources": plan_resources(program)}, load_bundle(), engine)
    finally:
        engine.close()
    assert [(f.rule_id, f.urn, f.message) for f in findings] == []


@pytest.mark.parametrize("trigger, message", [
    ("acme/models", "DriftMonitor: retrain must be a RetrainTrigger, got str"),
    (_retrain(repository="https://github.com/acme/models"),
     "DriftMonitor: retrain.repository 'https://github.com/acme/models' must be a GitHub repository as owner/name, e.g. acme/models"),
    (_retrain(token_secret="ghp_abcdefABCDEF0123456789abcdefABCDEF01"),
     "DriftMonitor: retrain.token_secret must name the Secret holding the GitHub token (never the token itself)"),
    (_retrain(token_key="a/b"), "DriftMonitor: retrain.token_key 'a/b' must be a key of the Secret (letters, digits, - _ .)"),
    (_retrain(event_type="model drift"),
     "DriftMonitor: retrain.event_type 'model drift' must be 1-100 letters, digits, _ . or -, e.g. model-drift"),
    (_retrain(api_url="http://github.example.ae/api/v3"),
     "DriftMonitor: retrain.api_url 'http://github.example.ae/api/v3' must be https://api.github.com or a GitHub Enterprise "
     "Server's https://<host>/api/v3 (the token is sent in a header: never plain http)"),
    (_retrain(api_url="http://127.0.0.1:8080"),
     "DriftMonitor: retrain.api_url 'http://127.0.0.1:8080' must be https://api.github.com or a GitHub Enterprise "
     "Server's https://<host>/api/v3 (the token is sent in a header: never plain http)"),
    (_retrain(api_cidrs=[]), "DriftMonitor: retrain.api_cidrs must not be empty"),
    (_retrain(api_cidrs=["0.0.0.0/0"]),
     "DriftMonitor: retrain.api_cidrs must not contain 0.0.0.0/0 (the whole internet); list the networks that need access"),
])
def test_bad_retraining_input_fails_at_construction_with_one_clear_line(trigger, message):
    resources, error = attempt_plan(lambda: _monitor(k8s.Provider("cluster", kubeconfig="{}"), retrain=trigger))
    assert str(error) == message
    assert [r["type"] for r in resources] == ["pulumi:providers:kubernetes"]
