"""ModelServing with input logging: the sidecar that writes the drift checks' evidence is hardened like
every workload, sits between the Services and MLServer, is scraped and alerted on, and bad input is
refused before anything registers."""
from __future__ import annotations

from typing import Any, Dict, List

import pulumi
import pulumi_kubernetes as k8s
import pytest
from test_serving import ECR, IN_REGION, ROLLOUT, SERVICE, _serving

from sahab.components.kubernetes import InputLogging, ZeroTrustNamespace, ZeroTrustNamespaceArgs
from sahab.components.kubernetes.images import Image
from sahab.components.kubernetes.rollout_strategy import PrometheusEndpoint
from sahab.components.kubernetes.serving import metrics_scrape_allow
from sahab.components.kubernetes.workload import Resources
from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.evaluate import evaluate_rules
from sahab.gate.rules import load_bundle
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

LOGGER = Image(ECR, "sahab/inference-log", tag="0.1.0", digest="sha256:" + "12" * 32)
INPUTS = "s3://ml-artifacts/inference-inputs"


def _plan(**overrides: Any) -> List[Dict[str, Any]]:
    logging = overrides.pop("input_logging", InputLogging(inputs_uri=INPUTS, image=LOGGER))
    return plan_resources(lambda: _serving(k8s.Provider("cluster", kubeconfig="{}"), input_logging=logging, **overrides))


@pytest.fixture(scope="module")
def logged() -> List[Dict[str, Any]]:
    return _plan(tracking_credentials_secret="mlflow-credentials")


