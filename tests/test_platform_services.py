"""The platform's Kubernetes services in the reference stacks: zero trust, in-region, no secrets."""
from __future__ import annotations

import copy
from typing import Any, Dict, Iterator, List

import pytest


ENVIRONMENTS = ("dev", "staging", "prod")
REGISTRY = "111122223333.dkr.ecr.me-central-1.amazonaws.com/"
POD_SPECS = {
    "kubernetes:apps/v1:Deployment": [("spec", "template", "spec")],
    "kubernetes:argoproj.io/v1alpha1:Rollout": [("spec", "template", "spec")],
}


@pytest.fixture(scope="module")
def plans(plan_reference_stack) -> Dict[str, Dict[str, Any]]:
    return {env: plan_reference_stack(env) for env in ENVIRONMENTS}


@pytest.fixture(params=ENVIRONMENTS)
def resources(request, plans) -> List[Dict[str, Any]]:
    return plans[request.param]["resources"]


def _of(resources, type_token):
    return [r for r in resources if r["type"] == type_token]


def _containers(resources) -> Iterator[Dict[str, Any]]:
    for type_token, paths in POD_SPECS.items():
        for resource in _of(resources, type_token):
            for path in paths:
                spec = resource["inputs"]
                for key in path:
                    spec = spec[key]
                yield from spec["containers"] + spec.get("initContainers", [])


def test_the_platform_services_are_installed(resources):
    releases = {r["inputs"]["chart"]: r["inputs"]["version"] for r in _of(resources, "kubernetes:helm.sh/v3:Release")}
    releases = {chart.rsplit("/", 1)[-1]: version for chart, version in releases.items()}
    assert releases == {"gpu-operator": "v26.7.0", "kuberay-operator": "1.7.0", "argo-rollouts": "2.41.0",
                        "external-secrets": "2.9.0", "gha-runner-scale-set-controller": "0.14.2",
                        "gha-runner-scale-set": "0.14.2", "kube-prometheus-stack": "88.5.3"}
    assert [r["name"] for r in _of(resources, "sahab:kubernetes:ModelRegistry")] == ["mlflow"]
    assert [r["name"] for r in _of(resources, "sahab:kubernetes:ModelServing")] == ["fraud-scorer"]


def test_every_namespace_enforces_restricted_but_the_declared_gpu_exception(resources):
    levels = {}
    for namespace in _of(resources, "kubernetes:core/v1:Namespace"):
        metadata = namespace["inputs"]["metadata"]
        levels[metadata["name"]] = (metadata["labels"]["pod-security.kubernetes.io/enforce"],
                                    "sahab.io/pod-security-exception" in (metadata.get("annotations") or {}))
    assert levels.pop("gpu-operator") == ("privileged", True)
    assert set(levels) == {"external-secrets", "kuberay-system", "training", "mlflow", "argo-rollouts", "serving",
                           "arc-system", "ci-runners", "monitoring", "features", "drift"}
    assert set(levels.values()) == {("restricted", False)}


