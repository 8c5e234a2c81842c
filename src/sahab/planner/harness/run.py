"""Entry point of the harness: run one Pulumi program under the planning monitor.

Called by the parent process as ``python -c <bootstrap> REQUEST.json``; writes the capture
(resources, stack outputs, diagnostics, or the program's error) to the path the request names.
The program runs the way Pulumi's Python language host runs it: ``runpy.run_path`` inside the
SDK's ``run_pulumi_func``, with the working directory set to the program's folder.
"""
from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import json
import logging
import os
import runpy
import sys
import traceback
from typing import Any, Dict, List, Optional

from . import partial, standins

HARNESS_DIR = os.path.dirname(os.path.abspath(__file__))


class _LogCollector(logging.Handler):
    """Collects what the program logs through ``pulumi.log`` (the mock engine's logger)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.entries: List[Dict[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            severity = "error" if record.levelno >= logging.ERROR else "warning"
            self.entries.append({"severity": severity, "message": record.getMessage()})


def main(request_path: str) -> int:
    with open(request_path, encoding="utf-8") as handle:
        request = json.load(handle)
    capture_path = request["capturePath"]
    result: Dict[str, Any] = {"resources": [], "outputs": {}, "diagnostics": [], "error": None}
    try:
        import pulumi  # noqa: F401 - fail early with a clear message when the SDK is missing
    except ImportError as exc:
        result["error"] = {"kind": "environment", "message": "the Pulumi SDK is not importable in %s: %s" % (sys.executable, exc)}
        _write(capture_path, result)
        return 0
    refusal = unsupported_sdk(pulumi)
    if refusal is not None:
        result["error"] = refusal
        _write(capture_path, result)
        return 0

    from . import monitor as monitor_module

    capture = monitor_module.Capture()
    collector = _LogCollector()
    try:
        outputs = _plan(request, capture, collector)
        result["outputs"] = outputs
    except BaseException as exc:  # noqa: BLE001 - every failure is classified and reported
        result["error"] = classify_error(exc, request["projectRoot"])
    result["resources"] = capture.resources
    result["diagnostics"] = capture.diagnostics + collector.entries
    result["stackUrn"] = capture.stack_urn
    _write(capture_path, result)
    return 0


# The oldest SDK major version whose API the harness uses (``set_all_config`` with secret keys,
# ``mocks.set_mocks`` with a monitor and logger, ``run_pulumi_func``).
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


def _plan(request: Dict[str, Any], capture: Any, collector: _LogCollector) -> Dict[str, Any]:
    """Run the program under the planning monitor (a driver: it calls nothing but the phases)."""
    from pulumi.runtime.stack import run_pulumi_func

    loop = _configure(request, capture, collector)
    program = request["program"]
    loop.run_until_complete(run_pulumi_func(functools.partial(runpy.run_path, program, run_name="__main__")))
    standins.mark_speculative(capture.resources)
    errors = [entry for entry in collector.entries if entry["severity"] == "error"]
    if errors:
        raise ProgramLoggedError(errors[0]["message"])
    return _exported(loop)


def _configure(request: Dict[str, Any], capture: Any, collector: _LogCollector) -> asyncio.AbstractEventLoop:
    """Set up the SDK's runtime, the monitor, the working directory and ``sys.path``."""
    import pulumi
    from pulumi.runtime import mocks

    from . import introspection
    from . import monitor as monitor_module
    from .sources import SourceLocator

    introspection.install()
    config: Dict[str, str] = request["config"]
    plan_monitor = monitor_module.PlanMonitor(
        capture, config, request.get("stackReferences") or {},
        monitor_module.progress_writer(request.get("progressFd")),
        SourceLocator(request.get("sourceRoot") or request["projectRoot"], excluded=[HARNESS_DIR]),
        tuple(request.get("secretKeys") or ()),
    )
    logger = logging.getLogger("sahab.harness.program")
    logger.propagate = False
    logger.addHandler(collector)
    logger.setLevel(logging.WARNING)  # only warnings and errors are kept; skip formatting the rest
    standins.install(logger)  # apply callbacks on unknowns run on stand-ins: partial values
    kwargs: Dict[str, Any] = {
        "project": request["project"], "stack": request["stack"], "preview": True,
        "monitor": plan_monitor, "logger": logger,
    }
    if request.get("organization") and "organization" in inspect.signature(mocks.set_mocks).parameters:
        kwargs["organization"] = request["organization"]
    # The loop must exist before set_mocks: the root stack it creates binds futures to it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_all_config(config, request.get("secretKeys") or [])
    mocks.set_mocks(monitor_module.NoMocks(), **kwargs)

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


def _exported(loop: asyncio.AbstractEventLoop) -> Dict[str, Any]:
    """The stack's outputs, serialized the way the engine would store them (secrets redacted)."""
    from pulumi.runtime import rpc, settings

    from . import wire

    root = settings.get_root_resource()
    exported = getattr(root, "outputs", None) or {}
    if not exported:
        return {}
    serialized = loop.run_until_complete(rpc.serialize_properties(exported, {}))
    from google.protobuf import json_format

    return wire.Redactor().convert(json_format.MessageToDict(serialized))


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


def _write(path: str, result: Dict[str, Any]) -> None:
    text = json.dumps(result)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(partial.TOKENS.scrub_tokens(text))  # no stand-in's nonce ever leaves the child
