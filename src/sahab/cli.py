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


_CHART_CACHE = click.option(
    "--chart-cache", type=click.Path(path_type=Path, file_okay=False),
    help="Folder of Helm chart archives to render releases from (default: sahab.yaml charts.cache, "
         "else $SAHAB_CHART_CACHE, else ~/.cache/sahab/charts; docs/charts.md).")


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
@_CHART_CACHE
@click.pass_obj
def plan(obj: _Context, project_dir: Path, stack: str, out: Optional[Path], fmt: str,
         stack_outputs: Optional[Path], python: Optional[str], timeout: float, chart_cache: Optional[Path]) -> None:
    """Plan PROJECT_DIR (default: .) offline under the Pulumi mock engine.

    No Pulumi CLI, provider plugins, credentials or network are used.

    \b
    Exit codes:
      0  planned
      2  usage, configuration or program error (the message names the file and line)
      3  planner failure (a limitation of sahab, not of the program)
    """
    from .gate.config import load_gate_config
    from .planner import dumps, plan_project
    from .reports.plan_table import render_plan

    charts = chart_cache or _guarded(obj, lambda: load_gate_config(project_dir).chart_cache)
    stderr = Console(stderr=True)
    with stderr.status("planning %s (stack %s)..." % (project_dir, stack)) as status:
        def progress(count: int) -> None:
            status.update("planning %s (stack %s): %d resources registered" % (project_dir, stack, count))

        document = _guarded(obj, lambda: plan_project(project_dir, stack, stack_outputs=stack_outputs,
                                                      python=python, progress=progress, timeout=timeout,
                                                      chart_cache=charts))
    text = dumps(document)
    if out is not None:
        _guarded(obj, lambda: _write(out, text))
    if fmt == "json":
        sys.stdout.write(text)
    else:
        render_plan(document, Console())


@cli.command()
@click.argument("project_dir", type=click.Path(path_type=Path), default=".")
@click.option("--stack", "-s", required=True, help="Stack name: reads Pulumi.<stack>.yaml.")
@click.option("--format", "-f", "fmt", type=click.Choice(["console", "json", "sarif", "junit", "markdown"]),
              default="console", show_default=True, help="Report format on stdout (or in --out).")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Write the report to this file instead of stdout.")
@click.option("--plan-out", type=click.Path(path_type=Path), help="Also write the plan document here.")
@click.option("--evidence", "evidence_dir", type=click.Path(path_type=Path),
              help="Write the auditors' evidence report (JSON and Markdown) into this folder.")
@click.option("--engine", type=click.Choice(["embedded", "opa"]), help="Rego backend (default: sahab.yaml, else embedded).")
@click.option("--opa-url", help="OPA server URL for --engine opa (e.g. http://127.0.0.1:8181).")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Gate configuration (default: PROJECT_DIR/sahab.yaml).")
@click.option("--waivers", type=click.Path(path_type=Path), help="Waivers file (overrides sahab.yaml).")
@click.option("--no-checkov", is_flag=True, help="Skip checkov (Rego rules only).")
@click.option("--stack-outputs", type=click.Path(path_type=Path), help="Other stacks' outputs, for pulumi.StackReference.")
@click.option("--python", "python", help="Interpreter to run the program with.")
@_CHART_CACHE
@click.pass_obj
def gate(obj: _Context, project_dir: Path, stack: str, fmt: str, out: Optional[Path], plan_out: Optional[Path],
         evidence_dir: Optional[Path], engine: Optional[str], opa_url: Optional[str], config_path: Optional[Path],
         waivers: Optional[Path], no_checkov: bool, stack_outputs: Optional[Path], python: Optional[str],
         chart_cache: Optional[Path]) -> None:
    """Plan PROJECT_DIR offline and refuse it when it breaks residency, encryption or zero-trust rules.

    \b
    Exit codes:
      0  no mandatory violation
      1  mandatory violations (the report lists them)
      2  usage, configuration, waiver or program error
      3  engine failure (parse error, unsupported builtin, timeout): never a pass
    """
    from .api import run_gate
    from .gate.config import load_gate_config
    from .planner import dumps
    from .reports import gate_formats

    def run():  # type: ignore[no-untyped-def]
        config = load_gate_config(project_dir, config_path)
        opa = dict(config.opa, url=opa_url) if opa_url else None
        config = config.with_overrides(engine=engine, opa=opa, waivers=waivers,
                                       checkov_enabled=False if no_checkov else None, chart_cache=chart_cache)
        with Console(stderr=True).status("planning...") as status:
            gate_run = run_gate(project_dir, stack, config, stack_outputs=stack_outputs, python=python,
                                phase=lambda message: status.update(message + "..."))
        if plan_out is not None:
            _write(plan_out, dumps(gate_run.plan))
        if evidence_dir is not None:
            from .reports.evidence import render_evidence_json, render_evidence_markdown

            _write(evidence_dir / ("evidence-%s.json" % stack), render_evidence_json(gate_run.result, gate_run.bundle.rules))
            _write(evidence_dir / ("evidence-%s.md" % stack), render_evidence_markdown(gate_run.result, gate_run.bundle.rules))
        return gate_run.result

    result = _guarded(obj, run)
    if fmt == "console" and out is None:
        from .reports.gate_console import render_console

        render_console(result, Console())
    else:
        text = gate_formats.render(result, fmt)
        if out is not None:
            _guarded(obj, lambda: _write(out, text))
        else:
            sys.stdout.write(text)
    sys.exit(result.exit_code)


@cli.group()
def policy() -> None:
    """Work with sahab's rule set: list the rules, run their tests."""


@policy.command("test")
@click.option("--engine", type=click.Choice(["embedded", "opa"]), default="embedded", show_default=True)
@click.option("--opa-url", help="OPA server URL for --engine opa.")
@click.option("--policies", "policies_dir", type=click.Path(path_type=Path, file_okay=False), help="Policy folder (default: sahab's own).")
@click.option("--verbose", "-v", is_flag=True, help="List passing tests too.")
@click.pass_obj
def policy_test(obj: _Context, engine: str, opa_url: Optional[str], policies_dir: Optional[Path], verbose: bool) -> None:
    """Run every `test_` rule beside the rules (like `opa test`). Exit 1 if any fails, 3 on engine errors."""
    from .gate.engines import create_engine
    from .gate.policy_tests import run_policy_tests
    from .gate.rules import load_bundle

    def run():  # type: ignore[no-untyped-def]
        backend = create_engine(engine, {"url": opa_url} if opa_url else {})
        try:
            return run_policy_tests(load_bundle(policies_dir), backend)
        finally:
            backend.close()

    results = _guarded(obj, run)
    failed = [r for r in results if not r.passed]
    for result in results:
        if verbose or not result.passed:
            click.echo("%-5s %s: %s%s" % (result.status, result.file, result.name, (" (%s)" % result.error) if result.error else ""))
    click.echo("%d passed, %d failed" % (len(results) - len(failed), len(failed)))
    if any(r.error for r in failed):
        sys.exit(3)
    sys.exit(1 if failed or not results else 0)


@policy.command("list")
@click.pass_obj
def policy_list(obj: _Context) -> None:
    """List the rules: id, severity, default enforcement, title."""
    from .gate.rules import load_bundle

    bundle = _guarded(obj, load_bundle)
    for rule in bundle.rules:
        click.echo("%-14s %-9s %-10s %s" % (rule.rule_id, rule.severity, rule.enforcement, rule.title))


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
