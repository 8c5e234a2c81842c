"""Running checkov as a process, many scans at a time, with a result cache.

Each scan ("job") is one checkov CLI invocation over one folder: ``checkov -d DIR --framework …
-o json --external-checks-dir CHECKS --skip-download --compact [--quiet]``. Two ways to run jobs:

- ``prefork`` (default when checkov's console script names its Python): one process runs
  ``_driver.py`` under checkov's own interpreter (:class:`PreforkDriver`); it imports
  ``checkov.main`` once, reads the jobs from stdin and forks a child per job that runs
  ``Checkov(argv).run()``, the console script's code path, ``workers`` children at a time. This
  saves checkov's ~2.5 s start per shard, and the driver can be started before the jobs exist.
- ``cli``: one ``checkov`` process per job (``SAHAB_CHECKOV_MODE=cli``), ``workers`` at a time.

The environment is pinned for every job: ``BC_SKIP_MAPPING`` and ``--skip-download`` (no calls
to the Prisma Cloud API; offline severities and guidelines come from the checks themselves),
``CHECKOV_PARALLELIZATION_TYPE=none`` in prefork mode (sahab parallelises across shards),
bytecode written under sahab's cache folder (``PYTHONPYCACHEPREFIX``; checkov compiles ~4,000
modules on each start otherwise, ~2 s, because ``./bootstrap`` does not compile its environment), and ``SAHAB_ACR_UAE_REGISTRIES`` for CKV_SAHAB_2.

A job's parsed result is cached under ``<cache>/results/<key>.json`` where the key hashes the
checkov version, the arguments, the external checks, the environment the checks read and every
scanned file (path and bytes). Anything unexpected (exit code other than 0/1, output that is not
checkov's JSON, an external check that failed to load, a parsing error in a generated manifest,
fewer resources than files, a timeout) raises :class:`~sahab.gate.engines.base.EngineError`.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ...tools.checkov import PINNED_CHECKOV_VERSION, checkov_executable
from ..engines.base import EngineError

CACHE_FORMAT = "sahab-checkov-cache/1"
DRIVER = Path(__file__).with_name("_driver.py")
_KEEP_FIELDS = ("check_id", "check_name", "file_path", "resource", "guideline", "severity", "file_line_range")


@dataclass
class Job:
    """One checkov scan: a folder, its frameworks, and the files checkov must report on."""

    name: str
    root: Path
    frameworks: Tuple[str, ...]
    files: Dict[str, bytes]            # relative path -> content (written under root)
    quiet: bool = True
    min_resources: int = 0             # checkov must report at least this many resources
    strict_parsing: bool = True        # a parsing error is an engine error (generated files)
    argv: List[str] = field(default_factory=list)
    key: str = ""


@dataclass
class JobResult:
    failed: List[Dict[str, Any]]
    passed: List[Dict[str, Any]]
    parsing_errors: List[str]
    resource_count: int
    cached: bool = False


def default_cache_dir() -> Path:
    configured = os.environ.get("SAHAB_CACHE_DIR")
    if configured:
        return Path(configured) / "checkov"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sahab" / "checkov"


def requested_mode(mode: Optional[str] = None) -> str:
    """``prefork`` or ``cli``: the argument, else ``SAHAB_CHECKOV_MODE``, else ``prefork``."""
    return (mode or os.environ.get("SAHAB_CHECKOV_MODE") or "prefork").lower()


def interpreter_of(executable: Path) -> Optional[Path]:
    """The Python named in the console script's shebang, when it is one."""
    try:
        with open(executable, "rb") as handle:
            first = handle.readline(512)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    parts = first[2:].decode("utf-8", "replace").strip().split()
    if not parts:
        return None
    candidate = Path(parts[0])
    if candidate.name == "env" and len(parts) > 1:
        found = shutil.which(parts[1])
        candidate = Path(found) if found else Path(parts[1])
    if "python" not in candidate.name or not candidate.is_file():
        return None
    return candidate


