"""Engine timeouts are deadlines (issue 11): a looping rule or a stalled OPA never hangs the gate.

- Embedded: regorus holds the GIL while it evaluates, so the engine runs it in a worker process
  and kills that at the deadline. A rule that would run for hours fails closed after ``timeout``.
- OPA: a socket timeout is per read, so a server that never answers (retried by urllib3) or one
  that sends a byte every 0.2 s would hold a request for many timeouts or forever. Each whole
  request now ends at ``timeout``, and its connection is shut so nothing stays blocked.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Callable

import pytest
from opa_fake import FakeOpa

import sahab
from sahab.errors import ConfigError
from sahab.gate.config import GateConfig
from sahab.gate.engines import create_engine
from sahab.gate.engines.base import EngineError
from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.engines.opa_server import OpaServerEngine
from sahab.gate.policy_tests import run_policy_tests
from sahab.gate.rules import load_bundle
from sahab.planner import dumps, plan_project

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "team-rules"
# 10^10 iterations: hours for regorus (about 2 million a second here), with little memory.
SPIN = "_r := numbers.range(0, 100000)\n\nspins if count([i | some i in _r; some j in _r; i == j; i < 0]) > 0\n"
SPIN_MODULE = "package deadline.loop\n\nimport rego.v1\n\nx := input.n + 1\n\n" + SPIN
TEAM_RULE = """# METADATA
# title: A rule that loops
# description: d
# custom:
#   id: ACME-NET-001
#   severity: low
#   enforcement: mandatory
#   remediation: r
#   controls: ["ISO/IEC 27001:2022 A.8.9: Configuration management"]
package acme.rules.net.spin

import rego.v1

""" + SPIN + "\ndeny contains \"never\" if spins\n"


def _gone(pid: int, within: float = 3.0) -> bool:
    """The process ``pid`` has ended (and been reaped, or is a zombie) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as handle:
                if handle.read().split(")")[-1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.02)
    return False


def _settled(condition: Callable[[], object], within: float = 0.5) -> bool:
    """``condition()`` becomes true within ``within`` seconds (the stand-in notices a closed socket by polling)."""
    deadline = time.monotonic() + within
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return bool(condition())


def _worker_pid(engine: EmbeddedEngine) -> int:
    assert engine._worker is not None
    return engine._worker.process.pid


# -- the embedded engine -------------------------------------------------------------------------


def test_a_looping_rule_is_stopped_at_the_deadline_and_the_next_call_works():
    engine = EmbeddedEngine(timeout=1)
    try:
        engine.load({"loop.rego": SPIN_MODULE})
        first = _worker_pid(engine)
        started = time.monotonic()
        with pytest.raises(EngineError) as raised:
            engine.query("deadline.loop.spins", {})
        elapsed = time.monotonic() - started
        assert 1.0 <= elapsed < 1.5, elapsed
        assert raised.value.exit_code == 3
        assert raised.value.one_line() == ("regorus did not finish evaluating data.deadline.loop.spins within 1 s "
                                           "(raise the engine timeout (gate.opa.timeout, seconds per call), "
                                           "or fix the rule that loops)")
        assert _gone(first, within=0.5), "the worker still runs after its deadline"
        # A fresh worker with the same policies answers the next call (policy tests go on).
        assert engine.query("deadline.loop.x", {"n": 41}) == 42
        assert _worker_pid(engine) != first
    finally:
        engine.close()


def test_a_worker_that_dies_mid_call_fails_closed():
    engine = EmbeddedEngine(timeout=60)
    try:
        engine.load({"loop.rego": SPIN_MODULE})
        pid = _worker_pid(engine)
        threading.Timer(0.3, os.kill, (pid, signal.SIGKILL)).start()
        with pytest.raises(EngineError) as raised:
            engine.query("deadline.loop.spins", {})
        assert raised.value.message == ("the regorus worker stopped while evaluating data.deadline.loop.spins: "
                                        "killed by signal SIGKILL")
    finally:
        engine.close()