def _containers(resources: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    pod = one_of_type(resources, ROLLOUT)["inputs"]["spec"]["template"]["spec"]
    return {container["name"]: container for container in pod["containers"]}


def test_the_sidecar_runs_non_root_read_only_without_capabilities_as_its_own_user(logged):
    sidecar = _containers(logged)["inputs-log"]
    assert sidecar["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "allowPrivilegeEscalation": False,
        "privileged": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert _containers(logged)["mlserver"]["securityContext"]["runAsUser"] == 1000  # not MLServer's user
    assert (sidecar["image"], sidecar["imagePullPolicy"]) == (LOGGER.reference, "IfNotPresent")
    assert sidecar["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "500m", "memory": "768Mi"}}
    # Its own scratch folder, and MLflow's credentials (an alias's version) read-only, never in the environment.
    assert sidecar["volumeMounts"] == [{"name": "inputs-scratch", "mountPath": "/tmp"},
                                       {"name": "mlflow-credentials", "mountPath": "/tmp/.mlflow", "readOnly": True}]
    pod = one_of_type(logged, ROLLOUT)["inputs"]["spec"]["template"]["spec"]
    assert {"name": "inputs-scratch", "emptyDir": {"sizeLimit": "1Gi"}} in pod["volumes"]
    assert pod["automountServiceAccountToken"] is False
    assert {e["name"]: e["value"] for e in sidecar["env"]} == {
        "HOME": "/tmp", "MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_TRACKING_URI": "http://mlflow.mlflow.svc:5000",
        "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": "/tmp"}


def test_the_sidecar_proxies_the_serving_port_to_mlserver_behind_it(logged):
    containers = _containers(logged)
    sidecar, mlserver = containers["inputs-log"], containers["mlserver"]
    assert sidecar["command"] == ["python", "-m", "sahab.inference_log"]
    assert sidecar["args"] == ["--model-uri", "models:/fraud/7", "--inputs-uri", INPUTS, "--listen-port", "8080",
                               "--upstream-port", "8090", "--metrics-port", "8083", "--flush-seconds", "60",
                               "--flush-rows", "1000", "--max-rows", "20000"]
    assert sidecar["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                                {"name": "inputs-metrics", "containerPort": 8083, "protocol": "TCP"}]
    assert [p["name"] for p in mlserver["ports"]] == ["metrics", "mlserver-http"]
    assert {e["name"]: e["value"] for e in mlserver["env"]}["MLSERVER_HTTP_PORT"] == "8090"
    # MLServer's own probes stay on MLServer; the sidecar is ready only while MLServer is (passed through).
    assert mlserver["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": "mlserver-http"}
    assert sidecar["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": "http"}
    assert sidecar["livenessProbe"]["httpGet"] == {"path": "/metrics", "port": "inputs-metrics"}


def test_every_service_reaches_the_proxy_alone_so_no_inference_bypasses_the_log(logged):
    named = {port["name"]: name for name, container in _containers(logged).items() for port in container["ports"]}
    services = resources_of_type(logged, SERVICE)
    assert len(services) == 3
    for service in services:
        # REST through the logging proxy only: MLServer's gRPC port (unlogged) is not published.
        assert [(p["name"], p["port"], p["targetPort"]) for p in service["inputs"]["spec"]["ports"]] == [
            ("http", 8080, "http")]
        assert named["http"] == "inputs-log"
    assert "grpc" not in named


def test_the_sidecar_is_scraped_and_its_losses_alert(logged):
    monitor = one_of_type(logged, "kubernetes:monitoring.coreos.com/v1:PodMonitor")["inputs"]["spec"]
    assert monitor["podMetricsEndpoints"] == [{"port": "metrics", "path": "/metrics"}, {"port": "inputs-metrics", "path": "/metrics"}]
    slo, inputs = one_of_type(logged, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")["inputs"]["spec"]["groups"]
    assert slo["name"] == "fraud-slo" and inputs["name"] == "fraud-inputs"
    selector = 'namespace="models",app_kubernetes_io_name="fraud"'
    assert [(r["alert"], r["expr"]) for r in inputs["rules"]] == [
        ("ModelInputsDropped", "sum(increase(sahab_inference_log_rows_dropped_total{%s}[30m])) > 0" % selector),
        ("ModelInputsNotWritten", 'sum(increase(sahab_inference_log_flush_failures_total{%s,reason="store"}[30m])) > 0' % selector)]
    allow = metrics_scrape_allow("fraud", PrometheusEndpoint(), logs_inputs=True)
    assert [p.port for p in allow.ports] == [8082, 8083]
    assert [p.port for p in metrics_scrape_allow("fraud", PrometheusEndpoint()).ports] == [8082]


def test_an_alias_and_a_deploy_time_inputs_uri_are_passed_to_the_sidecar():
    resources = plan_resources(lambda: _serving(  # an Output exists only inside the program
        k8s.Provider("cluster", kubeconfig="{}"), model_uri="models:/fraud@champion",
        input_logging=InputLogging(inputs_uri=pulumi.Output.from_input(INPUTS), image=LOGGER, flush_rows=10, max_rows=50)))
    sidecar = _containers(resources)["inputs-log"]
    assert sidecar["args"][:4] == ["--model-uri", "models:/fraud@champion", "--inputs-uri", INPUTS]
    assert sidecar["args"][-4:] == ["--flush-rows", "10", "--max-rows", "50"]
    assert [m["name"] for m in sidecar["volumeMounts"]] == ["inputs-scratch"]  # no credentials Secret given, none mounted


def test_a_logging_model_and_its_namespace_pass_every_rule_of_the_gate():
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        ZeroTrustNamespace("models", ZeroTrustNamespaceArgs(
            provider=provider, ingress=[metrics_scrape_allow("fraud", PrometheusEndpoint(), logs_inputs=True)]))
        _serving(provider, input_logging=InputLogging(inputs_uri=INPUTS, image=LOGGER))
    engine = EmbeddedEngine()
    try:
        findings = evaluate_rules({"resources": plan_resources(program)}, load_bundle(), engine)
    finally:
        engine.close()
    assert [(f.rule_id, f.urn, f.message) for f in findings] == []


BAD_INPUTS = ("must be s3://<bucket>/<prefix> or wasbs://<container>@<account>.blob.core.windows.net/<path>, "
              "the root the serving side logs inputs under")


@pytest.mark.parametrize("logging, message", [
    (InputLogging(inputs_uri="https://bucket.example.com/inputs", image=LOGGER),
     "ModelServing: inputs_uri 'https://bucket.example.com/inputs' " + BAD_INPUTS),
    (InputLogging(inputs_uri="s3://UPPER/inputs", image=LOGGER), "ModelServing: inputs_uri 's3://UPPER/inputs' " + BAD_INPUTS),
    (InputLogging(inputs_uri="file:///tmp/inputs", image=LOGGER), "ModelServing: inputs_uri 'file:///tmp/inputs' " + BAD_INPUTS),
    (InputLogging(inputs_uri=INPUTS, image=Image("docker.io", "sahab/inference-log", tag="0.1.0")),
     "ModelServing: input_logging.image.registry 'docker.io' is not an in-region registry; " + IN_REGION),
    (InputLogging(inputs_uri=INPUTS, image=Image(ECR, "sahab/inference-log", tag="latest")),
     "ModelServing: input_logging.image tag 'latest' moves to new content; pin a version tag or, better, a digest"),
    (InputLogging(inputs_uri=INPUTS, image=LOGGER, flush_rows=5000, max_rows=1000),
     "ModelServing: input_logging.flush_rows (5000) must not exceed max_rows (1000), the most rows held in memory"),
    (InputLogging(inputs_uri=INPUTS, image=LOGGER, flush_seconds=1),
     "ModelServing: input_logging.flush_seconds must be a whole number from 5 to 3600, got 1"),
    (InputLogging(inputs_uri=INPUTS, image=LOGGER, resources=Resources("1", "1Gi", "500m", "1Gi")),
     "ModelServing: input_logging.resources.cpu_request 1 exceeds cpu_limit 500m"),
    ("s3://ml-artifacts/inference-inputs",
     "ModelServing: input_logging must be an InputLogging(inputs_uri=..., image=...) or None; got 's3://ml-artifacts/inference-inputs'"),
])
def test_bad_input_logging_fails_before_anything_registers(logging, message):
    resources, error = attempt_plan(lambda: _serving(k8s.Provider("cluster", kubeconfig="{}"), input_logging=logging))
    assert str(error) == message
    assert [r["type"] for r in resources] == ["pulumi:providers:kubernetes"]
