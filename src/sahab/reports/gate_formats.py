"""Pick the renderer for a gate report format."""
from __future__ import annotations

from typing import Callable, Dict

from ..gate.findings import GateResult


def render(result: GateResult, fmt: str) -> str:
    from .findings_json import render_json
    from .junit import render_junit
    from .markdown import render_markdown
    from .sarif import render_sarif

    renderers: Dict[str, Callable[[GateResult], str]] = {
        "json": render_json, "sarif": render_sarif, "junit": render_junit, "markdown": render_markdown,
        "console": _console_text,
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
