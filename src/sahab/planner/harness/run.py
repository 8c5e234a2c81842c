"""Entry point of the harness: run one Pulumi program against the planning monitor.

Called by the parent process as ``python -c <bootstrap> REQUEST.json``. The program runs the way
Pulumi's Python language host runs it: ``runpy.run_path`` inside the SDK's ``run_in_stack``, with
the working directory set to the program's folder, on the SDK's normal path against the monitor
sahab's process serves (:mod:`.channel`), which records what it registers. This process only
tells the monitor how the program ended (its error, classified; the resources registered on
stand-ins) and leaves.
"""
from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import json
import os
import runpy
import sys
import traceback
from typing import Any, Awaitable, Dict, List, Optional

from . import partial, standins

HARNESS_DIR = os.path.dirname(os.path.abspath(__file__))


def main(request_path: str) -> int:
    with open(request_path, encoding="utf-8") as handle:
        request = json.load(handle)
    result: Dict[str, Any] = {"error": None, "speculative": []}
    try:
        import pulumi  # noqa: F401 - fail early with a clear message when the SDK is missing
        from .channel import Connection
    except ImportError as exc:
        result["error"] = {"kind": "environment", "message": "the Pulumi SDK is not importable in %s: %s" % (sys.executable, exc)}
        _write_refusal(request, result)
        return 0
    refusal = unsupported_sdk(pulumi)
    if refusal is not None:
        result["error"] = refusal
        _write_refusal(request, result)
        return 0

    connection = Connection(request["monitorSocket"])
    try:
        _plan(request, connection)
    except BaseException as exc:  # noqa: BLE001 - every failure is classified and reported
        result["error"] = classify_error(exc, request["projectRoot"])
    result["speculative"] = standins.speculative_urns()
    connection.tell({"finish": json.loads(partial.TOKENS.scrub_tokens(json.dumps(result)))})  # no nonce leaves
    return 0


def _write_refusal(request: Dict[str, Any], result: Dict[str, Any]) -> None:
    """Without the SDK there are no messages to tell the monitor with: the refusal goes to a file."""
    with open(request["refusalPath"], "w", encoding="utf-8") as handle:
        json.dump(result, handle)


# The oldest SDK major version whose API the harness uses (``set_all_config`` with secret keys,
# ``run_in_stack``, monitor feature discovery).
SUPPORTED_SDK_MAJOR = 3


def unsupported_sdk(pulumi_module: Any) -> Optional[Dict[str, Any]]:
    """The error to report when the program's Pulumi SDK is older than the harness's API, else None.

    Checked before any SDK call, so a Pulumi 2 program is refused by name instead of crashing in
    the harness on a changed signature. A version that cannot be read is let through: a failure
    then lands in a harness frame and is reported as a planner limitation, never as a pass.
    """
    version = getattr(pulumi_module, "__version__", None)
    if not isinstance(version, str):
        try:
            from importlib import metadata

            version = metadata.version("pulumi")
        except Exception:  # noqa: BLE001 - no readable version: see above
            return None
    major = version.split(".", 1)[0]
    if not major.isdigit() or int(major) >= SUPPORTED_SDK_MAJOR:
        return None
    return {
        "kind": "environment",
        "message": "the program's Pulumi SDK is pulumi %s (in %s); the planner supports Pulumi %d and later"
                   % (version, sys.executable, SUPPORTED_SDK_MAJOR),
        "hint": "upgrade to pulumi>=%d in that environment, with the provider packages the program uses"
                % SUPPORTED_SDK_MAJOR,
    }


# The harness functions on the path of every failure of the program (they run it): a frame in
# one of them is never the cause. Any other frame of the harness is.
_DRIVER_FUNCTIONS = ("main", "_plan")


def _plan(request: Dict[str, Any], connection: Any) -> None:
    """Run the program against the planning monitor (a driver: it calls nothing but the phases)."""
    from pulumi.runtime.stack import run_in_stack

    loop = _configure(request, connection)
    loop.run_until_complete(run_in_stack(functools.partial(_run_program, request["program"])))
    if connection.engine.first_error is not None:
        raise ProgramLoggedError(connection.engine.first_error)


def _run_program(program: str) -> Awaitable[None]:
    """Run the program as the language host does; then wait for its outputs (:func:`_outputs_settled`)."""
    runpy.run_path(program, run_name="__main__")
    return _outputs_settled()


async def _outputs_settled() -> None:
    """Wait until every output the program made has settled, one pass over them per round.

    The SDK waits for them too once the program returns, but on each completion it rescans every
    pending output (``asyncio.wait(..., FIRST_COMPLETED)``): quadratic, seconds at 5,000
    resources. Waiting first leaves it nothing to wait for; failures stay for it to raise.
    """
    from pulumi.runtime.settings import SETTINGS

    while True:
        with SETTINGS.lock:
            pending = [output for output in SETTINGS.outputs if not output.done()]
        if not pending:
            return
        await asyncio.gather(*pending, return_exceptions=True)


