"""ModelServing and RolloutsController: internal-only, autoscaled, secure pods, real canary and
blue-green releases through Argo Rollouts, and bad input refused before anything registers."""
from __future__ import annotations

from typing import Any, Dict, Iterator, List

import pulumi_kubernetes as k8s
import pytest

from sahab.components.kubernetes import Image, WorkloadIdentityBinding, ZeroTrustNamespace, ZeroTrustNamespaceArgs
from sahab.components.kubernetes.rollout_strategy import (
    Analysis, BlueGreen, Canary, Pause, PrometheusAnalysis, PrometheusEndpoint, SetWeight,
)
from sahab.components.kubernetes.rollouts import RolloutsController, RolloutsControllerArgs
from sahab.components.kubernetes.serving import ModelServing, ModelServingArgs, metrics_scrape_allow
from sahab.components.kubernetes.workload import Resources
from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.evaluate import evaluate_rules
from sahab.gate.rules import load_bundle
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

ECR = "111122223333.dkr.ecr.me-central-1.amazonaws.com"
MLSERVER_DIGEST = "sha256:" + "cd" * 32
CONTROLLER_DIGEST = "sha256:" + "ab" * 32
CONTROLLER_IMAGE = Image(ECR, "quay.io/argoproj/argo-rollouts", tag="v1.9.0", digest=CONTROLLER_DIGEST)
ROLE = "arn:aws:iam::111122223333:role/fraud-model-reader"
STEPS = [SetWeight(10), Pause("5m"), Analysis(), SetWeight(50), Pause(), Analysis(), SetWeight(100)]
ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"
TEMPLATE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate"
SERVICE = "kubernetes:core/v1:Service"
RELEASE = "kubernetes:helm.sh/v3:Release"
ANALYSIS_STEP = {"analysis": {"templates": [{"templateName": "fraud"}],
                              "args": [{"name": "canary-hash", "valueFrom": {"podTemplateHashValue": "Latest"}}]}}


def _serving(provider: k8s.Provider, **overrides: Any) -> ModelServing:
    args: Dict[str, Any] = {
        "provider": provider, "namespace": "models", "model_uri": "models:/fraud/7",
        "image": Image(ECR, "serving/mlserver", tag="1.7.1", digest=MLSERVER_DIGEST),
        "identity": WorkloadIdentityBinding.aws_irsa("models", "fraud", ROLE),
        "tracking_uri": "http://mlflow.mlflow.svc:5000", "strategy": Canary(STEPS), **overrides,
    }
    return ModelServing(args.pop("name", "fraud"), ModelServingArgs(**args))


def _controller(provider: k8s.Provider, **overrides: Any) -> RolloutsController:
    args: Dict[str, Any] = {"provider": provider, "image": CONTROLLER_IMAGE, "api_server_cidrs": ["10.20.0.0/16"], **overrides}
    return RolloutsController("rollouts", RolloutsControllerArgs(**args))


def _plan(**overrides: Any) -> List[Dict[str, Any]]:
    return plan_resources(lambda: _serving(k8s.Provider("cluster", kubeconfig="{}"), **overrides))


@pytest.fixture(scope="module")
def canary() -> List[Dict[str, Any]]:
    return _plan()


@pytest.fixture(scope="module")
def blue_green() -> List[Dict[str, Any]]:
    return _plan(strategy=BlueGreen())


@pytest.fixture(scope="module")
def controller() -> List[Dict[str, Any]]:
    return plan_resources(lambda: _controller(k8s.Provider("cluster", kubeconfig="{}")))


def _rollout(resources: List[Dict[str, Any]]) -> Dict[str, Any]:
    return one_of_type(resources, ROLLOUT)["inputs"]["spec"]


def _pod(resources: List[Dict[str, Any]]) -> Dict[str, Any]:
    return _rollout(resources)["template"]["spec"]


# --- internal only ---------------------------------------------------------------------------

