"""The offline planner: run a Pulumi Python program under the SDK's mock engine, emit a plan.

Public API: :func:`plan_project` returns the plan document (a dict, see docs/plan-format.md).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Optional, Union

from ..errors import UsageError
from .document import SCHEMA_VERSION, build_document, dumps
from .interpreter import choose_interpreter
from .project import PulumiProject, load_project
from .runner import ProgressCallback, run_harness

__all__ = ["SCHEMA_VERSION", "PulumiProject", "dumps", "load_project", "load_stack_outputs", "plan_project"]


def plan_project(
    root: Union[str, "os.PathLike[str]"],
    stack: str,
    *,
    stack_outputs: Optional[Path] = None,
    python: Optional[str] = None,
    progress: Optional[ProgressCallback] = None,
    timeout: float = 900.0,
    chart_cache: Optional[Path] = None,
) -> Dict[str, Any]:
    """Plan ``root`` for ``stack`` offline and return the plan document.

    ``chart_cache``: the folder of Helm chart archives to render releases from (default
    ``$SAHAB_CHART_CACHE``, else ``~/.cache/sahab/charts``; docs/charts.md).
    """
    project = load_project(root, stack)
    interpreter = choose_interpreter(project, python)
    references = load_stack_outputs(stack_outputs) if stack_outputs else {}
    capture = run_harness(project, interpreter, references, progress=progress, timeout=timeout)
    return build_document(project, capture, chart_cache=chart_cache)


def load_stack_outputs(path: Path) -> Dict[str, Any]:
    """Read the outputs other stacks would give ``pulumi.StackReference``.

    The file maps a fully qualified stack name to its outputs, either directly or as
    ``{"outputs": {...}, "secretOutputNames": [...]}`` (JSON or YAML).
    """
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError("cannot read stack outputs file %s: %s" % (path, exc.strerror), "pass an existing JSON or YAML file") from None
    try:
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise UsageError("stack outputs file %s is not valid %s: %s" % (path, "JSON" if path.suffix == ".json" else "YAML", str(exc).splitlines()[0]), "fix its syntax") from None
    if not isinstance(document, dict):
        raise UsageError("stack outputs file %s must map stack names to outputs" % path, 'e.g. {"org/network/prod": {"vpcId": "vpc-1"}}')
    references: Dict[str, Any] = {}
    for name, entry in document.items():
        if isinstance(entry, dict) and "outputs" in entry and isinstance(entry["outputs"], dict):
            references[str(name)] = {"outputs": entry["outputs"], "secretOutputNames": list(entry.get("secretOutputNames", []))}
        elif isinstance(entry, dict):
            references[str(name)] = {"outputs": entry, "secretOutputNames": []}
        else:
            raise UsageError("stack outputs for %r in %s must be a mapping" % (name, path), 'e.g. {"vpcId": "vpc-1"}')
    return references
