"""Run a program under the mock harness in a child process and collect what it registered.

The child is the program's own interpreter with the harness injected from sahab's source tree
(only the harness package, under a private module name, so it cannot collide with the program's
modules). A child process also gives every plan a fresh Pulumi runtime, whose global state
cannot be reset in-process.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from ..errors import PlannerError, ProgramError, UsageError
from .project import PulumiProject
from .sandbox import NO_NETWORK_NAMESPACE, network_isolation, program_environment
from .sources import source_root

HARNESS_DIR = Path(__file__).resolve().parent / "harness"

# Loads the harness package from its folder under a private name, then runs it. The child leaves
# with os._exit once the capture is written: tearing down the program's millions of objects
# (resources, outputs, futures) took ~3 s at 5,000 resources, and nothing in it is needed.
BOOTSTRAP = """
import importlib.util, os, sys
harness_dir, request = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location(
    "_sahab_harness", harness_dir + "/__init__.py", submodule_search_locations=[harness_dir])
module = importlib.util.module_from_spec(spec)
sys.modules["_sahab_harness"] = module
spec.loader.exec_module(module)
del sys.argv[1:]
from _sahab_harness import run
code = run.main(request)
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
"""

ProgressCallback = Callable[[int], None]


def run_harness(
    project: PulumiProject,
    interpreter: str,
    stack_references: Dict[str, Any],
    progress: Optional[ProgressCallback] = None,
    timeout: float = 900.0,
    debug: bool = False,
    pass_env: Sequence[Tuple[str, Optional[str]]] = (),
) -> Dict[str, Any]:
    """Run the program and return the harness capture (resources, outputs, diagnostics).

    The program gets no credential and, where the OS allows it, no network (:mod:`.sandbox`);
    ``pass_env``: the variables ``--pass-env`` names (:func:`.sandbox.parse_pass_env`).
    """
    with tempfile.TemporaryDirectory(prefix="sahab-plan-") as scratch:
        capture_path = Path(scratch) / "capture.json"
        request_path = Path(scratch) / "request.json"
        read_fd, write_fd = os.pipe()
        request = {
            "project": project.name,
            "stack": project.stack,
            "organization": project.organization,
            "program": str(project.program),
            "cwd": str(project.program_dir),
            "projectRoot": str(project.root),
            "sourceRoot": str(source_root(project.root)),
            "config": project.config,
            "secretKeys": list(project.secret_keys),
            "stackReferences": stack_references,
            "capturePath": str(capture_path),
            "progressFd": write_fd,
        }
        request_path.write_text(json.dumps(request), encoding="utf-8")
        env = program_environment(os.environ, pass_env)
        env["PYTHONHASHSEED"] = "0"
        isolation = network_isolation()
        if shutil.which(interpreter, path=env.get("PATH")) is None:
            os.close(read_fd)
            os.close(write_fd)
            raise UsageError("cannot start %s: not an executable" % interpreter, "check --python or the virtualenv in Pulumi.yaml")
        try:
            child = subprocess.Popen(
                [*(isolation or ()), interpreter, "-c", BOOTSTRAP, str(HARNESS_DIR), str(request_path)],
                cwd=str(project.program_dir),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(write_fd,),
            )
        except OSError as exc:
            os.close(read_fd)
            os.close(write_fd)
            raise UsageError("cannot start %s: %s" % (interpreter, exc.strerror), "check --python or the virtualenv in Pulumi.yaml") from None
        os.close(write_fd)
        reader = threading.Thread(target=_read_progress, args=(read_fd, progress), daemon=True)
        reader.start()
        try:
            output, _ = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise PlannerError("the program did not finish within %d s" % timeout, "raise --timeout if it is just large") from None
        finally:
            reader.join(timeout=5)
        program_output = output.decode("utf-8", "replace")
        if not capture_path.is_file():
            tail = program_output.strip().splitlines()[-1:] or ["no output"]
            raise PlannerError(
                "the planning process exited with code %d before writing a plan: %s" % (child.returncode, tail[0]),
                "rerun with --debug to see its output",
                details=program_output,
            )
        capture: Dict[str, Any] = json.loads(capture_path.read_text(encoding="utf-8"))
    if isolation is None:
        capture.setdefault("diagnostics", []).append({"severity": "warning", "message": NO_NETWORK_NAMESPACE})
    capture["programOutput"] = program_output
    _raise_for_error(capture, project, interpreter)
    return capture


def _read_progress(fd: int, progress: Optional[ProgressCallback]) -> None:
    with os.fdopen(fd, "rb") as pipe:
        for line in pipe:
            if progress is not None:
                try:
                    progress(int(line))
                except ValueError:
                    continue


def _raise_for_error(capture: Dict[str, Any], project: PulumiProject, interpreter: str) -> None:
    error = capture.get("error")
    if not error:
        return
    details = error.get("traceback")
    where = ""
    if error.get("file"):
        where = "%s:%s: " % (_relative(error["file"], project.root), error.get("line"))
    message = where + error.get("message", "unknown error")
    kind = error.get("kind")
    if kind == "planner":
        raise PlannerError("planner limitation at " + message, "please report it with --debug output", details=details)
    if kind == "unplaced":
        raise PlannerError("the failure is in no file of the project or the planner (an installed library or the "
                           "Pulumi SDK): " + message, "rerun with --debug to see the traceback", details=details)
    if kind == "environment":
        raise UsageError(message, error.get("hint") or "install the program's requirements into %s" % interpreter)
    hint = "fix the program"
    if "ModuleNotFoundError" in message or "ImportError" in message:
        hint = "install the program's requirements into %s, or name its virtualenv in Pulumi.yaml" % interpreter
    raise ProgramError("program error: " + message, hint, details=details)


def _relative(path: str, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return path