def test_close_and_garbage_collection_end_the_worker():
    engine = EmbeddedEngine()
    pid = _worker_pid(engine)
    engine.close()
    assert _gone(pid, within=0.5)
    with pytest.raises(EngineError, match="used after close"):
        engine.query("x", {})
    dropped = EmbeddedEngine()
    pid = _worker_pid(dropped)
    del dropped  # never closed: the worker must not outlive the engine
    assert _gone(pid, within=0.5)


def test_the_worker_dies_with_sahab_even_mid_evaluation(tmp_path):
    """SIGKILL of the process that owns the engine, while regorus loops: the worker goes too."""
    script = textwrap.dedent("""
        import sys
        from sahab.gate.engines.embedded import EmbeddedEngine
        engine = EmbeddedEngine(timeout=600)
        engine.load({"loop.rego": %r})
        print(engine._worker.process.pid, flush=True)
        engine.query("deadline.loop.spins", {})
    """ % SPIN_MODULE)
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(owner.stdout.readline())
        time.sleep(0.3)  # the query is running
        assert not _gone(pid, within=0.1)
        owner.kill()
        owner.wait(timeout=10)
        assert _gone(pid), "the regorus worker outlived the killed sahab"
    finally:
        if owner.poll() is None:
            owner.kill()
        owner.stdout.close()


@pytest.fixture(scope="module")
def saved_plan(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("deadline") / "plan.json"
    path.write_text(dumps(plan_project(EXAMPLE, "dev")))
    return path


def test_the_gate_fails_closed_on_time_when_a_rule_loops(sahab_cli, saved_plan, tmp_path):
    team = tmp_path / "acme" / "net"
    team.mkdir(parents=True)
    (team / "spin.rego").write_text(TEAM_RULE)
    config = tmp_path / "sahab.yaml"
    config.write_text("gate:\n  opa: {timeout: 1}\n")
    started = time.monotonic()
    result = sahab_cli(["gate", "--plan", str(saved_plan), "--no-checkov", "--config", str(config),
                        "--policy-dir", str(tmp_path / "acme")])
    elapsed = time.monotonic() - started
    assert result.returncode == 3, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["error: regorus did not finish evaluating data.acme.rules within 1 s (raise the engine timeout "
                     "(gate.opa.timeout, seconds per call), or fix the rule that loops)"]
    assert "PASS" not in result.stdout
    assert elapsed < 8, elapsed  # start-up and planning-free gate included; the rule alone runs for hours


# -- the OPA server engine -----------------------------------------------------------------------


def test_an_opa_that_never_answers_is_abandoned_at_the_deadline():
    with FakeOpa() as fake:
        fake.stall = ("silent", "/")
        engine = OpaServerEngine(url=fake.url, timeout=1)
        started = time.monotonic()
        with pytest.raises(EngineError) as raised:
            engine.unsupported_builtins({"startswith"})
        elapsed = time.monotonic() - started
        assert 1.0 <= elapsed < 1.5, elapsed
        assert raised.value.exit_code == 3
        assert raised.value.one_line() == "OPA at %s did not answer within 1 s (check the server, or raise opa.timeout)" % fake.url
        # One request, not urllib3's three attempts, and its connection was closed at the deadline.
        assert _settled(lambda: fake.abandoned) and len(fake.stalled) == 1
        assert fake.abandoned[0] - started < 1.5
        closing = time.monotonic()
        engine.close()
        assert time.monotonic() - closing < 0.2


def test_an_opa_that_trickles_its_answer_is_abandoned_at_the_deadline(caplog):
    with FakeOpa() as fake:
        engine = OpaServerEngine(url=fake.url, timeout=1, policy_prefix="sahab-deadline")
        engine.load({"m.rego": "package slow\n\nimport rego.v1\n\nx := 1\n"})
        fake.stall = ("trickle", "/v1/data/")
        started = time.monotonic()
        with pytest.raises(EngineError) as raised:
            engine.query("slow", {})
        elapsed = time.monotonic() - started
        assert 1.0 <= elapsed < 1.5, elapsed
        assert raised.value.one_line() == ("lost the OPA server at %s while evaluating data.slow: no answer within 1 s "
                                           "(check the server, or raise opa.timeout)" % fake.url)
        assert _settled(lambda: fake.abandoned) and len(fake.stalled) == 1
        assert fake.abandoned[0] - started < 1.6  # the server saw the client go within a trickle step
        # Clean-up does not wait another timeout per policy on a server that stopped answering.
        fake.stall = None
        closing = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="sahab.gate.opa"):
            engine.close()
        assert time.monotonic() - closing < 0.2
        assert "could not delete 1 policies" in caplog.text and "no answer within 1 s" in caplog.text


