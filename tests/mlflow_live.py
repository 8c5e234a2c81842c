"""A real MLflow server for tests: started on a free loopback port in its own session, stopped by PID.

Shared by the tests that run one (the ModelRegistry server, the drift job, the promotion gate).
The server runs in its own session; :func:`stop` ends its process group (SIGTERM, then SIGKILL)
and returns every PID the session had, so a test can check, by PID, that none is left.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Optional

import requests

STARTUP_SECONDS = 60
HEALTH_PATH = "/health"


def restore_environment(saved: Mapping[str, Optional[str]]) -> None:
    """Put environment variables back as ``saved`` (None: the variable was not set)."""
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def session_members(session: int) -> List[int]:
    """PIDs whose session id is ``session`` (field 6 of /proc/PID/stat)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def alive(pid: int) -> bool:
    try:
        return Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _signal_group(leader: int, signal_number: int) -> None:
    try:
        os.killpg(leader, signal_number)
    except ProcessLookupError:  # the whole group has already exited
        pass


def _wait_gone(members: List[int], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(pid) for pid in members):
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> List[int]:
    """SIGTERM the server's process group, then SIGKILL the group and, by PID, every process of its
    session still running (a child may have left the group); return the PIDs the session had."""
    members = session_members(process.pid)
    _signal_group(process.pid, signal.SIGTERM)
    _wait_gone(members, 5)  # the rest get SIGKILL: MLflow's job runner outlives SIGTERM
    if any(alive(pid) for pid in members):
        _signal_group(process.pid, signal.SIGKILL)
        for pid in members:
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    process.wait(timeout=10)
    _wait_gone(members, 10)
    return members


def wait_healthy(base: str, process: subprocess.Popen, log: Path, health_path: str = HEALTH_PATH) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited:\n" + log.read_text()[-3000:]
        try:
            if requests.get(base + health_path, timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or a loaded machine
            pass
        time.sleep(0.5)
    raise AssertionError("no healthy server after %d s:\n%s" % (STARTUP_SECONDS, log.read_text()[-3000:]))


@dataclass
class LocalServer:
    """A plain ``mlflow server``: sqlite backend, a local artifact root the clients write to directly."""

    process: subprocess.Popen
    url: str
    artifact_root: Path
    log: Path
    members: Optional[List[int]] = None

    def stop(self) -> List[int]:
        self.members = stop(self.process)
        return self.members


def start_local_server(folder: Path) -> LocalServer:
    """``mlflow server`` on a free loopback port, sqlite in ``folder``, artifacts under ``folder/store``."""
    port = free_port()
    store = folder / "store"
    store.mkdir(parents=True)
    log = folder / "server.log"
    command = [str(Path(sys.executable).parent / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
               "--backend-store-uri", "sqlite:///%s" % (folder / "mlflow.db"), "--default-artifact-root", store.as_uri(),
               "--no-serve-artifacts", "--workers", "1"]
    env = {"PATH": "%s:/usr/bin:/bin" % Path(sys.executable).parent, "HOME": str(folder), "MLFLOW_DISABLE_TELEMETRY": "true"}
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, cwd=folder, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = LocalServer(process=process, url="http://127.0.0.1:%d" % port, artifact_root=store, log=log)
    try:
        wait_healthy(server.url, process, log)
    except BaseException:
        server.stop()
        raise
    return server
