"""Monitoring: kube-prometheus-stack pinned with in-region images, everything selected, Grafana's
admin password by reference and never in an environment variable, zero-trust flows, and the
platform's alert rules (one per signal, exact PromQL); bad input fails before anything registers."""
from __future__ import annotations

from typing import Any, Dict, List

import pulumi_kubernetes as k8s
import pytest

from sahab.components.kubernetes import ChartRef, RemoteRef, Resources, WorkloadIdentityBinding
from sahab.components.kubernetes.alert_routing import AlertReceiver
from sahab.components.kubernetes.monitoring import Monitoring, MonitoringArgs, QueryClient, ScrapeTarget
from sahab.components.kubernetes.platform_alerts import PlatformAlerts
from sahab.components.kubernetes.rollout_strategy import PrometheusAnalysis, PrometheusEndpoint
from sahab.components.kubernetes.secrets import SecretStoreBinding
from sahab.components.kubernetes.storage import EncryptedStorageClass, EncryptedStorageClassArgs, EncryptedVolumes
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

ECR = "111122223333.dkr.ecr.me-central-1.amazonaws.com"
PASSWORD_ARN = "arn:aws:secretsmanager:me-central-1:111122223333:secret:grafana-admin-password"
RECEIVER_ARN = "arn:aws:secretsmanager:me-central-1:111122223333:secret:alerts-receiver-url"
VOLUMES_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000003"
RELEASE = "kubernetes:helm.sh/v3:Release"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
PROMETHEUS = {"app.kubernetes.io/name": "prometheus"}


def _store(namespace: str = "monitoring") -> SecretStoreBinding:
    return SecretStoreBinding(
        provider={"aws": {"service": "SecretsManager", "region": "me-central-1"}},
        identity=WorkloadIdentityBinding.aws_irsa(namespace, "external-secrets-store",
                                                  "arn:aws:iam::111122223333:role/monitoring-store"))


def _storage_class(provider: Any, name: str) -> EncryptedStorageClass:
    volumes = EncryptedVolumes("ebs.csi.aws.com", {"type": "gp3", "encrypted": "true", "kmsKeyId": VOLUMES_KEY}, key="kmsKeyId")
    return EncryptedStorageClass(name, EncryptedStorageClassArgs(provider=provider, volumes=volumes, class_name=name))


def _args(provider: Any, **overrides: Any) -> MonitoringArgs:
    """The arguments; ``storage_class_name`` makes the (default) class under that name."""
    storage_class_name = overrides.pop("storage_class_name", "gp3-encrypted")
    values: Dict[str, Any] = dict(
        provider=provider, registry=ECR, api_server_cidrs=["10.0.0.0/16"], node_cidrs=["10.0.0.0/16"],
        secret_store=_store(), grafana_admin_password=RemoteRef(PASSWORD_ARN),
        alerts=PlatformAlerts(training_namespaces=["training"], mlflow_namespace="mlflow"),
        alert_receiver=AlertReceiver("slack", RemoteRef(RECEIVER_ARN), cidrs=["203.0.113.0/24"]),
        scrape_targets=[ScrapeTarget("dcgm-exporter", "gpu-operator", {"app": "nvidia-dcgm-exporter"}, 9400)],
        query_clients=[QueryClient("argo-rollouts", "argo-rollouts", {"app.kubernetes.io/name": "argo-rollouts"})])
    values.update(overrides)
    if "storage_class" not in values:
        values["storage_class"] = _storage_class(provider, storage_class_name)
    return MonitoringArgs(**values)


def _plan(**overrides: Any) -> List[Dict[str, Any]]:
    return plan_resources(lambda: Monitoring("monitoring", _args(k8s.Provider("cluster", kubeconfig="{}"), **overrides)))


@pytest.fixture(scope="module")
def planned() -> List[Dict[str, Any]]:
    return _plan()


def _values(resources: List[Dict[str, Any]]) -> Dict[str, Any]:
    return one_of_type(resources, RELEASE)["inputs"]["values"]


