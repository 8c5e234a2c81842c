"""The command line as a newcomer meets it: help, version, and bad input without tracebacks."""
from __future__ import annotations

from pathlib import Path

from sahab import __version__
from sahab.errors import EXIT_USAGE


def test_version_prints_the_package_version(sahab_cli):
    result = sahab_cli(["--version"])
    assert result.returncode == 0
    assert result.stdout.strip() == "sahab %s" % __version__


def test_help_explains_the_plan_command(sahab_cli):
    result = sahab_cli(["--help"])
    assert result.returncode == 0
    assert "plan" in result.stdout
    assert "sahab plan --stack prod" in result.stdout
    plan_help = sahab_cli(["plan", "--help"])
    assert "--stack" in plan_help.stdout and "--stack-outputs" in plan_help.stdout
    assert "Exit codes" in plan_help.stdout


def _assert_one_line_error(result, expected: str) -> None:
    assert result.returncode == EXIT_USAGE, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]


def test_missing_project_folder_is_a_usage_error(sahab_cli, tmp_path: Path):
    result = sahab_cli(["plan", str(tmp_path / "nowhere"), "--stack", "dev"])
    _assert_one_line_error(result, "does not exist")


def test_folder_without_pulumi_yaml_names_the_fix(sahab_cli, tmp_path: Path):
    result = sahab_cli(["plan", str(tmp_path), "--stack", "dev"])
    _assert_one_line_error(result, "no Pulumi.yaml in %s (pass the folder that holds Pulumi.yaml)" % tmp_path)


def test_unknown_stack_lists_the_stacks_that_exist(sahab_cli, repo_root: Path):
    result = sahab_cli(["plan", str(repo_root), "--stack", "qa"])
    _assert_one_line_error(result, "no Pulumi.qa.yaml in %s (create it, or pick one of: azure-dev, azure-prod, azure-staging, dev, prod, staging)" % repo_root)


def test_invalid_stack_yaml_names_file_and_line(sahab_cli, tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text("name: broken\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("import pulumi\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  a: [1, 2\n")
    result = sahab_cli(["plan", str(tmp_path), "--stack", "dev"])
    _assert_one_line_error(result, "Pulumi.dev.yaml line 3 is not valid YAML")


def test_non_python_runtime_is_refused(sahab_cli, tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text("name: ts\nruntime: nodejs\n")
    result = sahab_cli(["plan", str(tmp_path), "--stack", "dev"])
    _assert_one_line_error(result, "uses runtime 'nodejs'; sahab plans Python programs only")


def test_missing_stack_option_is_a_usage_error(sahab_cli, repo_root: Path):
    result = sahab_cli(["plan", str(repo_root)])
    assert result.returncode == EXIT_USAGE
    assert "Missing option '--stack'" in result.stderr
