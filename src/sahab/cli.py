"""The ``sahab`` command line.

Every failure ends in one line on stderr naming what is wrong and how to fix it, and a
documented exit code (see :mod:`sahab.errors` and docs/cli.md); ``--debug`` adds the traceback.
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Optional, Tuple

import click
from rich.console import Console

from . import __version__
from .errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_TERMINATED, SahabError, Terminated
from .gate.findings import SEVERITIES
from .reports.gate_formats import FORMATS


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


_PASS_ENV = click.option(
    "--pass-env", "pass_env", multiple=True, metavar="NAME[=VALUE]",
    help="Give the program this environment variable (repeatable): it otherwise gets no credential and only what "
         "Python needs. NAME inherits the value (refused for credential names); NAME=VALUE sets it (docs/planner.md).")

_TIMEOUT = click.option(
    "--timeout", metavar="SECONDS",
    help="Hard deadline on the planning: the program and every process it starts are killed after this many "
         "seconds, 1 to 86400 (default 900; exit 3; docs/cli.md#deadlines-and-interruptions).")

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
@_TIMEOUT
@_CHART_CACHE
@_PASS_ENV
@click.pass_obj
def plan(obj: _Context, project_dir: Path, stack: str, out: Optional[Path], fmt: str,
         stack_outputs: Optional[Path], python: Optional[str], timeout: Optional[str], chart_cache: Optional[Path],
         pass_env: Tuple[str, ...]) -> None:
    """Plan PROJECT_DIR (default: .) offline, against sahab's own Pulumi resource monitor.

    No Pulumi CLI or provider plugins are used; the program gets no credential from the
    environment and, where the OS allows it, no network.

    \b
    Exit codes:
      0  planned
      2  usage, configuration or program error (the message names the file and line)
      3  planner failure (a limitation of sahab, not of the program)
    """
    from .gate.config import load_gate_config
    from .planner import dumps, plan_project
    from .reports.plan_table import render_plan

    seconds = _guarded(obj, lambda: _deadline(timeout))
    charts = chart_cache or _guarded(obj, lambda: load_gate_config(project_dir).chart_cache)
    stderr = Console(stderr=True)
    with stderr.status("planning %s (stack %s)..." % (project_dir, stack)) as status:
        def progress(count: int) -> None:
            status.update("planning %s (stack %s): %d resources registered" % (project_dir, stack, count))

        document = _guarded(obj, lambda: plan_project(project_dir, stack, stack_outputs=stack_outputs,
                                                      python=python, progress=progress, timeout=seconds,
                                                      chart_cache=charts, pass_env=pass_env))
    text = dumps(document)
    if out is not None:
        _guarded(obj, lambda: _write(out, text))
    if fmt == "json":
        sys.stdout.write(text)
    else:
        render_plan(document, Console())


@cli.command()
@click.argument("project_dir", type=click.Path(path_type=Path), required=False)
@click.option("--stack", "-s", help="Stack name: reads Pulumi.<stack>.yaml (with --plan/--pulumi-preview: the plan's, checked).")
@click.option("--plan", "plan_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Gate this plan document (sahab plan --out) instead of planning: no program is run.")
@click.option("--pulumi-preview", "preview_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Gate the JSON of a real `pulumi preview --json --show-sames` instead of planning.")
@click.option("--policy-dir", "policy_dirs", type=click.Path(path_type=Path, file_okay=False), multiple=True,
              help="A team's own Rego rules, evaluated beside sahab's (repeatable; adds to gate.policies).")
@click.option("--checkov-checks-dir", "checkov_checks_dirs", type=click.Path(path_type=Path, file_okay=False), multiple=True,
              help="A team's own checkov checks, run beside sahab's (repeatable; adds to gate.checkov.checks_dirs).")
@click.option("--format", "-f", "formats", type=click.Choice(FORMATS), multiple=True,
              help="Report format (default: console); repeat for several reports of the same run.")
@click.option("--out", "-o", "outs", type=click.Path(path_type=Path), multiple=True,
              help="File for the report of the --format in the same position (- for stdout); one per --format "
                   "when there are several.")
@click.option("--rule", "rules", multiple=True, help="Evaluate only rules whose id matches this glob (repeatable).")
@click.option("--skip-rule", "skip_rules", multiple=True, help="Do not evaluate rules whose id matches this glob (repeatable).")
@click.option("--severity-threshold", type=click.Choice(SEVERITIES),
              help="Block only on findings of this severity or above; the rest are reported.")
@click.option("--soft-fail/--no-soft-fail", default=None,
              help="Report blocking findings but exit 0 (adoption; gate.soft_fail).")
@click.option("--baseline", type=click.Path(path_type=Path), help="Findings recorded in this baseline do not block.")
@click.option("--create-baseline", type=click.Path(path_type=Path),
              help="Record today's findings in this file (by rule and URN) and exit 0.")
@click.option("--link-base", help="Markdown report: link each finding's file:line under this URL, e.g. "
              "https://github.com/ORG/REPO/blob/SHA (default in GitHub Actions: the run's commit).")
@click.option("--plan-out", type=click.Path(path_type=Path), help="Also write the plan document here.")
@click.option("--evidence", "evidence_dir", type=click.Path(path_type=Path),
              help="Write the auditors' evidence report (JSON and Markdown) into this folder.")
@click.option("--verify-results", "verify_results", type=click.Path(path_type=Path, dir_okay=False),
              help="With --evidence: `sahab verify`'s result file; each control shows its run-time tests beside its rules, "
                   "and a failed test fails the control and exits 1 (docs/verify.md#evidence).")
@click.option("--engine", type=click.Choice(["embedded", "opa"]), help="Rego backend (default: sahab.yaml, else embedded).")
@click.option("--opa-url", help="OPA server URL for --engine opa (e.g. http://127.0.0.1:8181).")
@click.option("--opa-mode", type=click.Choice(["upload", "bundle"]),
              help="--engine opa: upload the rules (default), or query an OPA that holds `sahab policy bundle`'s bundle.")
@click.option("--opa-bundle", help="--opa-mode bundle: the bundle's name as OPA reports it (default: sahab).")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Gate configuration (default: PROJECT_DIR/sahab.yaml).")
@click.option("--trusted-config", "trusted_path", type=click.Path(path_type=Path, dir_okay=False), envvar="SAHAB_TRUSTED_CONFIG",
              help="CI's own configuration, outside the repository: may forbid what sahab.yaml relaxes "
                   "(default: $SAHAB_TRUSTED_CONFIG; docs/gate.md#relaxations).")
@click.option("--waivers", type=click.Path(path_type=Path), help="Waivers file (overrides sahab.yaml).")
@click.option("--no-checkov", is_flag=True, help="Skip checkov (Rego rules only).")
@click.option("--strict", is_flag=True,
              help="Block on mandatory deferred findings too (values only known at deploy; gate.fail_on_deferred).")
@click.option("--stack-outputs", type=click.Path(path_type=Path), help="Other stacks' outputs, for pulumi.StackReference.")
@click.option("--python", "python", help="Interpreter to run the program with.")
@_TIMEOUT
@_CHART_CACHE
@_PASS_ENV
@click.pass_obj
def gate(obj: _Context, project_dir: Optional[Path], stack: Optional[str], plan_file: Optional[Path],
         preview_file: Optional[Path], policy_dirs: Tuple[Path, ...], checkov_checks_dirs: Tuple[Path, ...],
         formats: Tuple[str, ...], outs: Tuple[Path, ...],
         rules: Tuple[str, ...], skip_rules: Tuple[str, ...], severity_threshold: Optional[str], soft_fail: Optional[bool],
         baseline: Optional[Path], create_baseline: Optional[Path], plan_out: Optional[Path],
         evidence_dir: Optional[Path], verify_results: Optional[Path], engine: Optional[str], opa_url: Optional[str],
         opa_mode: Optional[str], opa_bundle: Optional[str], config_path: Optional[Path], trusted_path: Optional[Path],
         waivers: Optional[Path], no_checkov: bool, strict: bool, stack_outputs: Optional[Path], python: Optional[str],
         chart_cache: Optional[Path], link_base: Optional[str], pass_env: Tuple[str, ...], timeout: Optional[str]) -> None:
    """Plan PROJECT_DIR offline and refuse it when it breaks residency, encryption or zero-trust rules.

    With --plan or --pulumi-preview no program is run: that document is gated, and PROJECT_DIR
    (optional then) only names sahab.yaml and the CI files and Dockerfiles checkov scans.

    \b
    Exit codes:
      0  no mandatory violation (also with --soft-fail or --create-baseline)
      1  mandatory violations (the report lists them); with --strict, mandatory deferred findings too
      2  usage, configuration, waiver or program error
      3  engine failure (parse error, unsupported builtin, timeout): never a pass
    """
    from .api import gate_pulumi_preview, gate_saved_plan, run_gate
    from .errors import UsageError
    from .gate.config import GateConfig, load_gate_config
    from .gate.relaxations import load_trusted_config
    from .gate.baseline import baseline_document, dumps_baseline
    from .planner import dumps
    from .reports.markdown import resolve_link_base
    from .reports.outputs import report_targets, write_reports, write_text

    def run():  # type: ignore[no-untyped-def]
        _check_opa_url(opa_url)
        seconds = _deadline(timeout)
        saved = _saved_document(plan_file, preview_file, stack_outputs, python, chart_cache, pass_env, timeout)
        if saved is None and not stack:
            raise UsageError("--stack is required to plan a program", "pass --stack NAME, or gate a saved plan with --plan FILE")
        config = load_gate_config(project_dir or Path("."), config_path) if saved is None or project_dir or config_path \
            else GateConfig()
        trusted = load_trusted_config(trusted_path) if trusted_path is not None else None
        opa_flags = {key: value for key, value in (("url", opa_url), ("mode", opa_mode), ("bundle", opa_bundle)) if value}
        opa = dict(config.opa, **opa_flags) if opa_flags else None
        config = config.with_overrides(policy_dirs=config.policy_dirs + policy_dirs or None,
                                       checkov_checks_dirs=config.checkov_checks_dirs + checkov_checks_dirs or None)
        config = config.with_overrides(engine=engine, opa=opa, waivers=waivers,
                                       checkov_enabled=False if no_checkov else None, chart_cache=chart_cache,
                                       fail_on_deferred=True if strict else None, rules=rules or None,
                                       skip_rules=skip_rules or None, severity_threshold=severity_threshold,
                                       soft_fail=soft_fail, baseline=baseline)
        with Console(stderr=True).status("planning...") as status:
            def phase(message: str) -> None:
                status.update(message + "...")

            if saved is not None:
                gate_document = gate_saved_plan if plan_file is not None else gate_pulumi_preview
                gate_run = gate_document(saved, config, project_dir=project_dir, stack=stack, phase=phase, trusted=trusted)
            else:
                gate_run = run_gate(project_dir or Path("."), stack, config, stack_outputs=stack_outputs, python=python,
                                    phase=phase, trusted=trusted, pass_env=pass_env, timeout=seconds)
        if plan_out is not None:
            _write(plan_out, dumps(gate_run.plan))
        if evidence_dir is not None:
            from .reports.evidence import render_evidence_json, render_evidence_markdown

            _write(evidence_dir / ("evidence-%s.json" % gate_run.result.stack),
                   render_evidence_json(gate_run.result, gate_run.bundle.rules, runtime))
            _write(evidence_dir / ("evidence-%s.md" % gate_run.result.stack),
                   render_evidence_markdown(gate_run.result, gate_run.bundle.rules, runtime))
        return gate_run.result

    links = _guarded(obj, lambda: resolve_link_base(link_base, os.environ))
    targets = _guarded(obj, lambda: report_targets(formats, outs))
    runtime = _guarded(obj, lambda: _verify_results(verify_results, evidence_dir))  # refused before any planning
    result = _guarded(obj, run)
    if create_baseline is not None:
        _guarded(obj, lambda: write_text(create_baseline, dumps_baseline(result)))
    _guarded(obj, lambda: write_reports(result, targets, link_base=links))
    if create_baseline is not None:
        click.echo("baseline written to %s: %d finding(s) recorded by rule and URN; exit 0 (--create-baseline)"
                   % (create_baseline, len(baseline_document(result)["findings"])), err=True)
        sys.exit(0)
    if runtime is not None and runtime.failed and result.exit_code == 0:
        click.echo("FAIL: %d run-time test(s) failed in %s (evidence-%s.md)" % (
            runtime.count("failed") + runtime.count("error"), verify_results, result.stack), err=True)
        sys.exit(1)
    sys.exit(result.exit_code)


def _verify_results(path: Optional[Path], evidence_dir: Optional[Path]):  # type: ignore[no-untyped-def]
    """--verify-results read and checked (exit 2 when it does not parse), or None."""
    from .errors import UsageError
    from .verification.results import load_results

    if path is None:
        return None
    if evidence_dir is None:
        raise UsageError("--verify-results adds run-time tests to the evidence report, which --evidence writes",
                         "add --evidence DIR")
    return load_results(path)


def _check_opa_url(opa_url: Optional[str]) -> None:
    """Refuse a bad --opa-url under its own name (the engine would name the setting, opa.url)."""
    if opa_url is not None:
        from .gate.engines.opa_server import opa_endpoint

        opa_endpoint(opa_url, "--opa-url")


def _saved_document(plan_file: Optional[Path], preview_file: Optional[Path], stack_outputs: Optional[Path],
                    python: Optional[str], chart_cache: Optional[Path], pass_env: Tuple[str, ...] = (),
                    timeout: Optional[str] = None) -> Optional[Path]:
    """The document --plan or --pulumi-preview names (None: plan the program); refuse program-run flags."""
    from .errors import UsageError

    if plan_file is not None and preview_file is not None:
        raise UsageError("--plan and --pulumi-preview both name a document to gate", "pass one of them")
    saved = plan_file or preview_file
    if saved is None:
        return None
    option = "--plan" if plan_file is not None else "--pulumi-preview"
    for flag, value in (("--stack-outputs", stack_outputs), ("--python", python), ("--pass-env", pass_env or None),
                        ("--timeout", timeout)):
        if value is not None:
            raise UsageError("%s runs the program, which %s does not" % (flag, option), "drop %s" % flag)
    if plan_file is not None and chart_cache is not None:
        raise UsageError("--chart-cache renders charts while planning; a saved plan was rendered when it was written",
                         "drop --chart-cache, or plan again with it")
    return saved


@cli.command()
@click.option("--stack", "-s", required=True, help="The deployed stack the hosts and endpoints belong to.")
@click.option("--hosts", "hosts", multiple=True, metavar="ROLE=SPEC[,SPEC]",
              help="Hosts of a role (gpu-training, inference, ci-runner) as testinfra specs: ssh://, paramiko://, "
                   "kubectl:// (repeatable).")
@click.option("--inventory", "inventory_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Inventory file (YAML/JSON): hosts per role and endpoints (docs/verify.md#inventory).")
@click.option("--stack-outputs", type=click.Path(path_type=Path, dir_okay=False),
              help="`pulumi stack output --json` of the stack, holding verifyHosts and verifyEndpoints.")
@click.option("--project", "project_dir", type=click.Path(path_type=Path, file_okay=False), default=".",
              help="Pulumi project to read the outputs of when no inventory is given (default: .).")
@click.option("--junit", type=click.Path(path_type=Path, dir_okay=False), help="JUnit XML (default: verify-STACK.xml).")
@click.option("--results", "results_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Result file for `sahab gate --verify-results` (default: verify-STACK.json).")
@_TIMEOUT
@click.pass_obj
def verify(obj: _Context, stack: str, hosts: Tuple[str, ...], inventory_file: Optional[Path], stack_outputs: Optional[Path],
           project_dir: Path, junit: Optional[Path], results_file: Optional[Path], timeout: Optional[str]) -> None:
    """Run sahab's post-deploy suites (pytest-testinfra) against a deployed stack (docs/verify.md).

    Without --hosts, --inventory or --stack-outputs, reads `pulumi stack output --json` of the stack.

    \b
    Exit codes:
      0  every test passed (skipped tests are listed, with their reason)
      1  a test failed
      2  bad input: inventory, host spec, flags; sahab[verify] not installed
      3  the suites could not run (crash, timeout): never a pass
    """
    import tempfile

    from .api import verify_stack
    from .verification.run import collect_inventory

    def run():  # type: ignore[no-untyped-def]
        seconds = _deadline(timeout)
        with tempfile.TemporaryDirectory(prefix="sahab-outputs-") as scratch:
            inventory = collect_inventory(stack, hosts=hosts, inventory_file=inventory_file, stack_outputs=stack_outputs,
                                          project_dir=project_dir, scratch=Path(scratch))
        return verify_stack(stack, inventory, junit=junit or Path("verify-%s.xml" % stack),
                            results_file=results_file or Path("verify-%s.json" % stack), timeout=seconds)

    with Console(stderr=True).status("verifying stack %s..." % stack):
        outcome = _guarded(obj, run)
    from .reports.escape import plain

    for test in outcome.results.tests:
        if test.outcome != "passed":
            click.echo("%-7s %s%s" % (test.outcome.upper(), plain(test.nodeid), (": " + plain(test.reason)) if test.reason else ""))
    summary = outcome.results.summary()
    click.echo("%d passed, %d failed, %d error(s), %d skipped; JUnit %s, results %s" % (
        summary["passed"], summary["failed"], summary["error"], summary["skipped"], outcome.junit, outcome.results_file))
    sys.exit(outcome.exit_code)


@cli.group()
def policy() -> None:
    """Work with sahab's rule set: list the rules, run their tests, bundle them for OPA."""