def test_the_gate_fails_closed_on_time_when_opa_never_answers(saved_plan, tmp_path):
    with FakeOpa() as fake:
        fake.stall = ("silent", "/")
        config = GateConfig(engine="opa", opa={"url": fake.url, "timeout": 1}, checkov_enabled=False)
        started = time.monotonic()
        with pytest.raises(EngineError) as raised:
            sahab.gate_saved_plan(saved_plan, config)
        failed = time.monotonic()
    # The gate's own work (policies, snapshot, coverage) comes first; the server's part is one deadline.
    assert len(fake.stalled) == 1 and 0.9 <= failed - fake.stalled[0] < 1.5, (fake.stalled, failed - started)
    assert raised.value.exit_code == 3
    assert raised.value.message == "OPA at %s did not answer within 1 s" % fake.url


def test_the_gate_cli_fails_closed_when_opa_trickles(sahab_cli, saved_plan, tmp_path):
    with FakeOpa() as fake:
        fake.stall = ("trickle", "/")
        config = tmp_path / "sahab.yaml"
        config.write_text("gate:\n  engine: opa\n  opa: %s\n" % json.dumps({"url": fake.url, "timeout": 1}))
        started = time.monotonic()
        result = sahab_cli(["gate", "--plan", str(saved_plan), "--no-checkov", "--config", str(config)])
        elapsed = time.monotonic() - started
    assert result.returncode == 3, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["error: OPA at %s did not answer within 1 s (check the server, or raise opa.timeout)" % fake.url]
    assert elapsed < 8, elapsed


@pytest.mark.parametrize("kind", ["embedded", "opa"])
@pytest.mark.parametrize("value, message", [
    (0, "opa.timeout must be a positive number of seconds, not 0"),
    (-1, "opa.timeout must be a positive number of seconds, not -1"),
    (float("nan"), "opa.timeout must be a positive number of seconds, not nan"),
    (float("inf"), "opa.timeout must be a positive number of seconds, not inf"),
    (True, "opa.timeout must be a positive number of seconds, not True"),
    ("soon", "opa.timeout 'soon' is not a number of seconds"),
])
def test_a_timeout_that_could_never_be_a_deadline_is_refused(kind, value, message):
    with pytest.raises(ConfigError) as raised:
        create_engine(kind, {"timeout": value})
    assert raised.value.exit_code == 2
    assert raised.value.one_line() == message + " (e.g. timeout: 30)"


def test_a_looping_policy_test_is_an_error_and_the_others_still_run(tmp_path):
    team = tmp_path / "acme" / "net"
    team.mkdir(parents=True)
    (team / "spin.rego").write_text(TEAM_RULE)
    (team / "spin_test.rego").write_text("package acme.rules.net.spin_test\n\nimport rego.v1\n\n" + SPIN
                                         + "\ntest_loops if not spins\n\ntest_passes if true\n")
    engine = EmbeddedEngine(timeout=1)
    try:
        started = time.monotonic()
        results = run_policy_tests(load_bundle(team_dirs=[tmp_path / "acme"]), engine, teams_only=True)
        elapsed = time.monotonic() - started
    finally:
        engine.close()
    assert [(r.name, r.status, r.error) for r in results] == [
        ("test_loops", "ERROR", "regorus did not finish evaluating data.acme.rules.net.spin_test.test_loops within 1 s"),
        ("test_passes", "PASS", None),
    ]
    assert elapsed < 5, elapsed
