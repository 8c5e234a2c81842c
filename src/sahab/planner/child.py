"""Run the planned program so that it, and everything it starts, ends with the plan or with sahab.

The program is untrusted: it may leave a background process holding its output, ignore SIGINT,
loop, or outlive a sahab that was killed. So it never runs as sahab's direct child but under
:mod:`.supervisor` (sahab's interpreter, a session of its own), which kills the program's whole
tree when the program exits, when sahab closes the control pipe, or when sahab dies (the kernel
closes the pipe even on SIGKILL). The deadline covers the whole tree: the supervisor starting,
the program running, and its output closing. docs/planner.md#process-lifetime.
"""
from __future__ import annotations

import collections
import math
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Deque, Mapping, Optional, Sequence

from ..errors import PlannerError, UsageError

DEFAULT_TIMEOUT = 900.0
MIN_TIMEOUT = 1.0
MAX_TIMEOUT = 86400.0
SUPERVISOR = Path(__file__).resolve().parent / "supervisor.py"
OUTPUT_LIMIT = 8 * 1024 * 1024  # the program's output kept (its tail): a program printing forever cannot exhaust memory
GRACE = 5.0  # how long the supervisor may take to kill the tree before it is killed itself


def check_timeout(value: object, name: str = "timeout") -> float:
    """``value`` (a number or the text of a flag) as seconds from 1 to 86400; else UsageError naming ``name``.

    0, negative numbers, nan, inf, booleans and text are refused: a deadline that never fires
    (or fires at once) is a mistake, not a setting.
    """
    try:
        seconds = math.nan if isinstance(value, bool) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = math.nan
    if not MIN_TIMEOUT <= seconds <= MAX_TIMEOUT:  # nan compares false
        raise UsageError("%s must be a number of seconds from %d to %d, not %r" % (name, MIN_TIMEOUT, MAX_TIMEOUT, value),
                         "the default is %d" % DEFAULT_TIMEOUT)
    return seconds


class Supervised:
    """A program started by :func:`start`: :meth:`wait` for it, or :meth:`kill` its tree."""

    def __init__(self, process: "subprocess.Popen[bytes]", control: int, started: float) -> None:
        self._process = process
        self._control: Optional[int] = control
        self._started = started
        self._output: Deque[bytes] = collections.deque()
        self._kept = 0
        self._dropped = 0
        self._drain = threading.Thread(target=self._read_output, daemon=True)
        self._drain.start()

    @property
    def returncode(self) -> Optional[int]:
        """The program's exit code (128 + signal if a signal ended it), once :meth:`wait` returned."""
        return self._process.returncode

    def wait(self, timeout: float) -> bytes:
        """The program's output (stdout and stderr) once it ended and nothing it started holds the output.

        ``timeout`` counts from :func:`start`. When it passes: the tree is killed and
        ``subprocess.TimeoutExpired`` raised. Any interruption (KeyboardInterrupt, SIGTERM raised
        as an exception) kills the tree too, then propagates.
        """
        deadline = self._started + timeout
        try:
            self._process.wait(max(0.0, deadline - time.monotonic()))
            self._drain.join(max(0.0, deadline - time.monotonic()))
            if self._drain.is_alive():
                raise subprocess.TimeoutExpired(self._process.args, timeout)
        except BaseException:
            self.kill()
            raise
        self._close_control()
        return self._kept_output()

    def running(self) -> bool:
        """Whether the program (its supervisor) still runs: a long-lived child such as a provider plugin."""
        return self._process.poll() is None

    def stop(self) -> bytes:
        """Kill the program's tree (:meth:`kill`) and return its output so far: a server sahab ends itself."""
        self.kill()
        return self._kept_output()

    def _kept_output(self) -> bytes:
        head = b"[sahab: %d bytes of earlier output dropped]\n" % self._dropped if self._dropped else b""
        return head + b"".join(self._output)

    def kill(self) -> None:
        """Kill the program and everything it started; return once the supervisor has reaped them."""
        self._close_control()
        try:
            self._process.wait(GRACE)
        except subprocess.TimeoutExpired:
            self._process.kill()  # the program dies with it (PR_SET_PDEATHSIG)
            self._process.wait()
        self._drain.join(GRACE)

    def _close_control(self) -> None:
        if self._control is not None:
            os.close(self._control)
            self._control = None

    def _read_output(self) -> None:
        stream = self._process.stdout
        assert stream is not None
        for chunk in iter(lambda: stream.read1(65536), b""):
            self._output.append(chunk)
            self._kept += len(chunk)
            while self._kept - len(self._output[0]) >= OUTPUT_LIMIT:
                dropped = self._output.popleft()
                self._kept -= len(dropped)
                self._dropped += len(dropped)
        stream.close()


def start(command: Sequence[str], *, cwd: str, env: Mapping[str, str], timeout: float = DEFAULT_TIMEOUT) -> Supervised:
    """Start ``command`` under the supervisor and return once the program runs.

    OSError if the program cannot be started (as :class:`subprocess.Popen` would raise it). If
    not even the start is seen within ``timeout``, :meth:`Supervised.wait` raises the timeout.
    """
    started = time.monotonic()
    control_read, control_write = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", str(SUPERVISOR), *command], cwd=cwd, env=dict(env),
            stdin=control_read, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    except BaseException:
        os.close(control_write)
        raise
    finally:
        os.close(control_read)
    child = Supervised(process, control_write, started)
    try:
        status = _read_status(process, started + timeout)
    except BaseException:
        child.kill()
        raise
    word, _, number = (status or "").partition(" ")
    if status is None or (word == "started" and number.isdigit()):
        return child
    child.kill()
    if word == "failed" and number.isdigit():
        raise OSError(int(number), os.strerror(int(number)))
    last = (status.splitlines() or ["no status"])[-1]
    raise PlannerError("the planner's supervisor failed before starting the program: %s" % last,
                       "please report it with --debug output", details=status)


def _read_status(process: "subprocess.Popen[bytes]", deadline: float) -> Optional[str]:
    """The supervisor's status line (its stderr, closed right after); None if the deadline passed first."""
    stream = process.stderr
    assert stream is not None
    data = b""
    while True:
        ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return None
        chunk = stream.read1(4096)
        if not chunk:
            stream.close()
            return data.decode("utf-8", "replace").strip()
        data += chunk