def test_the_chart_is_pinned_and_installed_with_its_hooks(planned):
    inputs = one_of_type(planned, RELEASE)["inputs"]
    assert (inputs["chart"], inputs["version"], inputs["repositoryOpts"]) == (
        "kube-prometheus-stack", "88.5.3", {"repo": "https://prometheus-community.github.io/helm-charts"})
    assert (inputs["name"], inputs["namespace"], inputs["atomic"]) == ("kube-prometheus-stack", "monitoring", True)
    # helm.v3.Release runs hooks: the admission webhook's certificate Jobs run, the webhook fails closed.
    webhooks = _values(planned)["prometheusOperator"]["admissionWebhooks"]
    assert webhooks["patch"]["enabled"] is True and webhooks["failurePolicy"] == "Fail"


def test_every_image_comes_from_the_in_region_registry_and_is_pulled_every_time(planned):
    values = _values(planned)
    assert values["global"] == {"imageRegistry": ECR}
    assert _values(_plan(image_prefix="mirror/"))["global"] == {"imageRegistry": ECR + "/mirror"}
    policies = [values["prometheusOperator"]["image"], values["prometheusOperator"]["admissionWebhooks"]["patch"]["image"],
                values["prometheus"]["prometheusSpec"]["image"], values["alertmanager"]["alertmanagerSpec"]["image"],
                values["grafana"]["image"], values["kube-state-metrics"]["image"]]
    assert [p["pullPolicy"] for p in policies] == ["Always"] * 6
    assert values["grafana"]["sidecar"]["imagePullPolicy"] == "Always"


def test_monitors_and_rules_of_every_release_are_selected(planned):
    spec = _values(planned)["prometheus"]["prometheusSpec"]
    for kind in ("serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"):
        assert spec["%sSelectorNilUsesHelmValues" % kind] is False, kind