@pytest.mark.parametrize("plan, names", [
    ("canary", ["fraud", "fraud-canary", "fraud-stable"]),
    ("blue_green", ["fraud", "fraud-preview"]),
])
def test_every_service_is_cluster_ip_with_no_external_address(plan, names, request):
    resources = request.getfixturevalue(plan)
    services = resources_of_type(resources, SERVICE)
    assert sorted(s["inputs"]["metadata"]["name"] for s in services) == names
    for service in services:
        spec = service["inputs"]["spec"]
        assert spec["type"] == "ClusterIP"
        assert not {"externalIPs", "loadBalancerIP", "loadBalancerSourceRanges", "externalName"} & set(spec)
        assert [p["port"] for p in spec["ports"]] == [8080, 8081]
    assert not [r for r in resources if "Ingress" in r["type"] or "Gateway" in r["type"]]


# --- the rollout -----------------------------------------------------------------------------

def test_canary_steps_are_exactly_those_given_and_end_in_full_promotion(canary):
    strategy = _rollout(canary)["strategy"]
    assert strategy == {"canary": {
        "stableService": "fraud-stable", "canaryService": "fraud-canary", "maxUnavailable": 0, "maxSurge": "25%",
        "steps": [{"setWeight": 10}, {"pause": {"duration": "5m"}}, ANALYSIS_STEP, {"setWeight": 50}, {"pause": {}},
                  ANALYSIS_STEP, {"setWeight": 100}],
    }}


def test_blue_green_waits_for_a_person_and_analyses_the_preview_first(blue_green):
    assert _rollout(blue_green)["strategy"] == {"blueGreen": {
        "activeService": "fraud", "previewService": "fraud-preview", "autoPromotionEnabled": False,
        "prePromotionAnalysis": ANALYSIS_STEP["analysis"],
    }}


def test_post_promotion_analysis_keeps_the_old_pods_until_it_completes():
    strategy = _rollout(_plan(strategy=BlueGreen(auto_promotion=True, post_promotion_analysis=True)))["strategy"]
    assert strategy["blueGreen"]["autoPromotionEnabled"] is True
    assert strategy["blueGreen"]["postPromotionAnalysis"] == ANALYSIS_STEP["analysis"]
    assert "scaleDownDelaySeconds" not in strategy["blueGreen"]


