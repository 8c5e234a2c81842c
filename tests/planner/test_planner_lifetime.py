"""The planned program and every process it starts die with the plan, or with sahab (issue 11, section 2).

Fixture programs written like real ones misbehave: ``orphans`` leaves a process holding its
output, one in a session of its own and a daemon whose parent has exited, then finishes;
``stubborn`` ignores SIGINT and SIGTERM, leaves a process holding its output and never finishes.
``orphans`` exports the PIDs, ``stubborn`` writes them to ``pids`` in its temporary folder (the
only place it may write). Each test asserts by PID
that nothing is left running, that the plan's temporary folder is gone, and how sahab ended.
Before the supervisor (src/sahab/planner/child.py) every one of them failed: the plan waited for
the output until the deadline, only the direct child was killed, and SIGTERM or SIGKILL of sahab
left the whole tree running.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from planner_helpers import CLI, plan, program, resource, run_cli_many

from sahab.errors import UsageError
from sahab.planner import child
from sahab.scratch import OWNER, STALE_AFTER, reclaim_stale, scratch_folder

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="processes are checked in /proc")


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie has ended: only its parent's bookkeeping is left)."""
    try:
        stat = Path("/proc/%d/stat" % pid).read_bytes()
    except OSError:
        return False
    return stat.rpartition(b")")[2].split()[0] != b"Z"


def wait_for_pids(temp: Path, timeout: float = 30.0) -> List[int]:
    """The PIDs ``stubborn`` wrote (the program and its background process), once it runs."""
    deadline = time.monotonic() + timeout
    while True:
        found = list(temp.rglob("pids"))
        if found:
            pids = [int(word) for word in found[0].read_text().split()]
            assert len(pids) == 2
            return pids
        if time.monotonic() >= deadline:
            raise AssertionError("the program never wrote its PIDs under %s" % temp)
        time.sleep(0.05)