def test_retention_and_storage_are_arguments(planned):
    spec = _values(planned)["prometheus"]["prometheusSpec"]
    assert (spec["retention"], spec["retentionSize"]) == ("15d", "42GB")
    assert spec["storageSpec"] == {"volumeClaimTemplate": {"spec": {
        "storageClassName": "gp3-encrypted", "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "50Gi"}}}}}
    sized = _values(_plan(storage_size="1Ti", retention="30d", storage_class_name="ebs-cmk"))["prometheus"]["prometheusSpec"]
    assert (sized["retention"], sized["retentionSize"]) == ("30d", "870GB")
    assert sized["storageSpec"]["volumeClaimTemplate"]["spec"]["storageClassName"] == "ebs-cmk"


def test_grafana_admin_comes_from_the_secret_store_as_a_file_never_an_environment_variable(planned):
    grafana = _values(planned)["grafana"]
    assert grafana["admin"]["existingSecret"] == "grafana-admin"
    # Both set: the chart then writes no secretKeyRef variable for Grafana or its sidecars.
    assert grafana["env"] == {"GF_SECURITY_ADMIN_USER": "admin",
                              "GF_SECURITY_ADMIN_PASSWORD__FILE": "/etc/secrets/grafana-admin/admin-password"}
    assert grafana["extraSecretMounts"] == [{"name": "admin", "secretName": "grafana-admin",
                                             "mountPath": "/etc/secrets/grafana-admin", "readOnly": True, "defaultMode": 0o440}]
    assert "adminPassword" not in grafana and PASSWORD_ARN not in str(_values(planned))
    secret = next(r for r in resources_of_type(planned, EXTERNAL_SECRET) if r["name"] == "monitoring-grafana-admin")["inputs"]
    assert secret["spec"]["secretStoreRef"] == {"name": "aws-secrets", "kind": "SecretStore"}
    assert secret["spec"]["data"] == [{"secretKey": "password", "remoteRef": {"key": PASSWORD_ARN}}]
    assert secret["spec"]["target"]["template"]["data"] == {"admin-user": "admin", "admin-password": "{{ .password }}"}
    store = one_of_type(planned, "kubernetes:external-secrets.io/v1:SecretStore")["inputs"]["metadata"]
    assert (store["name"], store["namespace"]) == ("aws-secrets", "monitoring")


def test_nothing_leaves_the_region_and_nothing_reads_secrets_cluster_wide(planned):
    values = _values(planned)
    assert values["grafana"]["grafana.ini"]["analytics"] == {
        "reporting_enabled": False, "check_for_updates": False, "check_for_plugin_updates": False,
        "feedback_links_enabled": False}
    assert values["grafana"]["rbac"] == {"namespaced": True}
    assert values["kube-state-metrics"]["collectorsExclude"] == ["secrets"]


def test_host_access_and_unreachable_control_plane_parts_are_off(planned):
    values = _values(planned)
    assert values["nodeExporter"] == {"enabled": False} and values["windowsMonitoring"] == {"enabled": False}
    for part in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"):
        assert values[part] == {"enabled": False}, part
    assert values["defaultRules"]["rules"]["nodeExporterAlerting"] is False


def test_every_pod_is_non_root_read_only_and_bounded(planned):
    values = _values(planned)
    for context in (values["prometheusOperator"]["containerSecurityContext"], values["grafana"]["containerSecurityContext"],
                    values["grafana"]["sidecar"]["securityContext"], values["kube-state-metrics"]["containerSecurityContext"]):
        assert context["runAsNonRoot"] and context["readOnlyRootFilesystem"] and not context["allowPrivilegeEscalation"]
        assert context["capabilities"] == {"drop": ["ALL"]} and context["seccompProfile"] == {"type": "RuntimeDefault"}
    for pod in (values["prometheus"]["prometheusSpec"]["securityContext"], values["alertmanager"]["alertmanagerSpec"]["securityContext"],
                values["prometheusOperator"]["securityContext"]):
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] == 65534
    assert values["prometheus"]["prometheusSpec"]["resources"] == {
        "requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}


def test_the_chart_policies_are_on_except_the_operators_which_allows_all_egress(planned):
    values = _values(planned)
    assert values["prometheus"]["networkPolicy"]["enabled"] is True
    assert values["alertmanager"]["networkPolicy"] == {"enabled": True}
    assert values["grafana"]["networkPolicy"] == {"enabled": True, "ingress": True, "allowExternal": False}
    assert values["kube-state-metrics"]["networkPolicy"] == {"enabled": True, "ingress": [
        {"from": [{"podSelector": {"matchLabels": PROMETHEUS}}],
         "ports": [{"port": 8080, "protocol": "TCP"}, {"port": 8081, "protocol": "TCP"}]}]}
    assert values["prometheusOperator"]["networkPolicy"] == {"enabled": False}


def test_flows_are_exactly_the_scrapes_queries_and_the_api_server(planned):
    policies = {r["inputs"]["metadata"]["name"]: r["inputs"]["spec"] for r in resources_of_type(planned, POLICY)}
    assert sorted(policies) == sorted([
        "default-deny", "allow-out-dns", "allow-out-api-server-0", "allow-out-kubelet-0", "allow-out-coredns-metrics",
        "allow-out-scrape-prometheus", "allow-out-scrape-alertmanager", "allow-out-scrape-operator",
        "allow-out-scrape-kube-state-metrics", "allow-out-scrape-grafana", "allow-out-scrape-dcgm-exporter",
        "allow-out-grafana-to-prometheus", "allow-out-grafana-to-alertmanager",
        "allow-in-from-prometheus-to-prometheus", "allow-in-from-prometheus-to-alertmanager",
        "allow-in-from-prometheus-to-operator", "allow-in-from-prometheus-to-kube-state-metrics",
        "allow-in-from-prometheus-to-grafana", "allow-in-from-grafana-to-prometheus", "allow-in-from-grafana-to-alertmanager",
        "allow-in-webhook-from-api-server-0", "allow-in-query-argo-rollouts", "allow-out-alert-receiver-0"])
    assert policies["allow-out-scrape-dcgm-exporter"] == {
        "podSelector": {"matchLabels": PROMETHEUS}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gpu-operator"}},
                            "podSelector": {"matchLabels": {"app": "nvidia-dcgm-exporter"}}}],
                    "ports": [{"port": 9400, "protocol": "TCP"}]}]}
    assert policies["allow-in-query-argo-rollouts"] == {
        "podSelector": {"matchLabels": PROMETHEUS}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "argo-rollouts"}},
                               "podSelector": {"matchLabels": {"app.kubernetes.io/name": "argo-rollouts"}}}],
                     "ports": [{"port": 9090, "protocol": "TCP"}]}]}
    assert policies["allow-out-kubelet-0"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "10.0.0.0/16"}}], "ports": [{"port": 10250, "protocol": "TCP"}]}]


