"""The program cannot tamper with its own verdict (issue 11, section 1).

The record of what a program registered lives in sahab's process, which serves the Pulumi engine's
resource-monitor methods to the program (sahab.planner.monitor_server, sahab.planner.session). The fixture attacks the
record the way that worked while it lived in the program's process: it patched the harness's
capture and cleared every list of registration records; the gate then said "0 resources, PASS".
"""
from __future__ import annotations

import json
import shutil

from planner_helpers import program, run_cli
from program_projects import write_project


def _gate(folder) -> tuple:
    done = run_cli(["gate", "--stack", "dev", "--no-checkov", "-f", "json"], cwd=folder)
    return done.returncode, done


def test_erasing_the_record_in_the_program_changes_nothing():
    code, done = _gate(program("tamper_capture"))
    assert code == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["summary"]["resources"] == 2 and report["summary"]["verdict"] == "fail"
    blocking = sorted((f["rule_id"], f["urn"].rsplit("::", 1)[-1]) for f in report["findings"]
                      if f["enforcement"] == "mandatory")
    assert blocking == [("SAHAB-ENC-001", "exfil"), ("SAHAB-ENC-007", "exfil"), ("SAHAB-NET-004", "exfil"),
                        ("SAHAB-RES-001", "exfil"), ("SAHAB-RES-001", "ireland")]


def test_a_program_that_leaves_before_the_harness_reports_never_passes(tmp_path):
    """Leaving at once (no report of how the program ended) is a planner failure, exit 3, not a plan."""
    folder = tmp_path / "leaver"
    shutil.copytree(program("tamper_capture"), folder)
    main = folder / "__main__.py"
    main.write_text(main.read_text(encoding="utf-8") + "\nimport os\nos._exit(0)\n", encoding="utf-8")
    code, done = _gate(folder)
    assert code == 3, done.stdout
    assert "the planning process exited with code 0 before it finished" in done.stderr
    assert "PASS" not in done.stdout + done.stderr


def test_a_yaml_bomb_the_program_decodes_is_refused_in_sahabs_process(tmp_path):
    """kubernetes:yaml:decode is answered in sahab's process now, so with the bounded YAML loader."""
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += ["a%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10)) for i in range(1, 9)]
    write_project(tmp_path, "import pulumi_kubernetes as k8s\nk8s.yaml.ConfigGroup('bomb', yaml=[%r])\n" % "\n".join(levels),
                  "config: {}\n", name="bomb")
    done = run_cli(["plan", "--stack", "dev"], cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "the YAML given to kubernetes:yaml:decode expands to more than 1000000 values" in done.stderr


FORGED_END = '''
import json, os
from pulumi.runtime.settings import SETTINGS
stub = SETTINGS.monitor._monitor  # the harness's own stub, behind its transforms
forged = {"finish": {"error": {"kind": 5, "file": ["x"], "line": "two", "message": None}, "speculative": [1]}}
stub.call("Tell", json.dumps(forged).encode())
os._exit(0)
'''


def test_a_forged_end_of_the_program_is_a_planner_failure_without_a_traceback(tmp_path):
    """What the program's process says about its end is its word: ill-typed fields are dropped, never trusted."""
    folder = tmp_path / "forger"
    shutil.copytree(program("tamper_capture"), folder)
    main = folder / "__main__.py"
    main.write_text(main.read_text(encoding="utf-8") + FORGED_END, encoding="utf-8")
    done = run_cli(["plan", "--stack", "dev"], cwd=folder)
    assert done.returncode == 3, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        "error: planner limitation at the planning process reported an error without a message "
        "(please report it with --debug output)"]
