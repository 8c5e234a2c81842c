"""A broken program is the user's to fix: exit 2 and one line naming the file and line that
failed, no traceback unless --debug."""
from __future__ import annotations

import sys

import pytest

from planner_helpers import program, run_cli_many

CASES = {
    "broken_helper": "error: program error: lib/naming.py:8: ValueError: unknown environment 'qa' (fix the program)",
    "broken_sdk": "error: program error: __main__.py:5: TypeError: Bucket._internal_init() got an unexpected "
                  "keyword argument 'no_such_arg' (fix the program)",
    "broken_apply": "error: program error: __main__.py:8: ValueError: invalid literal for int() with base 10: "
                    "'sahab-data' (fix the program)",
    "broken_syntax": "error: program error: __main__.py:4: SyntaxError: '(' was never closed (fix the program)",
    "broken_import": "error: program error: __main__.py:3: ModuleNotFoundError: No module named 'pulumi_gcp' "
                     "(install the program's requirements into %s, or name its virtualenv in Pulumi.yaml)"
                     % sys.executable,
    "virtualenv": "error: Pulumi.yaml asks for the virtualenv %s, which does not exist (create it with "
                  "`python -m venv %s` and install the program's requirements, or pass --python)"
                  % ((program("virtualenv") / "venv",) * 2),
}


@pytest.fixture(scope="module")
def results():
    names = list(CASES)
    commands = [["plan", str(program(name)), "--stack", "dev"] for name in names]
    commands.append(["--debug", "plan", str(program("broken_helper")), "--stack", "dev"])
    outcomes = run_cli_many(commands)
    by_name = dict(zip(names, outcomes))
    by_name["debug"] = outcomes[-1]
    return by_name


@pytest.mark.parametrize("name", list(CASES))
def test_one_line_error_and_exit_code(results, name):
    result = results[name]
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [CASES[name]]
    assert "Traceback" not in result.stderr


def test_debug_adds_the_traceback(results):
    result = results["debug"]
    assert result.returncode == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert 'naming.py", line 8, in bucket_name' in result.stderr
    assert result.stderr.splitlines()[-1] == CASES["broken_helper"]


def test_in_process_api_raises_program_error():
    from sahab.errors import ProgramError
    from sahab.planner import plan_project

    with pytest.raises(ProgramError) as caught:
        plan_project(program("broken_apply"), "dev")
    assert caught.value.message == (
        "program error: __main__.py:8: ValueError: invalid literal for int() with base 10: 'sahab-data'")
    assert "Traceback" in caught.value.details