def test_the_prometheus_it_installs_is_the_one_canary_analyses_query():
    """The analyses' default endpoint (rollout_strategy.PrometheusEndpoint) names the operator's Service and pod labels."""
    captured = []
    plan_resources(lambda: captured.append(Monitoring("monitoring", _args(k8s.Provider("cluster", kubeconfig="{}")))))
    assert captured[0].endpoint == PrometheusEndpoint() == PrometheusAnalysis().prometheus
    assert captured[0].endpoint.address == "http://prometheus-operated.monitoring.svc:9090"


def test_one_alert_per_platform_signal_with_the_exact_query(planned):
    rule = one_of_type(planned, RULE)["inputs"]
    assert (rule["metadata"]["name"], rule["metadata"]["namespace"]) == ("sahab-platform-alerts", "monitoring")
    [group] = rule["spec"]["groups"]
    assert group["name"] == "sahab-platform"
    rules = {r["alert"]: r for r in group["rules"]}
    assert {name: (r["expr"], r.get("for"), r["labels"]["severity"]) for name, r in rules.items()} == {
        "GpuNodeIdle": ("avg by (Hostname) (DCGM_FI_DEV_GPU_UTIL) < 10", "1h", "warning"),
        "GpuNodeSaturated": ("avg by (Hostname) (DCGM_FI_DEV_GPU_UTIL) > 95", "30m", "warning"),
        "GpuXidError": ("max by (Hostname, gpu, UUID) (DCGM_FI_DEV_XID_ERRORS) > 0", "1m", "critical"),
        "TrainingPodRestarting": ('increase(kube_pod_container_status_restarts_total{namespace=~"training"}[30m]) > 3',
                                  None, "warning"),
        "MlflowDown": ('(kube_deployment_status_replicas_available{namespace="mlflow",deployment="mlflow"} < 1) or '
                       'absent(kube_deployment_status_replicas_available{namespace="mlflow",deployment="mlflow"})',
                       "5m", "critical"),
    }


def test_thresholds_are_arguments():
    alerts = PlatformAlerts(training_namespaces=["train-b", "train-a"], mlflow_namespace="registry", mlflow_deployment="models",
                            gpu_idle_percent=5, gpu_saturated_percent=90, training_restarts=1, training_restart_window="1h")
    expressions = alerts.validate("Monitoring").expressions()
    assert expressions["GpuNodeIdle"].endswith("< 5") and expressions["GpuNodeSaturated"].endswith("> 90")
    assert expressions["TrainingPodRestarting"] == (
        'increase(kube_pod_container_status_restarts_total{namespace=~"train-a|train-b"}[1h]) > 1')
    assert 'namespace="registry",deployment="models"' in expressions["MlflowDown"]


ALERTS = PlatformAlerts(training_namespaces=["training"], mlflow_namespace="mlflow")