def checks_digest(checks_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in checks_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(checks_dir).as_posix().encode("utf-8") + b"\x00")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class CheckovRunner:
    def __init__(self, *, checks_dir: Path, workers: int = 2, cache_dir: Optional[Path] = None,
                 use_cache: bool = True, timeout: float = 900.0, mode: Optional[str] = None,
                 extra_env: Optional[Dict[str, str]] = None, driver: Optional["PreforkDriver"] = None) -> None:
        self.executable = checkov_executable()
        self.checks_dir = checks_dir
        self.workers = max(1, int(workers))
        self.cache_root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.use_cache = use_cache
        self.timeout = timeout
        self.interpreter = interpreter_of(self.executable) if requested_mode(mode) == "prefork" else None
        self.mode = "prefork" if self.interpreter is not None else "cli"
        self.extra_env = dict(extra_env or {})
        self.driver = driver if self.mode == "prefork" else None
        self.stats: Dict[str, Any] = {"jobs": 0, "cached": 0, "mode": self.mode}

    # -- keys and cache ------------------------------------------------------------------

    def _base_args(self, job: Job) -> List[str]:
        args = ["-d", str(job.root), "--framework", ",".join(job.frameworks), "-o", "json",
                "--skip-download", "--compact", "--external-checks-dir", str(self.checks_dir)]
        if job.quiet:
            args.append("--quiet")
        return args

    def _key(self, job: Job, checks_hash: str) -> str:
        digest = hashlib.sha256()
        try:
            installed = os.stat(self.executable).st_mtime_ns  # a reinstall rewrites the console script
        except OSError:
            installed = 0
        header = {"format": CACHE_FORMAT, "checkov": PINNED_CHECKOV_VERSION, "executable": str(self.executable),
                  "installed": installed,
                  "frameworks": list(job.frameworks), "quiet": job.quiet, "checks": checks_hash,
                  "env": sorted(self.extra_env.items())}
        digest.update(json.dumps(header, sort_keys=True).encode("utf-8"))
        for rel in sorted(job.files):
            digest.update(rel.encode("utf-8") + b"\x00")
            digest.update(hashlib.sha256(job.files[rel]).digest())
        return digest.hexdigest()

    def _cache_path(self, key: str) -> Path:
        return self.cache_root / "results" / key[:2] / (key + ".json")

    def _load_cached(self, key: str) -> Optional[JobResult]:
        path = self._cache_path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("format") != CACHE_FORMAT:
            return None
        return JobResult(data["failed"], data["passed"], data["parsing_errors"], data["resource_count"], cached=True)

    def _store(self, key: str, result: JobResult) -> None:
        path = self._cache_path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            payload = {"format": CACHE_FORMAT, "failed": result.failed, "passed": result.passed,
                       "parsing_errors": result.parsing_errors, "resource_count": result.resource_count}
            handle, temp = tempfile.mkstemp(dir=str(path.parent), suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(payload, out)
            os.replace(temp, path)
        except OSError:
            pass  # a cache that cannot be written only costs time

    # -- running -------------------------------------------------------------------------

    def run(self, jobs: Sequence[Job], scratch: Path) -> List[JobResult]:
        checks_hash = checks_digest(self.checks_dir)
        results: List[Optional[JobResult]] = [None] * len(jobs)
        todo: List[int] = []
        if "/." in str(scratch.resolve()):
            # checkov skips every path with a hidden folder in it, silently
            raise EngineError("checkov's scan folder %s is inside a hidden folder" % scratch,
                              hint="set TMPDIR to a folder without a leading-dot component")
        for index, job in enumerate(jobs):
            job.argv = self._base_args(job)
            job.key = self._key(job, checks_hash)
            cached = self._load_cached(job.key) if self.use_cache else None
            if cached is not None:
                self._validate(job, cached, "")
                results[index] = cached
            else:
                todo.append(index)
        self.stats["jobs"] += len(jobs)
        self.stats["cached"] += len(jobs) - len(todo)
        if todo:
            for index in todo:
                _write_tree(jobs[index].root, jobs[index].files)
            out_dir = scratch / "checkov-out"
            out_dir.mkdir(parents=True, exist_ok=True)
            if self.mode == "prefork":
                codes = self._run_prefork([jobs[i] for i in todo], out_dir)
            else:
                codes = self._run_cli([jobs[i] for i in todo], out_dir)
            for index, code in zip(todo, codes):
                job = jobs[index]
                stdout = (out_dir / (job.name + ".out")).read_text(encoding="utf-8", errors="replace")
                stderr = (out_dir / (job.name + ".err")).read_text(encoding="utf-8", errors="replace")
                result = self._parse(job, code, stdout, stderr)
                self._validate(job, result, stderr)
                if self.use_cache:
                    self._store(job.key, result)
                results[index] = result
        return [result for result in results if result is not None]

    def _run_prefork(self, jobs: Sequence[Job], out_dir: Path) -> List[int]:
        spec = {"workers": self.workers, "jobs": [
            {"argv": job.argv, "cwd": str(job.root), "stdout": str(out_dir / (job.name + ".out")),
             "stderr": str(out_dir / (job.name + ".err")), "env": self.extra_env} for job in jobs]}
        driver, self.driver = self.driver, None  # a started driver serves one batch
        if driver is None:
            assert self.interpreter is not None
            driver = PreforkDriver(self.interpreter)
        stdout, stderr, code = driver.run(spec, self.timeout)
        if code != 0:
            raise EngineError("checkov failed to start (exit %s)" % code, details=_tail(stderr or stdout))
        try:
            codes = json.loads(stdout.strip().splitlines()[-1])["rc"]
        except (ValueError, KeyError, IndexError) as error:
            raise EngineError("checkov driver gave no result: %s" % error, details=_tail(stderr or stdout))
        if len(codes) != len(jobs):
            raise EngineError("checkov driver ran %d of %d scans" % (len(codes), len(jobs)))
        return [int(code) if code is not None else -1 for code in codes]

    def _run_cli(self, jobs: Sequence[Job], out_dir: Path) -> List[int]:
        env = checkov_environment(prefork=False)
        env.update(self.extra_env)
        deadline = time.monotonic() + self.timeout

        def one(job: Job) -> int:
            remaining = max(1.0, deadline - time.monotonic())
            stdout, stderr, code = _run_process([str(self.executable)] + job.argv, env, str(job.root), remaining)
            (out_dir / (job.name + ".out")).write_text(stdout, encoding="utf-8")
            (out_dir / (job.name + ".err")).write_text(stderr, encoding="utf-8")
            return code

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return list(pool.map(one, jobs))

    # -- output --------------------------------------------------------------------------

    def _parse(self, job: Job, code: int, stdout: str, stderr: str) -> JobResult:
        if code not in (0, 1):
            raise EngineError("checkov exited with %s on %s" % (code, job.name), details=_tail(stderr or stdout))
        try:
            document = json.loads(stdout)
        except ValueError:
            raise EngineError("checkov wrote no JSON for %s" % job.name, details=_tail(stderr or stdout))
        reports = document if isinstance(document, list) else [document]
        failed: List[Dict[str, Any]] = []
        passed: List[Dict[str, Any]] = []
        parsing: List[str] = []
        count = 0
        empty = True
        for report in reports:
            if not isinstance(report, dict):
                raise EngineError("unexpected checkov output for %s" % job.name, details=_tail(stdout))
            summary = report.get("summary", report)
            if not isinstance(summary, dict) or "failed" not in summary:
                raise EngineError("unexpected checkov output for %s" % job.name, details=_tail(stdout))
            count += int(summary.get("resource_count") or 0)
            results = report.get("results") or {}
            empty = empty and "results" not in report
            check_type = report.get("check_type", "")
            for record in results.get("failed_checks") or []:
                failed.append(_slim(record, check_type))
            for record in results.get("passed_checks") or []:
                passed.append(_slim(record, check_type))
            parsing.extend(str(p) for p in results.get("parsing_errors") or [])
        # checkov prints only a zero summary when no check applied to anything (e.g. a shard of
        # Namespaces): there is no resource count to compare then.
        return JobResult(failed, passed, sorted(set(parsing)), -1 if empty else count)

    def _validate(self, job: Job, result: JobResult, stderr: str) -> None:
        if "Cannot load external check" in stderr:
            raise EngineError("checkov could not load the custom checks staged in %s" % self.checks_dir,
                              "fix the check named in checkov's error (rerun with --debug)", details=_tail(stderr))
        if job.strict_parsing and result.parsing_errors:
            raise EngineError("checkov could not parse generated manifests: %s" % ", ".join(result.parsing_errors[:5]))
        if 0 <= result.resource_count < job.min_resources:
            raise EngineError("checkov scanned %d resources of %d in %s" % (result.resource_count, job.min_resources, job.name),
                              details=_tail(stderr))


def _slim(record: Dict[str, Any], check_type: str) -> Dict[str, Any]:
    slim = {key: record.get(key) for key in _KEEP_FIELDS}
    slim["check_type"] = check_type
    slim["evaluated_keys"] = list((record.get("check_result") or {}).get("evaluated_keys") or [])
    return slim


def _write_tree(root: Path, files: Dict[str, bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _tail(text: str, limit: int = 4000) -> str:
    return text[-limit:]


def checkov_environment(*, prefork: bool) -> Dict[str, str]:
    """The environment every checkov process runs with (a job's own variables come on top)."""
    env = dict(os.environ)
    env.update({"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE",
                "CKV_GITHUB_CONFIG_FETCH_DATA": "FALSE", "CKV_GITLAB_CONFIG_FETCH_DATA": "FALSE",
                "LOG_LEVEL": "WARNING", "PYTHONWARNINGS": "ignore"})
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # bytecode is shared by every result cache: it depends only on the checkov installation
    env["PYTHONPYCACHEPREFIX"] = str(default_cache_dir() / "pycache")
    if prefork:
        env["CHECKOV_PARALLELIZATION_TYPE"] = "none"
    return env


class PreforkDriver:
    """``_driver.py`` under checkov's interpreter, importing checkov until its jobs arrive.

    It can be started before the jobs are known: ``sahab gate`` starts one before planning, so
    checkov's ~2.5 s import runs on the second core while the program is planned. One driver
    runs one batch of jobs; :meth:`close` ends an unused one.
    """

    def __init__(self, interpreter: Path) -> None:
        try:
            self.process = subprocess.Popen(
                [str(interpreter), str(DRIVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=checkov_environment(prefork=True), cwd=tempfile.gettempdir(), start_new_session=True)
        except OSError as error:
            raise EngineError("cannot start checkov's interpreter %s: %s" % (interpreter, error.strerror),
                              hint="run ./bootstrap again to reinstall checkov") from None

    def run(self, spec: Dict[str, Any], timeout: float) -> Tuple[str, str, int]:
        """Hand the driver its jobs and wait for it: ``(stdout, stderr, exit code)``."""
        return _communicate(self.process, json.dumps(spec).encode("utf-8"), timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            _kill_group(self.process)


def _communicate(process: "subprocess.Popen[bytes]", stdin: Optional[bytes], timeout: float) -> Tuple[str, str, int]:
    """Wait for ``process`` (started in its own process group); kill the whole group on timeout."""
    try:
        stdout, stderr = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise EngineError("checkov timed out after %.0f s" % timeout, hint="raise the checkov timeout or shard smaller")
    except BaseException:
        _kill_group(process)
        raise
    return stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"), process.returncode


def _run_process(command: List[str], env: Dict[str, str], cwd: str, timeout: float) -> Tuple[str, str, int]:
    """Run ``command`` in its own process group; kill the whole group on timeout."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
                               start_new_session=True)
    return _communicate(process, None, timeout)


def _kill_group(process: "subprocess.Popen[bytes]") -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.communicate(timeout=10)
    except Exception:  # noqa: BLE001 - best effort after a kill
        pass


__all__ = ["CheckovRunner", "Job", "JobResult", "PreforkDriver", "checkov_environment", "checks_digest",
           "default_cache_dir", "interpreter_of", "requested_mode"]
