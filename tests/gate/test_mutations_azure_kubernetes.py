"""Mutation test, Azure and Kubernetes: break a compliant platform one security property at a time.

The reference stack is AWS only, so the rules over azure-native and Kubernetes resources are
exercised on a fixture program written to pass every rule
(tests/fixtures/programs/compliant_platform: a Key Vault, a customer managed key, a storage
account and a container registry in UAE North; a namespace with a default-deny NetworkPolicy, a
model server, its service account and Services). Each mutation flips one input (or removes one
companion resource) of its plan and asserts that the rule meant for it reports a violation on the
resource it broke; the unmutated plan is clean, so every catch is caused by the mutation.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest

from sahab.gate.evaluate import evaluate_rules
from sahab.planner import plan_project
import test_mutations
import test_mutations_azure_nodes
from test_mutations import Mutate, Plan, assert_caught, _add_resource, _drop, _move_provider, _move_region, _nth, _set

PROGRAM = Path(__file__).resolve().parents[1] / "fixtures" / "programs" / "compliant_platform"

AZURE = "pulumi:providers:azure-native"
KUBERNETES = "pulumi:providers:kubernetes"
ACCOUNT = "azure-native:storage:StorageAccount"
VAULT = "azure-native:keyvault:Vault"
REGISTRY = "azure-native:containerregistry:Registry"
NAMESPACE = "kubernetes:core/v1:Namespace"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"

# What the mutations index into, in plan (URN) order.
FIXTURE = {
    ACCOUNT: ["models"], VAULT: ["vault"], REGISTRY: ["registry"], NAMESPACE: ["ml-serving"],
    POLICY: ["allow-serving", "default-deny"], DEPLOYMENT: ["model-server"], SERVICE: ["model-server", "model-server-internal"],
}
DEFAULT_DENY, CLUSTER_IP, LOAD_BALANCER = 1, 0, 1

POD = ("spec", "template", "spec")
PSA_ENFORCE = ("metadata", "labels", "pod-security.kubernetes.io/enforce")
CONTAINER = POD + ("containers", "0")


@pytest.fixture(scope="module")
def platform_plan() -> Plan:
    return plan_project(PROGRAM, "dev")


def _naming(mutate: Mutate, type_token: str, index: int) -> Mutate:
    """Apply `mutate`, but the rule must name resource #index of `type_token` (a relational break: the
    mutated resource is not the one in violation)."""
    def relational(plan: Plan) -> str:
        mutate(plan)
        return _nth(plan, type_token, index)["urn"]
    return relational


def _both(first: Mutate, second: Mutate) -> Mutate:
    """Two changes to one resource; the second names it."""
    def mutate(plan: Plan) -> str:
        first(plan)
        return second(plan)
    return mutate


def _remove(type_token: str, index: int) -> Mutate:
    """Delete resource #index of `type_token` from the plan, as if the program had never declared it."""
    def mutate(plan: Plan) -> str:
        resource = _nth(plan, type_token, index)
        plan["resources"] = [r for r in plan["resources"] if r["urn"] != resource["urn"]]
        return resource["urn"]
    return mutate


def _to_namespace(type_token: str, index: int, namespace: str) -> Mutate:
    """Put the object in a namespace the program does not declare (a literal name: its metadata no longer
    comes from the Namespace resource)."""
    def mutate(plan: Plan) -> str:
        resource = _nth(plan, type_token, index)
        resource["inputs"]["metadata"]["namespace"] = namespace
        resource["propertyDependencies"].pop("metadata", None)
        return resource["urn"]
    return mutate


def _azure(type_token: str, name: str, inputs: Dict[str, Any]) -> Mutate:
    """Add an azure-native resource in UAE North on the program's provider."""
    return _add_resource(type_token, name, dict(inputs, location="uaenorth", resourceGroupName="sahabdev-serving"),
                         provider_type=AZURE, region="uaenorth")


