"""Run the verification suites against a stack's hosts and endpoints, as a deploy pipeline does.

pytest runs in a child process (``python -m pytest``) on the installed suites (:mod:`sahab.verify`)
with testinfra and sahab's recorder plugin, so each run starts clean and a crash in a suite cannot
take sahab down with it. The child writes JUnit and the result file; sahab reads the result file
back strictly, and its exit code is the run's verdict (0 passed, 1 failed). Anything else, a
crash, a timeout, no result file, is :class:`~sahab.errors.VerificationError` (exit 3), never a pass.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from ..errors import SetupError, UsageError, VerificationError
from .inventory import Inventory, inventory_from_flags, inventory_from_stack_outputs, load_inventory_file
from .kube import resolved
from .results import VerifyResults, exit_code, load_results

DEFAULT_TIMEOUT = 900.0  # as `sahab plan`'s --timeout
_PYTEST_TESTS_FAILED = 1


@dataclass(frozen=True)
class VerifyRun:
    """One ``sahab verify``: the results, where JUnit and the result file were written, the exit code."""

    results: VerifyResults
    junit: Path
    results_file: Path
    exit_code: int


def suites_dir() -> Path:
    """The installed suites (the repository's verify/ folder, mapped to ``sahab.verify``)."""
    spec = importlib.util.find_spec("sahab.verify")
    if spec is None or spec.origin is None:
        raise SetupError("sahab's verification suites (sahab.verify) are not installed", "reinstall sahab")
    return Path(spec.origin).parent


def verify_stack(stack: str, inventory: Inventory, *, junit: Path, results_file: Path,
                 timeout: float = DEFAULT_TIMEOUT, suites: Optional[Path] = None) -> VerifyRun:
    """Run every suite against ``inventory`` (hosts per role, endpoints) of ``stack``.

    ``suites``: a folder of suites instead of sahab's own (with the same conftest). The inventory's
    selectors are resolved with kubectl first, and the node-debug pods made for them deleted after
    (:mod:`.kube`). Raises UsageError (exit 2) for an empty inventory, SetupError (exit 2) when
    ``sahab[verify]`` or, for selectors, kubectl is missing, and VerificationError (exit 3) when the
    suites could not be run to a result.
    """
    if not stack:
        raise UsageError("--stack is empty", "pass --stack NAME")
    require_extra(inventory)
    if inventory.is_empty():
        raise UsageError("nothing to verify: the inventory names no host and no endpoint",
                         "pass --hosts ROLE=SPEC, --inventory FILE or --stack-outputs FILE (docs/verify.md)")
    folder = suites or suites_dir()
    junit, results_file = junit.resolve(), results_file.resolve()  # pytest runs in a scratch folder
    with resolved(inventory, timeout) as inventory, tempfile.TemporaryDirectory(prefix="sahab-verify-") as scratch:
        inventory_file = Path(scratch) / "inventory.json"
        inventory_file.write_text(json.dumps(inventory.to_json()))
        inventory_file.chmod(0o600)
        results_file.parent.mkdir(parents=True, exist_ok=True)
        junit.parent.mkdir(parents=True, exist_ok=True)
        results_file.unlink(missing_ok=True)  # a stale file must never be read as this run's
        command = [sys.executable, "-m", "pytest", str(folder), "-p", "sahab.verification.plugin",
                   "-p", "no:cacheprovider", "--import-mode=importlib", "-c", os.devnull, "--rootdir", scratch,
                   "-q", "-rfEs", "--sahab-inventory", str(inventory_file), "--sahab-results", str(results_file),
                   "--sahab-stack", stack, "--junitxml", str(junit), "-o", "junit_suite_name=sahab-verify-%s" % stack]
        if inventory.ssh_config:
            command += ["--ssh-config", str(Path(inventory.ssh_config).resolve())]
        if inventory.ssh_identity_file:
            command += ["--ssh-identity-file", str(Path(inventory.ssh_identity_file).resolve())]
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        try:
            completed = subprocess.run(command, cwd=scratch, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                       text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise VerificationError("the suites did not finish within %d s" % timeout, "raise --timeout, or check the hosts answer") from None
    output = (completed.stdout + completed.stderr).strip()
    if completed.returncode not in (0, _PYTEST_TESTS_FAILED) or not results_file.is_file():
        last = output.splitlines()[-1] if output else "no output"
        raise VerificationError("the suites could not run (pytest exit %d): %s" % (completed.returncode, last),
                                "rerun with --debug for pytest's output", details=output)
    results = load_results(results_file)
    code = exit_code(results)
    if code != completed.returncode or results.stack != stack:
        raise VerificationError("the result file disagrees with pytest's exit %d" % completed.returncode,
                                "rerun with --debug", details=output)
    return VerifyRun(results, junit, results_file, code)


def require_extra(inventory: Inventory) -> None:
    """``sahab[verify]`` is installed: testinfra, and paramiko when a host is reached with it (exit 2 otherwise)."""
    needed = ["testinfra"] + (["paramiko"] if any(spec.startswith("paramiko://") for specs in inventory.hosts.values()
                                                  for spec in specs) else [])
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise SetupError("%s is not installed: `sahab verify` needs the verify extra" % {"testinfra": "pytest-testinfra"}.get(
            missing[0], missing[0]), "pip install 'sahab[verify]'")


def stack_outputs_from_pulumi(stack: str, project_dir: Path, destination: Path) -> Inventory:
    """``pulumi stack output --json --stack NAME`` in ``project_dir``, saved to ``destination``, as an inventory."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise SetupError("pulumi is not on PATH, so the stack's outputs cannot be read",
                         "install the Pulumi CLI, or pass --stack-outputs FILE written by `pulumi stack output --json`")
    try:
        completed = subprocess.run([pulumi, "stack", "output", "--json", "--stack", stack], cwd=project_dir,
                                   stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        raise VerificationError("`pulumi stack output` did not answer within 300 s", "check the Pulumi backend") from None
    if completed.returncode != 0:
        message = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise UsageError("`pulumi stack output --json --stack %s` failed: %s" % (stack, message),
                         "check the stack name and the backend login, or pass --stack-outputs FILE")
    destination.write_text(completed.stdout)
    return inventory_from_stack_outputs(destination)


def collect_inventory(stack: str, *, hosts: Sequence[str] = (), inventory_file: Optional[Path] = None,
                      stack_outputs: Optional[Path] = None, project_dir: Path = Path("."),
                      scratch: Optional[Path] = None) -> Inventory:
    """The inventory from a file, a stack-outputs file and ``--hosts`` flags, merged in that order.

    With none of them, the stack's own outputs are read with ``pulumi stack output --json`` in
    ``project_dir`` (saved under ``scratch``, a folder the caller owns).
    """
    inventory = Inventory()
    if inventory_file is not None:
        inventory = inventory.merged(load_inventory_file(inventory_file))
    if stack_outputs is not None:
        inventory = inventory.merged(inventory_from_stack_outputs(stack_outputs))
    if hosts:
        inventory = inventory.merged(inventory_from_flags(hosts))
    if inventory_file is None and stack_outputs is None and not hosts:
        if scratch is None:
            raise UsageError("no inventory given", "pass --hosts, --inventory or --stack-outputs")
        inventory = stack_outputs_from_pulumi(stack, project_dir, scratch / "stack-outputs.json")
    return inventory