@policy.command("test")
@click.argument("team_dirs", metavar="[DIR]...", nargs=-1, type=click.Path(path_type=Path, file_okay=False))
@click.option("--engine", type=click.Choice(["embedded", "opa"]), default="embedded", show_default=True)
@click.option("--opa-url", help="OPA server URL for --engine opa.")
@click.option("--policies", "policies_dir", type=click.Path(path_type=Path, file_okay=False), help="Policy folder (default: sahab's own).")
@click.option("--verbose", "-v", is_flag=True, help="List passing tests too.")
@click.pass_obj
def policy_test(obj: _Context, team_dirs: Tuple[Path, ...], engine: str, opa_url: Optional[str],
                policies_dir: Optional[Path], verbose: bool) -> None:
    """Run every `test_` rule beside the rules (like `opa test`). Exit 1 if any fails, 3 on engine errors.

    With DIR (repeatable): run the tests of a team's own rules in DIR, with sahab's rules and
    libraries loaded beside them; their METADATA is checked as the gate checks it.
    """
    from .gate.engines import create_engine
    from .gate.policy_tests import run_policy_tests
    from .gate.rules import load_bundle

    def run():  # type: ignore[no-untyped-def]
        _check_opa_url(opa_url)
        backend = create_engine(engine, {"url": opa_url} if opa_url else {})
        try:
            return run_policy_tests(load_bundle(policies_dir, team_dirs=team_dirs), backend, teams_only=bool(team_dirs))
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


