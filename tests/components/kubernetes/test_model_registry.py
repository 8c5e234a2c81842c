"""ModelRegistry: MLflow as objects sahab writes, internal, authenticated, with secrets only as files."""
from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
import pytest

from sahab.components.kubernetes import (
    Image, RemoteRef, Resources, WorkloadIdentityBinding, ZeroTrustNamespace, ZeroTrustNamespaceArgs,
)
from sahab.components.kubernetes import mlflow_server
from sahab.components.kubernetes.mlflow_server import MlflowServer, PgpassEntry
from sahab.components.kubernetes.model_registry import USERS_SECRETS_DIR, ModelRegistry, ModelRegistryArgs, RegistryUser
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

ECR = "111122223333.dkr.ecr.me-central-1.amazonaws.com"
IMAGE = Image(ECR, "mlflow/mlflow", tag="v3.17.2-full")
ROLE = "arn:aws:iam::111122223333:role/ml-mlflow"
DB_SECRET = "arn:aws:secretsmanager:me-central-1:111122223333:secret:rds!db-0a1b2c"
DB_HOST = "registry.c0ffee.me-central-1.rds.amazonaws.com"
PEM = "-----BEGIN CERTIFICATE-----\nMIIBdGVzdA==\n-----END CERTIFICATE-----\n"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
COMPONENT = "sahab:kubernetes:ModelRegistry"


def registry_args(provider, namespace="ml", **overrides):
    values = dict(
        provider=provider, image=IMAGE, namespace=namespace,
        identity=WorkloadIdentityBinding.aws_irsa("ml", "mlflow", ROLE),
        database_host=DB_HOST, database_ca_bundle=PEM, database_cidrs=["10.20.16.0/20"],
        artifacts_destination="s3://ml-artifacts-111122223333/mlflow",
        cloud_endpoint_cidrs=["10.20.0.0/24"], client_namespaces=["training", "serving"],
        secret_store="aws-secrets",
        database_password=RemoteRef(DB_SECRET, "password"),
        admin_password=RemoteRef("mlflow-admin-password"),
        flask_secret_key=RemoteRef("mlflow-flask-secret-key"),
    )
    values.update(overrides)
    return ModelRegistryArgs(**values)


def plan(**overrides):
    seen = {}

    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        namespace = ZeroTrustNamespace("ml", ZeroTrustNamespaceArgs(provider=provider))
        seen["registry"] = ModelRegistry("mlflow", registry_args(provider, namespace, **overrides))

    return plan_resources(program), seen["registry"]


@pytest.fixture(scope="module")
def planned():
    return plan()


def pod(resources):
    return one_of_type(resources, DEPLOYMENT)["inputs"]["spec"]["template"]["spec"]


def container(resources):
    (only,) = pod(resources)["containers"]
    return only


