"""Keyless CI access to Azure: GitHub Actions and GitLab CI log in as managed identities through OIDC.

Why: client secrets in CI leak and must be rotated by hand. Here each binding gets its own
user-assigned managed identity whose federated credential trusts exactly one CI subject (one
repository's environment or branch, or one GitLab project's branch) from exactly one issuer, with
the token-exchange audience. No app registration, client secret or certificate is created. The
identity's roles are typed grants (built-in roles on one resource each). The CI job logs in with
the identity's client ID, the tenant and the subscription (``azure/login`` with OIDC, or
``az login --federated-token`` on GitLab).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Sequence

import pulumi
import pulumi_azure_native as azure_native

from ..ci_subjects import (
    GITHUB_ISSUER, HTTPS_URL, WILDCARDS, GithubSubject, GitlabSubject, require_github, require_gitlab,
    require_unique_subjects,
)
from ..validation import ComponentInputError, require_name
from .arguments import DEFAULT_LOCATION
from .base import AzureComponent
from .provider import UaeAzureProvider, UaeResourceGroup, resolve_placement
from .workload_identity import TOKEN_EXCHANGE_AUDIENCE, RoleGrant, grant_roles, require_grants

COMPONENT = "CiIdentity"
TYPE_TOKEN = "sahab:azure:CiIdentity"


@dataclass(frozen=True)
class GithubBinding(GithubSubject):
    """A GitHub Actions subject (see :class:`~..ci_subjects.GithubSubject`) and what it may do."""

    grants: Sequence[RoleGrant] = ()


@dataclass(frozen=True)
class GitlabBinding(GitlabSubject):
    """A GitLab CI subject (see :class:`~..ci_subjects.GitlabSubject`) and what it may do; ``environment`` only labels the identity."""

    grants: Sequence[RoleGrant] = ()


@dataclass(kw_only=True)
class CiIdentityArgs:
    """At least one binding. GitLab jobs must request an ID token with ``aud`` = ``gitlab_audience``."""

    github: Sequence[GithubBinding] = ()
    gitlab: Sequence[GitlabBinding] = ()
    gitlab_url: str = "https://gitlab.com"
    gitlab_audience: str = TOKEN_EXCHANGE_AUDIENCE
    tags: Mapping[str, str] = field(default_factory=dict)
    location: str = DEFAULT_LOCATION
    provider: Optional[UaeAzureProvider] = None
    resource_group: Optional[UaeResourceGroup] = None


def _validate(name: str, args: CiIdentityArgs) -> None:
    resolve_placement(COMPONENT, args.provider, args.location, args.resource_group)
    require_name(COMPONENT, name)
    if not args.github and not args.gitlab:
        raise ComponentInputError("%s: give at least one github or gitlab binding" % COMPONENT)
    for index, binding in enumerate(args.github):
        where = "github[%d]" % index
        if not isinstance(binding, GithubBinding):
            raise ComponentInputError("%s: %s must be a GithubBinding, got %s" % (COMPONENT, where, type(binding).__name__))
        require_github(COMPONENT, where, binding.repository, binding.environment, binding.branch)
        require_grants(COMPONENT, where + ".", binding.grants, required=False)
    for index, binding in enumerate(args.gitlab):
        where = "gitlab[%d]" % index
        if not isinstance(binding, GitlabBinding):
            raise ComponentInputError("%s: %s must be a GitlabBinding, got %s" % (COMPONENT, where, type(binding).__name__))
        require_gitlab(COMPONENT, where, binding.project_path, binding.branch, binding.environment)
        require_grants(COMPONENT, where + ".", binding.grants, required=False)
    require_unique_subjects(COMPONENT, [b.subject for b in args.github] + [b.subject for b in args.gitlab])
    if args.gitlab:
        if not isinstance(args.gitlab_url, str) or not HTTPS_URL.match(args.gitlab_url):
            raise ComponentInputError(
                "%s: gitlab_url %r must be an https URL without a trailing slash, e.g. https://gitlab.com" % (COMPONENT, args.gitlab_url))
        audience = args.gitlab_audience
        if not isinstance(audience, str) or not audience.strip() or any(w in audience for w in WILDCARDS):
            raise ComponentInputError("%s: gitlab_audience %r must be a non-empty value without wildcards" % (COMPONENT, audience))


def _slug(text: str, limit: int) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-")[:limit].strip("-")


class CiIdentity(AzureComponent):
    """One federated managed identity per CI binding; outputs their client IDs by subject."""

    client_ids: Dict[str, pulumi.Output[str]]
    principal_ids: Dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: CiIdentityArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, location=args.location,
                         resource_group=args.resource_group, opts=opts)
        self._name, self._tags = name, dict(args.tags)
        self.client_ids, self.principal_ids = {}, {}
        self._logical: set = set()
        for binding in args.github:
            label = binding.environment if binding.environment is not None else "branch-" + str(binding.branch)
            self._identity("github", "%s-%s" % (binding.repository, label), GITHUB_ISSUER, TOKEN_EXCHANGE_AUDIENCE,
                           binding.subject, binding.grants, binding.environment)
        for binding in args.gitlab:
            self._identity("gitlab", "%s-%s" % (binding.project_path, binding.branch), args.gitlab_url, args.gitlab_audience,
                           binding.subject, binding.grants, binding.environment)
        self.register_outputs({"client_ids": dict(self.client_ids), "principal_ids": dict(self.principal_ids)})

    def _identity(self, kind: str, label: str, issuer: str, audience: str, subject: str,
                  grants: Sequence[RoleGrant], environment: Optional[str]) -> None:
        # Managed identity names stop at 128 characters; autonaming adds 8.
        prefix = "%s-%s-" % (self._name, kind)
        logical = prefix + _slug(label, 100 - len(prefix))
        if logical in self._logical:
            logical = "%s-%d" % (logical[:96], len(self._logical))
        self._logical.add(logical)
        tags = {**self._tags, "sahab:ci": kind, "sahab:ci-subject": subject[:256]}
        if environment:
            tags["sahab:ci-environment"] = environment
        identity = azure_native.managedidentity.UserAssignedIdentity(
            logical, resource_group_name=self.resource_group_name, location=self.location, tags=tags,
            opts=self.child_opts())
        azure_native.managedidentity.FederatedIdentityCredential(
            logical,
            resource_group_name=self.resource_group_name,
            resource_name_=identity.name,
            issuer=issuer,
            subject=subject,
            audiences=[audience],
            opts=self.child_opts(),
        )
        grant_roles(self, logical, identity.principal_id, grants)
        self.client_ids[subject] = identity.client_id
        self.principal_ids[subject] = identity.principal_id
