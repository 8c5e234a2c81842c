"""WorkloadIdentity and CiIdentity on Azure: federated credentials for exactly one subject, typed grants, no secrets."""
from __future__ import annotations

import pytest

from azure_compute_fixtures import BUCKETS, ISSUER
from sahab.components.azure.ci_identity import CiIdentity, CiIdentityArgs, GithubBinding, GitlabBinding
from sahab.components.azure.workload_identity import RoleGrant, WorkloadIdentity, WorkloadIdentityArgs
from sahab.components.kubernetes.identity import AZURE_CLIENT_ID_ANNOTATION, AZURE_USE_LABEL, require_binding
from sahab.components.validation import ComponentInputError
from sahab.testing import assert_azure_pinned_and_contained, attempt_plan, one_of_type, plan_resources, resources_of_type

FIC = "azure-native:managedidentity:FederatedIdentityCredential"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
ROLE = "azure-native:authorization:RoleAssignment"
AUDIENCE = ["api://AzureADTokenExchange"]
WRITE_ARTIFACTS = RoleGrant(role="Storage Blob Data Contributor", scope=BUCKETS)


def workload(**overrides):
    values = dict(namespace="mlflow", service_account="tracking", oidc_issuer_url=ISSUER, grants=[WRITE_ARTIFACTS])
    values.update(overrides)
    return WorkloadIdentity("mlflow", WorkloadIdentityArgs(**values))


def test_workload_identity_trusts_exactly_one_service_account_on_the_clusters_issuer():
    holder = {}
    resources = plan_resources(lambda: holder.setdefault("identity", workload()))
    credential = one_of_type(resources, FIC)
    assert credential["inputs"]["issuer"] == ISSUER
    assert credential["inputs"]["subject"] == "system:serviceaccount:mlflow:tracking"
    assert credential["inputs"]["audiences"] == AUDIENCE
    assert credential["propertyDependencies"]["resourceName"] == [one_of_type(resources, IDENTITY)["urn"]]
    grant = one_of_type(resources, ROLE)["inputs"]
    assert grant["scope"] == BUCKETS and grant["principalType"] == "ServicePrincipal"
    assert grant["roleDefinitionId"] == (
        "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe")
    assert_azure_pinned_and_contained([r for r in resources if r["type"] != FIC], "sahab:azure:WorkloadIdentity")


def test_the_binding_is_what_the_kubernetes_components_accept_unchanged():
    holder = {}
    plan_resources(lambda: holder.setdefault("identity", workload()))
    binding = require_binding("MlflowServer", "identity", holder["identity"].binding, "mlflow", "tracking")
    assert binding.cloud == "azure"
    assert set(binding.service_account_annotations) == {AZURE_CLIENT_ID_ANNOTATION}
    assert dict(binding.pod_labels) == {AZURE_USE_LABEL: "true"}


@pytest.mark.parametrize("overrides, message", [
    (dict(grants=[]), "grants must not be empty"),
    (dict(grants=[RoleGrant(role="Owner", scope=BUCKETS)]), "grants[0].role 'Owner' is not a role sahab grants"),
    (dict(grants=[RoleGrant(role="Storage Blob Data Reader", scope="/subscriptions/00000000-0000-0000-0000-000000000001")]),
     "subscription-wide grants are refused"),
    (dict(grants=["Storage Blob Data Reader"]), "grants[0] must be a RoleGrant(role, scope)"),
    (dict(namespace="ML Flow"), "namespace 'ML Flow' must be a Kubernetes name"),
    (dict(oidc_issuer_url="http://issuer"), "oidc_issuer_url 'http://issuer' must be the cluster's https issuer"),
    (dict(location="northeurope"), "region 'northeurope' is outside the UAE"),
    (dict(identity_name="ml prod"), "identity_name 'ml prod' must be 3-128 letters, digits, '-' or '_', starting with a letter or digit"),
    (dict(identity_name="_ml"), "identity_name '_ml' must be 3-128 letters, digits, '-' or '_'"),
])
def test_bad_workload_identity_input_is_refused(overrides, message):
    resources, error = attempt_plan(lambda: workload(**overrides))
    assert isinstance(error, ComponentInputError) and message in str(error), error
    assert resources == []