def test_the_pod_runs_exactly_the_rendered_server(planned):
    resources, registry = planned
    server = registry.server
    mlflow = container(resources)
    assert mlflow["command"] == mlflow_server.command(server)
    assert mlflow["args"] == mlflow_server.args(server)
    assert {item["name"]: item["value"] for item in mlflow["env"]} == {
        **mlflow_server.environment(server), "PGHOST": DB_HOST, "PGPORT": "5432"}
    templates = one_of_type(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")["inputs"]["spec"]["target"]["template"]
    assert templates["data"] == mlflow_server.secret_templates(server)


def test_the_server_command_line(planned):
    args = container(planned[0])["args"]
    flags = dict(zip(args[3::2], args[4::2], strict=False))
    assert args[:3] == ["--env-file", "/etc/mlflow/secrets/server.env", "server"]
    assert flags["--backend-store-uri"] == (
        "postgresql://registry_admin@/mlflow?sslmode=verify-full&sslrootcert=/etc/mlflow/database-ca/ca.pem")
    assert flags["--artifacts-destination"] == "s3://ml-artifacts-111122223333/mlflow"
    assert "--serve-artifacts" in args and "--disable-security-middleware" not in args
    assert args[args.index("--allowed-hosts") + 1] == "mlflow.ml.svc.cluster.local:5000,mlflow.ml.svc:5000,mlflow.ml:5000"
    assert args[-2:] == ["--app-name", "basic-auth"]


def test_no_secret_value_anywhere_and_none_in_the_environment(planned):
    resources, _ = planned
    assert all(r["secrets"] == [] for r in resources)
    assert '"$secret"' not in json.dumps(resources)
    assert not resources_of_type(resources, "kubernetes:core/v1:Secret")
    mlflow = container(resources)
    assert "envFrom" not in mlflow
    assert all(set(item) == {"name", "value"} for item in mlflow["env"])  # no valueFrom/secretKeyRef
    for uri in (mlflow["args"][mlflow["args"].index("--backend-store-uri") + 1],):
        assert uri.startswith("postgresql://registry_admin@/") and ":" not in uri.split("//")[1].split("@")[0]
    external = one_of_type(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")["inputs"]["spec"]
    assert external["secretStoreRef"] == {"name": "aws-secrets", "kind": "SecretStore"}
    assert external["data"] == [
        {"secretKey": "admin_password", "remoteRef": {"key": "mlflow-admin-password"}},
        {"secretKey": "database_password", "remoteRef": {"key": DB_SECRET, "property": "password"}},
        {"secretKey": "flask_secret_key", "remoteRef": {"key": "mlflow-flask-secret-key"}},
    ]


def test_secret_files_are_templates_with_least_privilege_auth(planned):
    templates = mlflow_server.secret_templates(planned[1].server)
    assert templates["auth.ini"] == (
        "[mlflow]\n"
        "default_permission = NO_PERMISSIONS\n"
        "database_uri = postgresql://registry_admin@/mlflow?sslmode=verify-full&sslrootcert=/etc/mlflow/database-ca/ca.pem\n"
        "admin_username = admin\n"
        'admin_password = {{ .admin_password | replace "%" "%%" }}\n'
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        "grant_default_workspace_access = false\n")
    assert templates["pgpass"] == (
        '*:*:mlflow:registry_admin:{{ .database_password | replace "\\\\" "\\\\\\\\" | replace ":" "\\\\:" }}\n')
    assert templates["server.env"] == "MLFLOW_FLASK_SERVER_SECRET_KEY={{ .flask_secret_key | quote }}\n"


def test_a_separate_auth_database_gets_its_own_pgpass_line():
    _, registry = plan(auth_database_name="mlflow_auth")
    assert registry.server.auth_database_uri.startswith("postgresql://registry_admin@/mlflow_auth?sslmode=verify-full")
    lines = mlflow_server.pgpass_template(registry.server.pgpass_entries).splitlines()
    assert [line.split("{{")[0] for line in lines] == ["*:*:mlflow:registry_admin:", "*:*:mlflow_auth:registry_admin:"]


def test_the_launcher_copies_pgpass_owner_only_and_execs_mlflow():
    server = MlflowServer("sqlite://", "sqlite://", "s3://b", ("h",), (PgpassEntry("db", "u"),), secrets_dir="/s p")
    assert mlflow_server.launcher_script(server) == (
        "set -eu\n"
        "umask 077\n"
        "refresh_pgpass() { cp '/s p/pgpass' \"$PGPASSFILE.new\" && mv -f \"$PGPASSFILE.new\" \"$PGPASSFILE\"; }\n"
        "refresh_pgpass\n"
        "while sleep 60; do refresh_pgpass || :; done &\n"
        'exec mlflow "$@"')
    assert mlflow_server.pgpass_template([PgpassEntry("d:b", "u\\x")]).startswith("*:*:d\\:b:u\\\\x:")


def test_in_region_pinned_image_and_secure_container(planned):
    mlflow = container(planned[0])
    assert mlflow["image"] == ECR + "/mlflow/mlflow:v3.17.2-full"
    assert mlflow["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "allowPrivilegeEscalation": False,
        "privileged": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"}}
    assert mlflow["resources"] == {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}}
    for probe in ("livenessProbe", "readinessProbe"):
        assert mlflow[probe]["httpGet"] == {"path": "/health", "port": "http"}
    assert mlflow["ports"] == [{"name": "http", "containerPort": 5000, "protocol": "TCP"}]


def test_pod_mounts_secrets_read_only_and_writes_only_to_empty_dirs(planned):
    spec = pod(planned[0])
    assert spec["automountServiceAccountToken"] is False
    assert spec["serviceAccountName"] == "mlflow"
    assert spec["securityContext"]["runAsNonRoot"] is True
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["credentials"]["secret"] == {"secretName": "mlflow-credentials", "defaultMode": 0o400}
    assert volumes["database-ca"]["configMap"]["name"] == "mlflow-database-ca"
    assert volumes["run"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "1Mi"}
    assert volumes["scratch"]["emptyDir"] == {"sizeLimit": "8Gi"}
    mounts = {m["name"]: m for m in container(planned[0])["volumeMounts"]}
    assert mounts["credentials"] == {"name": "credentials", "mountPath": "/etc/mlflow/secrets", "readOnly": True}
    assert mounts["database-ca"]["readOnly"] is True
    assert (mounts["run"]["mountPath"], mounts["scratch"]["mountPath"]) == ("/run/mlflow", "/tmp")
    assert one_of_type(planned[0], "kubernetes:core/v1:ConfigMap")["inputs"]["data"] == {"ca.pem": PEM}


def test_service_account_carries_the_binding_without_a_token(planned):
    account = one_of_type(planned[0], "kubernetes:core/v1:ServiceAccount")["inputs"]
    assert account["metadata"]["name"] == "mlflow" and account["metadata"]["namespace"] == "ml"
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": ROLE}
    assert account["automountServiceAccountToken"] is False


def test_azure_binding_labels_the_pods():
    resources, _ = plan(identity=WorkloadIdentityBinding.azure_workload_identity("ml", "mlflow", "0000-client"),
                        artifacts_destination="wasbs://mlflow@sahabartifacts.blob.core.windows.net/runs")
    labels = one_of_type(resources, DEPLOYMENT)["inputs"]["spec"]["template"]["metadata"]["labels"]
    assert labels["azure.workload.identity/use"] == "true"


def test_internal_service_budget_and_autoscaler(planned):
    resources, registry = planned
    service = one_of_type(resources, "kubernetes:core/v1:Service")["inputs"]["spec"]
    assert service["type"] == "ClusterIP"
    assert service["ports"] == [{"name": "http", "port": 5000, "targetPort": "http", "protocol": "TCP"}]
    assert one_of_type(resources, "kubernetes:policy/v1:PodDisruptionBudget")["inputs"]["spec"]["maxUnavailable"] == 1
    hpa = one_of_type(resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")["inputs"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 4)
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "mlflow"}
    deployment = one_of_type(resources, DEPLOYMENT)["inputs"]["spec"]
    assert "replicas" not in deployment  # the autoscaler owns the scale
    assert deployment["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    assert registry.tracking_uri == "http://mlflow.ml.svc.cluster.local:5000"


def test_production_spreads_replicas_over_zones_and_non_production_need_not(planned):
    keys = [(c["topologyKey"], c["whenUnsatisfiable"]) for c in pod(planned[0])["topologySpreadConstraints"]]
    assert keys == [("topology.kubernetes.io/zone", "DoNotSchedule"), ("kubernetes.io/hostname", "ScheduleAnyway")]
    resources, _ = plan(production=False, replicas=1)
    assert "topologySpreadConstraints" not in pod(resources)
    assert one_of_type(resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")["inputs"]["spec"]["minReplicas"] == 1


def test_network_policies_allow_only_clients_in_and_named_endpoints_out(planned):
    policies = {r["inputs"]["metadata"]["name"]: r["inputs"]["spec"] for r in resources_of_type(planned[0], POLICY)
                if r["parent"].endswith(COMPONENT + "::mlflow")}
    selector = {"matchLabels": {"app.kubernetes.io/name": "mlflow", "app.kubernetes.io/instance": "mlflow"}}
    assert policies["mlflow-allow-in-clients"] == {
        "podSelector": selector, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "training"}}},
                              {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "serving"}}}],
                     "ports": [{"port": 5000, "protocol": "TCP"}]}]}
    assert policies["mlflow-allow-out"] == {
        "podSelector": selector, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "10.20.16.0/20"}}], "ports": [{"port": 5432, "protocol": "TCP"}]},
                   {"to": [{"ipBlock": {"cidr": "10.20.0.0/24"}}], "ports": [{"port": 443, "protocol": "TCP"}]}]}
    assert len(policies) == 2


