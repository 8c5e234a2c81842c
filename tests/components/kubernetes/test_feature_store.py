"""FeatureStore: Feast as objects sahab writes, internal, secrets only as files, egress exactly the
registry database, the cache and the cloud endpoints."""
from __future__ import annotations


import pulumi_kubernetes as k8s
import pytest
import yaml

from sahab.components.kubernetes import Image, RemoteRef, WorkloadIdentityBinding, ZeroTrustNamespace, ZeroTrustNamespaceArgs
from sahab.components.kubernetes import feast_config
from sahab.components.kubernetes.feature_store import FeatureStore, FeatureStoreArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

ECR = "111122223333.dkr.ecr.me-central-1.amazonaws.com"
IMAGE = Image(ECR, "feastdev/feature-server", tag="0.67.0")
ROLE = "arn:aws:iam::111122223333:role/ml-feast"
DB_SECRET = "arn:aws:secretsmanager:me-central-1:111122223333:secret:rds!db-0a1b2c"
TOKEN_SECRET = "arn:aws:secretsmanager:me-central-1:111122223333:secret:ml-features-cache/auth-token"
DB_HOST = "registry.c0ffee.me-central-1.rds.amazonaws.com"
CACHE_HOST = "master.ml-features.abc123.mec1.cache.amazonaws.com"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CRONJOB = "kubernetes:batch/v1:CronJob"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"


def store_args(provider, namespace, **overrides):
    values = dict(
        provider=provider, image=IMAGE, namespace=namespace,
        identity=WorkloadIdentityBinding.aws_irsa("features", "feast", ROLE),
        project="ml_platform", registry_host=DB_HOST, registry_password=RemoteRef(DB_SECRET, "password"),
        database_cidrs=["10.20.16.0/20"], cache_host=CACHE_HOST, cache_auth_token=RemoteRef(TOKEN_SECRET),
        cache_cidrs=["10.20.32.0/20"], offline_store_uri="s3://ml-artifacts-111122223333/features",
        cloud_endpoint_cidrs=["10.20.0.0/24"], client_namespaces=["serving", "training"], secret_store="aws-secrets",
    )
    values.update(overrides)
    return FeatureStoreArgs(**values)


def program(**overrides):
    def run():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        namespace = ZeroTrustNamespace("features", ZeroTrustNamespaceArgs(provider=provider))
        FeatureStore("feast", store_args(provider, namespace, **overrides))
    return run


@pytest.fixture(scope="module")
def planned():
    return plan_resources(program())


def _pod(resources, type_token=DEPLOYMENT):
    spec = one_of_type(resources, type_token)["inputs"]["spec"]
    return spec["template"]["spec"] if type_token == DEPLOYMENT else spec["jobTemplate"]["spec"]["template"]["spec"]


def test_the_server_runs_the_rendered_configuration_from_a_mounted_secret(planned):
    pod = _pod(planned)
    (server,) = pod["containers"]
    config = feast_config.FeastConfig("ml_platform", "feast", "registry_admin", "s3://ml-artifacts-111122223333/features")
    assert server["command"] == feast_config.serve_command(config)
    assert server["image"] == IMAGE.reference
    assert {m["mountPath"]: m.get("readOnly", False) for m in server["volumeMounts"]} == {"/etc/feast": True, "/tmp": False}
    (config_volume,) = [v for v in pod["volumes"] if v["name"] == "config"]
    assert config_volume["secret"] == {"secretName": "feast-config", "defaultMode": 0o400}
    external = one_of_type(planned, SECRET)["inputs"]
    assert external["spec"]["target"]["template"]["data"] == {"feature_store.yaml": feast_config.feature_store_yaml_template(config)}
    assert external["spec"]["data"] == [
        {"secretKey": "cache_auth_token", "remoteRef": {"key": TOKEN_SECRET}},
        {"secretKey": "registry_password", "remoteRef": {"key": DB_SECRET, "property": "password"}},
    ]


def test_no_secret_in_any_environment_and_no_static_cloud_credentials(planned):
    for pod in (_pod(planned), _pod(planned, CRONJOB)):
        for container in pod["containers"] + pod.get("initContainers", []):
            env = {e["name"]: e for e in container["env"]}
            assert all(set(e) == {"name", "value"} for e in env.values())  # plain values, no secretKeyRef
            assert env["FEAST_REGISTRY_HOST"]["value"] == DB_HOST and env["FEAST_ONLINE_STORE_HOST"]["value"] == CACHE_HOST
            assert env["FEAST_USAGE"]["value"] == "False"
            assert not any(name.startswith("AWS_") for name in env)
        assert pod["serviceAccountName"] == "feast" and pod["automountServiceAccountToken"] is False
    account = one_of_type(planned, "kubernetes:core/v1:ServiceAccount")["inputs"]
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": ROLE}
    # the only secret values the store uses are references the operator resolves in the cluster
    assert all(r["secrets"] == [] for r in planned)


def test_template_carries_tls_and_auth_by_reference_only():
    config = feast_config.FeastConfig("ml_platform", "feast", "registry_admin", "s3://b/features")
    document = yaml.safe_load(feast_config.feature_store_yaml_template(config))
    assert document["registry"]["path"] == ("postgresql+psycopg://registry_admin:{{ .registry_password | urlquery }}"
                                            "@${FEAST_REGISTRY_HOST}:${FEAST_REGISTRY_PORT}/feast?sslmode=verify-full&sslrootcert=system")
    assert document["online_store"] == {
        "type": "redis", "redis_type": "redis",
        "connection_string": "${FEAST_ONLINE_STORE_HOST}:${FEAST_ONLINE_STORE_PORT},ssl=true,ssl_cert_reqs=required,"
                             "password={{ .cache_auth_token }}"}
    assert document["offline_store"] == {"type": "file"}


