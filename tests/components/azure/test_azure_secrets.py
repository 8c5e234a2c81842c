"""KeyVaultStore and PlatformSecrets: the External Secrets store on Azure reads exactly its secrets
through a workload identity (no client secret), and generated values reach Key Vault only as Pulumi secrets."""
from __future__ import annotations

import json

import pytest

from azure_compute_fixtures import ISSUER, SUBSCRIPTION, TENANT
from sahab.components.azure import (
    KeyVault, KeyVaultArgs, KeyVaultStore, KeyVaultStoreArgs, Network, NetworkArgs, PlatformSecrets, PlatformSecretsArgs,
    UaeAzureProvider, UaeResourceGroup,
)
from sahab.components.generated_secrets import GeneratedSecret
from sahab.components.kubernetes.identity import AZURE_CLIENT_ID_ANNOTATION
from sahab.components.kubernetes.secrets import secret_store
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

VAULT = "/subscriptions/%s/resourceGroups/platform/providers/Microsoft.KeyVault/vaults/mlkeys" % SUBSCRIPTION
KEY = VAULT + "/secrets/ci-github-app-private-key"
URL = VAULT + "/secrets/alerts-receiver-url"
ROLE = "azure-native:authorization:RoleAssignment"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"


def vault() -> KeyVault:
    provider = UaeAzureProvider("uae", location="uaenorth")
    placement = dict(provider=provider, resource_group=UaeResourceGroup("platform", provider=provider), location="uaenorth")
    network = Network("ml", NetworkArgs(**placement))
    return KeyVault("vault", KeyVaultArgs(tenant_id=TENANT, private_link=network.private_link("vault"), **placement))


def store(**overrides):
    values = dict(namespace="ci-runners", vault_uri="https://mlkeys.vault.azure.net/", secret_ids=[KEY, URL],
                  tenant_id=TENANT, oidc_issuer_url=ISSUER)
    values.update(overrides)
    return KeyVaultStore("ci-store", KeyVaultStoreArgs(**values))


def test_the_store_reads_exactly_its_secrets_with_a_workload_identity():
    holder = {}
    resources = plan_resources(lambda: holder.setdefault("store", store()))
    grants = resources_of_type(resources, ROLE)
    assert sorted(g["inputs"]["scope"] for g in grants) == sorted([KEY, URL])
    assert {g["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1] for g in grants} == {SECRETS_USER}
    credential = one_of_type(resources, FIC)["inputs"]
    assert credential["subject"] == "system:serviceaccount:ci-runners:external-secrets-store"
    assert credential["issuer"] == ISSUER and credential["audiences"] == ["api://AzureADTokenExchange"]
    binding = holder["store"].binding
    assert dict(binding.provider) == {"azurekv": {
        "authType": "WorkloadIdentity", "vaultUrl": "https://mlkeys.vault.azure.net/", "tenantId": TENANT,
        "serviceAccountRef": {"name": "external-secrets-store"}}}
    assert (binding.identity.namespace, binding.identity.service_account) == ("ci-runners", "external-secrets-store")
    # ESO refuses a tenant given both in the store and on the account: only the client id is annotated.
    assert set(binding.identity.service_account_annotations) == {AZURE_CLIENT_ID_ANNOTATION}


def test_the_kubernetes_store_has_no_static_credential():
    import pulumi
    import pulumi_kubernetes as k8s

    def program():
        made = store()
        kube = k8s.Provider("kube", kubeconfig="{}")
        secret_store("ci-store", "azure-keyvault", made.binding, pulumi.ResourceOptions(provider=kube))

    resources = plan_resources(program)
    spec = one_of_type(resources, "kubernetes:external-secrets.io/v1:SecretStore")["inputs"]["spec"]
    assert "authSecretRef" not in spec["provider"]["azurekv"] and "clientSecret" not in json.dumps(spec)
    account = one_of_type(resources, "kubernetes:core/v1:ServiceAccount")["inputs"]
    assert account["metadata"]["name"] == "external-secrets-store" and account["automountServiceAccountToken"] is False
    assert resources_of_type(resources, "kubernetes:core/v1:Secret") == []


@pytest.mark.parametrize("overrides, message", [
    (dict(secret_ids=[]), "secret_ids must not be empty"),
    (dict(secret_ids=[VAULT]), "secret_ids[0] '%s' must be the ARM ID of one Key Vault secret" % VAULT),
    (dict(secret_ids=[KEY, "/subscriptions/%s" % SUBSCRIPTION]), "a store is never granted a whole vault"),
    (dict(vault_uri="http://mlkeys"), "vault_uri 'http://mlkeys' must be the vault's https URI"),
    (dict(tenant_id="contoso"), "tenant_id"),
    (dict(namespace="CI"), "namespace 'CI' must be a Kubernetes name"),
    (dict(location="westeurope"), "outside the UAE"),
])
def test_bad_store_input_is_refused_before_anything_registers(overrides, message):
    resources, error = attempt_plan(lambda: store(**overrides))
    assert isinstance(error, ComponentInputError) and message in str(error), error
    assert resources == []


def test_generated_secrets_reach_key_vault_only_as_pulumi_secrets():
    holder = {}

    def program():
        holder["secrets"] = PlatformSecrets("platform", PlatformSecretsArgs(vault=vault()))

    resources = plan_resources(program)
    stored = resources_of_type(resources, "azure-native:keyvault:Secret")
    assert sorted(s["inputs"]["secretName"] for s in stored) == ["platform-mlflow-admin-password", "platform-mlflow-flask-secret-key"]
    for secret in stored:
        assert secret["inputs"]["properties"]["value"] == {"$secret": True}
        assert secret["inputs"]["properties"]["attributes"] == {"enabled": True}
        assert secret["parent"].endswith("sahab:azure:PlatformSecrets::platform")
    passwords = resources_of_type(resources, "random:index/randomPassword:RandomPassword")
    assert {(p["inputs"]["length"], p["inputs"]["special"]) for p in passwords} == {(48, False)}
    assert holder["secrets"].secret_name("mlflow-admin-password") == "platform-mlflow-admin-password"
    with pytest.raises(ComponentInputError, match="no secret 'grafana'; this component has: mlflow-admin-password"):
        holder["secrets"].secret_id("grafana")


@pytest.mark.parametrize("secrets, message", [
    ((), "secrets must not be empty"),
    ((GeneratedSecret("Bad_Name", "x"),), "secrets[0].name 'Bad_Name' must be 1-48 lowercase letters"),
    ((GeneratedSecret("short", "x", length=16),), "secrets[0].length must be between 32 and 128"),
])
def test_bad_generated_secrets_are_refused(secrets, message):
    def program():
        PlatformSecrets("platform", PlatformSecretsArgs(vault=vault(), secrets=secrets))

    resources, error = attempt_plan(program)
    assert isinstance(error, ComponentInputError) and message in str(error), error
    assert not resources_of_type(resources, "azure-native:keyvault:Secret")


def test_an_out_of_band_secret_is_named_by_its_vault_and_checked():
    _, error = attempt_plan(lambda: vault().secret_id("github app key"))
    assert isinstance(error, ComponentInputError)
    assert "secret name 'github app key' must be 1-127 letters, digits or dashes" in str(error)
