"""The ``sahab`` command line.

Every failure ends in one line on stderr naming what is wrong and how to fix it, and a
documented exit code (see :mod:`sahab.errors` and docs/cli.md); ``--debug`` adds the traceback.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click
from rich.console import Console

from . import __version__
from .errors import EXIT_INTERNAL, SahabError


class _Context:
    def __init__(self, debug: bool) -> None:
        self.debug = debug


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="sahab", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show tracebacks and the program's own output on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """sahab: plan a Pulumi program offline and prove it UAE-compliant before it deploys.

    \b
    Start with:
      sahab plan --stack prod              plan the project in this folder
      sahab plan path/to/project --stack dev --format json --out plan.json
    """
    ctx.obj = _Context(debug)


@cli.command()
@click.argument("project_dir", type=click.Path(path_type=Path), default=".")
@click.option("--stack", "-s", required=True, help="Stack name: reads Pulumi.<stack>.yaml.")
@click.option("--out", "-o", "out", type=click.Path(path_type=Path), help="Write the plan document (JSON) to this file.")
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="What to print on stdout.")
@click.option("--stack-outputs", type=click.Path(path_type=Path),
              help="JSON/YAML file of other stacks' outputs, for pulumi.StackReference.")
@click.option("--python", "python", help="Interpreter to run the program with (default: the one Pulumi.yaml names, else this one).")
@click.option("--timeout", type=float, default=900.0, show_default=True, help="Seconds the program may run.")
@click.pass_obj
def plan(obj: _Context, project_dir: Path, stack: str, out: Optional[Path], fmt: str,
         stack_outputs: Optional[Path], python: Optional[str], timeout: float) -> None:
    """Plan PROJECT_DIR (default: .) offline under the Pulumi mock engine.

    No Pulumi CLI, provider plugins, credentials or network are used.

    \b
    Exit codes:
      0  planned
      2  usage, configuration or program error (the message names the file and line)
      3  planner failure (a limitation of sahab, not of the program)
    """
    from .planner import dumps, plan_project
    from .reports.plan_table import render_plan

    stderr = Console(stderr=True)
    with stderr.status("planning %s (stack %s)..." % (project_dir, stack)) as status:
        def progress(count: int) -> None:
            status.update("planning %s (stack %s): %d resources registered" % (project_dir, stack, count))

        document = _guarded(obj, lambda: plan_project(project_dir, stack, stack_outputs=stack_outputs,
                                                      python=python, progress=progress, timeout=timeout))
    text = dumps(document)
    if out is not None:
        _guarded(obj, lambda: _write(out, text))
    if fmt == "json":
        sys.stdout.write(text)
    else:
        render_plan(document, Console())


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        from .errors import UsageError

        raise UsageError("cannot write %s: %s" % (path, exc.strerror), "choose a writable path for --out") from None


def _guarded(obj: _Context, action):  # type: ignore[no-untyped-def]
    """Run ``action``; turn errors into one line and an exit code (tracebacks only with --debug)."""
    try:
        return action()
    except SahabError as exc:
        if obj.debug and exc.details:
            click.echo(exc.details, err=True)
        click.echo("error: " + exc.one_line(), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last resort: never a raw traceback by default
        if obj.debug:
            import traceback

            traceback.print_exc()
        click.echo("error: internal error: %s: %s (rerun with --debug and report it)" % (type(exc).__name__, exc), err=True)
        sys.exit(EXIT_INTERNAL)


def main() -> None:
    cli(prog_name="sahab")


if __name__ == "__main__":
    main()
