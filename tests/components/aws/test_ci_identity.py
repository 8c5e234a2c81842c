"""CiIdentity: OIDC-only CI roles, each trusting exactly one audience and subject."""
from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from sahab.components.aws import UaeProvider
from sahab.components.aws.ci_identity import CiIdentity, CiIdentityArgs, GithubBinding, GitlabBinding
from sahab.components.validation import ComponentInputError
from sahab.testing import assert_pinned_and_contained, attempt_plan, one_of_type, plan_resources, resources_of_type

REGION = "me-central-1"
ACCOUNT = "123456789012"
COMPONENT = "sahab:aws:CiIdentity"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
ROLE = "aws:iam/role:Role"
GITHUB_HOST = "token.actions.githubusercontent.com"
DEPLOY_POLICY = "arn:aws:iam::123456789012:policy/sahab-deploy"


def _args(**overrides):
    values = {
        "github": [GithubBinding("acme/ml-platform", environment="production", policy_arns=[DEPLOY_POLICY])],
        "gitlab": [GitlabBinding("acme/ml/training", branch="main", environment="production")],
        **overrides,
    }
    return CiIdentityArgs(**values)


@pytest.fixture(scope="module")
def plan():
    return plan_resources(lambda: CiIdentity("ci", _args()))



def _role(resources, kind):
    (role,) = [r for r in resources_of_type(resources, ROLE) if r["inputs"]["tags"]["sahab:ci"] == kind]
    return role


def _trust(role):
    (statement,) = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    return statement


def test_every_resource_is_pinned_and_inside_the_component(plan):
    assert_pinned_and_contained(plan, COMPONENT)


def test_callers_uae_provider_is_used():
    resources = plan_resources(lambda: CiIdentity("ci", _args(provider=UaeProvider("uae"))))
    assert one_of_type(resources, "pulumi:providers:aws")["name"] == "uae"
    assert_pinned_and_contained(resources, COMPONENT)


def test_no_long_lived_credentials(plan):
    types = {r["type"] for r in plan}
    assert "aws:iam/accessKey:AccessKey" not in types
    assert "aws:iam/user:User" not in types
    assert "aws:iam/userLoginProfile:UserLoginProfile" not in types


def test_oidc_providers(plan):
    providers = {p["inputs"]["url"]: p["inputs"] for p in resources_of_type(plan, OIDC)}
    assert providers["https://token.actions.githubusercontent.com"]["clientIdLists"] == ["sts.amazonaws.com"]
    assert providers["https://gitlab.com"]["clientIdLists"] == ["https://gitlab.com"]
    assert len(providers) == 2


def test_github_role_trusts_exactly_one_repository_environment(plan):
    role = _role(plan, "github")
    statement = _trust(role)
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": "arn:aws:iam::%s:oidc-provider/%s" % (ACCOUNT, GITHUB_HOST)}
    assert statement["Condition"] == {"StringEquals": {
        GITHUB_HOST + ":aud": "sts.amazonaws.com",
        GITHUB_HOST + ":sub": "repo:acme/ml-platform:environment:production",
    }}
    assert role["inputs"]["maxSessionDuration"] == 3600
    github_oidc = next(p for p in resources_of_type(plan, OIDC) if "github" in p["inputs"]["url"])
    assert github_oidc["urn"] in role["dependencies"]


def test_gitlab_role_trusts_exactly_one_project_branch(plan):
    role = _role(plan, "gitlab")
    statement = _trust(role)
    assert statement["Principal"] == {"Federated": "arn:aws:iam::%s:oidc-provider/gitlab.com" % ACCOUNT}
    assert statement["Condition"] == {"StringEquals": {
        "gitlab.com:aud": "https://gitlab.com",
        "gitlab.com:sub": "project_path:acme/ml/training:ref_type:branch:ref:main",
    }}
    assert role["inputs"]["maxSessionDuration"] == 3600
    assert role["inputs"]["tags"]["sahab:ci-environment"] == "production"


def test_no_pattern_matching_in_any_trust_policy(plan):
    for role in resources_of_type(plan, ROLE):
        condition = _trust(role)["Condition"]
        assert set(condition) == {"StringEquals"}
        assert not any("*" in value or "?" in value for value in condition["StringEquals"].values())