@policy.command("bundle")
@click.argument("team_dirs", metavar="[DIR]...", nargs=-1, type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path, dir_okay=False), help="Bundle file to write (.tar.gz).")
@click.option("--revision", help="The manifest's revision (default: the sha256 of the modules; give the gate the same "
              "as opa.revision).")
@click.pass_obj
def policy_bundle(obj: _Context, team_dirs: Tuple[Path, ...], out: Path, revision: Optional[str]) -> None:
    """Write an OPA bundle of the rules the gate evaluates, for an OPA fed by bundles (--opa-mode bundle).

    With DIR (repeatable): a team's own rules too, as `sahab gate --policy-dir DIR` loads them.
    """
    from .gate.opa_bundle import write_opa_bundle
    from .gate.rules import load_bundle

    manifest = _guarded(obj, lambda: write_opa_bundle(out, load_bundle(team_dirs=team_dirs), revision))
    click.echo("wrote %s: revision %s, roots %s" % (out, manifest["revision"], ", ".join(manifest["roots"])))


@policy.command("list")
@click.argument("team_dirs", metavar="[DIR]...", nargs=-1, type=click.Path(path_type=Path, file_okay=False))
@click.pass_obj
def policy_list(obj: _Context, team_dirs: Tuple[Path, ...]) -> None:
    """List the rules: id, severity, default enforcement, title, and what a deferred finding waits for.

    With DIR (repeatable): a team's own rules too. The gate's rules come first, then the
    promotion gate's (`sahab promote`, docs/promotion.md).
    """
    from .gate.rules import load_bundle

    bundle = _guarded(obj, lambda: load_bundle(team_dirs=team_dirs))
    promotion = _guarded(obj, lambda: load_bundle(team_dirs=team_dirs, input_kind="promotion"))
    for rule in bundle.rules + promotion.rules:
        click.echo("%-14s %-9s %-10s %s" % (rule.rule_id, rule.severity, rule.enforcement, rule.title))
        if rule.deferred_on:
            click.echo("%-36s deferred until deploy: %s" % ("", rule.deferred_on))