def test_every_namespace_denies_both_ways_by_default(resources):
    namespaces = {n["inputs"]["metadata"]["name"] for n in _of(resources, "kubernetes:core/v1:Namespace")}
    denied = {p["inputs"]["metadata"]["namespace"] for p in _of(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
              if p["inputs"]["spec"] == {"podSelector": {"matchLabels": {}}, "policyTypes": ["Ingress", "Egress"]}}
    assert denied == namespaces


def test_workloads_run_pinned_in_region_images_with_limits_and_no_secret_env(resources):
    containers = list(_containers(resources))
    assert len(containers) >= 2
    for container in containers:
        assert container["image"].startswith(REGISTRY) and not container["image"].endswith(":latest"), container["image"]
        assert set(container["resources"]["limits"]) >= {"cpu", "memory"}, container["name"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        for variable in container.get("env", []):
            assert "valueFrom" not in variable, variable
            assert not variable["name"].startswith(("AWS_ACCESS_KEY", "AWS_SECRET")), variable


def test_services_are_internal(resources):
    services = _of(resources, "kubernetes:core/v1:Service")
    assert services and {s["inputs"]["spec"].get("type", "ClusterIP") for s in services} == {"ClusterIP"}


def test_no_static_cloud_credentials_anywhere(resources):
    assert _of(resources, "aws:iam/accessKey:AccessKey") == []
    accounts = _of(resources, "kubernetes:core/v1:ServiceAccount")
    irsa = {a["inputs"]["metadata"]["name"] for a in accounts
            if "eks.amazonaws.com/role-arn" in (a["inputs"]["metadata"].get("annotations") or {})}
    assert {"mlflow", "fraud-scorer", "feast", "external-secrets-store"} <= irsa


def test_generated_platform_secrets_never_appear_in_the_clear(resources):
    versions = _of(resources, "aws:secretsmanager/secretVersion:SecretVersion")
    assert sorted(v["name"].split("-", 2)[2] for v in versions) == [
        "features-cache-auth-token", "platform-grafana-admin-password", "platform-mlflow-admin-password",
        "platform-mlflow-drift-password", "platform-mlflow-flask-secret-key", "platform-mlflow-serving-password"]
    assert all(v["inputs"]["secretString"] == {"$secret": True} for v in versions)


def test_mlflow_sizes_differ_by_environment_security_does_not(plans):
    autoscalers = {env: next(r for r in plan["resources"] if r["type"] == "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
                             and r["inputs"]["metadata"]["namespace"] == "mlflow")["inputs"]["spec"]["minReplicas"]
                   for env, plan in plans.items()}
    assert autoscalers == {"dev": 1, "staging": 2, "prod": 3}
    contexts = {env: [c["securityContext"] for c in _containers(plan["resources"])] for env, plan in plans.items()}
    assert contexts["dev"] == contexts["staging"] == contexts["prod"]


def test_ci_runners_are_github_scale_sets_sized_per_environment_without_cloud_identity(plans):
    """Runners for the pipelines in every environment: an App credential by reference, no dind, no
    IRSA role on runner or job pods (jobs use GitHub's OIDC token with the CiIdentity roles)."""
    sizes = {}
    for env, plan in plans.items():
        resources = plan["resources"]
        scale_set = next(r["inputs"] for r in _of(resources, "kubernetes:helm.sh/v3:Release")
                         if r["inputs"]["chart"].endswith("/gha-runner-scale-set"))
        values = scale_set["values"]
        sizes[env] = (values["minRunners"], values["maxRunners"])
        assert values["containerMode"]["type"] == "kubernetes" and values["githubConfigSecret"] == "forge-credential"
        assert values["template"]["spec"]["containers"][0]["image"] == REGISTRY + "actions/actions-runner:2.334.0"
        ci_accounts = {a["inputs"]["metadata"]["name"]: a["inputs"]["metadata"].get("annotations") or {}
                       for a in _of(resources, "kubernetes:core/v1:ServiceAccount")
                       if a["inputs"]["metadata"]["namespace"] == "ci-runners"}
        assert sorted(ci_accounts) == ["ci-job", "ci-runner", "external-secrets-store"]
        assert [name for name, annotations in ci_accounts.items() if annotations] == ["external-secrets-store"]
    assert sizes == {"dev": (0, 2), "staging": (0, 4), "prod": (1, 10)}


def _monitoring_values(resources) -> Dict[str, Any]:
    return next(r["inputs"]["values"] for r in _of(resources, "kubernetes:helm.sh/v3:Release")
                if r["inputs"]["chart"] == "kube-prometheus-stack")


def test_monitoring_sizes_differ_by_environment_security_does_not(plans):
    values = {env: copy.deepcopy(_monitoring_values(plan["resources"])) for env, plan in plans.items()}
    sizes = {env: (v["prometheus"]["prometheusSpec"]["retention"],
                   v["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"])
             for env, v in values.items()}
    assert sizes == {"dev": ("7d", "20Gi"), "staging": ("15d", "50Gi"), "prod": ("30d", "200Gi")}
    for v in values.values():
        spec = v["prometheus"]["prometheusSpec"]
        for key in ("retention", "retentionSize", "storageSpec"):
            spec.pop(key)
    assert values["dev"] == values["staging"] == values["prod"]
    assert values["prod"]["global"] == {"imageRegistry": REGISTRY.rstrip("/")}


def test_prometheus_scrapes_gpus_and_models_and_answers_the_canary_analyses(resources):
    gpu = next(r["inputs"]["values"] for r in _of(resources, "kubernetes:helm.sh/v3:Release")
               if r["inputs"]["chart"] == "gpu-operator")
    assert gpu["dcgmExporter"]["serviceMonitor"] == {"enabled": True}
    policies = {(p["inputs"]["metadata"]["namespace"], p["inputs"]["metadata"]["name"]): p["inputs"]["spec"]
                for p in _of(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    prometheus = {"app.kubernetes.io/name": "prometheus"}
    # Each scrape is allowed on both sides: out of monitoring, into the target's namespace.
    # A served model is scraped on MLServer's port and its input logger's: one outbound rule each.
    for (namespace, inbound), outbounds in ((("gpu-operator", "allow-in-dcgm-metrics"), ["allow-out-scrape-dcgm-exporter"]),
                                            (("serving", "allow-in-fraud-scorer-metrics"),
                                             ["allow-out-scrape-fraud-scorer", "allow-out-scrape-fraud-scorer-inputs"])):
        peer = policies[(namespace, inbound)]["ingress"][0]["from"][0]
        assert peer == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                        "podSelector": {"matchLabels": prometheus}}
        ports = []
        for outbound in outbounds:
            target = policies[("monitoring", outbound)]
            assert target["podSelector"] == {"matchLabels": prometheus}
            assert target["egress"][0]["to"][0]["namespaceSelector"] == {
                "matchLabels": {"kubernetes.io/metadata.name": namespace}}
            ports += target["egress"][0]["ports"]
        assert ports == policies[(namespace, inbound)]["ingress"][0]["ports"]
    query = policies[("monitoring", "allow-in-query-argo-rollouts")]["ingress"][0]
    assert query["from"][0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "argo-rollouts"}}
    analyses = [t["inputs"]["spec"] for t in _of(resources, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate")]
    assert analyses and {m["provider"]["prometheus"]["address"] for a in analyses for m in a["metrics"]} == {
        "http://prometheus-operated.monitoring.svc:9090"}


def test_every_signal_has_an_alert_and_every_served_model_its_slo_alerts(resources, plans):
    rules = {(r["inputs"]["metadata"]["namespace"], r["inputs"]["metadata"]["name"]): r["inputs"]["spec"]["groups"]
             for r in _of(resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")}
    [platform] = rules[("monitoring", "sahab-platform-alerts")]
    assert [r["alert"] for r in platform["rules"]] == [
        "GpuNodeIdle", "GpuNodeSaturated", "GpuXidError", "TrainingPodRestarting", "MlflowDown"]
    assert 'namespace=~"training"' in platform["rules"][3]["expr"]
    assert 'namespace="mlflow",deployment="mlflow"' in platform["rules"][4]["expr"]
    served = {r["name"] for r in _of(resources, "sahab:kubernetes:ModelServing")}
    assert served
    for model in served:
        [slo, inputs] = rules[("serving", "%s-slo" % model)]  # every served model logs its inputs for drift
        assert [r["alert"] for r in slo["rules"]] == ["ModelServingErrorRateHigh", "ModelServingLatencyHigh"]
        assert [r["alert"] for r in inputs["rules"]] == ["ModelInputsDropped", "ModelInputsNotWritten"]
    # One copy of the serving alerts: the platform rules do not repeat them.
    assert not any("ModelServing" in r["alert"] for r in platform["rules"])


def test_grafana_admin_password_is_generated_into_the_store_and_reached_by_reference(resources):
    secret = next(r for r in _of(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")
                  if r["inputs"]["metadata"]["namespace"] == "monitoring" and r["name"].endswith("grafana-admin"))
    assert secret["inputs"]["spec"]["target"]["name"] == "grafana-admin"
    grafana = _monitoring_values(resources)["grafana"]
    assert "GF_SECURITY_ADMIN_PASSWORD" not in grafana["env"] and "adminPassword" not in grafana


def test_feature_store_reads_the_encrypted_private_cache_by_reference(resources):
    (cache,) = _of(resources, "aws:elasticache/replicationGroup:ReplicationGroup")
    inputs = cache["inputs"]
    assert (inputs["atRestEncryptionEnabled"], inputs["transitEncryptionEnabled"], inputs["transitEncryptionMode"]) == (True, True, "required")
    assert inputs["authToken"] == {"$secret": True}
    # availability differs by environment (prod: two nodes, Multi-AZ); a relaxed cache says so in its tags
    assert ((inputs["multiAzEnabled"], inputs["numCacheClusters"], inputs["tags"].get("sahab:exception")) in
            {(True, 2, None), (False, 1, "single-node,single-az")})
    (key,) = [k for k in _of(resources, "aws:kms/key:Key") if k["inputs"]["tags"]["sahab:data-class"] == "caches"]
    assert cache["propertyDependencies"]["kmsKeyId"] == [key["urn"]]
    (group,) = [g for g in _of(resources, "aws:ec2/securityGroup:SecurityGroup") if g["urn"] in cache["propertyDependencies"]["securityGroupIds"]]
    rules = [r for r in _of(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if r["propertyDependencies"].get("securityGroupId") == [group["urn"]]]
    assert rules and all((r["inputs"]["fromPort"], r["inputs"]["toPort"]) == (6379, 6379) and "cidrIpv4" not in r["inputs"] for r in rules)
    (secret,) = [e for e in _of(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")
                 if e["inputs"]["metadata"]["namespace"] == "features"]
    assert [d["secretKey"] for d in secret["inputs"]["spec"]["data"]] == ["cache_auth_token", "registry_password"]


def test_every_served_model_has_a_drift_monitor_reading_only_its_inputs_and_writing_as_the_drift_user(resources, plans):
    served = sorted(r["name"] for r in _of(resources, "sahab:kubernetes:ModelServing"))
    assert sorted(r["name"] for r in _of(resources, "sahab:kubernetes:DriftMonitor")) == ["%s-drift" % m for m in served]
    for model in served:
        monitor = "%s-drift" % model
        deployment = next(r["inputs"] for r in _of(resources, "kubernetes:apps/v1:Deployment")
                          if r["inputs"]["metadata"]["name"] == monitor)
        assert deployment["metadata"]["namespace"] == "drift"
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == REGISTRY + "sahab/drift:0.1.0"
        [alerts] = next(r["inputs"]["spec"]["groups"] for r in _of(resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")
                        if r["inputs"]["metadata"]["name"] == "%s-drift" % monitor)
        assert [rule["alert"] for rule in alerts["rules"]] == ["ModelDriftDetected", "ModelDriftCheckStale"]
    # MLflow lets the drift namespace in, and its users Job grants `drift` EDIT on exactly the served models.
    policies = {(p["inputs"]["metadata"]["namespace"], p["inputs"]["metadata"]["name"]): p["inputs"]["spec"]
                for p in _of(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    clients = [peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
               for peer in policies[("mlflow", "mlflow-allow-in-clients")]["ingress"][0]["from"]]
    assert "drift" in clients
    (job,) = _of(resources, "kubernetes:batch/v1:Job")
    script = job["inputs"]["spec"]["template"]["spec"]["containers"][0]["command"][2]
    assert '"password_file": "user-drift", "permission": "EDIT", "username": "drift"' in script
    assert '"password_file": "user-serving", "permission": "READ", "username": "serving"' in script
    credentials = next(r["inputs"]["spec"] for r in _of(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")
                       if r["inputs"]["metadata"]["namespace"] == "drift")
    assert credentials["target"]["template"]["data"] == {
        "credentials": "[mlflow]\nmlflow_tracking_username = drift\nmlflow_tracking_password = {{ .password | replace \"%\" \"%%\" }}\n"}


def test_every_platform_volume_comes_from_the_default_class_encrypted_with_the_volumes_key(resources):
    """One class, the cluster's default, EBS gp3 with the `volumes` CMK, which is the one key the EBS
    CSI driver's role may use; Prometheus, Alertmanager and the CI runners' work volumes claim it."""
    (storage_class,) = _of(resources, "kubernetes:storage.k8s.io/v1:StorageClass")
    inputs = storage_class["inputs"]
    assert inputs["metadata"] == {"name": "gp3-encrypted", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}
    assert (inputs["provisioner"], inputs["parameters"]["type"], inputs["parameters"]["encrypted"]) == ("ebs.csi.aws.com", "gp3", "true")
    (key,) = [k for k in _of(resources, "aws:kms/key:Key") if k["inputs"]["tags"]["sahab:data-class"] == "volumes"]
    assert storage_class["propertyDependencies"]["parameters"] == [key["urn"]]
    (driver_kms,) = [p for p in _of(resources, "aws:iam/rolePolicy:RolePolicy") if p["name"].endswith("aws-ebs-csi-driver-kms")]
    assert driver_kms["propertyDependencies"]["policy"] == [key["urn"]]
    monitoring = _monitoring_values(resources)
    claims = [monitoring["prometheus"]["prometheusSpec"]["storageSpec"], monitoring["alertmanager"]["alertmanagerSpec"]["storage"]]
    assert [c["volumeClaimTemplate"]["spec"]["storageClassName"] for c in claims] == ["gp3-encrypted"] * 2
    runners = next(r["inputs"]["values"] for r in _of(resources, "kubernetes:helm.sh/v3:Release")
                   if r["inputs"]["chart"].endswith("gha-runner-scale-set"))
    assert "'storageClassName': 'gp3-encrypted'" in str(runners)


def test_alerts_go_to_the_receiver_the_settings_name_by_reference(plans):
    for env, plan in plans.items():
        resources = plan["resources"]
        url = "arn:aws:secretsmanager:me-central-1:111122223333:secret:sahab/alerts/%s-receiver-url" % env
        (receiver,) = [r for r in _of(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")
                       if r["inputs"]["metadata"]["name"] == "alertmanager-receiver"]
        assert receiver["inputs"]["spec"]["data"] == [{"secretKey": "url", "remoteRef": {"key": url}}]
        alertmanager = _monitoring_values(resources)["alertmanager"]
        assert alertmanager["config"]["receivers"][1] == {"name": "platform", "webhook_configs": [
            {"url_file": "/etc/alertmanager/secrets/alertmanager-receiver/url", "send_resolved": True}]}
        assert url not in str(alertmanager)
        (egress,) = [p["inputs"]["spec"] for p in _of(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
                     if p["inputs"]["metadata"]["name"].startswith("allow-out-alert-receiver")]
        assert egress["egress"] == [{"to": [{"ipBlock": {"cidr": "10.100.0.0/24"}}], "ports": [{"port": 443, "protocol": "TCP"}]}]