def ci(**overrides):
    values = dict(
        github=[GithubBinding(repository="uae-ml/platform", environment="production", grants=[WRITE_ARTIFACTS]),
                GithubBinding(repository="uae-ml/platform", branch="main")],
        gitlab=[GitlabBinding(project_path="ml/infra/platform", branch="main", environment="staging")],
    )
    values.update(overrides)
    return CiIdentity("ci", CiIdentityArgs(**values))


def test_each_ci_binding_gets_its_own_identity_trusting_one_subject():
    resources = plan_resources(lambda: ci())
    credentials = {r["inputs"]["subject"]: r["inputs"] for r in resources_of_type(resources, FIC)}
    github = "https://token.actions.githubusercontent.com"
    assert {subject: (c["issuer"], c["audiences"]) for subject, c in credentials.items()} == {
        "repo:uae-ml/platform:environment:production": (github, AUDIENCE),
        "repo:uae-ml/platform:ref:refs/heads/main": (github, AUDIENCE),
        "project_path:ml/infra/platform:ref_type:branch:ref:main": ("https://gitlab.com", AUDIENCE),
    }
    identities = resources_of_type(resources, IDENTITY)
    assert len(identities) == 3
    assert {i["inputs"]["tags"]["sahab:ci-subject"] for i in identities} == set(credentials)
    # Only the binding that asked for a role got one; no secret, key or app registration exists.
    [grant] = resources_of_type(resources, ROLE)
    assert grant["inputs"]["scope"] == BUCKETS
    assert {r["type"] for r in resources} == {"pulumi:providers:azure-native", "azure-native:resources:ResourceGroup", IDENTITY, FIC, ROLE,
                                              "sahab:azure:CiIdentity"}


@pytest.mark.parametrize("overrides, message", [
    (dict(github=[], gitlab=[]), "give at least one github or gitlab binding"),
    (dict(github=[GithubBinding(repository="uae-ml/*", branch="main")], gitlab=[]), "github[0].repository 'uae-ml/*' contains a wildcard"),
    (dict(github=[GithubBinding(repository="uae-ml/platform")], gitlab=[]), "github[0] needs exactly one of environment or branch"),
    (dict(github=[GithubBinding(repository="uae-ml/platform", environment="prod", branch="main")], gitlab=[]),
     "github[0] needs exactly one of environment or branch"),
    (dict(gitlab=[GitlabBinding(project_path="platform", branch="main")]), "gitlab[0].project_path 'platform' must look like 'group/project'"),
    (dict(gitlab=[GitlabBinding(project_path="ml/platform", branch="")]), "gitlab[0].branch must not be empty"),
    (dict(github=[GithubBinding(repository="a/b", branch="main"), GithubBinding(repository="a/b", branch="main")], gitlab=[]),
     "bindings repeat the subject(s) repo:a/b:ref:refs/heads/main"),
    (dict(gitlab_url="http://gitlab.example.com/"), "gitlab_url 'http://gitlab.example.com/' must be an https URL"),
    (dict(gitlab_audience="*"), "gitlab_audience '*' must be a non-empty value without wildcards"),
    (dict(github=[GithubBinding(repository="a/b", branch="main", grants=[RoleGrant(role="Contributor", scope=BUCKETS)])], gitlab=[]),
     "github[0].grants[0].role 'Contributor' is not a role sahab grants"),
])
def test_bad_ci_input_is_refused(overrides, message):
    resources, error = attempt_plan(lambda: ci(**overrides))
    assert isinstance(error, ComponentInputError) and message in str(error), error
    assert resources == []


def test_a_named_identity_keeps_its_name_and_an_unnamed_one_gets_pulumis():
    named = one_of_type(plan_resources(lambda: workload(identity_name="ml_prod_mlflow")), IDENTITY)["inputs"]
    assert named["resourceName"] == "ml_prod_mlflow"
    unnamed = one_of_type(plan_resources(lambda: workload()), IDENTITY)["inputs"]
    assert unnamed["resourceName"].startswith("mlflow") and unnamed["resourceName"] != "mlflow"