def _diagnostics_to_account_in(location: str) -> Mutate:
    """The vault's diagnostic setting sends its logs to a storage account of the program in `location`."""
    def mutate(plan: Plan) -> str:
        account = test_mutations._new_resource(plan, ACCOUNT, "auditcopy", {
            "accountName": "sahabdevauditcopy", "location": location, "resourceGroupName": "sahabdev-serving",
            "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}, provider_type=AZURE, region=location)
        setting = test_mutations._new_resource(plan, "azure-native:monitor:DiagnosticSetting", "vault-audit", {
            "resourceUri": {"$unknown": True}, "storageAccountId": {"$unknown": True},
            "logs": [{"categoryGroup": "audit", "enabled": True}]}, provider_type=AZURE,
            property_dependencies={"resourceUri": [_nth(plan, VAULT, 0)["urn"]], "storageAccountId": [account["urn"]]})
        plan["resources"] += [account, setting]
        return setting["urn"]
    return mutate


HOST_PATH = {"name": "tmp", "hostPath": {"path": "/var/run/containerd/containerd.sock", "type": "Socket"}}
PUBLIC_INGRESS = {
    "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    "metadata": {"name": "model-server", "namespace": "ml-serving", "annotations": {"alb.ingress.kubernetes.io/scheme": "internet-facing"}},
    "spec": {"ingressClassName": "alb", "rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
        "service": {"name": "model-server", "port": {"number": 80}}}}]}}]},
}


def _ingress_of_class(class_name: str) -> Dict[str, Any]:
    """PUBLIC_INGRESS without the AWS scheme annotation, served by an ingress class of another cloud."""
    return dict(PUBLIC_INGRESS, metadata=dict(PUBLIC_INGRESS["metadata"], annotations={}),
                spec=dict(PUBLIC_INGRESS["spec"], ingressClassName=class_name))


