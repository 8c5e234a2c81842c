"""Keyless CI access: GitHub Actions and GitLab CI assume IAM roles through OIDC.

Why: long-lived access keys in CI secrets leak and never expire. Here a CI job trades its
short-lived OIDC token for a one-hour role session, and each role trusts exactly one subject:
one repository's GitHub environment (or branch), or one GitLab project's branch. Trust
conditions use ``StringEquals`` on both ``aud`` and ``sub``; wildcards are refused, and no IAM
access key is ever created.

AWS checks only the ``aud`` and ``sub`` claims of these providers. GitHub's default ``sub``
names an environment *or* a branch, never both: bind an environment (and restrict its
deployment branches in GitHub) or a branch. GitLab's ``sub`` names the project and branch; a
GitLab ``environment`` only labels the role, so protect the branch.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pulumi
import pulumi_aws as aws

from ..ci_subjects import (
    GITHUB_ISSUER, HTTPS_URL, WILDCARDS, GithubSubject, GitlabSubject, require_github, require_gitlab,
    require_unique_subjects,
)
from ..validation import ComponentInputError, require_name
from .base import AwsComponent
from .catalogue import UAE_AWS_REGION
from .provider import UaeProvider, resolve_provider

COMPONENT = "CiIdentity"
TYPE_TOKEN = "sahab:aws:CiIdentity"
GITHUB_URL = GITHUB_ISSUER
GITHUB_AUDIENCE = "sts.amazonaws.com"
MAX_SESSION_SECONDS = 3600

_POLICY_ARN = re.compile(r"^arn:aws:iam::(aws|\d{12}):policy/[\w+=,.@/-]+$")


@dataclass(frozen=True)
class GithubBinding(GithubSubject):
    """A GitHub Actions subject (see :class:`~..ci_subjects.GithubSubject`) and what it may do."""

    policy_arns: Sequence[str] = ()


@dataclass(frozen=True)
class GitlabBinding(GitlabSubject):
    """A GitLab CI subject (see :class:`~..ci_subjects.GitlabSubject`) and what it may do."""

    policy_arns: Sequence[str] = ()


@dataclass
class CiIdentityArgs:
    """At least one binding. Pass an existing provider ARN where the account already has one
    (IAM allows one OIDC provider per URL per account)."""

    github: Sequence[GithubBinding] = ()
    gitlab: Sequence[GitlabBinding] = ()
    gitlab_url: str = "https://gitlab.com"
    gitlab_audience: Optional[str] = None
    github_oidc_provider_arn: Optional[pulumi.Input[str]] = None
    gitlab_oidc_provider_arn: Optional[pulumi.Input[str]] = None
    permissions_boundary_arn: Optional[pulumi.Input[str]] = None
    provider: Optional[UaeProvider] = None
    region: str = UAE_AWS_REGION


def _policy_arns(where: str, arns: Sequence[str]) -> None:
    for arn in arns:
        if isinstance(arn, str) and (any(w in arn for w in WILDCARDS) or not _POLICY_ARN.match(arn)):
            raise ComponentInputError("%s: %s.policy_arns entry %r must be an IAM policy ARN" % (COMPONENT, where, arn))


def _validate(name: str, args: CiIdentityArgs) -> None:
    resolve_provider(COMPONENT, args.provider, args.region)
    require_name(COMPONENT, name)
    if not args.github and not args.gitlab:
        raise ComponentInputError("%s: give at least one github or gitlab binding" % COMPONENT)
    for index, binding in enumerate(args.github):
        where = "github[%d]" % index
        if not isinstance(binding, GithubBinding):
            raise ComponentInputError("%s: %s must be a GithubBinding, got %s" % (COMPONENT, where, type(binding).__name__))
        require_github(COMPONENT, where, binding.repository, binding.environment, binding.branch)
        _policy_arns(where, binding.policy_arns)
    for index, binding in enumerate(args.gitlab):
        where = "gitlab[%d]" % index
        if not isinstance(binding, GitlabBinding):
            raise ComponentInputError("%s: %s must be a GitlabBinding, got %s" % (COMPONENT, where, type(binding).__name__))
        require_gitlab(COMPONENT, where, binding.project_path, binding.branch, binding.environment)
        _policy_arns(where, binding.policy_arns)
    require_unique_subjects(COMPONENT, [b.subject for b in args.github] + [b.subject for b in args.gitlab])
    if args.gitlab:
        if not isinstance(args.gitlab_url, str) or not HTTPS_URL.match(args.gitlab_url):
            raise ComponentInputError(
                "%s: gitlab_url %r must be an https URL without a trailing slash, e.g. https://gitlab.com" % (COMPONENT, args.gitlab_url)
            )
        audience = args.gitlab_audience
        if audience is not None and (not isinstance(audience, str) or not audience.strip() or any(w in audience for w in WILDCARDS)):
            raise ComponentInputError("%s: gitlab_audience %r must be a non-empty value without wildcards" % (COMPONENT, audience))


def trust_policy(provider_arn: str, issuer_host: str, audience: str, subject: str,
                 sid: str = "OneCiSubjectOnly") -> Dict[str, Any]:
    """One OIDC subject and audience, matched exactly (CI jobs here, IRSA service accounts in
    :mod:`.workload_role`)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"%s:aud" % issuer_host: audience, "%s:sub" % issuer_host: subject}},
        }],
    }


