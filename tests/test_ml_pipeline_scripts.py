"""The shell loops of pipelines/github/ml-pipeline.yml, run by bash against a scripted ``kubectl``.

There is no cluster here: a stand-in ``kubectl`` on PATH answers ``get ... -o jsonpath=EXPR`` from
a list of states, and a stand-in ``sleep`` moves to the next state (or fails when the list is
exhausted, so a loop that never decides fails the test instead of hanging). What this shows: which
KubeRay and Argo Rollouts states each loop accepts, refuses, or keeps waiting on. What it cannot:
that a real API server reports those fields as the loops read them.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parents[1] / "pipelines" / "github" / "ml-pipeline.yml"

_KUBECTL = r'''#!%(python)s
import json, os, sys
states = json.load(open(os.environ["FAKE_STATES"]))
step = int(open(os.environ["FAKE_STEP"]).read())
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")
if args[0] == "get":
    expression = next(a for a in args if a.startswith("jsonpath="))[len("jsonpath="):]
    print(states[step].get(expression, ""), end="")
'''
_SLEEP = r'''#!%(python)s
import json, os, sys
states = json.load(open(os.environ["FAKE_STATES"]))
step = int(open(os.environ["FAKE_STEP"]).read()) + 1
if step >= len(states):
    sys.exit("no more states: the loop never decided")
open(os.environ["FAKE_STEP"], "w").write(str(step))
'''


def _step(job: str, name: str) -> Dict[str, Any]:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"][job]["steps"]
    (found,) = [s for s in steps if s.get("name") == name]
    return found


def _run(tmp_path: Path, script: str, env: Dict[str, str], states: List[Dict[str, str]]) -> subprocess.CompletedProcess:
    tools = tmp_path / "bin"
    tools.mkdir()
    for name, body in (("kubectl", _KUBECTL), ("sleep", _SLEEP)):
        (tools / name).write_text(body % {"python": sys.executable})
        (tools / name).chmod(0o755)
    (tmp_path / "states.json").write_text(json.dumps(states))
    (tmp_path / "step").write_text("0")
    env = {"PATH": "%s:/usr/bin:/bin" % tools, "FAKE_STATES": str(tmp_path / "states.json"), "FAKE_STEP": str(tmp_path / "step"),
           "FAKE_LOG": str(tmp_path / "log"), "RUNNER_TEMP": str(tmp_path), **env}
    # GitHub runs a `run:` script with `bash --noprofile --norc -eo pipefail`
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], env=env, capture_output=True,
                          text=True, timeout=60)


URI = "{.spec.template.spec.containers[?(@.name==\"mlserver\")].env[?(@.name==\"MLSERVER_MODEL_URI\")].value}"
ROLLOUT_ENV = {"WANT": "models:/churn/8", "NAMESPACE": "models", "ROLLOUT": "churn"}


def _rollout(uri: str = "models:/churn/8", phase: str = "Healthy", observed: str = "4", stable: str = "abc", current: str = "abc",
             message: str = "") -> Dict[str, str]:
    return {URI: uri, "{.status.phase}": phase, "{.status.observedGeneration}": observed, "{.metadata.generation}": "4",
            "{.status.stableRS}": stable, "{.status.currentPodHash}": current, "{.status.message}": message}


def test_canary_result_passes_only_once_the_new_version_is_stable(tmp_path):
    script = _step("canary-result", "Wait for the Rollout to finish or abort")["run"]
    states = [_rollout(phase="Healthy", observed="3", stable="old", current="old"),  # not yet seen by the controller
              _rollout(phase="Progressing", stable="old", current="new"),
              _rollout(phase="Paused", stable="old", current="new"),
              _rollout(phase="Healthy", stable="new", current="new")]
    done = _run(tmp_path, script, ROLLOUT_ENV, states)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "models:/churn/8 is stable in models/churn"
    assert int((tmp_path / "step").read_text()) == 3  # it waited through every undecided state


@pytest.mark.parametrize("states, error", [
    ([_rollout(phase="Progressing", current="new", stable="old"), _rollout(phase="Degraded", current="new", stable="old",
                                                                           message="RolloutAborted: metric error-rate assessed Failed")],
     "::error title=Canary aborted::the analysis of models:/churn/8 failed: RolloutAborted: metric error-rate assessed Failed"),
    ([_rollout(uri="models:/churn/7")],
     "::error title=Canary not started::Rollout churn releases models:/churn/7, not models:/churn/8: "
     "does the serving program read the version from its config?"),
], ids=["aborted", "other-version"])
def test_canary_result_fails_on_an_aborted_canary_or_another_version(tmp_path, states, error):
    done = _run(tmp_path, _step("canary-result", "Wait for the Rollout to finish or abort")["run"], ROLLOUT_ENV, states)
    assert done.returncode == 1 and done.stdout.strip() == error


def _rayjob(deployment: str, status: str) -> Dict[str, str]:
    return {"{.status.jobDeploymentStatus}": deployment, "{.status.jobStatus}": status}


@pytest.mark.parametrize("final, code", [(("Complete", "SUCCEEDED"), 0), (("Complete", "STOPPED"), 1), (("Failed", "FAILED"), 1)])
def test_train_waits_for_kuberays_verdict(tmp_path, final, code):
    script = _step("train", "Submit the RayJob and wait for KubeRay's verdict")["run"]
    states = [_rayjob("", ""), _rayjob("Initializing", "PENDING"), _rayjob("Running", "RUNNING"), _rayjob(*final)]
    done = _run(tmp_path, script, {"JOB": "churn-train-42-1", "QUEUE": "training-churn"}, states)
    assert done.returncode == code, done.stdout + done.stderr
    calls = [json.loads(line) for line in (tmp_path / "log").read_text().splitlines()]
    assert calls[0] == ["create", "-f", str(tmp_path / "rayjob.yaml")]
    assert all(call[:5] == ["get", "rayjob", "churn-train-42-1", "-n", "training-churn"] for call in calls[1:])
    assert int((tmp_path / "step").read_text()) == 3
    if code:
        assert done.stdout.startswith("::error title=Training failed::RayJob churn-train-42-1 ")
