"""The OIDC subjects of CI jobs, checked exactly: shared by every cloud's CiIdentity.

GitHub's default ``sub`` names one repository and either an environment or a branch, never both;
GitLab's names one project and one branch. A cloud trusts exactly such a subject (no wildcard),
so a value that could match more than one repository, environment or branch is refused here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from .validation import ComponentInputError

__all__ = ["GITHUB_ISSUER", "GithubSubject", "GitlabSubject", "github_subject", "gitlab_subject", "require_exact", "require_github", "require_gitlab",
           "require_unique_subjects"]

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
_SEGMENT = r"[A-Za-z0-9_.-]+"
GITHUB_REPOSITORY = re.compile(r"^%s/%s$" % (_SEGMENT, _SEGMENT))
GITLAB_PROJECT = re.compile(r"^%s(/%s)+$" % (_SEGMENT, _SEGMENT))
REF = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_./-]*$")
ENVIRONMENT = re.compile(r"^[A-Za-z0-9_. -]+$")
HTTPS_URL = re.compile(r"^https://[a-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9_.-]+)*$")
WILDCARDS = ("*", "?")


def github_subject(repository: str, environment: Optional[str], branch: Optional[str]) -> str:
    if environment is not None:
        return "repo:%s:environment:%s" % (repository, environment)
    return "repo:%s:ref:refs/heads/%s" % (repository, branch)


def gitlab_subject(project_path: str, branch: str) -> str:
    return "project_path:%s:ref_type:branch:ref:%s" % (project_path, branch)


@dataclass(frozen=True)
class GithubSubject:
    """``repo:<repository>:environment:<environment>``, or ``…:ref:refs/heads/<branch>``."""

    repository: str
    environment: Optional[str] = None
    branch: Optional[str] = None

    @property
    def subject(self) -> str:
        return github_subject(self.repository, self.environment, self.branch)


@dataclass(frozen=True)
class GitlabSubject:
    """``project_path:<project_path>:ref_type:branch:ref:<branch>``."""

    project_path: str
    branch: str
    environment: Optional[str] = None

    @property
    def subject(self) -> str:
        return gitlab_subject(self.project_path, self.branch)


def require_exact(component: str, where: str, argument: str, value: Any, pattern: "re.Pattern[str]", shape: str) -> None:
    """A non-empty value of the given shape with no wildcard (it must name exactly one thing)."""
    if not isinstance(value, str) or not value.strip():
        raise ComponentInputError("%s: %s.%s must not be empty" % (component, where, argument))
    if any(w in value for w in WILDCARDS):
        raise ComponentInputError(
            "%s: %s.%s %r contains a wildcard; trust exactly one %s" % (component, where, argument, value, argument))
    if not pattern.match(value) or ".." in value:
        raise ComponentInputError("%s: %s.%s %r must look like %s" % (component, where, argument, value, shape))


def require_github(component: str, where: str, repository: Any, environment: Any, branch: Any) -> None:
    require_exact(component, where, "repository", repository, GITHUB_REPOSITORY, "'org/repo'")
    if (environment is None) == (branch is None):
        raise ComponentInputError(
            "%s: %s needs exactly one of environment or branch (GitHub's sub claim names only one)" % (component, where))
    if environment is not None:
        require_exact(component, where, "environment", environment, ENVIRONMENT, "a GitHub environment name such as 'production'")
    else:
        require_exact(component, where, "branch", branch, REF, "a branch name such as 'main'")


def require_gitlab(component: str, where: str, project_path: Any, branch: Any, environment: Any) -> None:
    require_exact(component, where, "project_path", project_path, GITLAB_PROJECT, "'group/project' or 'group/subgroup/project'")
    require_exact(component, where, "branch", branch, REF, "a branch name such as 'main'")
    if environment is not None:
        require_exact(component, where, "environment", environment, ENVIRONMENT, "a GitLab environment name such as 'production'")


def require_unique_subjects(component: str, subjects: Sequence[str]) -> None:
    repeated = sorted({s for s in subjects if subjects.count(s) > 1})
    if repeated:
        raise ComponentInputError("%s: bindings repeat the subject(s) %s" % (component, ", ".join(repeated)))