def _slug(text: str, limit: int) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-")[:limit].strip("-")


class CiIdentity(AwsComponent):
    """OIDC providers for GitHub Actions / GitLab CI and one tightly-trusted role per binding."""

    role_arns: Dict[str, pulumi.Output[str]]
    role_names: Dict[str, pulumi.Output[str]]
    github_oidc_provider_arn: Optional[pulumi.Output[str]]
    gitlab_oidc_provider_arn: Optional[pulumi.Output[str]]

    def __init__(self, name: str, args: CiIdentityArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, region=args.region, opts=opts)
        self._name, self._args = name, args
        self._account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(provider=self.provider, parent=self)).account_id
        self.role_arns, self.role_names = {}, {}
        self._logical: set = set()

        self.github_oidc_provider_arn = None
        if args.github:
            arn, depends = self._oidc_provider("github", GITHUB_URL, GITHUB_AUDIENCE, args.github_oidc_provider_arn)
            self.github_oidc_provider_arn = arn
            host = GITHUB_URL[len("https://"):]
            for binding in args.github:
                label = binding.environment if binding.environment is not None else "branch-" + str(binding.branch)
                self._role("github", "%s-%s" % (binding.repository, label), arn, depends, host, GITHUB_AUDIENCE, binding.subject,
                           binding.policy_arns, {"sahab:ci-environment": binding.environment} if binding.environment else {})

        self.gitlab_oidc_provider_arn = None
        if args.gitlab:
            audience = args.gitlab_audience or args.gitlab_url
            arn, depends = self._oidc_provider("gitlab", args.gitlab_url, audience, args.gitlab_oidc_provider_arn)
            self.gitlab_oidc_provider_arn = arn
            host = args.gitlab_url[len("https://"):]
            for binding in args.gitlab:
                self._role("gitlab", "%s-%s" % (binding.project_path, binding.branch), arn, depends, host, audience, binding.subject,
                           binding.policy_arns, {"sahab:ci-environment": binding.environment} if binding.environment else {})

        self.register_outputs({
            "role_arns": dict(self.role_arns),
            "github_oidc_provider_arn": self.github_oidc_provider_arn,
            "gitlab_oidc_provider_arn": self.gitlab_oidc_provider_arn,
        })

    def _oidc_provider(self, kind: str, url: str, audience: str,
                       existing: Optional[pulumi.Input[str]]) -> Tuple[pulumi.Output[str], List[pulumi.Resource]]:
        """The account's provider for ``url``; its ARN is derived, so trust policies are reviewable in the plan."""
        if existing is not None:
            return pulumi.Output.from_input(existing), []
        oidc = aws.iam.OpenIdConnectProvider(
            "%s-%s" % (self._name, kind), url=url, client_id_lists=[audience], tags={"sahab:ci": kind}, opts=self.child_opts(),
        )
        host = url[len("https://"):]
        arn = self._account_id.apply(lambda account: "arn:aws:iam::%s:oidc-provider/%s" % (account, host))
        return arn, [oidc]

    def _role(self, kind: str, label: str, provider_arn: pulumi.Output[str], depends: List[pulumi.Resource], host: str,
              audience: str, subject: str, policy_arns: Sequence[str], tags: Dict[str, str]) -> None:
        # Autonaming adds 8 characters; IAM role names stop at 64.
        prefix = "%s-%s-" % (self._name, kind)
        logical = prefix + _slug(label, 56 - len(prefix))
        if logical in self._logical:
            logical = "%s-%d" % (logical[:52], len(self._logical))
        self._logical.add(logical)
        args = self._args
        role = aws.iam.Role(
            logical,
            description="sahab %s: %s CI role for %s" % (self._name, kind, subject)[:1000],
            assume_role_policy=provider_arn.apply(lambda arn: json.dumps(trust_policy(arn, host, audience, subject))),
            max_session_duration=MAX_SESSION_SECONDS,
            permissions_boundary=args.permissions_boundary_arn,
            tags={"sahab:ci": kind, "sahab:ci-subject": subject[:256], **tags},
            opts=self.child_opts(depends_on=depends),
        )
        for index, policy_arn in enumerate(policy_arns):
            aws.iam.RolePolicyAttachment("%s-%d" % (logical, index), role=role.name, policy_arn=policy_arn, opts=self.child_opts())
        self.role_arns[subject] = role.arn
        self.role_names[subject] = role.name
