"""Pick the renderer for a gate report format."""
from __future__ import annotations

import functools
from typing import Callable, Dict, Optional

from ..gate.findings import GateResult

# Every report format of `sahab gate --format` (docs/gate.md).
FORMATS = ("console", "json", "sarif", "junit", "markdown", "github", "gitlab")


def render(result: GateResult, fmt: str, *, link_base: Optional[str] = None) -> str:
    """``link_base``: where the Markdown report links each finding's file (see :mod:`.markdown`)."""
    from .findings_json import render_json
    from .github import render_github
    from .gitlab import render_gitlab
    from .junit import render_junit
    from .markdown import render_markdown
    from .sarif import render_sarif

    renderers: Dict[str, Callable[[GateResult], str]] = {
        "json": render_json, "sarif": render_sarif, "junit": render_junit, "markdown": functools.partial(render_markdown, link_base=link_base),
        "console": _console_text, "github": render_github, "gitlab": render_gitlab,
    }
    return renderers[fmt](result)


def _console_text(result: GateResult) -> str:
    """The console report as plain text (for --out with the console format)."""
    import io

    from rich.console import Console

    from .gate_console import render_console

    buffer = io.StringIO()
    render_console(result, Console(file=buffer, width=160, no_color=True, highlight=False))
    return buffer.getvalue()
