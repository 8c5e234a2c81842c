"""The two forges :class:`~.ci_runners.CiRunners` can serve, and what each needs to authenticate.

A forge's credential is never a value in the program: it is a :class:`~.secrets.RemoteRef` into
the cloud's secret store, copied into the runner namespace by the External Secrets Operator.

* **GitHub** (actions-runner-controller scale sets): a GitHub App (:class:`GithubApp`: app and
  installation IDs, which are not secret, and the App's private key by reference) is the
  credential; a personal access token is accepted only through ``allow_personal_access_token``
  (it is tied to a person, broader and long-lived), and the namespace then says so.
* **GitLab** (the ``gitlab-runner`` chart): a runner authentication token (``glrt-``) created in
  GitLab, by reference. The registration token (``runnerRegistrationToken``) was deprecated in
  GitLab 15.6 and is planned for removal in 20.0: it is refused, as is a token written inline.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Tuple, Union

from ..validation import ComponentInputError
from .images import Image, require_chart_image, require_image
from .secrets import RemoteRef
from .workload import Resources

_GITHUB_CONFIG_URL = re.compile(
    r"^https://[a-z0-9.-]+(:\d+)?/(enterprises/[A-Za-z0-9_.-]+|[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?)$")
_URL = re.compile(r"^https://[a-z0-9.-]+(:\d+)?(/[A-Za-z0-9_.-]+)*$")
_GITHUB_APP_ID = re.compile(r"^(\d+|Iv[0-9A-Za-z.]+)$")  # an App ID, or the App's client ID
_DIGITS = re.compile(r"^\d+$")
# GitLab's runner authentication tokens start with glrt-; registration tokens with GR1348941
# (docs.gitlab.com, "token prefixes"). A value that looks like either is a credential in the program.
GITLAB_RUNNER_TOKEN_PREFIX = "glrt-"
GITLAB_REGISTRATION_TOKEN_PREFIX = "GR1348941"
_CREDENTIAL_SHAPES = ("-----BEGIN", "ghp_", "github_pat_", "ghs_", GITLAB_RUNNER_TOKEN_PREFIX, GITLAB_REGISTRATION_TOKEN_PREFIX)


@dataclass(frozen=True)
class RbacRule:
    """One rule of a namespaced Role: exact API groups, resources and verbs (no ``*``)."""

    api_groups: Sequence[str]
    resources: Sequence[str]
    verbs: Sequence[str]

    def values(self) -> dict:
        return {"apiGroups": list(self.api_groups), "resources": list(self.resources), "verbs": list(self.verbs)}


# What the GitLab Runner Kubernetes executor calls, per GitLab's "Configure runner API permissions"
# list (docs.gitlab.com/runner/executors/kubernetes): job pods, attaching and exec'ing into them,
# their logs and events, the Secrets that carry job variables and registry credentials, and
# reading the job pods' ServiceAccount. Never empty: the chart turns an empty ``rbac.rules`` into
# every verb on every core resource.
GITLAB_RUNNER_RULES: Tuple[RbacRule, ...] = (
    RbacRule([""], ["pods"], ["create", "delete", "get", "list", "watch"]),
    RbacRule([""], ["pods/attach", "pods/exec"], ["create", "delete", "get", "patch"]),
    RbacRule([""], ["pods/log"], ["get", "list", "watch"]),
    RbacRule([""], ["events"], ["list", "watch"]),
    RbacRule([""], ["secrets"], ["create", "delete", "get", "update"]),
    RbacRule([""], ["serviceaccounts"], ["get"]),
)


@dataclass(frozen=True)
class GithubApp:
    """A GitHub App installed on the organisation or repository the runners serve."""

    app_id: str
    installation_id: str
    private_key: RemoteRef


@dataclass(frozen=True)
class GithubRunners:
    """An ARC runner scale set. ``config_url`` is the organisation, repository or enterprise
    (``https://github.com/<org>[/<repo>]``); ``scale_set_name`` is the ``runs-on:`` label.
    ``controller_image`` is ``ghcr.io/actions/gha-runner-scale-set-controller`` (the listener runs
    the same image) and ``runner_image`` ``ghcr.io/actions/actions-runner``, both mirrored in-region."""

    config_url: str
    controller_image: Image
    runner_image: Image
    app: Optional[GithubApp] = None
    token: Optional[RemoteRef] = None
    allow_personal_access_token: bool = False
    scale_set_name: str = "sahab-runners"
    runner_group: Optional[str] = None


@dataclass(frozen=True)
class GitlabRunners:
    """A gitlab-runner (Kubernetes executor). ``runner_token`` is the ``glrt-`` authentication token
    of a runner created in GitLab, by reference. ``manager_image`` is GitLab's ``gitlab-runner``
    image, ``helper_image`` its ``gitlab-runner-helper`` and ``job_image`` the default image of a
    job; job images are limited to ``job_image``'s registry. ``rbac_rules`` are the manager's.
    ``tags`` must stay empty: a runner created in GitLab takes its tags from GitLab, and the runner
    cannot set them with its ``glrt-`` token (GitLab Runner refuses ``--tag-list`` with one, and the
    chart drops it); set them when creating the runner in GitLab."""

    url: str
    runner_token: RemoteRef
    manager_image: Image
    helper_image: Image
    job_image: Image
    tags: Sequence[str] = ()
    rbac_rules: Sequence[RbacRule] = field(default_factory=lambda: GITLAB_RUNNER_RULES)


Forge = Union[GithubRunners, GitlabRunners]


@dataclass(frozen=True)
class DockerInDocker:
    """The named exception for ``container_mode="dind"``: jobs get a privileged Docker daemon.

    ``image`` is ``docker:dind`` mirrored in-region; ``reason`` is written on the namespace and
    reported by the gate (SAHAB-WKL-004) in every run."""

    image: Image
    reason: str
    resources: Resources = field(default_factory=lambda: Resources("500m", "1Gi", "2", "4Gi"))


def _inline_credential(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith(_CREDENTIAL_SHAPES)


def require_remote_ref(component: str, argument: str, ref: Any) -> RemoteRef:
    """A reference into the secret store, never the credential itself."""
    if isinstance(ref, str) and ref.strip().startswith(GITLAB_REGISTRATION_TOKEN_PREFIX):
        raise ComponentInputError(
            "%s: %s is a GitLab registration token (deprecated since GitLab 15.6); create a runner in GitLab and "
            "pass its glrt- authentication token as a RemoteRef into the secret store" % (component, argument))
    if _inline_credential(ref):
        raise ComponentInputError(
            "%s: %s is a credential written into the program; store it in the cloud's secret store and pass "
            "RemoteRef(<secret ARN or name>)" % (component, argument))
    if not isinstance(ref, RemoteRef):
        raise ComponentInputError(
            "%s: %s must be a RemoteRef into the cloud's secret store, got %s" % (component, argument, type(ref).__name__))
    if _inline_credential(ref.key) or _inline_credential(ref.property):
        raise ComponentInputError(
            "%s: %s holds a credential instead of naming where it is stored; pass the secret's ARN or name"
            % (component, argument))
    return ref


def _validate_github(component: str, forge: GithubRunners) -> None:
    if not isinstance(forge.config_url, str) or not _GITHUB_CONFIG_URL.match(forge.config_url):
        raise ComponentInputError(
            "%s: forge.config_url %r must be https://<host>/<org>, https://<host>/<org>/<repo> or "
            "https://<host>/enterprises/<enterprise>" % (component, forge.config_url))
    require_chart_image(component, "forge.controller_image", forge.controller_image)
    require_image(component, "forge.runner_image", forge.runner_image)
    if (forge.app is None) == (forge.token is None):
        raise ComponentInputError(
            "%s: forge needs exactly one credential: app=GithubApp(...) (preferred) or token=RemoteRef(...)" % component)
    if forge.app is not None:
        app = forge.app
        if not isinstance(app, GithubApp):
            raise ComponentInputError("%s: forge.app must be a GithubApp, got %s" % (component, type(app).__name__))
        if not isinstance(app.app_id, str) or not _GITHUB_APP_ID.match(app.app_id):
            raise ComponentInputError(
                "%s: forge.app.app_id %r must be the App's ID or client ID, as a string" % (component, app.app_id))
        if not isinstance(app.installation_id, str) or not _DIGITS.match(app.installation_id):
            raise ComponentInputError(
                "%s: forge.app.installation_id %r must be the installation's numeric ID, as a string"
                % (component, app.installation_id))
        require_remote_ref(component, "forge.app.private_key", app.private_key)
    else:
        require_remote_ref(component, "forge.token", forge.token)
        if forge.allow_personal_access_token is not True:
            raise ComponentInputError(
                "%s: forge.token is a personal access token, tied to a person and broader than the runners need; "
                "use a GitHub App, or set allow_personal_access_token=True to accept it (the namespace then says so)"
                % component)
    if not isinstance(forge.scale_set_name, str) or not re.match(r"^[a-z0-9]([-a-z0-9]{0,43}[a-z0-9])?$",
                                                                 forge.scale_set_name):
        raise ComponentInputError(
            "%s: forge.scale_set_name %r must be 1-45 lowercase letters, digits or dashes (ARC's limit)"
            % (component, forge.scale_set_name))
    if forge.runner_group is not None and (not isinstance(forge.runner_group, str) or not forge.runner_group.strip()):
        raise ComponentInputError("%s: forge.runner_group must name a runner group" % component)


def _validate_rules(component: str, rules: Sequence[RbacRule]) -> None:
    if not rules:
        raise ComponentInputError(
            "%s: forge.rbac_rules must not be empty: the gitlab-runner chart turns empty rules into every verb on "
            "every core resource; list the rules the executor needs (GITLAB_RUNNER_RULES)" % component)
    for index, rule in enumerate(rules):
        where = "forge.rbac_rules[%d]" % index
        if not isinstance(rule, RbacRule):
            raise ComponentInputError("%s: %s must be an RbacRule, got %s" % (component, where, type(rule).__name__))
        for part in ("api_groups", "resources", "verbs"):
            values = list(getattr(rule, part))
            if (part != "api_groups" and not values) or any(not isinstance(v, str) or "*" in v for v in values):
                raise ComponentInputError(
                    "%s: %s.%s %r must list exact names (no '*', not empty)" % (component, where, part, values))


def _validate_gitlab(component: str, forge: GitlabRunners) -> None:
    if not isinstance(forge.url, str) or not _URL.match(forge.url):
        raise ComponentInputError(
            "%s: forge.url %r must be the GitLab instance's https URL, e.g. https://gitlab.com" % (component, forge.url))
    ref = require_remote_ref(component, "forge.runner_token", forge.runner_token)
    if "registration" in "%s %s" % (ref.key if isinstance(ref.key, str) else "", ref.property or ""):
        raise ComponentInputError(
            "%s: forge.runner_token names a registration token (%s); registration tokens are deprecated since GitLab "
            "15.6: store the runner's glrt- authentication token and reference it" % (component, ref.property or ref.key))
    require_chart_image(component, "forge.manager_image", forge.manager_image)
    require_chart_image(component, "forge.helper_image", forge.helper_image)
    require_image(component, "forge.job_image", forge.job_image)
    if forge.tags:
        raise ComponentInputError(
            "%s: forge.tags %r cannot be set by the runner: a runner created in GitLab takes its tags from GitLab, "
            "and its glrt- token cannot change them; set the tags where the runner is created (GitLab's runner "
            "settings or API) and leave forge.tags empty" % (component, list(forge.tags)))
    _validate_rules(component, forge.rbac_rules)


def validate_forge(component: str, forge: Any) -> Forge:
    if isinstance(forge, GithubRunners):
        _validate_github(component, forge)
    elif isinstance(forge, GitlabRunners):
        _validate_gitlab(component, forge)
    else:
        raise ComponentInputError(
            "%s: forge must be GithubRunners(...) or GitlabRunners(...), got %s" % (component, type(forge).__name__))
    return forge


def credential_kind(forge: Forge) -> str:
    """What authenticates the runners to the forge, as written on the namespace."""
    if isinstance(forge, GitlabRunners):
        return "gitlab-runner-authentication-token"
    return "github-app" if forge.app is not None else "github-personal-access-token"
