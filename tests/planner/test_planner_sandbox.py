"""The planned program gets no credential and no network (docs/planner.md#environment-and-network).

A program that reads every environment variable and tries to reach a loopback listener this test
starts: the plan shows what it saw and that it could not connect, and no credential value appears
anywhere in the plan, the program's output or sahab's output.
"""
from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator, List

import pytest

from sahab.api import run_gate
from sahab.errors import UsageError
from sahab.gate.config import GateConfig
from sahab.planner import load_project, plan_project
from sahab.planner import sandbox
from sahab.planner.interpreter import choose_interpreter
from sahab.planner.runner import run_harness
from sahab.planner.sandbox import NO_NETWORK_NAMESPACE, WRITABLE_FILESYSTEM, Namespaces, is_credential, namespaces, parse_pass_env
from program_projects import write_project

# Values a CI job's environment could hold; none may reach the program.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAsahabtestKEYID0001",
    "AWS_SECRET_ACCESS_KEY": "sahab-test-aws-secret-0001",
    "AZURE_CLIENT_SECRET": "sahab-test-azure-secret-0001",
    "ARM_CLIENT_SECRET": "sahab-test-arm-secret-0001",
    "GOOGLE_APPLICATION_CREDENTIALS": "/sahab-test/gcp-credentials-0001.json",
    "GITHUB_TOKEN": "ghp_sahabtesttoken0001",
    "OPA_TOKEN": "sahab-test-opa-token-0001",
    "PULUMI_ACCESS_TOKEN": "pul-sahab-test-token-0001",
    "DEPLOY_SECRET_VALUE": "sahab-test-deploy-secret-0001",
    "STRIPE_KEY": "sk_sahab_test_key_0001",
    "DB_PASSWORD": "sahab-test-password-0001",
}

PROGRAM = '''import os
import socket

import pulumi

port = pulumi.Config("sandbox").require_int("port")
try:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"leak " + repr(dict(os.environ)).encode())
    network = "connected"
except OSError as exc:
    network = "refused errno %s" % exc.errno
print("environment:", dict(os.environ))
pulumi.export("environment", dict(os.environ))
pulumi.export("network", network)
'''


