"""Whose fault is a failure: the program's (exit 2, its file and line), the planner's (exit 3), or
nobody's the planner can name (exit 3, the original cause). And an SDK too old to plan (exit 2)."""
from __future__ import annotations

import stat
import sys
import venv
from pathlib import Path

import pytest

from planner_helpers import program, run_cli_many

from sahab.planner.harness import run as harness_run

SITE_PACKAGES = "lib/python%d.%d/site-packages" % sys.version_info[:2]


def _sdk2_interpreter(root: Path) -> Path:
    """A virtualenv whose only package is a Pulumi 2 SDK (as much of it as the harness reaches)."""
    venv.EnvBuilder(with_pip=False).create(root)
    package = root / SITE_PACKAGES / "pulumi"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('__version__ = "2.25.2"\n', encoding="utf-8")
    return root / "bin" / "python"


def _changed_sdk_interpreter(root: Path) -> Path:
    """This interpreter with an SDK 3 whose ``set_all_config`` has the SDK 2 signature: the harness's
    own setup fails, with the runner as the only harness frame on the traceback."""
    shim = root / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(
        "import pulumi.runtime\n\n\n"
        "def set_all_config(config):\n"
        "    pass\n\n\n"
        "pulumi.runtime.set_all_config = set_all_config\n", encoding="utf-8")
    wrapper = root / "python"
    wrapper.write_text('#!/bin/sh\nPYTHONPATH=%s exec %s "$@"\n' % (shim, sys.executable), encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper


def _run_py_line(fragment: str) -> int:
    lines = Path(harness_run.__file__).read_text(encoding="utf-8").splitlines()
    matches = [number for number, line in enumerate(lines, 1) if fragment in line]
    assert len(matches) == 1, fragment
    return matches[0]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    sdk2 = _sdk2_interpreter(tmp_path_factory.mktemp("sdk2"))
    changed = _changed_sdk_interpreter(tmp_path_factory.mktemp("changed"))
    commands = {
        "eval": ["plan", str(program("broken_eval")), "--stack", "dev"],
        "library": ["plan", str(program("broken_library")), "--stack", "dev"],
        "harness": ["plan", str(program("broken_apply")), "--stack", "dev", "--python", str(changed)],
        "sdk2": ["plan", str(program("broken_apply")), "--stack", "dev", "--python", str(sdk2)],
    }
    outcomes = dict(zip(commands, run_cli_many(commands.values())))
    outcomes["sdk2-python"] = sdk2
    return outcomes


def _one_line(result) -> str:
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_eval_string_frame_is_skipped_for_the_program_line(results):
    """typing eval()s a string annotation: the innermost frame is `<string>`, the fault is line 10."""
    result = results["eval"]
    assert _one_line(result) == (
        "error: program error: __main__.py:10: NameError: name 'Enviroment' is not defined (fix the program)")
    assert result.returncode == 2


def test_installed_library_failure_is_not_blamed_on_the_program(results):
    result = results["library"]
    assert _one_line(result) == (
        "error: the failure is in no file of the project or the planner (an installed library or the Pulumi "
        "SDK): site-packages/tagging/__init__.py:5: ValueError: unknown environment 'qa' "
        "(rerun with --debug to see the traceback)")
    assert result.returncode == 3


def test_failure_in_the_runner_setup_is_a_planner_limitation(results):
    result = results["harness"]
    assert _one_line(result) == (
        "error: planner limitation at %s:%d: TypeError: set_all_config() takes 1 positional argument but 2 were "
        "given (please report it with --debug output)"
        % (harness_run.__file__, _run_py_line("pulumi.runtime.set_all_config(")))
    assert result.returncode == 3


def test_pulumi_2_sdk_is_refused_by_version(results):
    result = results["sdk2"]
    assert _one_line(result) == (
        "error: the program's Pulumi SDK is pulumi 2.25.2 (in %s); the planner supports Pulumi 3 and later "
        "(upgrade to pulumi>=3 in that environment, with the provider packages the program uses)"
        % results["sdk2-python"])
    assert result.returncode == 2


def _raise_in(filename: str, exc: BaseException) -> BaseException:
    namespace = {"exc": exc}
    exec(compile("def fail():\n    raise exc\n", filename, "exec"), namespace)
    try:
        namespace["fail"]()
    except BaseException as caught:  # noqa: BLE001
        return caught
    raise AssertionError("did not raise")


def test_unplaced_reports_the_innermost_cause_not_the_wrapper(tmp_path):
    library = str(tmp_path / "venv" / SITE_PACKAGES / "lib.py")
    inner = _raise_in(library, ValueError("the original cause"))
    try:
        raise RuntimeError("While processing resource: 'x'") from inner
    except RuntimeError as outer:
        error = harness_run.classify_error(outer, str(tmp_path / "project"))
    assert (error["kind"], error["message"], error["file"], error["line"]) == (
        "unplaced", "ValueError: the original cause", library, 2)


def test_the_sdk_version_gate_lets_pulumi_3_through():
    class Sdk:
        __version__ = "3.0.0"

    assert harness_run.unsupported_sdk(Sdk) is None
    Sdk.__version__ = "2.25.2"
    assert harness_run.unsupported_sdk(Sdk)["kind"] == "environment"