def test_the_autoscaler_owns_the_replica_count_and_targets_the_rollout(canary):
    rollout = _rollout(canary)
    assert "replicas" not in rollout
    assert (rollout["progressDeadlineSeconds"], rollout["progressDeadlineAbort"]) == (600, True)
    hpa = one_of_type(canary, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")["inputs"]["spec"]
    assert hpa == {
        "scaleTargetRef": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "fraud"},
        "minReplicas": 2, "maxReplicas": 6,
        "metrics": [{"type": "Resource",
                     "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
    }


def test_a_disruption_budget_keeps_all_but_one_pod(canary):
    pdb = one_of_type(canary, "kubernetes:policy/v1:PodDisruptionBudget")["inputs"]["spec"]
    assert pdb == {"maxUnavailable": 1, "selector": {"matchLabels": _rollout(canary)["selector"]["matchLabels"]}}


# --- the analysis ----------------------------------------------------------------------------

def test_analysis_queries_carry_the_thresholds_and_measure_only_the_new_pods():
    analysis = PrometheusAnalysis(prometheus=PrometheusEndpoint(namespace="observability", service="prom", port=9091),
                                  max_error_rate=0.02, max_p99_latency_ms=250, interval="30s", count=10, failure_limit=2,
                                  window="5m")
    spec = one_of_type(_plan(analysis=analysis), TEMPLATE)["inputs"]["spec"]
    assert spec["args"] == [{"name": "canary-hash"}]
    error_rate, latency = spec["metrics"]
    pods = 'namespace="models",rollouts_pod_template_hash="{{args.canary-hash}}"'
    assert error_rate == {
        "name": "error-rate", "interval": "30s", "count": 10, "failureLimit": 2,
        "successCondition": "len(result) > 0 && !isNaN(result[0]) && result[0] <= 0.02",
        "provider": {"prometheus": {
            "address": "http://prom.observability.svc:9091",
            "query": '(sum(rate(rest_server_requests_total{%s,status_code=~"5.."}[5m])) or vector(0)) / '
                     "sum(rate(rest_server_requests_total{%s}[5m]))" % (pods, pods),
        }},
    }
    assert latency == {
        "name": "p99-latency-ms", "interval": "30s", "count": 10, "failureLimit": 2,
        "successCondition": "len(result) > 0 && !isNaN(result[0]) && result[0] <= 250",
        "provider": {"prometheus": {
            "address": "http://prom.observability.svc:9091",
            "query": "histogram_quantile(0.99, sum by (le) (rate(rest_server_request_duration_seconds_bucket{%s}[5m]))) * 1000"
                     % pods,
        }},
    }


def test_the_service_alerts_on_the_canary_analysis_signals_and_thresholds():
    analysis = PrometheusAnalysis(max_error_rate=0.02, max_p99_latency_ms=250, window="5m")
    resources = _plan(analysis=analysis)
    rule = one_of_type(resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")["inputs"]
    analysed = {m["name"]: m["provider"]["prometheus"]["query"] for m in one_of_type(resources, TEMPLATE)["inputs"]["spec"]["metrics"]}
    service = 'namespace="models",app_kubernetes_io_name="fraud"'
    canary_pods = 'namespace="models",rollouts_pod_template_hash="{{args.canary-hash}}"'
    (group,) = rule["spec"]["groups"]
    assert group["name"] == "fraud-slo"
    error_rate, latency = group["rules"]
    # The same query as the analysis, over every pod of the service rather than the canary's.
    assert error_rate["expr"] == "(%s) > 0.02" % analysed["error-rate"].replace(canary_pods, service)
    assert latency["expr"] == "(%s) > 250" % analysed["p99-latency-ms"].replace(canary_pods, service)
    assert [(r["alert"], r["for"], r["labels"]["severity"]) for r in group["rules"]] == [
        ("ModelServingErrorRateHigh", "10m", "critical"), ("ModelServingLatencyHigh", "10m", "critical")]


def test_metrics_are_labelled_with_the_pod_template_hash_the_analysis_filters_on(canary):
    monitor = one_of_type(canary, "kubernetes:monitoring.coreos.com/v1:PodMonitor")["inputs"]["spec"]
    assert monitor == {
        "selector": {"matchLabels": _rollout(canary)["selector"]["matchLabels"]},
        "podMetricsEndpoints": [{"port": "metrics", "path": "/metrics"}],
        "podTargetLabels": ["rollouts-pod-template-hash", "app.kubernetes.io/name"],
    }
    assert {"name": "metrics", "containerPort": 8082, "protocol": "TCP"} in _pod(canary)["containers"][0]["ports"]


# --- secure pods -----------------------------------------------------------------------------

def test_pods_are_non_root_read_only_capability_free_and_bounded(canary):
    pod = _pod(canary)
    (container,) = pod["containers"]
    assert container["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000, "allowPrivilegeEscalation": False,
        "privileged": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["resources"] == {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
    assert container["livenessProbe"]["httpGet"] == {"path": "/v2/health/live", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": "http"}
    assert pod["volumes"] == [{"name": "scratch", "emptyDir": {"sizeLimit": "4Gi"}}]
    assert container["volumeMounts"] == [{"name": "scratch", "mountPath": "/tmp"}]
    assert not {"hostNetwork", "hostPID", "hostIPC", "tolerations"} & set(pod)


def test_pods_mount_no_api_token_and_run_as_the_bound_identity(canary):
    pod = _pod(canary)
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == "fraud"
    account = one_of_type(canary, "kubernetes:core/v1:ServiceAccount")["inputs"]
    assert account["metadata"]["name"] == "fraud" and account["metadata"]["namespace"] == "models"
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": ROLE}
    assert account["automountServiceAccountToken"] is False


def test_the_image_is_the_in_region_one_pinned_by_digest(canary):
    (container,) = _pod(canary)["containers"]
    assert container["image"] == "%s/serving/mlserver@%s" % (ECR, MLSERVER_DIGEST)
    assert container["imagePullPolicy"] == "IfNotPresent"


def test_the_model_comes_from_the_registry_by_uri_with_no_secret_in_the_environment(canary):
    (container,) = _pod(canary)["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert all(set(e) == {"name", "value"} for e in env.values())  # no valueFrom: no Secret in env
    assert "envFrom" not in container
    assert {k: env[k]["value"] for k in ("MLSERVER_MODEL_URI", "MLSERVER_MODEL_NAME", "MLSERVER_MODEL_IMPLEMENTATION",
                                         "MLFLOW_TRACKING_URI")} == {
        "MLSERVER_MODEL_URI": "models:/fraud/7", "MLSERVER_MODEL_NAME": "fraud",
        "MLSERVER_MODEL_IMPLEMENTATION": "mlserver_mlflow.MLflowRuntime", "MLFLOW_TRACKING_URI": "http://mlflow.mlflow.svc:5000",
    }
    # Everything MLServer writes goes to the scratch volume, not the read-only root filesystem.
    assert all(env[k]["value"].startswith("/tmp") for k in ("HOME", "MLSERVER_METRICS_DIR", "MLSERVER_ENVIRONMENTS_DIR",
                                                              "HF_HOME", "NUMBA_CACHE_DIR"))
    assert not [k for k in env if any(word in k for word in ("PASSWORD", "TOKEN", "SECRET", "KEY"))]


def test_registry_credentials_are_a_read_only_file_never_an_env_var():
    pod = _pod(_plan(tracking_credentials_secret="mlflow-client"))
    (container,) = pod["containers"]
    assert {"name": "mlflow-credentials", "secret": {"secretName": "mlflow-client", "defaultMode": 0o400}} in pod["volumes"]
    assert {"name": "mlflow-credentials", "mountPath": "/tmp/.mlflow", "readOnly": True} in container["volumeMounts"]
    assert all("valueFrom" not in e for e in container["env"])


def test_azure_workload_identity_labels_the_pods_and_gpu_models_tolerate_gpu_nodes():
    resources = _plan(identity=WorkloadIdentityBinding.azure_workload_identity("models", "fraud", "0000-client-id"),
                      resources=Resources("1", "4Gi", "4", "16Gi", gpus=1))
    template = _rollout(resources)["template"]
    assert template["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    assert "azure.workload.identity/use" not in _rollout(resources)["selector"]["matchLabels"]
    assert template["spec"]["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert template["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"


def test_every_child_is_inside_the_component_on_the_cluster_provider(canary):
    component = one_of_type(canary, "sahab:kubernetes:ModelServing")
    provider = one_of_type(canary, "pulumi:providers:kubernetes")
    children = [r for r in canary if r not in (component, provider)]
    assert len(children) == 10
    assert all(r["parent"] == component["urn"] and r["provider"] == provider["urn"] for r in children)
    assert {r["inputs"]["metadata"]["namespace"] for r in children} == {"models"}


def test_a_served_model_and_the_controller_pass_every_rule_of_the_gate():
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        ZeroTrustNamespace("models", ZeroTrustNamespaceArgs(
            provider=provider, ingress=[metrics_scrape_allow("fraud", PrometheusEndpoint())]))
        controller = _controller(provider)
        _serving(provider, rollouts_controller=controller)
        _serving(provider, name="churn", model_uri="models:/churn@champion", strategy=BlueGreen(),
                 identity=WorkloadIdentityBinding.aws_irsa("models", "churn", ROLE), rollouts_controller=controller)
    resources = plan_resources(program)
    engine = EmbeddedEngine()
    try:
        findings = evaluate_rules({"resources": resources}, load_bundle(), engine)
    finally:
        engine.close()
    assert [(f.rule_id, f.urn, f.message) for f in findings] == []
    assert len(resources_of_type(resources, ROLLOUT)) == 2


# --- the controller --------------------------------------------------------------------------

def _images(values: Any) -> Iterator[Dict[str, Any]]:
    """Every ``image`` block anywhere in a chart's values."""
    if isinstance(values, dict):
        for key, value in values.items():
            if key == "image" and isinstance(value, dict):
                yield value
            yield from _images(value)


def test_the_chart_is_pinned_and_every_image_comes_from_the_in_region_registry(controller):
    release = one_of_type(controller, RELEASE)["inputs"]
    assert (release["chart"], release["version"], release["repositoryOpts"]) == (
        "argo-rollouts", "2.41.0", {"repo": "https://argoproj.github.io/argo-helm"})
    assert (release["namespace"], release["createNamespace"], release["atomic"]) == ("argo-rollouts", False, True)
    images = list(_images(release["values"]))
    assert len(images) == 2
    assert all(image["registry"] == ECR for image in images)
    controller_image = release["values"]["controller"]["image"]
    assert (controller_image["repository"], controller_image["tag"]) == ("quay.io/argoproj/argo-rollouts", "v1.9.0@" + CONTROLLER_DIGEST)
    # The dashboard (off) is mirrored beside the controller, so no value points outside the region.
    assert release["values"]["dashboard"]["image"]["repository"] == "quay.io/argoproj/kubectl-argo-rollouts"


def test_a_digest_is_pulled_if_not_present_and_a_tag_alone_every_time(controller):
    values = one_of_type(controller, RELEASE)["inputs"]["values"]
    assert (values["controller"]["image"]["pullPolicy"], values["dashboard"]["image"]["pullPolicy"]) == (
        "IfNotPresent", "Always")
    tagged = plan_resources(lambda: _controller(k8s.Provider("cluster", kubeconfig="{}"),
                                                image=Image(ECR, "quay.io/argoproj/argo-rollouts", tag="v1.9.0")))
    assert one_of_type(tagged, RELEASE)["inputs"]["values"]["controller"]["image"]["pullPolicy"] == "Always"


def test_the_controller_runs_hardened_with_two_replicas_and_no_extras(controller):
    values = one_of_type(controller, RELEASE)["inputs"]["values"]
    assert values["containerSecurityContext"] == {
        "runAsNonRoot": True, "allowPrivilegeEscalation": False, "privileged": False, "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert values["podSecurityContext"] == {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                            "seccompProfile": {"type": "RuntimeDefault"}}
    assert values["controller"]["replicas"] == 2
    assert values["controller"]["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"},
                                                 "limits": {"cpu": "1", "memory": "512Mi"}}
    assert values["controller"]["pdb"] == {"enabled": True, "minAvailable": 1}
    assert values["dashboard"]["enabled"] is False
    assert values["providerRBAC"] == {"enabled": False, "providers": {"gatewayAPI": False}}


def test_the_controller_namespace_is_restricted_and_reaches_only_the_api_and_prometheus(controller):
    namespace = one_of_type(controller, "kubernetes:core/v1:Namespace")["inputs"]["metadata"]
    assert namespace["name"] == "argo-rollouts"
    assert namespace["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    policies = {p["inputs"]["metadata"]["name"]: p["inputs"]["spec"]
                for p in resources_of_type(controller, "kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    assert sorted(policies) == ["allow-out-api-server-0", "allow-out-dns", "allow-out-prometheus", "default-deny"]
    assert policies["allow-out-api-server-0"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}], "ports": [{"port": 443, "protocol": "TCP"}]}]
    assert policies["allow-out-prometheus"]["egress"] == [{
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}],
        "ports": [{"port": 9090, "protocol": "TCP"}]}]
    release = one_of_type(controller, RELEASE)
    assert release["parent"] == one_of_type(controller, "sahab:kubernetes:RolloutsController")["urn"]


def test_the_rollouts_wait_for_the_controller_that_installs_their_crds():
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        _serving(provider, rollouts_controller=_controller(provider))
    resources = plan_resources(program)
    release = one_of_type(resources, RELEASE)["urn"]
    for type_token in (ROLLOUT, TEMPLATE):
        assert release in one_of_type(resources, type_token)["dependencies"]


# --- bad input -------------------------------------------------------------------------------

IN_REGION = ("mirror the image into ECR in me-central-1 (<account>.dkr.ecr.me-central-1.amazonaws.com) "
             "or a UAE Azure Container Registry (<name>.azurecr.io)")
BAD_URI = ("must be models:/<name>/<version> (e.g. models:/fraud/7) or models:/<name>@<alias> (e.g. models:/fraud@champion); "
           "'latest' and stages change the model without a rollout")


@pytest.mark.parametrize("overrides, message", [
    ({"image": Image("docker.io", "seldonio/mlserver", tag="1.7.1")},
     "ModelServing: image.registry 'docker.io' is not an in-region registry; " + IN_REGION),
    ({"image": Image("111122223333.dkr.ecr.eu-west-1.amazonaws.com", "mlserver", tag="1.7.1")},
     "ModelServing: image.registry '111122223333.dkr.ecr.eu-west-1.amazonaws.com' is not an in-region registry; " + IN_REGION),
    ({"image": Image(ECR, "serving/mlserver", tag="latest")},
     "ModelServing: image tag 'latest' moves to new content; pin a version tag or, better, a digest"),
    ({"strategy": Canary([SetWeight(10), Analysis(), SetWeight(50)])},
     "ModelServing: strategy.steps must end with SetWeight(100), the full promotion; the last step is SetWeight(weight=50)"),
    ({"strategy": Canary([SetWeight(20), Analysis(), SetWeight(100), Pause("5m")])},
     "ModelServing: strategy.steps must end with SetWeight(100), the full promotion; the last step is Pause(duration='5m')"),
    ({"strategy": Canary([SetWeight(50), Analysis(), SetWeight(20), SetWeight(100)])},
     "ModelServing: strategy.steps[2] SetWeight(20) lowers the weight after SetWeight(50); weights must not decrease "
     "(a failed analysis aborts the rollout and sends every pod back to the stable version)"),
    ({"strategy": Canary([])},
     "ModelServing: strategy.steps must list the canary steps and end with SetWeight(100), the full promotion"),
    ({"strategy": Canary([SetWeight(0), Analysis(), SetWeight(100)])},
     "ModelServing: strategy.steps[0] SetWeight(0) must be a whole percentage from 1 to 100"),
    ({"strategy": Canary([Analysis(), SetWeight(100)])},
     "ModelServing: strategy.steps[0] Analysis() comes before any SetWeight: the canary has no pods to measure yet"),
    ({"strategy": Canary([SetWeight(10), Pause("5m"), SetWeight(100)])},
     "ModelServing: strategy.steps run no Analysis(); add one before SetWeight(100) so the canary is measured against "
     "the error-rate and latency thresholds"),
    ({"strategy": Canary([SetWeight(10), Pause("5 minutes"), Analysis(), SetWeight(100)])},
     "ModelServing: strategy.steps[1] Pause('5 minutes') needs a duration such as '30s', '5m' or '1h', or none to wait "
     "for a manual promotion"),
    ({"strategy": BlueGreen(auto_promotion=True, pre_promotion_analysis=False)},
     "ModelServing: strategy BlueGreen(auto_promotion=True) needs pre_promotion_analysis=True; otherwise the new version "
     "takes all traffic unchecked"),
    ({"strategy": BlueGreen(post_promotion_analysis=True, scale_down_delay_seconds=60)},
     "ModelServing: strategy.scale_down_delay_seconds would cancel the post-promotion analysis after 60 s; leave it unset "
     "so the old pods stay until the analysis completes"),
    ({"strategy": "canary"}, "ModelServing: strategy must be Canary(steps=[...]) or BlueGreen(...); got 'canary'"),
    ({"replicas": 0},
     "ModelServing: replicas must be >= 2 in production, so losing a node or a pod never stops the service "
     "(production=False allows 1); got 0"),
    ({"replicas": 1},
     "ModelServing: replicas must be >= 2 in production, so losing a node or a pod never stops the service "
     "(production=False allows 1); got 1"),
    ({"replicas": 0, "production": False}, "ModelServing: replicas must be >= 1 (a model with no pods serves nothing); got 0"),
    ({"replicas": 4, "max_replicas": 3}, "ModelServing: max_replicas must be >= 4 (replicas, the autoscaler's minimum); got 3"),
    ({"model_uri": "models:/fraud/latest"}, "ModelServing: model_uri 'models:/fraud/latest' " + BAD_URI),
    ({"model_uri": "models:/fraud/Production"}, "ModelServing: model_uri 'models:/fraud/Production' " + BAD_URI),
    ({"model_uri": "models:/fraud@v3"}, "ModelServing: model_uri 'models:/fraud@v3' " + BAD_URI),
    ({"model_uri": "s3://models/fraud"}, "ModelServing: model_uri 's3://models/fraud' " + BAD_URI),
    ({"model_uri": "runs:/0a1b2c/model"}, "ModelServing: model_uri 'runs:/0a1b2c/model' " + BAD_URI),
    ({"identity": WorkloadIdentityBinding.aws_irsa("models", "churn", ROLE)},
     "ModelServing: identity is bound to models/churn but the workload runs as models/fraud; create the cloud identity "
     "for namespace 'models' and service account 'fraud'"),
    ({"identity": WorkloadIdentityBinding.aws_irsa("default", "fraud", ROLE)},
     "ModelServing: identity is bound to default/fraud but the workload runs as models/fraud; create the cloud identity "
     "for namespace 'models' and service account 'fraud'"),
    ({"tracking_uri": "mlflow:5000"},
     "ModelServing: tracking_uri 'mlflow:5000' must be the MLflow server's http(s) URL, e.g. http://mlflow.mlflow.svc:5000"),
    ({"analysis": PrometheusAnalysis(count=3, failure_limit=3)},
     "ModelServing: analysis.failure_limit (3) must be below count (3), or the analysis can never fail"),
    ({"analysis": PrometheusAnalysis(max_error_rate=5)},
     "ModelServing: analysis.max_error_rate is a fraction of requests (0.01 = 1%) above 0 and below 1, got 5"),
    ({"name": "1fraud", "identity": WorkloadIdentityBinding.aws_irsa("models", "1fraud", ROLE)},
     "ModelServing: name '1fraud' must start with a letter (it names Services, DNS-1035 labels)"),
])
def test_bad_input_fails_before_anything_registers(overrides, message):
    resources, error = attempt_plan(lambda: _serving(k8s.Provider("cluster", kubeconfig="{}"), **overrides))
    assert str(error) == message
    assert [r["type"] for r in resources] == ["pulumi:providers:kubernetes"]


@pytest.mark.parametrize("overrides, message", [
    ({"image": Image("quay.io", "argoproj/argo-rollouts", tag="v1.9.0")},
     "RolloutsController: image.registry 'quay.io' is not an in-region registry; " + IN_REGION),
    ({"image": Image(ECR, "argoproj/argo-rollouts", digest=CONTROLLER_DIGEST)},
     "RolloutsController: image needs a version tag as well as its digest (the chart pulls <repository>:<tag>)"),
    ({"image": Image(ECR, "argoproj/argo-rollouts", tag="latest")},
     "RolloutsController: image tag 'latest' moves to new content; pin a version tag or, better, a digest"),
    ({"api_server_cidrs": ["0.0.0.0/0"]},
     "RolloutsController: api_server_cidrs must not contain 0.0.0.0/0 (the whole internet); list the networks that need access"),
    ({"api_server_cidrs": ["10.20.0.0/33"]}, "RolloutsController: api_server_cidrs entry '10.20.0.0/33' is not a valid CIDR block"),
    ({"api_server_cidrs": ["52.95.0.0/20"]},
     "RolloutsController: api_server_cidrs entry 52.95.0.0/20 is not a private range; only addresses inside the VPC may connect"),
    ({"api_server_port": 0}, "RolloutsController: api_server_port must be a port number (1-65535), got 0"),
    ({"replicas": 0}, "RolloutsController: replicas must be >= 1 (2 keeps a leader-elected standby), got 0"),
])
def test_bad_controller_input_fails_before_anything_registers(overrides, message):
    resources, error = attempt_plan(lambda: _controller(k8s.Provider("cluster", kubeconfig="{}"), **overrides))
    assert str(error) == message
    assert [r["type"] for r in resources] == ["pulumi:providers:kubernetes"]