def test_hardened_pods_probes_and_internal_service(planned):
    pod = _pod(planned)
    (server,) = pod["containers"]
    (init,) = pod["initContainers"]
    assert init["command"] == feast_config.ensure_database_command(
        feast_config.FeastConfig("ml_platform", "feast", "registry_admin", "s3://x/y"))
    for container in (server, init, _pod(planned, CRONJOB)["containers"][0]):
        context = container["securityContext"]
        assert (context["runAsNonRoot"], context["readOnlyRootFilesystem"], context["allowPrivilegeEscalation"]) == (True, True, False)
        assert context["capabilities"] == {"drop": ["ALL"]}
    assert server["livenessProbe"]["httpGet"]["path"] == "/health" == server["readinessProbe"]["httpGet"]["path"]
    service = one_of_type(planned, "kubernetes:core/v1:Service")["inputs"]["spec"]
    assert service["type"] == "ClusterIP" and [p["port"] for p in service["ports"]] == [6566]
    assert one_of_type(planned, "kubernetes:policy/v1:PodDisruptionBudget")["inputs"]["spec"]["maxUnavailable"] == 1
    assert one_of_type(planned, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")["inputs"]["spec"]["minReplicas"] == 2
    assert "replicas" not in one_of_type(planned, DEPLOYMENT)["inputs"]["spec"]
    assert [c["topologyKey"] for c in pod["topologySpreadConstraints"]] == ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]


def test_materialisation_is_scheduled_one_run_at_a_time(planned):
    cron = one_of_type(planned, CRONJOB)["inputs"]["spec"]
    assert (cron["schedule"], cron["concurrencyPolicy"], cron["timeZone"]) == ("*/30 * * * *", "Forbid", "Etc/UTC")
    (container,) = _pod(planned, CRONJOB)["containers"]
    assert container["command"][-3:] == ["--feature-store-yaml", "/etc/feast/feature_store.yaml", "materialize-incremental"]


def test_egress_is_exactly_database_cache_and_cloud_endpoints(planned):
    policies = {p["inputs"]["metadata"]["name"]: p["inputs"]["spec"] for p in resources_of_type(planned, POLICY)}
    out = policies["feast-allow-out"]
    assert out["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "feast", "app.kubernetes.io/instance": "feast"}
    assert [([peer["ipBlock"]["cidr"] for peer in rule["to"]], [(p["port"], p["protocol"]) for p in rule["ports"]])
            for rule in out["egress"]] == [
        (["10.20.16.0/20"], [(5432, "TCP")]), (["10.20.32.0/20"], [(6379, "TCP")]), (["10.20.0.0/24"], [(443, "TCP")])]
    inbound = policies["feast-allow-in-clients"]
    assert inbound["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "feature-server"
    (rule,) = inbound["ingress"]
    assert [peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for peer in rule["from"]] == ["serving", "training"]
    assert [(p["port"], p["protocol"]) for p in rule["ports"]] == [(6566, "TCP")]
    # the namespace's own default deny stays in force
    assert policies["default-deny"]["policyTypes"] == ["Ingress", "Egress"]


@pytest.mark.parametrize("overrides, message", [
    ({"project": "ML-Platform"}, "FeatureStore: project 'ML-Platform' must start with a letter and use lowercase letters, "
                                 "digits or underscores (Feast's rule)"),
    ({"registry_password": "hunter2hunter2"},
     "FeatureStore: registry_password must be a RemoteRef into the cloud's secret store (never the value itself)"),
    ({"cache_cidrs": ["0.0.0.0/0"]},
     "FeatureStore: cache_cidrs must not contain 0.0.0.0/0 (the whole internet); list the networks that need access"),
    ({"database_cidrs": ["52.95.0.0/16"]},
     "FeatureStore: database_cidrs entry 52.95.0.0/16 is not a private range; only addresses inside the VPC may connect"),
    ({"client_namespaces": []}, "FeatureStore: client_namespaces must not be empty"),
    ({"offline_store_uri": "/data/features"},
     "FeatureStore: offline_store_uri '/data/features' must be s3://<bucket>/<prefix> or abfss://<container>@<account>.dfs.core.windows.net/<path>"),
    ({"replicas": 1}, "FeatureStore: replicas must be >= 2 in production (one pod is a single point of failure at every deploy and "
                      "node drain), got 1; pass production=False for a single replica"),
    ({"materialize_schedule": "every 30 minutes"},
     "FeatureStore: materialize_schedule 'every 30 minutes' must be a five-field cron schedule such as '*/30 * * * *' "
     "(or None for no scheduled materialisation)"),
    ({"identity": WorkloadIdentityBinding.aws_irsa("mlflow", "feast", ROLE)},
     "FeatureStore: identity is bound to mlflow/feast but the workload runs as features/feast; create the cloud identity for "
     "namespace 'features' and service account 'feast'"),
    ({"image": Image("ghcr.io", "feast-dev/feature-server", tag="0.67.0")},
     "FeatureStore: image.registry 'ghcr.io' is not an in-region registry; mirror the image into ECR in me-central-1 "
     "(<account>.dkr.ecr.me-central-1.amazonaws.com) or a UAE Azure Container Registry (<name>.azurecr.io)"),
])
def test_bad_input_fails_before_the_store_registers(overrides, message):
    resources, error = attempt_plan(program(**overrides))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert not [r for r in resources if r["type"].startswith("sahab:kubernetes:FeatureStore") or r["type"] == DEPLOYMENT]