def _configure(request: Dict[str, Any], connection: Any) -> asyncio.AbstractEventLoop:
    """Set up the SDK's runtime against the monitor, the working directory and ``sys.path``."""
    import pulumi
    from pulumi.runtime import settings

    from . import introspection
    from .transforms import Transforms, TransformingMonitor

    introspection.install(lambda description: connection.tell({"declare": description}))
    partial.TOKENS.use_nonce(request["nonce"], lambda: connection.tell({"tokens": "active"}))
    standins.install()  # apply callbacks on unknowns run on stand-ins: partial values
    transforms = Transforms(lambda severity, message: connection.tell({"note": [severity, message]}))
    monitor = TransformingMonitor(connection.monitor, transforms, request["project"], request["stack"])
    wanted = {"project": request["project"], "stack": request["stack"], "monitor": monitor,
              "engine": connection.engine, "dry_run": True, "organization": request.get("organization"),
              "root_directory": request["projectRoot"]}
    accepted = inspect.signature(settings.Settings).parameters
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    settings.configure(settings.Settings(**{key: value for key, value in wanted.items() if key in accepted}))
    pulumi.runtime.set_all_config(request["config"], request.get("secretKeys") or [])

    os.chdir(request["cwd"])
    program = request["program"]
    program_dir = program if os.path.isdir(program) else os.path.dirname(program)
    if program_dir not in sys.path:
        sys.path.insert(0, program_dir)
    sys.argv = [program]
    # The SDK keeps every resource's futures alive until the end, so the cyclic collector rescans
    # a growing heap again and again (over half the time at 5,000 resources, see bench/). The
    # child lives for one plan and leaves without tearing its heap down (see the bootstrap in
    # runner.py): it never collects.
    gc.freeze()
    gc.disable()
    return loop


class ProgramLoggedError(Exception):
    """The program (or a component) logged an error through ``pulumi.log.error``."""


def classify_error(exc: BaseException, project_root: str) -> Dict[str, Any]:
    """Tell a program's own error (with its file and line) from a planner limitation.

    The SDK re-raises what fails inside an RPC wrapped in its own errors ("While processing
    resource ...", sometimes chained to itself), so the whole chain is searched, the original
    cause first, for the innermost frame that is the program's (or the planner's own engine
    code); the message is that exception's. Pseudo-files (``<string>`` of an ``eval``) are no
    one's file. When no frame is either, the failure is reported as ``unplaced`` with the
    original cause's message and its innermost real frame (an installed library, the SDK).
    """
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if isinstance(exc, ProgramLoggedError):
        return {"kind": "program", "message": str(exc), "traceback": details}
    if isinstance(exc, SystemExit):
        return {"kind": "program", "message": "the program called sys.exit(%s)" % (exc.code,), "traceback": details}
    program_root = os.path.realpath(project_root)
    chain = _causes_innermost_first(exc)
    for link in chain:
        if isinstance(link, SyntaxError) and link.filename and not _is_pseudo_file(link.filename):
            return {"kind": "program", "message": _one_line(link), "file": link.filename, "line": link.lineno,
                    "traceback": details}
        for frame in _real_frames_innermost_first(link):
            path = os.path.realpath(frame.filename)
            if path.startswith(HARNESS_DIR + os.sep):
                if path == os.path.realpath(__file__) and frame.name in _DRIVER_FUNCTIONS:
                    continue  # the driver that runs the program: on every traceback, never the cause
                if path == os.path.realpath(standins.__file__) and frame.name in standins.PASS_THROUGH:
                    continue  # the stand-ins' wrappers of SDK entry points pass calls on
                kind = "planner"
            elif _is_program_file(path, program_root):
                kind = "program"
            else:
                continue
            return {"kind": kind, "message": _one_line(link), "file": frame.filename, "line": frame.lineno,
                    "traceback": details}
    cause = chain[0]
    unplaced: Dict[str, Any] = {"kind": "unplaced", "message": _one_line(cause), "traceback": details}
    for frame in _real_frames_innermost_first(cause):
        unplaced.update(file=frame.filename, line=frame.lineno)
        break
    return unplaced


def _is_pseudo_file(filename: str) -> bool:
    """``<string>``, ``<frozen importlib._bootstrap>``: code with no file of its own."""
    return filename.startswith("<") and filename.endswith(">")


def _real_frames_innermost_first(exc: BaseException) -> List[traceback.FrameSummary]:
    frames = traceback.extract_tb(exc.__traceback__)
    return [frame for frame in reversed(frames) if not _is_pseudo_file(frame.filename)]


def _one_line(exc: BaseException) -> str:
    """``Type: first line of the message`` (a SyntaxError without its repeated file and line)."""
    text = str(exc.msg) if isinstance(exc, SyntaxError) and exc.msg else str(exc)
    text = text.strip().splitlines()[0] if text.strip() else ""
    return "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__


def _causes_innermost_first(exc: BaseException) -> List[BaseException]:
    """The exception and what caused it, the original cause first.

    Follows ``__cause__``, or ``__context__`` where the cause is missing or already seen (the
    SDK's ``raise exn from exn`` makes an exception its own cause).
    """
    chain: List[BaseException] = []
    current: Optional[BaseException] = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        following = current.__cause__
        if following is None or any(following is seen for seen in chain):
            following = current.__context__
        current = following
    return list(reversed(chain))


def _is_program_file(path: str, program_root: str) -> bool:
    if not path.startswith(program_root + os.sep):
        return False
    parts = path[len(program_root):].split(os.sep)
    return not any(part in ("site-packages", "dist-packages") for part in parts)