def test_deploy_time_database_and_endpoints_come_from_outputs():
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        ModelRegistry("mlflow", registry_args(
            provider, database_host=pulumi.Output.from_input(DB_HOST), database_port=pulumi.Output.from_input(5433),
            cloud_endpoint_cidrs=pulumi.Output.from_input(["52.95.0.0/20"]),
            artifacts_destination=pulumi.Output.from_input("s3://ml-artifacts-111122223333/mlflow")))

    resources = plan_resources(program)
    env = {item["name"]: item["value"] for item in container(resources)["env"]}
    assert (env["PGHOST"], env["PGPORT"]) == (DB_HOST, "5433")
    policies = {r["inputs"]["metadata"]["name"]: r["inputs"]["spec"] for r in resources_of_type(resources, POLICY)}
    egress = policies["mlflow-allow-out"]["egress"]
    assert egress[0]["ports"] == [{"port": 5433, "protocol": "TCP"}]
    assert egress[1]["to"] == [{"ipBlock": {"cidr": "52.95.0.0/20"}}]
    assert "s3://ml-artifacts-111122223333/mlflow" in container(resources)["args"]


def test_everything_is_inside_the_component_on_the_cluster_provider(planned):
    resources, _ = planned
    component = one_of_type(resources, COMPONENT)
    provider = one_of_type(resources, "pulumi:providers:kubernetes")
    children = [r for r in resources if r["parent"] == component["urn"]]
    assert sorted(r["type"].split(":")[-1] for r in children) == [
        "ConfigMap", "Deployment", "ExternalSecret", "HorizontalPodAutoscaler", "NetworkPolicy", "NetworkPolicy",
        "PodDisruptionBudget", "Service", "ServiceAccount"]
    assert all(r["provider"] == provider["urn"] for r in children)
    assert all(r["inputs"]["metadata"]["namespace"] == "ml" for r in children)


