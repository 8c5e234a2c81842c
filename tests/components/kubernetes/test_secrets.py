"""secret_store / external_secret: a namespaced store on its own identity, the operator allowed exactly its token."""
from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from sahab.components.aws.secret_store import SecretsManagerStore, SecretsManagerStoreArgs
from sahab.components.kubernetes.identity import WorkloadIdentityBinding
from sahab.components.kubernetes.secrets import (
    RemoteRef, SecretStoreBinding, ServiceAccountRef, external_secret, secret_store,
)
from sahab.testing import one_of_type, plan_resources

ROLE_ARN = "arn:aws:iam::111122223333:role/mlflow-store"
PROVIDER_SPEC = {"aws": {"service": "SecretsManager", "region": "me-central-1",
                         "auth": {"jwt": {"serviceAccountRef": {"name": "external-secrets-store"}}}}}
STORE = "kubernetes:external-secrets.io/v1:SecretStore"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
ACCOUNT = "kubernetes:core/v1:ServiceAccount"


def _binding(role_arn=ROLE_ARN):
    return SecretStoreBinding(PROVIDER_SPEC, WorkloadIdentityBinding.aws_irsa("mlflow", "external-secrets-store", role_arn))


def _store_plan(binding=None, **kwargs):
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        secret_store("mlflow-store", "aws-secrets", binding or _binding(), pulumi.ResourceOptions(provider=provider), **kwargs)
    return plan_resources(program)


def test_store_authenticates_as_its_own_annotated_account_without_a_mounted_token():
    plan = _store_plan()
    account = one_of_type(plan, ACCOUNT)["inputs"]
    assert account["metadata"] == {"name": "external-secrets-store", "namespace": "mlflow",
                                   "annotations": {"eks.amazonaws.com/role-arn": ROLE_ARN}}
    assert account["automountServiceAccountToken"] is False
    store = one_of_type(plan, STORE)
    assert store["inputs"]["metadata"] == {"name": "aws-secrets", "namespace": "mlflow"}
    assert store["inputs"]["spec"] == {"provider": PROVIDER_SPEC}
    assert one_of_type(plan, ACCOUNT)["urn"] in store["dependencies"]


def test_operator_may_mint_tokens_for_exactly_the_store_account():
    plan = _store_plan()
    role = one_of_type(plan, ROLE)["inputs"]
    assert role["metadata"] == {"name": "aws-secrets-token", "namespace": "mlflow"}
    assert role["rules"] == [{"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"],
                              "resourceNames": ["external-secrets-store"]}]
    binding = one_of_type(plan, ROLE_BINDING)
    assert binding["inputs"]["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "aws-secrets-token"}
    assert binding["inputs"]["subjects"] == [{"kind": "ServiceAccount", "name": "external-secrets", "namespace": "external-secrets"}]
    assert binding["urn"] in one_of_type(plan, STORE)["dependencies"]


def test_operator_in_another_namespace_is_the_subject():
    plan = _store_plan(controller=ServiceAccountRef("secrets-sync", "external-secrets"))
    assert one_of_type(plan, ROLE_BINDING)["inputs"]["subjects"] == [
        {"kind": "ServiceAccount", "name": "external-secrets", "namespace": "secrets-sync"}]


def test_aws_store_binding_flows_into_the_store():
    issuer = "oidc.eks.me-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"

    def program():
        aws_store = SecretsManagerStore("mlflow-store", SecretsManagerStoreArgs(
            namespace="mlflow",
            secret_arns=["arn:aws:secretsmanager:me-central-1:111122223333:secret:ml/mlflow-admin-password-AbCdEf"],
            kms_key_arn="arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000007",
            oidc_provider_arn="arn:aws:iam::111122223333:oidc-provider/" + issuer,
            oidc_issuer_url="https://" + issuer))
        provider = k8s.Provider("cluster", kubeconfig="{}")
        secret_store("mlflow-store", "aws-secrets", aws_store.binding, pulumi.ResourceOptions(provider=provider))

    plan = plan_resources(program)
    assert one_of_type(plan, STORE)["inputs"]["spec"] == {"provider": PROVIDER_SPEC}
    account = one_of_type(plan, ACCOUNT)
    # The role ARN is known only after deploy; the annotation follows the IAM role.
    assert account["inputs"]["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": {"$unknown": True}}
    assert one_of_type(plan, "aws:iam/role:Role")["urn"] in account["dependencies"]


def test_external_secret_copies_named_values_with_a_template():
    def program():
        provider = k8s.Provider("cluster", kubeconfig="{}")
        external_secret(
            "mlflow-db", namespace="mlflow", store="aws-secrets", target="mlflow-db",
            data={"password": RemoteRef("arn:aws:secretsmanager:me-central-1:111122223333:secret:rds!db-AbCdEf", "password"),
                  "username": RemoteRef("arn:aws:secretsmanager:me-central-1:111122223333:secret:rds!db-AbCdEf", "username")},
            template={"pgpass": "db.internal:5432:mlflow:{{ .username }}:{{ .password }}"},
            opts=pulumi.ResourceOptions(provider=provider))

    secret = one_of_type(plan_resources(program), "kubernetes:external-secrets.io/v1:ExternalSecret")["inputs"]
    assert secret["metadata"] == {"name": "mlflow-db", "namespace": "mlflow"}
    assert secret["spec"] == {
        "refreshInterval": "1h",
        "secretStoreRef": {"name": "aws-secrets", "kind": "SecretStore"},
        "target": {"name": "mlflow-db", "creationPolicy": "Owner", "deletionPolicy": "Retain",
                   "template": {"engineVersion": "v2", "type": "Opaque",
                                "data": {"pgpass": "db.internal:5432:mlflow:{{ .username }}:{{ .password }}"}}},
        "data": [
            {"secretKey": "password", "remoteRef": {
                "key": "arn:aws:secretsmanager:me-central-1:111122223333:secret:rds!db-AbCdEf", "property": "password"}},
            {"secretKey": "username", "remoteRef": {
                "key": "arn:aws:secretsmanager:me-central-1:111122223333:secret:rds!db-AbCdEf", "property": "username"}},
        ],
    }
