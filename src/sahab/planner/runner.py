"""Run a program in a child process against the planning monitor this process serves.

The child is the program's own interpreter with the harness injected from sahab's source tree
(only the harness package, under a private module name, so it cannot collide with the program's
modules); it runs the program on the SDK's normal path, and what it registers is recorded here
(:mod:`.monitor_server`), out of its reach. A child process also gives every plan a fresh Pulumi
runtime, whose global state cannot be reset in-process.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Sequence, Tuple

from ..errors import PlannerError, ProgramError, UsageError
from ..scratch import scratch_folder
from .child import start as start_child
from .harness.partial import Tokens
from .harness.sources import SourceLocator
from .monitor_server import MonitorServer
from .project import PulumiProject
from .sandbox import READ_ONLY_HINT, program_environment, program_isolation
from .sources import source_root

if TYPE_CHECKING:
    from .node_components.expander import NodeExpander
    from .session import PlanningSession

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
    with scratch_folder("sahab-plan-") as scratch:
        refusal_path = Path(scratch) / "refusal.json"
        request_path = Path(scratch) / "request.json"
        tokens = Tokens()
        request = {
            "project": project.name,
            "stack": project.stack,
            "organization": project.organization,
            "program": str(project.program),
            "cwd": str(project.program_dir),
            "projectRoot": str(project.root),
            "config": project.config,
            "secretKeys": list(project.secret_keys),
            "monitorSocket": str(Path(scratch) / "monitor.sock"),
            "nonce": tokens.nonce,
            "refusalPath": str(refusal_path),
        }
        request_path.write_text(json.dumps(request), encoding="utf-8")
        env = program_environment(os.environ, pass_env)
        env["PYTHONHASHSEED"] = "0"
        isolation = program_isolation(scratch)  # no network, a read-only filesystem but the scratch folder
        env.update(isolation.environment)
        if shutil.which(interpreter, path=env.get("PATH")) is None:
            raise UsageError("cannot start %s: not an executable" % interpreter, "check --python or the virtualenv in Pulumi.yaml")
        with MonitorServer(str(Path(scratch) / "monitor.sock")) as server:
            try:  # in a supervised process tree that dies with the plan or with sahab (.child)
                child = start_child([*isolation.command, interpreter, "-c", BOOTSTRAP, str(HARNESS_DIR), str(request_path)],
                                    cwd=str(project.program_dir), env=env, timeout=timeout)
            except OSError as exc:
                raise UsageError("cannot start %s: %s" % (interpreter, exc.strerror), "check --python or the virtualenv in Pulumi.yaml") from None
            try:
                session = _session(project, stack_references, progress, tokens)
                expander = session.monitor.expander = _expander(project, session, Path(scratch), timeout)
                server.serve(session.handlers())
            except BaseException:
                child.kill()
                raise
            try:
                output = child.wait(timeout)
            except subprocess.TimeoutExpired:
                raise PlannerError("the program did not finish within %d s" % timeout, "raise --timeout if it is just large") from None
            finally:
                expander.close()
        if expander.fatal is not None:
            raise expander.fatal
        program_output = tokens.scrub(output.decode("utf-8", "replace"))
        finish = session.finish if session.finish is not None else _refusal(refusal_path)
        if finish is None:
            tail = program_output.strip().splitlines()[-1:] or ["no output"]
            raise PlannerError(
                "the planning process exited with code %d before it finished: %s" % (child.returncode, tail[0]),
                "rerun with --debug to see its output",
                details=program_output,
            )
        capture = _assembled(session, finish)
    capture.setdefault("diagnostics", []).extend({"severity": "warning", "message": message} for message in isolation.diagnostics)
    capture["programOutput"] = program_output
    _raise_for_error(capture, project, interpreter)
    return capture


def _session(project: PulumiProject, stack_references: Dict[str, Any], progress: Optional[ProgressCallback],
             tokens: Tokens) -> "PlanningSession":
    """The monitor for this plan, made while the program's interpreter starts: the Pulumi SDK it
    imports costs sahab ~0.15 s, which would otherwise add to every plan."""
    from .harness.monitor import Capture, PlanMonitor
    from .session import PlanningSession

    return PlanningSession(PlanMonitor(
        Capture(), project.config, stack_references, _counting(progress),
        SourceLocator(str(source_root(project.root)), excluded=[str(HARNESS_DIR)]),
        tuple(project.secret_keys), project=project.name, stack=project.stack, tokens=tokens,
    ), tokens)


def _expander(project: PulumiProject, session: "PlanningSession", scratch: Path, timeout: float) -> "NodeExpander":
    """Constructs the program's eks/awsx components with their Node.js implementation, against this session."""
    from .node_components.expander import NodeExpander

    return NodeExpander(scratch, project=project.name, stack=project.stack, organization=project.organization or "",
                        config=project.config, secret_keys=project.secret_keys, timeout=timeout,
                        handlers=session.handlers, root_urn=lambda: session.capture.stack_urn,
                        catalog=session.monitor.catalog)


