"""Hostile programs that tamper with the gate's project inputs while they are planned (issue 11, section 1).

The program runs as the same user as sahab, in the project's folder. Each program here is written
the way such a change would arrive in a pull request (a "build step" or "clean-up" beside real
resources) and rewrites, renames or deletes a file the gate reads. The gate read every project
input before the program started (sahab.gate.snapshot), so the verdict is the one the pull
request's files call for: exact findings, exact exit code, and the tampering did happen.

Where the system lets sahab lock the filesystem (sahab.planner.readonly) the program cannot write at
all, and the first test shows the renaming program stopped. The snapshot is the defence where it
cannot: every other test here plans the way such a system does (no namespaces: the program may
write, and the plan says so), to prove the verdict still holds there.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

import sahab
from sahab.planner import sandbox
from program_projects import write_project

# `sahab` on a system that allows no namespaces: the program runs with a writable filesystem.
SAHAB_WITHOUT_LOCK = [sys.executable, "-c", "import sahab.planner.sandbox as s; s.namespaces = lambda: s.Namespaces((), False); "
                      "from sahab.cli import main; main()"]


@pytest.fixture
def without_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plans in this process as on a system that allows no namespaces."""
    monkeypatch.setattr(sandbox, "namespaces", lambda: sandbox.Namespaces((), False))


def _gate_without_lock(args: List[str]) -> subprocess.CompletedProcess:
    return subprocess.run(SAHAB_WITHOUT_LOCK + args, capture_output=True, text=True, timeout=300, check=False)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

DOCKERFILE = 'FROM python:3.12-slim\nRUN pip install flask\nUSER root\nCMD ["flask", "run"]\n'
WORKFLOW = """on: [push]
permissions: write-all
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: make deploy
"""
# "Generates" its Dockerfile and retires the old workflow during planning: both files, each with a
# mandatory checkov violation, are gone from disk by the time the program has run; and it plants a
# `.git` marker that would move the paths the findings name.
RENAMING_PROGRAM = '''"""The API's image and deploy pipeline."""
import os
import pathlib

import pulumi

# The build context is generated from a template at deploy time; keep the tree tidy meanwhile.
pathlib.Path("app/Dockerfile").rename("app/build-notes.txt")
# The old pipeline moved to the platform team's repository.
os.remove(".github/workflows/deploy.yml")
# "Vendored" as its own repository: would make every reported path relative to this folder.
os.mkdir(".git")
pulumi.export("image", "api")
'''

OFFSHORE_PROGRAM = '''"""Public model-card mirror."""
import pathlib

import pulumi
import pulumi_aws as aws

uae = aws.Provider("uae", region="me-central-1")
aws.s3.Bucket("offshore", region="eu-west-1", opts=pulumi.ResourceOptions(provider=uae))

# "Refresh" the review files while planning: a waiver, a baseline entry and a relaxed sahab.yaml
# for the residency finding, none of which the pull request holds.
OFFSHORE = "urn:pulumi:dev::tamper::aws:s3/bucket:Bucket::offshore"
with open("waivers.yaml", "a") as waivers:
    waivers.write("  - {rule: SAHAB-RES-001, urn: '%s', reason: mirror, approver: me@example.ae, expires: 2099-12-31}\\n"
                  % OFFSHORE)
pathlib.Path("baseline.json").write_text(
    '{"schemaVersion": "sahab.dev/baseline/v1", "project": "tamper", "stack": "dev", '
    '"findings": [{"rule_id": "SAHAB-RES-001", "urn": "%s"}]}' % OFFSHORE)
pathlib.Path("sahab.yaml").write_text(
    "gate:\\n  waivers: waivers.yaml\\n  baseline: baseline.json\\n  soft_fail: true\\n"
    "  enforcement: {SAHAB-RES-001: disabled}\\n")
pulumi.export("bucket", "offshore")
'''
OFFSHORE = "urn:pulumi:dev::tamper::aws:s3/bucket:Bucket::offshore"
REVIEWED_WAIVERS = "waivers:\n" + "".join(
    "  - {rule: %s, urn: '%s', reason: public mirror reviewed, approver: sec@example.ae, expires: 2099-12-31}\n" % (rule, OFFSHORE)
    for rule in ("SAHAB-ENC-001", "SAHAB-ENC-007", "SAHAB-NET-004"))

# Appended to the team-rules example: swaps ACME's checkov check for one that never fails and
# plants a check that would run in checkov's process, which has the CI job's environment.
CHECK_SWAPPING_CODE = '''
import pathlib

checks = pathlib.Path("checkov")
(checks / "acme_base_images.py").write_text("# retired\\n")
(checks / "zz_collect.py").write_text(
    "import os, pathlib\\n"
    "pathlib.Path(%r).write_text(repr(dict(os.environ)))\\n" % str(pathlib.Path("checkov-ran-planted-code").resolve()))
'''


def _project(root: Path, program: str) -> Path:
    return write_project(root, program, name="tamper")


def _findings(report: dict) -> List[Tuple]:
    return sorted((f["rule_id"], f["enforcement"], f["status"], f["urn"], f["file"], f["line"]) for f in report["findings"])


def _renaming_project(tmp_path: Path) -> Path:
    repository = tmp_path / "repo"
    project = _project(repository / "infra", RENAMING_PROGRAM)
    subprocess.run(["git", "init", "-q", str(repository)], check=True)
    (project / "app").mkdir()
    (project / "app" / "Dockerfile").write_text(DOCKERFILE)
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".github" / "workflows" / "deploy.yml").write_text(WORKFLOW)
    return project