@pytest.mark.parametrize("overrides, message", [
    ({"registry": "quay.io"},
     "Monitoring: registry 'quay.io' is not an in-region registry; mirror the image into ECR in me-central-1 "
     "(<account>.dkr.ecr.me-central-1.amazonaws.com) or a UAE Azure Container Registry (<name>.azurecr.io)"),
    ({"chart": ChartRef("https://prometheus-community.github.io/helm-charts", "kube-prometheus-stack", "88.x")},
     "Monitoring: chart.version '88.x' must be an exact chart version (e.g. 1.7.0), not a range"),
    ({"grafana_admin_password": "hunter2-literal"},
     "Monitoring: grafana_admin_password must be a RemoteRef to the secret in the cloud's secret store (never the value); "
     "got a str"),
    ({"secret_store": _store("observability")},
     "Monitoring: secret_store must be the SecretStoreBinding made for namespace 'monitoring' "
     "(e.g. SecretsManagerStore(...).binding)"),
    ({"storage_size": "50GB"}, "Monitoring: storage_size '50GB' must be a volume size in Gi or Ti, such as '50Gi'"),
    ({"storage_class": "gp3-encrypted"},
     "Monitoring: storage_class must be the EncryptedStorageClass the volumes are provisioned from (not a class name); got str"),
    ({"retention": "forever"}, "Monitoring: retention 'forever' must be a duration such as '15d' or '4w'"),
    ({"node_cidrs": ["0.0.0.0/0"]},
     "Monitoring: node_cidrs must not contain 0.0.0.0/0 (the whole internet); list the networks that need access"),
    ({"api_server_cidrs": ["52.95.0.0/20"]},
     "Monitoring: api_server_cidrs entry 52.95.0.0/20 is not a private range; only addresses inside the VPC may connect"),
    ({"scrape_targets": [ScrapeTarget("everything", "serving", {}, 8082)]},
     "Monitoring: scrape_targets[0] must have a name and a namespace (DNS labels) and the pods' labels "
     "(Prometheus may scrape exactly them)"),
    ({"prometheus_resources": Resources("4", "1Gi", "2", "1Gi")},
     "Monitoring: prometheus_resources.cpu_request 4 exceeds cpu_limit 2"),
    ({"alerts": PlatformAlerts(training_namespaces=[], mlflow_namespace="mlflow")},
     "Monitoring: alerts.training_namespaces must list the training queues' namespaces (DNS labels), got []"),
    ({"alerts": PlatformAlerts(training_namespaces=["training"], mlflow_namespace="mlflow", gpu_idle_percent=95)},
     "Monitoring: alerts.gpu_idle_percent (95) must be below gpu_saturated_percent (95)"),
    ({"alerts": PlatformAlerts(training_namespaces=["training"], mlflow_namespace="mlflow", gpu_idle_for="an hour")},
     "Monitoring: alerts.gpu_idle_for 'an hour' must be a duration such as '30s', '5m' or '1h'"),
])
def test_bad_input_fails_before_anything_registers(overrides, message):
    resources, error = attempt_plan(lambda: Monitoring("monitoring", _args(k8s.Provider("cluster", kubeconfig="{}"), **overrides)))
    assert str(error) == message
    # Nothing of Monitoring registered (the test's own storage class aside).
    assert [r["type"] for r in resources if "StorageClass" not in r["type"]] == ["pulumi:providers:kubernetes"]


# --- alert routing and volumes ---------------------------------------------------------------

ALERTMANAGER = {"app.kubernetes.io/name": "alertmanager"}


def test_alerts_go_to_the_receiver_grouped_by_alert_and_namespace(planned):
    alertmanager = _values(planned)["alertmanager"]
    assert alertmanager["config"] == {
        "route": {"receiver": "platform", "group_by": ["alertname", "namespace"], "group_wait": "30s",
                  "group_interval": "5m", "repeat_interval": "12h",
                  "routes": [{"receiver": "null", "matchers": ['alertname = "Watchdog"']}]},
        "receivers": [{"name": "null"},
                      {"name": "platform", "slack_configs": [
                          {"api_url_file": "/etc/alertmanager/secrets/alertmanager-receiver/url", "send_resolved": True}]}],
    }
    assert alertmanager["alertmanagerSpec"]["secrets"] == ["alertmanager-receiver"]


def test_the_receiver_url_is_synced_by_reference_and_never_in_the_values(planned):
    receiver = next(r for r in resources_of_type(planned, EXTERNAL_SECRET) if r["name"] == "monitoring-alert-receiver")
    spec = receiver["inputs"]["spec"]
    assert (receiver["inputs"]["metadata"]["name"], spec["target"]["name"]) == ("alertmanager-receiver", "alertmanager-receiver")
    assert spec["data"] == [{"secretKey": "url", "remoteRef": {"key": RECEIVER_ARN}}]
    assert "template" not in spec["target"]
    assert RECEIVER_ARN not in str(_values(planned))
    # Alertmanager starts once its URL file and its encrypted volumes' class exist.
    release = one_of_type(planned, RELEASE)
    assert receiver["urn"] in release["dependencies"]
    assert one_of_type(planned, "kubernetes:storage.k8s.io/v1:StorageClass")["urn"] in release["dependencies"]