def _assembled(session: "PlanningSession", finish: Dict[str, Any]) -> Dict[str, Any]:
    """The capture: what the monitor recorded, and how the program said it ended.

    A program error the harness did not report (its report is the program's process's word) but
    that the program logged through ``pulumi.log.error`` still fails the plan.
    """
    recorded = session.capture
    speculative = finish.get("speculative")
    recorded.mark_speculative([urn for urn in speculative if isinstance(urn, str)] if isinstance(speculative, list) else [])
    error = _reported_error(finish.get("error"))
    logged_errors = [entry["message"] for entry in session.logged if entry["severity"] == "error"]
    if recorded.refused is not None:  # wherever the program's process says it failed, this is why
        error = {"kind": "program", "message": recorded.refused, "traceback": (error or {}).get("traceback")}
    elif error is None and logged_errors:
        error = {"kind": "program", "message": logged_errors[0]}
    return {
        "resources": recorded.resources,
        "outputs": recorded.outputs,
        "diagnostics": recorded.diagnostics + session.logged,
        "stackUrn": recorded.stack_urn,
        "error": error,
    }


# What the program's process may say about its error, and of which type (it is the program's word).
_ERROR_FIELDS = {"kind": str, "message": str, "file": str, "line": int, "traceback": str, "hint": str}
_ERROR_KINDS = ("program", "planner", "unplaced", "environment")


def _reported_error(reported: Any) -> Optional[Dict[str, Any]]:
    """The error the harness reported, keeping only well-typed fields; an unknown kind is the planner's."""
    if not isinstance(reported, dict):
        return None
    error = {key: value for key, value in reported.items()
             if key in _ERROR_FIELDS and isinstance(value, _ERROR_FIELDS[key]) and not isinstance(value, bool)}
    if error.get("kind") not in _ERROR_KINDS:
        error["kind"] = "planner"
    error.setdefault("message", "the planning process reported an error without a message")
    return error


def _refusal(path: Path) -> Optional[Dict[str, Any]]:
    """What the harness wrote when the program's interpreter has no usable Pulumi SDK, if anything."""
    try:
        with open(path, "rb") as handle:
            refusal = json.loads(handle.read(1024 * 1024).decode("utf-8"))
    except (OSError, ValueError):
        return None
    return refusal if isinstance(refusal, dict) else None


def _counting(progress: Optional[ProgressCallback]) -> Optional[ProgressCallback]:
    """Progress every 50 resources, as the plan's progress line shows it."""
    if progress is None:
        return None

    def report(count: int) -> None:
        if count % 50 == 0:
            progress(count)

    return report


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
    elif "Read-only file system" in message:  # EROFS: it wrote outside its temporary folder (.sandbox)
        hint = READ_ONLY_HINT
    raise ProgramError("program error: " + message, hint, details=details)


def _relative(path: str, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return path