def test_policies_are_attached_to_the_bound_role(plan):
    (attachment,) = resources_of_type(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment["inputs"]["policyArn"] == DEPLOY_POLICY
    assert attachment["propertyDependencies"]["role"] == [_role(plan, "github")["urn"]]


def test_github_branch_binding_and_self_managed_gitlab():
    resources = plan_resources(lambda: CiIdentity("ci", _args(
        github=[GithubBinding("acme/ml-platform", branch="main")],
        gitlab=[GitlabBinding("acme/ml/training", branch="release")],
        gitlab_url="https://gitlab.example.ae", gitlab_audience="sts.amazonaws.com",
    )))
    assert _trust(_role(resources, "github"))["Condition"]["StringEquals"][GITHUB_HOST + ":sub"] == \
        "repo:acme/ml-platform:ref:refs/heads/main"
    gitlab = _trust(_role(resources, "gitlab"))
    assert gitlab["Principal"] == {"Federated": "arn:aws:iam::%s:oidc-provider/gitlab.example.ae" % ACCOUNT}
    assert gitlab["Condition"]["StringEquals"] == {
        "gitlab.example.ae:aud": "sts.amazonaws.com",
        "gitlab.example.ae:sub": "project_path:acme/ml/training:ref_type:branch:ref:release",
    }


def test_existing_provider_is_reused():
    existing = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    resources = plan_resources(lambda: CiIdentity("ci", _args(gitlab=[], github_oidc_provider_arn=existing)))
    assert resources_of_type(resources, OIDC) == []
    assert _trust(_role(resources, "github"))["Principal"] == {"Federated": existing}


def test_permissions_boundary_is_applied():
    boundary = "arn:aws:iam::123456789012:policy/ci-boundary"
    resources = plan_resources(lambda: CiIdentity("ci", _args(permissions_boundary_arn=boundary)))
    assert {r["inputs"]["permissionsBoundary"] for r in resources_of_type(resources, ROLE)} == {boundary}


def test_role_arn_outputs_by_subject():
    made = {}

    def program():
        made["ci"] = CiIdentity("ci", _args())

    plan_resources(program)
    assert sorted(made["ci"].role_arns) == [
        "project_path:acme/ml/training:ref_type:branch:ref:main",
        "repo:acme/ml-platform:environment:production",
    ]


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, message", [
    ({"region": "eu-west-1"}, "CiIdentity: region 'eu-west-1' is outside the UAE; sahab pins AWS resources to me-central-1"),
    ({"github": [], "gitlab": []}, "CiIdentity: give at least one github or gitlab binding"),
    ({"github": [GithubBinding("acme/*", environment="production")]},
     "CiIdentity: github[0].repository 'acme/*' contains a wildcard; trust exactly one repository"),
    ({"github": [GithubBinding("acme/ml", environment="prod*")]},
     "CiIdentity: github[0].environment 'prod*' contains a wildcard; trust exactly one environment"),
    ({"github": [GithubBinding("acme/ml", branch="release/*")]},
     "CiIdentity: github[0].branch 'release/*' contains a wildcard; trust exactly one branch"),
    ({"gitlab": [GitlabBinding("acme/*", branch="main")]},
     "CiIdentity: gitlab[0].project_path 'acme/*' contains a wildcard; trust exactly one project_path"),
    ({"gitlab": [GitlabBinding("acme/ml", branch="*")]},
     "CiIdentity: gitlab[0].branch '*' contains a wildcard; trust exactly one branch"),
    ({"github": [GithubBinding("", environment="production")]}, "CiIdentity: github[0].repository must not be empty"),
    ({"gitlab": [GitlabBinding("acme/ml", branch="")]}, "CiIdentity: gitlab[0].branch must not be empty"),
    ({"github": [GithubBinding("acme", environment="production")]},
     "CiIdentity: github[0].repository 'acme' must look like 'org/repo'"),
    ({"github": [GithubBinding("acme/ml")]},
     "CiIdentity: github[0] needs exactly one of environment or branch (GitHub's sub claim names only one)"),
    ({"github": [GithubBinding("acme/ml", environment="production", branch="main")]},
     "CiIdentity: github[0] needs exactly one of environment or branch (GitHub's sub claim names only one)"),
    ({"github": [GithubBinding("acme/ml", environment="production"), GithubBinding("acme/ml", environment="production")]},
     "CiIdentity: bindings repeat the subject(s) repo:acme/ml:environment:production"),
    ({"gitlab_url": "http://gitlab.com"},
     "CiIdentity: gitlab_url 'http://gitlab.com' must be an https URL without a trailing slash, e.g. https://gitlab.com"),
    ({"github": [GithubBinding("acme/ml", environment="production", policy_arns=["arn:aws:iam::aws:policy/*"])]},
     "CiIdentity: github[0].policy_arns entry 'arn:aws:iam::aws:policy/*' must be an IAM policy ARN"),
])
def test_bad_input_registers_nothing(overrides, message):
    resources, error = attempt_plan(lambda: CiIdentity("ci", _args(**overrides)))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []


def test_empty_name_registers_nothing():
    resources, error = attempt_plan(lambda: CiIdentity("", _args()))
    assert str(error) == "CiIdentity: name must be a non-empty string"
    assert resources == []


def test_plain_aws_provider_is_refused():
    resources, error = attempt_plan(lambda: CiIdentity("ci", _args(provider=aws.Provider("plain", region=REGION))))
    assert isinstance(error, ComponentInputError)
    assert str(error) == ("CiIdentity: provider must be a sahab UaeProvider (its region is checked); got Provider. "
                          "Create it with sahab.components.aws.UaeProvider(name, region='me-central-1')")
    assert [r["name"] for r in resources] == ["plain"]