@pytest.mark.parametrize("overrides, message", [
    ({"image": Image("docker.io", "mlflow/mlflow", tag="v3.17.2")},
     "ModelRegistry: image.registry 'docker.io' is not an in-region registry; mirror the image into ECR in me-central-1 "
     "(<account>.dkr.ecr.me-central-1.amazonaws.com) or a UAE Azure Container Registry (<name>.azurecr.io)"),
    ({"image": Image(ECR, "mlflow/mlflow", tag="latest")},
     "ModelRegistry: image tag 'latest' moves to new content; pin a version tag or, better, a digest"),
    ({"replicas": 0, "production": False}, "ModelRegistry: replicas must be a whole number >= 1, got 0"),
    ({"replicas": 1},
     "ModelRegistry: replicas must be >= 2 in production (one pod is a single point of failure at every deploy and "
     "node drain), got 1; pass production=False for a single replica"),
    ({"max_replicas": 1}, "ModelRegistry: max_replicas (1) must be a whole number >= replicas (2)"),
    ({"identity": WorkloadIdentityBinding.aws_irsa("training", "mlflow", ROLE)},
     "ModelRegistry: identity is bound to training/mlflow but the workload runs as ml/mlflow; create the cloud identity "
     "for namespace 'ml' and service account 'mlflow'"),
    ({"identity": WorkloadIdentityBinding.aws_irsa("ml", "default", ROLE)},
     "ModelRegistry: identity is bound to ml/default but the workload runs as ml/mlflow; create the cloud identity "
     "for namespace 'ml' and service account 'mlflow'"),
    ({"artifacts_destination": "gs://ml-artifacts/mlflow"},
     "ModelRegistry: artifacts_destination 'gs://ml-artifacts/mlflow' must be s3://<bucket>/<prefix> or "
     "wasbs://<container>@<account>.blob.core.windows.net/<path>"),
    ({"admin_password": "hunter2-literal"},
     "ModelRegistry: admin_password must be a RemoteRef to the secret in the cloud's secret store (never the value); "
     "got a str"),
    ({"allowed_hosts": ["*"]},
     "ModelRegistry: allowed_hosts entry '*' must be an exact host name, optionally with :port (no wildcards: "
     "a pattern lets other Host headers through)"),
    ({"database_cidrs": ["0.0.0.0/0"]},
     "ModelRegistry: database_cidrs must not contain 0.0.0.0/0 (the whole internet); list the networks that need access"),
    ({"client_namespaces": []}, "ModelRegistry: client_namespaces must not be empty"),
    ({"database_ca_bundle": "not a certificate"},
     "ModelRegistry: database_ca_bundle must be the PEM bundle of the database's CA (for RDS, the me-central-1 bundle "
     "from truststore.pki.rds.amazonaws.com): sslmode=verify-full checks the server against it"),
    ({"namespace": "ML"}, "ModelRegistry: namespace 'ML' is not a namespace name (a DNS label)"),
    ({"users": [RegistryUser("serving", "hunter2-literal", models=["fraud"])]},
     "ModelRegistry: users[0].password must be a RemoteRef to the secret in the cloud's secret store (never the value); "
     "got a str"),
    ({"users": [RegistryUser("admin", RemoteRef("p"), models=["fraud"])]},
     "ModelRegistry: users[0].username 'admin' must be a lowercase name (letters, digits, _ . -) other than the admin's"),
    ({"users": [RegistryUser("serving", RemoteRef("p"), models=["*"])]},
     "ModelRegistry: users[0].models must name the registered models the user may use (letters, digits, _ . -; "
     "no '*': grant each model)"),
    ({"users": [RegistryUser("serving", RemoteRef("p"), models=["fraud"], permission="ALL")]},
     "ModelRegistry: users[0].permission 'ALL' is not one of READ, USE, EDIT, MANAGE"),
    ({"users": [RegistryUser("serving", RemoteRef("p"), models=["a"]), RegistryUser("serving", RemoteRef("q"), models=["b"])]},
     "ModelRegistry: user 'serving' is listed twice"),
    ({"resources": Resources("4", "1Gi", "2", "2Gi")}, "ModelRegistry: resources.cpu_request 4 exceeds cpu_limit 2"),
])
def test_bad_input_fails_before_anything_registers(overrides, message):
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        ModelRegistry("mlflow", registry_args(provider, **overrides))

    resources, error = attempt_plan(program)
    assert str(error) == message
    assert "hunter2" not in str(error)
    assert [r["type"] for r in resources] == ["pulumi:providers:kubernetes"]


