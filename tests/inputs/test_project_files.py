"""Files read from the project: bounded, regular, inside the project; never a FIFO that hangs the gate.

Each refused file is reported (``CKV_SAHAB_PARSE``, unchecked) and never read or handed to checkov;
a refused input the user named (``--waivers``, ``sahab.yaml``) is exit 2 naming it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hostile import assert_refused
from sahab.errors import ConfigError
from sahab.gate.checkov.manifests import collect_project_files
from sahab.inputs.files import MAX_INPUT_BYTES, read_input_bytes

OUTSIDE_SECRET = "outside-the-project-s3cr3t"
BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    "%s: &%s [%s]\n" % (chr(98 + i), chr(98 + i), ",".join(["*" + chr(97 + i)] * 9)) for i in range(8))


def _hostile_project(root: Path, outside: Path) -> Path:
    outside.write_text("stages: [build]\nbuild: {script: [echo %s]}\n" % OUTSIDE_SECRET)
    (root / "pipelines").mkdir(parents=True)
    (root / "pipelines" / "bomb.gitlab-ci.yml").write_text("stages: [x]\n" + BOMB)
    (root / "pipelines" / "deep.yml").write_text("jobs: " + "[" * 3000 + "]" * 3000 + "\n")
    (root / "pipelines" / "ok.gitlab-ci.yml").write_text("stages: [build]\nbuild: {script: [make]}\n")
    (root / ".github" / "workflows").mkdir(parents=True)
    os.mkfifo(root / ".github" / "workflows" / "fifo.yml")
    os.symlink(outside, root / ".gitlab-ci.yml")
    (root / "svc").mkdir()
    os.mkfifo(root / "svc" / "Dockerfile")
    os.symlink(root / "svc" / "loop.Dockerfile", root / "svc" / "loop.Dockerfile")
    (root / "big").mkdir()
    with open(root / "big" / "Dockerfile", "wb") as handle:
        handle.truncate(MAX_INPUT_BYTES + 1)
    (root / "app").mkdir()
    (root / "app" / "Dockerfile").write_text("FROM python:3.12\nUSER app\n")
    return root


EXPECTED_REFUSED = {
    ".github/workflows/fifo.yml": "is a FIFO, not a regular file",
    ".gitlab-ci.yml": "is a symlink to %s, outside the project",
    "big/Dockerfile": "is larger than the 4 MiB limit (%d bytes)" % (MAX_INPUT_BYTES + 1),
    "pipelines/bomb.gitlab-ci.yml": "is over sahab's YAML limits: it expands to more than 1000000 values once its aliases "
                                    "are followed",
    "pipelines/deep.yml": "is over sahab's YAML limits: it nests deeper than 64 levels (line 1)",
    "svc/Dockerfile": "is a FIFO, not a regular file",
    "svc/loop.Dockerfile": "is a symlink loop",
}


def test_hostile_project_files_are_refused_and_reported_never_read(tmp_path: Path):
    outside = tmp_path / "outside.yml"
    root = _hostile_project(tmp_path / "project", outside)
    refused, unparseable = [], []
    files = collect_project_files(root, unparseable, refused)  # returns at all: no FIFO was opened for a blocking read
    assert sorted(f.source for f in files) == ["app/Dockerfile", "pipelines/ok.gitlab-ci.yml"]
    expected = dict(EXPECTED_REFUSED)
    expected[".gitlab-ci.yml"] %= outside.resolve()
    assert dict(refused) == expected
    assert unparseable == []
    assert not any(OUTSIDE_SECRET.encode() in f.content for f in files)


def test_a_device_is_never_read():
    with pytest.raises(ConfigError) as raised:
        read_input_bytes(Path("/dev/zero"), "waivers file", "fix --waivers")
    assert raised.value.one_line() == "waivers file /dev/zero is a device, not a regular file (fix --waivers)"


def test_a_fifo_as_a_named_input_is_exit_2_without_hanging(sahab_cli, project: Path, saved_plan: Path, tmp_path: Path):
    fifo = tmp_path / "waivers.yaml"
    os.mkfifo(fifo)
    result = sahab_cli(["gate", str(project), "--plan", str(saved_plan), "--no-checkov", "--waivers", str(fifo)], timeout=60)
    assert_refused(result, "waivers file %s is a FIFO, not a regular file" % fifo)
    root = tmp_path / "p"
    root.mkdir()
    os.mkfifo(root / "sahab.yaml")
    result = sahab_cli(["gate", str(root), "--plan", str(saved_plan), "--no-checkov"], timeout=60)
    assert_refused(result, "gate configuration %s is a FIFO, not a regular file (fix sahab.yaml)" % (root / "sahab.yaml"))


def test_the_gate_reports_hostile_project_files_and_never_hangs(sahab_cli, saved_plan: Path, tmp_path: Path):
    """End to end with checkov: the FIFOs would block a plain read for ever (the subprocess timeout catches that)."""
    outside = tmp_path / "outside.yml"
    root = _hostile_project(tmp_path / "project", outside)
    (root / "Pulumi.yaml").write_text("name: hostile\nruntime: python\n")
    result = sahab_cli(["gate", str(root), "--plan", str(saved_plan), "--format", "json"], timeout=600)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    reported = {f["urn"][len("file:"):]: f for f in report["findings"] if f["rule_id"] == "CKV_SAHAB_PARSE"}
    assert sorted(reported) == sorted(EXPECTED_REFUSED)
    assert all(f["status"] == "unchecked" and "sahab did not read it" in f["message"] for f in reported.values())
    assert OUTSIDE_SECRET not in result.stdout + result.stderr
    assert any(f["urn"] == "file:app/Dockerfile" for f in report["findings"])  # the regular Dockerfile was scanned