def test_with_the_filesystem_locked_the_renaming_program_is_stopped(sahab_cli, tmp_path: Path):
    if not sandbox.namespaces().read_only:
        pytest.skip("this system allows no mount namespace: the tests below show what holds instead")
    project = _renaming_project(tmp_path)
    result = sahab_cli(["gate", str(project), "--stack", "dev", "--format", "json"])
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Read-only file system: 'app/Dockerfile'" in result.stderr
    assert (project / "app" / "Dockerfile").read_text() == DOCKERFILE and not (project / ".git").exists()


def test_a_dockerfile_and_workflow_renamed_away_during_planning_are_still_judged(tmp_path: Path):
    project = _renaming_project(tmp_path)

    result = _gate_without_lock(["gate", str(project), "--stack", "dev", "--format", "json"])

    assert not (project / "app" / "Dockerfile").exists() and not (project / ".github" / "workflows" / "deploy.yml").exists()
    assert (project / "app" / "build-notes.txt").read_text() == DOCKERFILE  # the program did run and rename it
    assert result.returncode == 1, result.stderr[-2000:]
    # The pre-run content, under the project's own paths (relative to the repository root), not a scratch folder's.
    assert _findings(json.loads(result.stdout)) == [
        ("CKV2_GHA_1", "mandatory", "violation", "file:.github/workflows/deploy.yml", "infra/.github/workflows/deploy.yml", 2),
        ("CKV_DOCKER_2", "advisory", "violation", "file:app/Dockerfile", "infra/app/Dockerfile", 1),
        ("CKV_DOCKER_8", "mandatory", "violation", "file:app/Dockerfile", "infra/app/Dockerfile", 3),
    ]


def test_waivers_baseline_and_sahab_yaml_rewritten_during_planning_change_nothing(tmp_path: Path):
    project = _project(tmp_path / "project", OFFSHORE_PROGRAM)
    (project / "sahab.yaml").write_text("gate:\n  waivers: waivers.yaml\n  baseline: baseline.json\n")
    (project / "waivers.yaml").write_text(REVIEWED_WAIVERS)
    (project / "baseline.json").write_text(
        '{"schemaVersion": "sahab.dev/baseline/v1", "project": "tamper", "stack": "dev", "findings": []}')

    result = _gate_without_lock(["gate", str(project), "--stack", "dev", "--no-checkov", "--format", "json"])

    assert "SAHAB-RES-001" in (project / "waivers.yaml").read_text()  # the program did rewrite all three
    assert "SAHAB-RES-001" in (project / "baseline.json").read_text()
    assert "soft_fail: true" in (project / "sahab.yaml").read_text()
    assert result.returncode == 1, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert _findings(report) == [
        ("SAHAB-ENC-001", "mandatory", "waived", OFFSHORE, "__main__.py", 8),
        ("SAHAB-ENC-007", "mandatory", "waived", OFFSHORE, "__main__.py", 8),
        ("SAHAB-ENC-011", "advisory", "violation", OFFSHORE, "__main__.py", 8),
        ("SAHAB-NET-004", "mandatory", "waived", OFFSHORE, "__main__.py", 8),
        ("SAHAB-RES-001", "mandatory", "violation", OFFSHORE, "__main__.py", 8),
    ]
    summary = report["summary"]
    assert (summary["blocking"], summary["waived"], summary["baselined"], summary["soft_fail"]) == (1, 3, 0, False)
    assert summary["project_relaxations"] is None


def test_a_checkov_check_swapped_or_planted_during_planning_is_not_run(tmp_path: Path, without_lock):
    project = tmp_path / "team-rules"
    shutil.copytree(EXAMPLES / "team-rules", project, ignore=shutil.ignore_patterns("__pycache__"))
    with open(project / "__main__.py", "a") as program:
        program.write(CHECK_SWAPPING_CODE)

    run = sahab.run_gate(project, "dev")

    assert (project / "checkov" / "zz_collect.py").exists()  # the program did plant it
    assert not (project / "checkov-ran-planted-code").exists()
    assert sorted((f.rule_id, f.status, f.enforcement, f.urn) for f in run.result.blocking) == [
        ("ACME-TAG-001", "violation", "mandatory", "urn:pulumi:dev::team-rules-example::aws:kms/key:Key::scratch"),
        ("CKV_ACME_1", "violation", "mandatory", "file:Dockerfile"),
    ]
    assert run.result.exit_code == 1


@pytest.mark.parametrize("name", ["waivers.yaml", "baseline.json"])
def test_a_named_input_deleted_during_planning_is_judged_as_it_was(tmp_path: Path, name: str, without_lock):
    """Read once, before: a file the program deletes is neither an error nor a different verdict."""
    program = OFFSHORE_PROGRAM.split("# \"Refresh\"")[0] + "import os\nos.remove(%r)\n" % name
    project = _project(tmp_path / "project", program)
    (project / "sahab.yaml").write_text("gate:\n  waivers: waivers.yaml\n  baseline: baseline.json\n")
    (project / "waivers.yaml").write_text(REVIEWED_WAIVERS)
    (project / "baseline.json").write_text(json.dumps({
        "schemaVersion": "sahab.dev/baseline/v1", "project": "tamper", "stack": "dev",
        "findings": [{"rule_id": "SAHAB-RES-001", "urn": OFFSHORE}]}))

    run = sahab.run_gate(project, "dev", sahab.load_gate_config(project).with_overrides(checkov_enabled=False))

    assert not (project / name).exists()
    assert sorted((f.rule_id, f.status) for f in run.result.findings if f.enforcement == "mandatory") == [
        ("SAHAB-ENC-001", "waived"), ("SAHAB-ENC-007", "waived"), ("SAHAB-NET-004", "waived"),
        ("SAHAB-RES-001", "baselined")]
    assert run.result.exit_code == 0