@pytest.mark.parametrize("kind, configs, url_field", [
    ("webhook", "webhook_configs", "url_file"),
    ("slack", "slack_configs", "api_url_file"),
    ("msteamsv2", "msteamsv2_configs", "webhook_url_file"),
])
def test_every_receiver_kind_reads_its_url_from_the_mounted_file(kind, configs, url_field):
    receiver = AlertReceiver(kind, RemoteRef(RECEIVER_ARN), cidrs=["10.100.0.0/24"]).validate("Monitoring")
    [_, platform] = receiver.config()["receivers"]
    assert platform == {"name": "platform", configs: [{url_field: "/etc/alertmanager/secrets/alertmanager-receiver/url",
                                                       "send_resolved": True}]}


def test_alertmanager_may_reach_exactly_the_receiver_networks_on_its_port():
    receiver = AlertReceiver("webhook", RemoteRef(RECEIVER_ARN), cidrs=["10.100.0.0/24", "10.101.0.0/24"], port=8443)
    policies = {r["inputs"]["metadata"]["name"]: r["inputs"]["spec"] for r in resources_of_type(_plan(alert_receiver=receiver), POLICY)}
    to_alertmanager_pods = {name for name, spec in policies.items()
                            if spec["podSelector"] == {"matchLabels": ALERTMANAGER} and "Egress" in spec["policyTypes"]}
    assert to_alertmanager_pods == {"allow-out-alert-receiver-0", "allow-out-alert-receiver-1"}
    for index, cidr in enumerate(("10.100.0.0/24", "10.101.0.0/24")):
        assert policies["allow-out-alert-receiver-%d" % index] == {
            "podSelector": {"matchLabels": ALERTMANAGER}, "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": cidr}}], "ports": [{"port": 8443, "protocol": "TCP"}]}]}


def _receiver(**overrides: Any) -> AlertReceiver:
    values: Dict[str, Any] = dict(kind="slack", url=RemoteRef(RECEIVER_ARN), cidrs=["203.0.113.0/24"])
    values.update(overrides)
    return AlertReceiver(**values)


@pytest.mark.parametrize("receiver, message", [
    (None, "Monitoring: alert_receiver must be an AlertReceiver (where alerts go); got NoneType"),
    (_receiver(url="https://hooks.slack.com/services/T000/B000/XXXXXXXX"),
     "Monitoring: alert_receiver.url must be a RemoteRef to the URL in the cloud's secret store (never the URL); got a str"),
    (_receiver(kind="email"), "Monitoring: alert_receiver.kind 'email' is not allowed; choose one of: msteamsv2, slack, webhook"),
    (_receiver(cidrs=[]), "Monitoring: alert_receiver.cidrs must not be empty"),
    (_receiver(cidrs="203.0.113.0/24"),
     "Monitoring: alert_receiver.cidrs must be a list of CIDR blocks, got the string '203.0.113.0/24'"),
    (_receiver(cidrs=["0.0.0.0/0"]),
     "Monitoring: alert_receiver.cidrs must not contain 0.0.0.0/0 (the whole internet); list the networks that need access"),
    (_receiver(port=0), "Monitoring: alert_receiver.port must be a port number (1-65535), got 0"),
    (_receiver(repeat_interval="daily"),
     "Monitoring: alert_receiver.repeat_interval 'daily' must be a duration such as '30s', '5m' or '12h'"),
])
def test_bad_receivers_fail_before_anything_registers(receiver, message):
    resources, error = attempt_plan(lambda: Monitoring("monitoring", _args(k8s.Provider("cluster", kubeconfig="{}"),
                                                                           alert_receiver=receiver)))
    assert str(error) == message
    assert "XXXXXXXX" not in str(error)
    assert [r["type"] for r in resources if "StorageClass" not in r["type"]] == ["pulumi:providers:kubernetes"]


def test_no_registry_means_no_registry_alert():
    """A platform without MLflow (the Azure stacks today) must not page for a registry that is not there."""
    alerts = PlatformAlerts(training_namespaces=["training"], mlflow_namespace=None).validate("Monitoring")
    assert "MlflowDown" not in alerts.expressions()
    assert [rule["alert"] for rule in alerts.rule_group()["rules"]] == [
        "GpuNodeIdle", "GpuNodeSaturated", "GpuXidError", "TrainingPodRestarting"]