@policy.command("coverage")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True,
              help="markdown: the page docs/coverage.md.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file instead of stdout.")
@click.pass_obj
def policy_coverage(obj: _Context, fmt: str, out: Optional[Path]) -> None:
    """The coverage model: per concern, which resource types must be judged and which rules judge them.

    A classified type no rule of a required concern understands is reported unchecked by SAHAB-COV-001.
    """
    from .gate.coverage import render_coverage
    from .gate.rules import load_bundle

    text = _guarded(obj, lambda: render_coverage(load_bundle(), fmt))
    if out is not None:
        _guarded(obj, lambda: _write(out, text))
    else:
        sys.stdout.write(text)


@cli.command()
@click.argument("model", required=False)
@click.option("--version", "version", help="The model version to promote.")
@click.option("--to", "to", type=click.Choice(["staging", "production"]), help="staging moves alias `staging`, production `champion`.")
@click.option("--rollback", is_flag=True, help="Return the alias of --to to the version that held it before (policy-checked).")
@click.option("--tracking-uri", help="MLflow tracking server (default: $MLFLOW_TRACKING_URI, else sahab.yaml promotion.tracking_uri).")
@click.option("--actor", help="Who promotes, for the audit log (default: the CI identity, else the OS user).")
@click.option("--audit-log", "audit_log_path", type=click.Path(path_type=Path, dir_okay=False),
              help="The audit log (default: sahab.yaml promotion.audit_log, else promotion-audit.jsonl).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False), help="Configuration (default: ./sahab.yaml).")
@click.option("--verify-log", is_flag=True, help="Check the audit log's hash chain instead of promoting.")
@click.pass_obj
def promote(obj: _Context, model: Optional[str], version: Optional[str], to: Optional[str], rollback: bool,
            tracking_uri: Optional[str], actor: Optional[str], audit_log_path: Optional[Path], config_path: Optional[Path],
            verify_log: bool) -> None:
    """Promote a model version in MLflow only if the promotion rules allow it; record every decision.

    \b
      sahab promote MODEL --version N --to staging|production
      sahab promote MODEL --rollback --to production
      sahab promote --verify-log
    \b
    Exit codes: 0 allowed (or log intact), 1 denied (or log broken), 2 usage or configuration,
    3 tracking server or engine failure (never a promotion). docs/promotion.md
    """
    from .promotion.command import run_promote

    _guarded(obj, lambda: sys.exit(run_promote(model, version, to, rollback=rollback, tracking_uri=tracking_uri, actor=actor,
                                               audit_log_path=audit_log_path, config_path=config_path, verify_log=verify_log,
                                               echo=click.echo)))


_DATA_DIR = click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False),
                         help="Folder for checkov's environment and the CrossGuard pack "
                              "(default: $SAHAB_DATA_DIR, else $XDG_DATA_HOME/sahab, else ~/.local/share/sahab).")