def wait_until_gone(pids: List[int], timeout: float = 5.0) -> List[int]:
    """The PIDs still running after ``timeout`` (polled: a killed tree takes a moment to be reaped)."""
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def kill_leftovers(pids: List[int]) -> None:
    """A failing test must not leave `sleep 1000` behind on the machine."""
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def temp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary directory of the test's own, for sahab in this process and in the ones it starts.

    Short, in the system's temporary folder rather than under ``tmp_path``: the plan's monitor socket
    lives in it, and a socket path has at most 107 bytes (an xdist worker's ``tmp_path`` is ~80).
    """
    folder = Path(tempfile.mkdtemp(prefix="sahab-lifetime-"))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def cli_env(temp: Path) -> Dict[str, str]:
    return dict(os.environ, TMPDIR=str(temp))


def scratch_left(temp: Path) -> List[str]:
    return sorted(entry.name for entry in temp.iterdir() if entry.name.startswith("sahab-plan-"))


def test_processes_left_behind_neither_hold_the_plan_nor_outlive_it(temp: Path):
    started = time.monotonic()
    document = plan("orphans", timeout=20)  # before: waited for the output until the deadline
    elapsed = time.monotonic() - started
    pids = document["outputs"]["pids"]
    left = wait_until_gone(pids, timeout=0.5)
    kill_leftovers(pids)
    assert elapsed < 15, "the plan waited for the background process's output"
    assert left == [], "still running: %s (program, in-group sleep, setsid sleep, daemon)" % left
    assert resource(document, "aws:s3/bucket:Bucket", "logs")["inputs"]["bucket"] == "sahab-orphans-logs"
    assert scratch_left(temp) == []


def test_the_timeout_is_a_hard_deadline_on_the_whole_tree(temp: Path):
    started = time.monotonic()
    sahab = subprocess.Popen(CLI + ["plan", str(program("stubborn")), "--stack", "dev", "--timeout", "3"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(temp))
    try:
        pids = wait_for_pids(temp)
        _, stderr = sahab.communicate(timeout=30)
    finally:
        sahab.kill()
    elapsed = time.monotonic() - started
    left = wait_until_gone(pids, timeout=0.5)
    kill_leftovers(pids)
    assert sahab.returncode == 3, stderr
    assert stderr.splitlines() == [
        "error: the program did not finish within 3 s (raise --timeout if it is just large)"]
    assert elapsed < 3 + 6, elapsed
    assert left == []
    assert scratch_left(temp) == []


@pytest.mark.parametrize("sent, code, last_line", [
    (signal.SIGINT, 130, "error: interrupted"),
    (signal.SIGTERM, 143, "error: terminated (SIGTERM)"),
], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_gate_kills_the_tree_removes_its_folder_and_never_passes(temp: Path, sent: int, code: int,
                                                                                 last_line: str):
    """The program ignores SIGINT and SIGTERM: sahab does not wait for it (it never even gets them)."""
    sahab = subprocess.Popen(CLI + ["gate", str(program("stubborn")), "--stack", "dev", "--no-checkov"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(temp))
    try:
        pids = wait_for_pids(temp)
        sahab.send_signal(sent)
        stdout, stderr = sahab.communicate(timeout=60)  # a hang detector, not a speed target: sahab never waits for the program
    finally:
        sahab.kill()
    left = wait_until_gone(pids, timeout=0.5)
    kill_leftovers(pids)
    assert sahab.returncode == code, stderr
    assert stderr.splitlines()[-1] == last_line
    assert "PASS" not in stdout + stderr
    assert left == []
    assert scratch_left(temp) == []


def test_sigkill_of_sahab_kills_the_tree_and_the_next_run_reclaims_its_folder(temp: Path):
    sahab = subprocess.Popen(CLI + ["plan", str(program("stubborn")), "--stack", "dev"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=cli_env(temp))
    try:
        pids = wait_for_pids(temp)
    finally:
        sahab.kill()
        sahab.wait()
    left = wait_until_gone(pids)
    kill_leftovers(pids)
    assert left == [], "the program's tree outlived a SIGKILLed sahab"

    [stale] = scratch_left(temp)
    assert (temp / stale / OWNER).read_text().strip() == str(sahab.pid)
    with scratch_folder("sahab-plan-") as fresh:  # young: a run in another PID namespace may still use it
        assert scratch_left(temp) == sorted([stale, fresh.name])
    hours_ago = time.time() - STALE_AFTER - 60
    os.utime(temp / stale, (hours_ago, hours_ago))
    with scratch_folder("sahab-plan-") as fresh:
        assert scratch_left(temp) == [fresh.name]
    assert scratch_left(temp) == []


def test_only_stale_folders_of_dead_owners_are_reclaimed(temp: Path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    old = time.time() - STALE_AFTER - 60
    folders = {}
    for name, owner in (("sahab-plan-dead", dead.pid), ("sahab-plan-live", os.getpid()), ("sahab-plan-legacy", None),
                        ("other-dead", dead.pid)):
        folder = temp / name
        folder.mkdir()
        if owner is not None:
            (folder / OWNER).write_text("%d\n" % owner)
        os.utime(folder, (old, old))
        folders[name] = folder
    reclaim_stale("sahab-plan-", temp)
    assert sorted(p.name for p in temp.iterdir()) == ["other-dead", "sahab-plan-legacy", "sahab-plan-live"]


def test_a_scratch_folder_is_removed_when_its_block_fails(temp: Path):
    with pytest.raises(KeyboardInterrupt):
        with scratch_folder("sahab-plan-") as folder:
            (folder / "capture.json").write_text("{}")
            raise KeyboardInterrupt
    assert scratch_left(temp) == []


@pytest.mark.parametrize("command", ["plan", "gate"])
def test_bad_timeouts_are_refused_in_one_line_naming_the_flag(command: str):
    values = ["0", "-1", "nan", "inf", "abc", "86401"]
    runs = run_cli_many([command, str(program("orphans")), "--stack", "dev", "--timeout", value] for value in values)
    for value, completed in zip(values, runs):
        assert completed.returncode == 2, (value, completed.stderr)
        assert completed.stderr.splitlines() == [
            "error: --timeout must be a number of seconds from 1 to 86400, not %r (the default is 900)" % value]


@pytest.mark.parametrize("value", [0, -1.0, float("nan"), float("inf"), True, "2 s", None])
def test_the_library_refuses_the_same_timeouts(value: object):
    with pytest.raises(UsageError, match=r"^timeout must be a number of seconds from 1 to 86400"):
        child.check_timeout(value)


def test_timeouts_in_range_are_seconds():
    assert [child.check_timeout(value) for value in (1, "2.5", 86400)] == [1.0, 2.5, 86400.0]


def test_a_program_that_cannot_be_started_is_an_os_error_as_popen_raises_it(tmp_path: Path):
    not_executable = tmp_path / "python"
    not_executable.write_text("#!/bin/sh\n")
    with pytest.raises(PermissionError):
        child.start([str(not_executable)], cwd=str(tmp_path), env={"PATH": os.environ["PATH"]})


def test_a_temporary_folder_too_long_for_the_planners_socket_is_one_clear_line(temp: Path):
    """The plan's monitor socket lives under TMPDIR; a Unix socket path holds at most 107 bytes."""
    deep = temp / ("t" * 100)
    deep.mkdir()
    result = subprocess.run(CLI + ["plan", str(program("orphans")), "--stack", "dev"], capture_output=True, text=True,
                            env=cli_env(deep), timeout=120, check=False)
    assert result.returncode == UsageError.exit_code
    assert "Traceback" not in result.stderr and "OSError" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "more than a Unix socket allows (107)" in line and "set TMPDIR to a shorter folder, such as /tmp" in line
    assert scratch_left(deep) == []
