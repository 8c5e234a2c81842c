"""The planned program cannot write what sahab reads or runs after it (docs/planner.md#environment-and-network).

The fixture program (tests/fixtures/programs/readonly_fs) first tries to remount the filesystem
writable, then plants a "passed" verdict in a checkov result cache folder, a module in sahab's own
package and a file in its project folder: each is refused, nothing exists afterwards, while its
temporary folder (inside the run's scratch folder, removed with it) takes a file and the plan succeeds.
"""
from __future__ import annotations

import errno
import shutil
from pathlib import Path
from typing import Iterator

import pytest

import sahab
from sahab.errors import PlannerError, ProgramError
from sahab.planner import plan_project
from sahab.planner import sandbox
from sahab.planner.sandbox import NO_NETWORK_NAMESPACE, WRITABLE_FILESYSTEM, namespaces

from planner_helpers import program, warnings
from program_projects import write_project

PACKAGE = Path(sahab.__file__).resolve().parent
READ_ONLY = "errno %d" % errno.EROFS
WRITE_OUT = 'import pulumi\n\nwith open("out.txt", "w") as out:\n    out.write("x")\n'


@pytest.fixture
def fresh_probe() -> Iterator[None]:
    """The probe runs again in the test, and again for whatever test comes next."""
    namespaces.cache_clear()
    yield
    namespaces.cache_clear()


def _project(tmp_path: Path, package_dir: Path) -> tuple:
    """The fixture program in a folder of its own, aimed at a checkov cache folder and ``package_dir``."""
    project = tmp_path / "project"
    shutil.copytree(program("readonly_fs"), project)
    cache = tmp_path / "cache" / "results" / "5e"  # as $SAHAB_CACHE_DIR/results/<key[:2]>/ is laid out
    cache.mkdir(parents=True)
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: me-central-1\n  readonly:cacheDir: %s\n  readonly:packageDir: %s\n" % (cache, package_dir))
    return project, cache


def _writer(folder: Path, body: str) -> Path:
    """A project in ``folder`` whose program is ``body``."""
    return write_project(folder, body, "config: {}\n", name="writer")


def test_the_program_cannot_write_outside_its_temporary_folder(tmp_path, monkeypatch):
    if not namespaces().read_only:
        pytest.skip("this machine cannot lock the filesystem (the fallback is tested below)")
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)  # so the program's import tries to write bytecode
    project, cache = _project(tmp_path, PACKAGE)
    planted = [cache / "planted.json", PACKAGE / "planted.py", project / "planted.txt"]
    try:
        plan = plan_project(project, "dev")
        outputs = plan["outputs"]
        assert (outputs["remount"], outputs["cache"], outputs["package"], outputs["project"]) == (
            "errno %d" % errno.EPERM, READ_ONLY, READ_ONLY, READ_ONLY)
        assert [path for path in planted if path.exists()] == []
        assert not (project / "__pycache__").exists()  # Python's own bytecode write failed quietly
        temp = Path(outputs["tempDir"])
        assert (outputs["temp"], outputs["tempText"]) == ("written", "temporary\n")
        assert temp.name == "tmp" and temp.parent.name.startswith("sahab-plan-") and not temp.exists()
        assert [r["name"] for r in plan["resources"] if r["type"] == "aws:s3/bucket:Bucket"] == ["data"]
        assert WRITABLE_FILESYSTEM not in warnings(plan) and NO_NETWORK_NAMESPACE not in warnings(plan)
    finally:
        for path in planted:
            path.unlink(missing_ok=True)


def test_a_program_that_writes_its_folder_fails_naming_the_read_only_filesystem(tmp_path):
    if not namespaces().read_only:
        pytest.skip("this machine cannot lock the filesystem (the fallback is tested below)")
    _writer(tmp_path, WRITE_OUT)
    with pytest.raises(ProgramError) as raised:
        plan_project(tmp_path, "dev")
    assert raised.value.one_line() == (
        "program error: __main__.py:3: OSError: [Errno 30] Read-only file system: 'out.txt' (planning runs the "
        "program on a read-only filesystem: write temporary files under tempfile.gettempdir())")
    assert not (tmp_path / "out.txt").exists()


def test_without_a_mount_namespace_the_plan_says_the_filesystem_was_writable(tmp_path, fresh_probe, monkeypatch):
    probe = sandbox._works
    monkeypatch.setattr(sandbox, "_works", lambda command, read_only: not read_only and probe(command, read_only))
    found = namespaces()
    assert not found.read_only and "--mount" not in found.unshare
    isolation = sandbox.program_isolation(tmp_path)
    assert isolation.diagnostics == ((WRITABLE_FILESYSTEM,) if found.unshare else (NO_NETWORK_NAMESPACE, WRITABLE_FILESYSTEM))
    assert isolation.environment == {name: str(tmp_path / "tmp") for name in ("TMPDIR", "TEMP", "TMP")}
    project = _writer(tmp_path / "project", WRITE_OUT)
    plan = plan_project(project, "dev")
    assert {"severity": "warning", "message": WRITABLE_FILESYSTEM} in plan["diagnostics"]
    assert (project / "out.txt").read_text() == "x"  # ...which is the truth


def test_when_the_lock_fails_the_program_does_not_run(tmp_path, monkeypatch):
    if not namespaces().read_only:
        pytest.skip("this machine cannot lock the filesystem (the fallback is tested above)")
    locked = sandbox._locked
    monkeypatch.setattr(sandbox, "_locked", lambda scratch: locked(scratch / "missing"))
    _writer(tmp_path, WRITE_OUT.replace("out.txt", "ran.txt"))
    with pytest.raises(PlannerError) as raised:
        plan_project(tmp_path, "dev")
    assert raised.value.one_line().startswith(
        "the planning process exited with code 125 before it finished: sahab: the planned program's filesystem "
        "could not be made read-only: bind ")
    assert not (tmp_path / "ran.txt").exists()