@cli.command()
@_DATA_DIR
@click.option("--uv", "uv", help="uv executable to install checkov with (default: uv on PATH, else python -m venv and pip).")
@click.option("--force", is_flag=True, help="Reinstall checkov even if it is up to date.")
@click.pass_obj
def setup(obj: _Context, data_dir: Optional[Path], uv: Optional[str], force: bool) -> None:
    """Install checkov (hash-locked, isolated) and the CrossGuard pack for an installed sahab.

    \b
    Exit codes:
      0  ready (a second run changes nothing)
      2  the install failed or the folder is not usable (the message says why)
    """
    from .tools.setup import setup as run_setup

    result = _guarded(obj, lambda: run_setup(data_dir, uv=uv, force=force))
    click.echo("checkov %s %s: %s" % (result.checkov.version, result.checkov.action, result.checkov.executable))
    click.echo("CrossGuard pack: %s (pulumi preview --policy-pack %s)" % (result.pack, result.pack))
    if result.gate_uses is None:
        click.echo("note: `sahab gate` will not find this checkov: set SAHAB_DATA_DIR=%s" % result.data_dir, err=True)
    elif result.gate_uses != result.checkov.executable:
        click.echo("note: `sahab gate` runs %s, which it finds first (docs/install.md)" % result.gate_uses, err=True)