class Listener:
    """A loopback TCP listener that records what connects; stopped by its handle."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.received: List[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except (socket.timeout, OSError):
                continue
            with connection:
                connection.settimeout(2)
                try:
                    self.received.append(connection.recv(65536) or b"(connected)")
                except OSError:
                    self.received.append(b"(connected)")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.socket.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    handle = Listener()
    yield handle
    handle.stop()


@pytest.fixture
def prober(tmp_path: Path, listener: Listener) -> Path:
    return write_project(tmp_path, PROGRAM, "config:\n  sandbox:port: %d\n" % listener.port, name="prober")


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> dict:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SAHAB_TEST_HARMLESS", "visible-when-passed")
    return CREDENTIALS


def _leaks(text: str) -> List[str]:
    return [name for name, value in CREDENTIALS.items() if value in text]


def test_the_program_sees_no_credential_and_cannot_reach_a_loopback_listener(prober, listener, credentials):
    plan = plan_project(prober, "dev", pass_env=("SAHAB_TEST_HARMLESS", "AWS_REGION=me-central-1"))
    seen = plan["outputs"]["environment"]
    assert not set(seen) & set(CREDENTIALS), sorted(set(seen) & set(CREDENTIALS))
    assert seen["SAHAB_TEST_HARMLESS"] == "visible-when-passed" and seen["AWS_REGION"] == "me-central-1"
    assert seen["PYTHONHASHSEED"] == "0" and seen["PATH"] == os.environ["PATH"]
    assert _leaks(json.dumps(plan)) == []
    if namespaces().unshare:
        assert plan["outputs"]["network"] == "refused errno %d" % errno.ENETUNREACH
        assert NO_NETWORK_NAMESPACE not in [d["message"] for d in plan["diagnostics"]]
        assert listener.received == []
    else:  # this machine cannot isolate: the plan must say so
        assert NO_NETWORK_NAMESPACE in [d["message"] for d in plan["diagnostics"]]


def test_without_a_network_namespace_the_plan_says_the_program_had_network(prober, listener, credentials, monkeypatch):
    monkeypatch.setattr(sandbox, "namespaces", lambda: Namespaces((), False))
    plan = plan_project(prober, "dev")
    assert sorted(d["message"] for d in plan["diagnostics"] if d["severity"] == "warning") == sorted(
        [NO_NETWORK_NAMESPACE, WRITABLE_FILESYSTEM])
    # ...which is the truth: the listener was reached, and still received no credential.
    assert plan["outputs"]["network"] == "connected"
    assert len(listener.received) == 1 and listener.received[0].startswith(b"leak ")
    assert _leaks(listener.received[0].decode()) == []


def test_the_programs_own_output_holds_no_credential(prober, credentials):
    project = load_project(prober, "dev")
    capture = run_harness(project, choose_interpreter(project), {})
    assert "environment:" in capture["programOutput"]
    assert _leaks(capture["programOutput"]) == []


def test_the_cli_plan_and_its_output_hold_no_credential(prober, tmp_path: Path):
    env = dict(os.environ, **CREDENTIALS)
    out = tmp_path / "plan.json"
    completed = subprocess.run([sys.executable, "-m", "sahab.cli", "--debug", "plan", str(prober), "--stack", "dev",
                                "--format", "json", "--out", str(out)],
                               capture_output=True, text=True, env=env, check=False, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert _leaks(completed.stdout + completed.stderr + out.read_text()) == []
    refused = subprocess.run([sys.executable, "-m", "sahab.cli", "plan", str(prober), "--stack", "dev",
                              "--pass-env", "AWS_SECRET_ACCESS_KEY"],
                             capture_output=True, text=True, env=env, check=False, timeout=300)
    assert (refused.returncode, refused.stderr.strip()) == (
        2, "error: --pass-env AWS_SECRET_ACCESS_KEY names a credential, which the planned program never gets "
           "(a plan needs none; if the program insists, give it a placeholder: --pass-env AWS_SECRET_ACCESS_KEY=placeholder)")
    assert _leaks(refused.stdout + refused.stderr) == []
    saved = subprocess.run([sys.executable, "-m", "sahab.cli", "gate", "--plan", str(out), "--pass-env", "SAHAB_TEST_HARMLESS"],
                           capture_output=True, text=True, env=env, check=False, timeout=300)
    assert (saved.returncode, saved.stderr.strip()) == (
        2, "error: --pass-env runs the program, which --plan does not (drop --pass-env)")


def test_the_gate_plans_with_the_same_environment(prober, credentials):
    run = run_gate(prober, "dev", GateConfig(checkov_enabled=False), pass_env=("SAHAB_TEST_HARMLESS",))
    seen = run.plan["outputs"]["environment"]
    assert seen["SAHAB_TEST_HARMLESS"] == "visible-when-passed" and not set(seen) & set(CREDENTIALS)
    with pytest.raises(UsageError, match="--pass-env GITHUB_TOKEN names a credential"):
        run_gate(prober, "dev", GateConfig(checkov_enabled=False), pass_env=("GITHUB_TOKEN",))


@pytest.mark.parametrize("name", sorted(CREDENTIALS) + ["MY_API_KEY", "SLACK_WEBHOOK_SECRET", "VAULT_TOKEN", "gcp_sa_key"])
def test_credential_names_are_refused_by_name(name):
    assert is_credential(name)
    with pytest.raises(UsageError, match="names a credential"):
        parse_pass_env([name])
    assert parse_pass_env(["%s=placeholder" % name]) == ((name, "placeholder"),)


@pytest.mark.parametrize("name", ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "VIRTUAL_ENV", "TMPDIR", "KEYBOARD", "MONKEY"])
def test_ordinary_names_are_not_credentials(name):
    assert not is_credential(name)


def test_a_malformed_pass_env_is_a_usage_error():
    with pytest.raises(UsageError) as raised:
        parse_pass_env(["1BAD"])
    assert raised.value.one_line() == "--pass-env '1BAD' is not an environment variable name (pass NAME or NAME=VALUE)"


CREDENTIAL_FILES = {".aws/credentials": "[default]\naws_secret_access_key = sahab-test-file-secret-0001\n",
                    ".kube/config": "token: sahab-test-file-secret-0002\n",
                    ".netrc": "machine example.com password sahab-test-file-secret-0003\n"}
READER = '''import os
import pulumi

def attempt(relative):
    try:
        with open(os.path.join(os.environ["HOME"], relative)) as handle:
            return handle.read()
    except OSError as exc:
        return "refused errno " + str(exc.errno)

pulumi.export("read", {relative: attempt(relative) for relative in %r})
'''


def test_the_program_cannot_read_the_users_credential_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Issue 11, section 2: ~/.aws, a kubeconfig, ~/.netrc: hidden from the program, not only the environment."""
    home = tmp_path / "home"
    for relative, text in CREDENTIAL_FILES.items():
        (home / relative).parent.mkdir(parents=True, exist_ok=True)
        (home / relative).write_text(text, encoding="utf-8")
    project = write_project(tmp_path / "reader", READER % sorted(CREDENTIAL_FILES), "config: {}\n", name="reader")
    monkeypatch.setenv("HOME", str(home))
    plan = plan_project(project, "dev")
    read = plan["outputs"]["read"]
    if namespaces().read_only:
        assert read == {".aws/credentials": "refused errno %d" % errno.EACCES,
                        ".kube/config": "refused errno %d" % errno.EACCES, ".netrc": ""}
        assert "sahab-test-file-secret" not in json.dumps(plan)
    else:  # this machine cannot hide them: the plan must say so
        assert WRITABLE_FILESYSTEM in [d["message"] for d in plan["diagnostics"]]
    assert (home / ".aws/credentials").read_text(encoding="utf-8") == CREDENTIAL_FILES[".aws/credentials"]