def test_a_missing_cluster_provider_is_refused():
    _, error = attempt_plan(lambda: ModelRegistry("mlflow", registry_args(None)))
    assert str(error).startswith("ModelRegistry: provider must be the pulumi_kubernetes.Provider of the target cluster")


def test_without_a_bundle_the_database_is_verified_against_the_images_trust_store():
    resources, _ = plan(database_ca_bundle=None)
    assert resources_of_type(resources, "kubernetes:core/v1:ConfigMap") == []
    pod = one_of_type(resources, "kubernetes:apps/v1:Deployment")["inputs"]["spec"]["template"]["spec"]
    assert [v["name"] for v in pod["volumes"]] == ["credentials", "run", "scratch"]
    args = pod["containers"][0]["args"]
    assert any(a.endswith("sslmode=verify-full&sslrootcert=system") for a in args), args


SERVING = RegistryUser("serving", RemoteRef("mlflow-serving-password"), models=["fraud", "churn"])


@pytest.fixture(scope="module")
def with_users():
    return plan(users=[SERVING])


def test_users_get_their_own_secret_and_a_job_that_applies_them(with_users):
    resources, registry = with_users
    job = one_of_type(resources, "kubernetes:batch/v1:Job")["inputs"]
    (users,) = job["spec"]["template"]["spec"]["containers"]
    grants = (mlflow_server.UserGrant("serving", "READ", ("fraud", "churn")),)
    script = mlflow_server.users_script("http://mlflow.ml.svc.cluster.local:5000", "admin", USERS_SECRETS_DIR, grants)
    assert users["command"] == ["python", "-c", script]
    assert job["metadata"]["name"].startswith("mlflow-users-") and job["spec"]["backoffLimit"] == 6
    # The passwords reach only this Job, as read-only files; the server's pod never mounts them.
    secrets = {r["inputs"]["metadata"]["name"]: r["inputs"]["spec"] for r in resources
               if r["type"] == "kubernetes:external-secrets.io/v1:ExternalSecret"}
    assert sorted((d["secretKey"], d["remoteRef"]["key"]) for d in secrets["mlflow-users"]["data"]) == [
        ("admin_password", "mlflow-admin-password"), ("user-serving", "mlflow-serving-password")]
    volumes = {v["name"]: v for v in job["spec"]["template"]["spec"]["volumes"]}
    assert volumes["passwords"]["secret"]["secretName"] == "mlflow-users"
    assert {m["mountPath"]: m.get("readOnly", False) for m in users["volumeMounts"]}[USERS_SECRETS_DIR] is True
    assert "mlflow-users" not in json.dumps(pod(resources))
    assert not any("valueFrom" in item for item in users.get("env", []))