@cli.group()
def crossguard() -> None:
    """sahab's rules as a Pulumi CrossGuard policy pack (docs/crossguard.md)."""


@crossguard.command("path")
@_DATA_DIR
@click.pass_obj
def crossguard_path(obj: _Context, data_dir: Optional[Path]) -> None:
    """Write the pack for this installation; print its folder.

    \b
    Use it as:  pulumi preview --policy-pack "$(sahab crossguard path)"
    """
    from .crossguard.install import install_pack

    click.echo(_guarded(obj, lambda: install_pack(data_dir / "crossguard" if data_dir is not None else None)))


def _write(path: Path, text: str) -> None:
    from .reports.outputs import write_text

    write_text(path, text)


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
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 - last resort: never a raw traceback by default
        if obj.debug:
            import traceback

            traceback.print_exc()
        click.echo("error: internal error: %s: %s (rerun with --debug and report it)" % (type(exc).__name__, exc), err=True)
        sys.exit(EXIT_INTERNAL)


def _deadline(timeout: Optional[str]) -> float:
    """--timeout as seconds (the default when not given); one line naming the flag and the range if bad."""
    from .planner.child import DEFAULT_TIMEOUT, check_timeout

    return check_timeout(DEFAULT_TIMEOUT if timeout is None else timeout, "--timeout")


def _terminated(_signum: int, _frame: object) -> None:
    raise Terminated()


def main() -> None:
    """The entry point. SIGTERM is raised as :class:`Terminated` so it ends sahab like Ctrl-C does:
    the program's processes killed, temporary folders removed, no report, exit 143."""
    signal.signal(signal.SIGTERM, _terminated)
    try:
        cli(prog_name="sahab")
    except Terminated:
        click.echo("error: terminated (SIGTERM)", err=True)
        sys.exit(EXIT_TERMINATED)


if __name__ == "__main__":
    main()