def mutations() -> Iterator[Tuple[str, str, Mutate]]:
    # SAHAB-ENC-008: TLS 1.2 or newer.
    yield "storage accepts TLS 1.0", "SAHAB-ENC-008", _set(ACCOUNT, 0, ("minimumTlsVersion",), "TLS1_0")
    yield "storage accepts TLS 1.1", "SAHAB-ENC-008", _set(ACCOUNT, 0, ("minimumTlsVersion",), "TLS1_1")
    yield "storage minimum TLS unset", "SAHAB-ENC-008", _drop(ACCOUNT, 0, ("minimumTlsVersion",))
    yield "web app on TLS 1.0", "SAHAB-ENC-008", _azure("azure-native:web:WebApp", "scoring-ui", {
        "name": "sahabdev-scoring-ui", "httpsOnly": True, "publicNetworkAccess": "Disabled", "siteConfig": {"minTlsVersion": "1.0"}})
    yield "sql server on TLS 1.1", "SAHAB-ENC-008", _azure("azure-native:sql:Server", "features", {
        "serverName": "sahabdev-features", "publicNetworkAccess": "Disabled", "minimalTlsVersion": "1.1"})
    # SAHAB-ENC-012: no plain HTTP.
    yield "storage accepts plain HTTP", "SAHAB-ENC-012", _set(ACCOUNT, 0, ("enableHttpsTrafficOnly",), False)
    yield "web app without https only", "SAHAB-ENC-012", _azure("azure-native:web:WebApp", "scoring-api", {
        "name": "sahabdev-scoring-api", "publicNetworkAccess": "Disabled", "siteConfig": {"minTlsVersion": "1.2"}})
    yield "redis with its non-TLS port open", "SAHAB-ENC-012", _azure("azure-native:cache:Redis", "features", {
        "name": "sahabdev-features", "sku": {"name": "Premium", "family": "P", "capacity": 1},
        "enableNonSslPort": True, "minimumTlsVersion": "1.2", "publicNetworkAccess": "Disabled"})
    yield "redis (3.x token) with its non-TLS port open", "SAHAB-ENC-012", _azure("azure-native:redis:Redis", "features", {
        "name": "sahabdev-features", "sku": {"name": "Premium", "family": "P", "capacity": 1},
        "enableNonSslPort": True, "minimumTlsVersion": "1.2", "publicNetworkAccess": "Disabled"})
    # SAHAB-ENC-009: deleted keys stay recoverable.
    yield "vault purge protection off", "SAHAB-ENC-009", _set(VAULT, 0, ("properties", "enablePurgeProtection"), False)
    yield "vault purge protection unset", "SAHAB-ENC-009", _drop(VAULT, 0, ("properties", "enablePurgeProtection"))
    yield "vault soft delete off", "SAHAB-ENC-009", _set(VAULT, 0, ("properties", "enableSoftDelete"), False)
    # SAHAB-ENC-010: customer managed keys.
    yield "storage Microsoft-managed keys", "SAHAB-ENC-010", _set(ACCOUNT, 0, ("encryption", "keySource"), "Microsoft.Storage")
    yield "storage without encryption settings", "SAHAB-ENC-010", _drop(ACCOUNT, 0, ("encryption",))
    yield "storage Key Vault source without a key", "SAHAB-ENC-010", _drop(ACCOUNT, 0, ("encryption", "keyVaultProperties"))
    yield "storage Key Vault key without its name", "SAHAB-ENC-010", _drop(ACCOUNT, 0, ("encryption", "keyVaultProperties", "keyName"))
    yield "registry encryption disabled", "SAHAB-ENC-010", _set(REGISTRY, 0, ("encryption", "status"), "disabled")
    yield "registry without encryption settings", "SAHAB-ENC-010", _drop(REGISTRY, 0, ("encryption",))
    yield "registry encryption without a key", "SAHAB-ENC-010", _drop(REGISTRY, 0, ("encryption", "keyVaultProperties", "keyIdentifier"))
    # SAHAB-AUD-001: a platform (a cluster, a database) needs the Activity Log in an immutable account in the UAE.
    yield "aks cluster without an activity log destination", "SAHAB-AUD-001", _azure("azure-native:containerservice:ManagedCluster", "serving-aks", {
        "resourceName": "sahabdev-serving", "dnsPrefix": "sahabdev", "apiServerAccessProfile": {"enablePrivateCluster": True}})
    yield "postgres server without an activity log destination", "SAHAB-AUD-001", _azure("azure-native:dbforpostgresql:Server", "registry-pg", {
        "serverName": "sahabdev-registry", "version": "16", "network": {"publicNetworkAccess": "Disabled"}})
    # SAHAB-AUD-002: diagnostic logs land in the UAE.
    yield "vault diagnostics to an account in westeurope", "SAHAB-AUD-002", _diagnostics_to_account_in("westeurope")
    yield "vault diagnostics to a marketplace partner", "SAHAB-AUD-002", _add_resource("azure-native:monitor:DiagnosticSetting", "vault-partner", {
        "resourceUri": "/subscriptions/0/resourceGroups/sahabdev-serving/providers/Microsoft.KeyVault/vaults/sahabdev-vault",
        "marketplacePartnerId": "/subscriptions/0/resourceGroups/partners/providers/Microsoft.Datadog/monitors/dd",
        "logs": [{"categoryGroup": "audit", "enabled": True}]}, provider_type=AZURE)
    # SAHAB-IAM-002: workload identity, no cloud keys in the environment.
    yield "pod gets AWS keys as literals", "SAHAB-IAM-002", _set(DEPLOYMENT, 0, CONTAINER + ("env",), [
        {"name": "AWS_ACCESS_KEY_ID", "value": "AKIAIOSFODNN7EXAMPLE"}, {"name": "AWS_SECRET_ACCESS_KEY", "value": {"$secret": True}}])
    yield "pod gets an Azure client secret from a Secret", "SAHAB-IAM-002", _set(DEPLOYMENT, 0, CONTAINER + ("env",), [
        {"name": "AZURE_CLIENT_ID", "value": "11111111-2222-3333-4444-555555555555"},
        {"name": "AZURE_CLIENT_SECRET", "valueFrom": {"secretKeyRef": {"name": "sp-credentials", "key": "secret"}}}])
    yield "pod gets an AWS session token", "SAHAB-IAM-002", _set(DEPLOYMENT, 0, CONTAINER + ("env",), [
        {"name": "aws_session_token", "valueFrom": {"secretKeyRef": {"name": "sts", "key": "token"}}}])
    # SAHAB-NET-005, Azure side: no public network access.
    yield "storage public network access enabled", "SAHAB-NET-005", _set(ACCOUNT, 0, ("publicNetworkAccess",), "Enabled")
    yield "storage public network access unset", "SAHAB-NET-005", _drop(ACCOUNT, 0, ("publicNetworkAccess",))
    yield "vault public network access enabled", "SAHAB-NET-005", _set(VAULT, 0, ("properties", "publicNetworkAccess"), "Enabled")
    yield "registry public network access enabled", "SAHAB-NET-005", _set(REGISTRY, 0, ("publicNetworkAccess",), "Enabled")
    # ... and the services that are public unless told otherwise (publicNetworkAccess left out).
    yield "sql server left public", "SAHAB-NET-005", _azure("azure-native:sql:Server", "features-sql", {
        "serverName": "sahabdev-features-sql", "minimalTlsVersion": "1.2"})
    yield "redis (v3 module) left public", "SAHAB-NET-005", _azure("azure-native:redis:Redis", "features-cache", {
        "name": "sahabdev-features-cache", "sku": {"name": "Premium", "family": "P", "capacity": 1}, "minimumTlsVersion": "1.2"})
    yield "service bus namespace left public", "SAHAB-NET-005", _azure("azure-native:servicebus:Namespace", "events-sb", {
        "namespaceName": "sahabdev-events", "sku": {"name": "Premium"}})
    yield "event hubs namespace open to the perimeter", "SAHAB-NET-005", _azure("azure-native:eventhub:Namespace", "events-eh", {
        "namespaceName": "sahabdev-telemetry", "sku": {"name": "Standard"}, "publicNetworkAccess": "SecuredByPerimeter"})
    yield "machine learning workspace public", "SAHAB-NET-005", _azure("azure-native:machinelearningservices:Workspace", "ml", {
        "workspaceName": "sahabdev-ml", "publicNetworkAccess": "Enabled"})
    yield "function app left public", "SAHAB-NET-005", _azure("azure-native:web:WebApp", "scoring-fn", {
        "name": "sahabdev-scoring-fn", "kind": "functionapp,linux", "httpsOnly": True, "siteConfig": {"minTlsVersion": "1.2"}})
    yield "postgres flexible server without a delegated subnet", "SAHAB-NET-005", _azure("azure-native:dbforpostgresql:Server", "features-pg", {
        "serverName": "sahabdev-features-pg", "version": "16", "storage": {"storageSizeGB": 128}})
    yield "mysql flexible server public", "SAHAB-NET-005", _azure("azure-native:dbformysql:Server", "features-mysql", {
        "serverName": "sahabdev-features-mysql", "version": "8.0.21", "network": {"publicNetworkAccess": "Enabled"}})
    # SAHAB-NET-001: database firewall rules from anywhere.
    yield "sql firewall rule for the whole internet", "SAHAB-NET-001", _add_resource("azure-native:sql:FirewallRule", "anywhere", {
        "serverName": "sahabdev-features-sql", "resourceGroupName": "sahabdev-serving",
        "startIpAddress": "0.0.0.0", "endIpAddress": "255.255.255.255"}, provider_type=AZURE)
    yield "postgres firewall rule for every Azure service", "SAHAB-NET-001", _add_resource("azure-native:dbforpostgresql:FirewallRule", "azure", {
        "serverName": "sahabdev-features-pg", "resourceGroupName": "sahabdev-serving",
        "startIpAddress": "0.0.0.0", "endIpAddress": "0.0.0.0"}, provider_type=AZURE)
    # SAHAB-NET-007: load balancers are internal.
    yield "load balancer without the internal annotation", "SAHAB-NET-007", _set(SERVICE, LOAD_BALANCER, ("metadata", "annotations"), {})
    yield "load balancer annotated internal false", "SAHAB-NET-007", _set(
        SERVICE, LOAD_BALANCER, ("metadata", "annotations", "service.beta.kubernetes.io/azure-load-balancer-internal"), "false")
    yield "load balancer also asks for an internet-facing scheme", "SAHAB-NET-007", _set(
        SERVICE, LOAD_BALANCER, ("metadata", "annotations", "service.beta.kubernetes.io/aws-load-balancer-scheme"), "internet-facing")
    yield "cluster IP service turned into a load balancer", "SAHAB-NET-007", _set(SERVICE, CLUSTER_IP, ("spec", "type"), "LoadBalancer")
    yield "internet-facing ingress", "SAHAB-NET-007", _add_resource(
        "kubernetes:networking.k8s.io/v1:Ingress", "model-server", PUBLIC_INGRESS, provider_type=KUBERNETES)
    yield "application gateway ingress without a private IP", "SAHAB-NET-007", _add_resource(
        "kubernetes:networking.k8s.io/v1:Ingress", "model-server-appgw", _ingress_of_class("azure-application-gateway"), provider_type=KUBERNETES)
    yield "gce ingress", "SAHAB-NET-007", _add_resource(
        "kubernetes:networking.k8s.io/v1:Ingress", "model-server-gce", _ingress_of_class("gce"), provider_type=KUBERNETES)
    # SAHAB-NET-010: no node ports.
    yield "cluster IP service published on node ports", "SAHAB-NET-010", _set(SERVICE, CLUSTER_IP, ("spec", "type"), "NodePort")
    yield "load balancer service turned into node ports", "SAHAB-NET-010", _set(SERVICE, LOAD_BALANCER, ("spec", "type"), "NodePort")
    # SAHAB-NET-008: namespaces deny by default.
    yield "namespace without its default-deny policy", "SAHAB-NET-008", _naming(_remove(POLICY, DEFAULT_DENY), NAMESPACE, 0)
    yield "default-deny ingress only", "SAHAB-NET-008", _naming(_set(POLICY, DEFAULT_DENY, ("spec", "policyTypes"), ["Ingress"]), NAMESPACE, 0)
    yield "default-deny egress only", "SAHAB-NET-008", _naming(_set(POLICY, DEFAULT_DENY, ("spec", "policyTypes"), ["Egress"]), NAMESPACE, 0)
    yield "default-deny selects some pods only", "SAHAB-NET-008", _naming(
        _set(POLICY, DEFAULT_DENY, ("spec", "podSelector"), {"matchLabels": {"app": "model-server"}}), NAMESPACE, 0)
    yield "default-deny allows all ingress", "SAHAB-NET-008", _naming(_set(POLICY, DEFAULT_DENY, ("spec", "ingress"), [{}]), NAMESPACE, 0)
    yield "deployment in an undeclared namespace", "SAHAB-NET-008", _to_namespace(DEPLOYMENT, 0, "ml-batch")
    # SAHAB-RES-001: the UAE only.
    yield "azure provider moved to westeurope", "SAHAB-RES-001", _move_provider("westeurope", AZURE, "location")
    yield "resource inheriting the moved provider", "SAHAB-RES-001", _naming(
        _move_provider("westeurope", AZURE, "location"), "azure-native:keyvault:Key", 0)
    yield "storage moved to westeurope", "SAHAB-RES-001", _move_region(ACCOUNT, 0, "westeurope", key="location")
    yield "vault moved to West Europe", "SAHAB-RES-001", _move_region(VAULT, 0, "West Europe", key="location")
    # Only private DNS zones and their links may say "global"; a data service may not.
    yield "storage moved to global", "SAHAB-RES-001", _move_region(ACCOUNT, 0, "global", key="location")
    # SAHAB-RES-006: images from in-region registries.
    yield "image from Docker Hub", "SAHAB-RES-006", _set(DEPLOYMENT, 0, CONTAINER + ("image",), "python:3.12-slim")
    yield "image from ECR in eu-west-1", "SAHAB-RES-006", _set(
        DEPLOYMENT, 0, CONTAINER + ("image",), "123456789012.dkr.ecr.eu-west-1.amazonaws.com/models/fraud-scorer:1.4.2")
    yield "image from an ACR the program does not declare", "SAHAB-RES-006", _set(
        DEPLOYMENT, 0, CONTAINER + ("image",), "mlmodels.azurecr.io/models/fraud-scorer:1.4.2")
    yield "image's registry moved to westeurope", "SAHAB-RES-006", _naming(
        _move_region(REGISTRY, 0, "westeurope", key="location"), DEPLOYMENT, 0)
    yield "init container from Docker Hub", "SAHAB-RES-006", _set(DEPLOYMENT, 0, POD + ("initContainers",), [
        {"name": "fetch-model", "image": "busybox:1.36", "securityContext": {"allowPrivilegeEscalation": False, "privileged": False}}])
    # SAHAB-WKL-001: no privileged pods or host access.
    yield "privileged container", "SAHAB-WKL-001", _set(DEPLOYMENT, 0, CONTAINER + ("securityContext", "privileged"), True)
    yield "host network", "SAHAB-WKL-001", _set(DEPLOYMENT, 0, POD + ("hostNetwork",), True)
    yield "hostPath volume", "SAHAB-WKL-001", _set(DEPLOYMENT, 0, POD + ("volumes", "0"), HOST_PATH)
    yield "host PID namespace", "SAHAB-WKL-001", _set(DEPLOYMENT, 0, POD + ("hostPID",), True)
    # SAHAB-WKL-002: no privilege escalation.
    yield "privilege escalation allowed", "SAHAB-WKL-002", _set(DEPLOYMENT, 0, CONTAINER + ("securityContext", "allowPrivilegeEscalation"), True)
    yield "privilege escalation left to the default", "SAHAB-WKL-002", _drop(DEPLOYMENT, 0, CONTAINER + ("securityContext", "allowPrivilegeEscalation"))
    yield "container without a security context", "SAHAB-WKL-002", _drop(DEPLOYMENT, 0, CONTAINER + ("securityContext",))
    # SAHAB-WKL-005: no root containers.
    yield "container runs as uid 0", "SAHAB-WKL-005", _set(DEPLOYMENT, 0, CONTAINER + ("securityContext", "runAsUser"), 0)
    yield "pod without its non-root security context", "SAHAB-WKL-005", _drop(DEPLOYMENT, 0, POD + ("securityContext",))
    yield "container opts out of the pod's runAsNonRoot", "SAHAB-WKL-005", _both(
        _drop(DEPLOYMENT, 0, POD + ("securityContext", "runAsUser")),
        _set(DEPLOYMENT, 0, CONTAINER + ("securityContext", "runAsNonRoot"), False))
    # SAHAB-WKL-006: secrets as files, not environment variables.
    yield "secret key passed as an env var", "SAHAB-WKL-006", _set(DEPLOYMENT, 0, CONTAINER + ("env",), [
        {"name": "MLFLOW_TRACKING_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "mlflow-auth", "key": "password"}}}])
    yield "secret loaded with envFrom", "SAHAB-WKL-006", _set(DEPLOYMENT, 0, CONTAINER + ("envFrom",), [{"secretRef": {"name": "model-credentials"}}])
    yield "pulumi secret in an env value", "SAHAB-WKL-006", _set(DEPLOYMENT, 0, CONTAINER + ("env",), [{"name": "API_TOKEN", "value": {"$secret": True}}])
    # SAHAB-WKL-003: namespaces enforce Pod Security restricted; SAHAB-WKL-004 reports declared exceptions.
    yield "namespace enforces baseline", "SAHAB-WKL-003", _set(NAMESPACE, 0, PSA_ENFORCE, "baseline")
    yield "namespace without Pod Security labels", "SAHAB-WKL-003", _drop(NAMESPACE, 0, ("metadata", "labels"))
    yield "privileged namespace with a declared exception", "SAHAB-WKL-004", _both(
        _set(NAMESPACE, 0, PSA_ENFORCE, "privileged"),
        _set(NAMESPACE, 0, ("metadata", "annotations"), {"sahab.io/pod-security-exception": "node agents load kernel modules"}))


MUTATIONS = list(mutations())


def test_every_rule_has_at_least_two_mutations():
    meant = [rule_id for _, rule_id, _ in MUTATIONS]
    for rule_id in ("SAHAB-ENC-008", "SAHAB-ENC-009", "SAHAB-ENC-010", "SAHAB-ENC-012", "SAHAB-IAM-002", "SAHAB-NET-005", "SAHAB-NET-007",
                    "SAHAB-NET-008", "SAHAB-NET-010", "SAHAB-RES-001", "SAHAB-RES-006", "SAHAB-WKL-001", "SAHAB-WKL-002", "SAHAB-WKL-003", "SAHAB-WKL-005", "SAHAB-WKL-006"):
        assert meant.count(rule_id) >= 2, rule_id
    assert len({label for label, _, _ in MUTATIONS}) == len(MUTATIONS)


def test_every_rule_is_broken_by_some_mutation(rules):
    """With the reference plan's mutations, every rule of the bundle has a break it must catch."""
    bundle, _ = rules
    meant = {rule_id for _, rule_id, _ in test_mutations.MUTATIONS + MUTATIONS + test_mutations_azure_nodes.MUTATIONS}
    assert sorted(rule.rule_id for rule in bundle.rules if rule.rule_id not in meant) == []


def test_the_fixture_declares_what_the_mutations_index(platform_plan):
    for type_token, names in FIXTURE.items():
        assert [r["name"] for r in platform_plan["resources"] if r["type"] == type_token] == names, type_token
    assert all(r["provider"] is not None for r in platform_plan["resources"] if not r["type"].startswith("pulumi:providers:"))


def test_the_unmutated_platform_plan_is_clean(platform_plan, rules):
    bundle, engine = rules
    findings = evaluate_rules(platform_plan, bundle, engine, loaded=True)
    assert [(f.rule_id, f.status, f.urn) for f in findings if f.status == "violation"] == []
    assert [(f.rule_id, f.status, f.urn) for f in findings] == [], "nothing deferred or unchecked either"


@pytest.mark.parametrize("label, rule_id, mutate", MUTATIONS, ids=[label for label, _, _ in MUTATIONS])
def test_mutation_is_caught_by_its_rule(platform_plan, rules, label, rule_id, mutate):
    assert_caught(platform_plan, rules, label, rule_id, mutate)
