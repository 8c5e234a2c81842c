"""The offline planner: run a Pulumi Python program under the SDK's mock engine, emit a plan.

Public API: :func:`plan_project` returns the plan document (a dict, see docs/plan-format.md).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Union

from .child import DEFAULT_TIMEOUT, check_timeout
from .document import SCHEMA_VERSION, build_document, dumps
from .interpreter import choose_interpreter
from .project import PulumiProject, load_project
from .runner import ProgressCallback, run_harness
from .sandbox import parse_pass_env
from .sources import source_root
from .stack_outputs import load_stack_outputs

__all__ = ["SCHEMA_VERSION", "PulumiProject", "dumps", "load_project", "load_stack_outputs", "plan_project"]


def plan_project(
    root: Union[str, "os.PathLike[str]"],
    stack: str,
    *,
    stack_outputs: Optional[Path] = None,
    python: Optional[str] = None,
    progress: Optional[ProgressCallback] = None,
    timeout: float = DEFAULT_TIMEOUT,
    chart_cache: Optional[Path] = None,
    pass_env: Sequence[str] = (),
) -> Dict[str, Any]:
    """Plan ``root`` for ``stack`` offline and return the plan document.

    ``chart_cache``: the folder of Helm chart archives to render releases from (default
    ``$SAHAB_CHART_CACHE``, else ``~/.cache/sahab/charts``; docs/charts.md). The program runs
    without credentials or network (:mod:`.sandbox`); ``pass_env``: variables it still gets,
    ``NAME`` (inherited; a credential's name is refused) or ``NAME=VALUE``. ``timeout``: seconds
    (1 to 86400) the program and every process it starts may run, a hard deadline (:mod:`.child`).
    """
    timeout = check_timeout(timeout)
    variables = parse_pass_env(pass_env)
    project = load_project(root, stack)
    interpreter = choose_interpreter(project, python)
    references = load_stack_outputs(stack_outputs) if stack_outputs else {}
    root = source_root(project.root)  # before the program runs, which could plant a `.git` marker
    capture = run_harness(project, interpreter, references, progress=progress, timeout=timeout, pass_env=variables)
    return build_document(project, capture, chart_cache=chart_cache, root=root)
