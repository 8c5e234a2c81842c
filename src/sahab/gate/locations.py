"""Point every finding at a file and, where known, a line: what reviewers and code scanning open.

A finding about a plan resource points at the program line that registered it (the resource's
``source`` in the plan, docs/plan-format.md); a finding checkov made on a project file keeps that
file and its line. Only where neither exists (a plan without sources, such as one the CrossGuard
adapter builds from the engine) does it point at the stack's config file, ``Pulumi.<stack>.yaml``,
where the stack is defined. Paths are POSIX and relative to the source root (the repository root
when the project is in a git repository), which is what GitHub resolves a SARIF result against.
"""
from __future__ import annotations

import posixpath
from dataclasses import replace
from typing import Any, Dict, Iterable, List, Mapping, Optional

from .findings import Finding


def stack_config_file(stack: str, project_dir: str = ".") -> str:
    """The stack's config file, relative to the source root: the fallback location."""
    return in_project(project_dir, "Pulumi.%s.yaml" % stack)


def in_project(project_dir: str, path: str) -> str:
    """A project-relative POSIX ``path`` relative to the source root instead."""
    return posixpath.normpath(posixpath.join(project_dir, path))


def locate(findings: Iterable[Finding], plan: Mapping[str, Any]) -> List[Finding]:
    """The findings with ``file`` (and ``line`` where known) relative to the source root.

    Engines name a scanned project file relative to the project folder (checkov's pipelines and
    Dockerfiles): it is re-based here, keeping its line.
    """
    sources: Dict[str, Optional[Mapping[str, Any]]] = {
        resource["urn"]: resource.get("source") for resource in plan.get("resources", [])}
    project_dir = str(plan.get("projectDir") or ".")
    fallback = stack_config_file(str(plan.get("stack", "")), project_dir)
    located: List[Finding] = []
    for finding in findings:
        if finding.file is not None:
            located.append(replace(finding, file=in_project(project_dir, finding.file)))
            continue
        source = sources.get(finding.urn)
        located.append(replace(finding, file=source["file"], line=int(source["line"])) if source
                       else replace(finding, file=fallback))
    return located


def message_prefix(finding: Finding) -> str:
    """``file:line: `` to put before a finding's message in text reports (empty without a file)."""
    return "%s: " % finding.location if finding.location else ""