def test_the_users_job_is_hardened_and_reaches_only_the_server(with_users):
    resources, _ = with_users
    spec = one_of_type(resources, "kubernetes:batch/v1:Job")["inputs"]["spec"]["template"]["spec"]
    (users,) = spec["containers"]
    assert spec["restartPolicy"] == "Never" and spec["automountServiceAccountToken"] is False
    assert users["securityContext"]["readOnlyRootFilesystem"] is True
    assert users["securityContext"]["allowPrivilegeEscalation"] is False
    assert users["resources"]["limits"] == {"cpu": "500m", "memory": "512Mi"}
    policies = {r["inputs"]["metadata"]["name"]: r["inputs"]["spec"] for r in resources_of_type(resources, POLICY)}
    job_pods = {"matchLabels": {"app.kubernetes.io/name": "mlflow-users", "app.kubernetes.io/instance": "mlflow"}}
    server_pods = {"matchLabels": {"app.kubernetes.io/name": "mlflow", "app.kubernetes.io/instance": "mlflow"}}
    assert policies["mlflow-users-job-allow-out"] == {
        "podSelector": job_pods, "policyTypes": ["Egress"],
        "egress": [{"to": [{"podSelector": server_pods}], "ports": [{"port": 5000, "protocol": "TCP"}]}]}
    assert policies["mlflow-allow-in-users-job"] == {
        "podSelector": server_pods, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": job_pods}], "ports": [{"port": 5000, "protocol": "TCP"}]}]}


def test_a_change_of_grants_renames_the_job_so_it_runs_again(with_users):
    before = one_of_type(with_users[0], "kubernetes:batch/v1:Job")["inputs"]["metadata"]["name"]
    changed, _ = plan(users=[RegistryUser("serving", RemoteRef("mlflow-serving-password"), models=["fraud"])])
    assert one_of_type(changed, "kubernetes:batch/v1:Job")["inputs"]["metadata"]["name"] != before
