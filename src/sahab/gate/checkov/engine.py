"""checkov in the gate: plan + project -> checkov scans -> :class:`~sahab.gate.findings.Finding`.

``run_checkov(plan, project_dir)`` builds the inputs (:mod:`.manifests`), splits the Kubernetes
manifests into shards (:mod:`.shards`), scans each shard and the project's CI/Docker files with
checkov (:mod:`.runner`, cached and parallel), keeps each shard's findings on its own objects,
and reports every failed check as a finding:

- ``rule_id`` the check id, ``engine`` "checkov", ``title`` the check name, ``message`` the
  check name and checkov's resource id, ``remediation`` checkov's guideline (else the curated
  text of ``mandatory.yaml``).
- ``urn`` the plan resource for a manifest; ``file:<path>`` for a pipeline or Dockerfile (then
  ``file`` is that path, relative to the project folder, ``line`` the first line checkov reports,
  and ``resource_type`` the checkov framework).
- ``severity`` checkov's when it reports one, else the curated one for mandatory checks, else
  "medium".
- ``enforcement`` "mandatory" for the checks in ``mandatory.yaml`` (or the ``mandatory``
  argument, which replaces that list), "advisory" for the rest, all advisory with
  ``advisory_only``.
- ``status`` "violation"; "deferred" when the check read a value unknown before deploy (failed or
  passed, see :mod:`.manifests`), and for objects whose shape is unknown (``CKV_SAHAB_UNKNOWN``);
  "unchecked" for a project file checkov could not parse or sahab refused to read (``CKV_SAHAB_PARSE``).
"""
from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import yaml

from ...errors import ConfigError
from ...inputs.files import read_input_bytes
from ..engines.base import EngineError
from ..findings import Finding
from .manifests import Inputs, Manifest, build_inputs
from .runner import CheckovRunner, Job, JobResult, PreforkDriver
from .shards import DEFAULT_TARGET, plan_shards, single_shard

ENGINE = "checkov"
K8S_FRAMEWORKS = ("kubernetes",)
FILE_FRAMEWORKS = ("github_actions", "gitlab_ci", "dockerfile")
ALL_FRAMEWORKS = K8S_FRAMEWORKS + FILE_FRAMEWORKS
MANDATORY_FILE = Path(__file__).with_name("mandatory.yaml")
_SEVERITY = {"info": "low", "low": "low", "medium": "medium", "moderate": "medium", "high": "high",
             "important": "high", "critical": "critical"}
_INDEX = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class CuratedCheck:
    check_id: str
    severity: Optional[str]
    remediation: str
    mandatory: bool = True


def load_curated(path: Path = MANDATORY_FILE) -> Dict[str, CuratedCheck]:
    """The checks ``mandatory.yaml`` curates: its ``mandatory`` list and its ``advisory`` conventions."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    curated: Dict[str, CuratedCheck] = {}
    for section, mandatory in (("mandatory", True), ("advisory", False)):
        for entry in data.get(section) or []:
            curated[str(entry["id"])] = CuratedCheck(str(entry["id"]), entry.get("severity"),
                                                     " ".join(str(entry.get("remediation") or "").split()), mandatory)
    return curated


def load_mandatory(path: Path = MANDATORY_FILE) -> Dict[str, CuratedCheck]:
    """The checks that block by default (a project's ``gate.checkov.mandatory`` replaces them)."""
    return {check_id: check for check_id, check in load_curated(path).items() if check.mandatory}


def default_checks_dir() -> Path:
    from ..rules import default_policies_root

    return default_policies_root() / "checkov"


def _has_graph_checks(checks_dir: Path) -> bool:
    return any(p.suffix in (".yaml", ".yml", ".json") for p in checks_dir.rglob("*") if p.is_file())


@dataclass(frozen=True)
class CheckFile:
    """One checkov custom check, read into memory (a team's checks may live in the project)."""

    name: str
    source: Path
    content: bytes


def read_checks(checks_dirs: Sequence[Path]) -> Tuple[CheckFile, ...]:
    """The check files of ``checks_dirs`` (sahab's and a team's own, ``--checkov-checks-dir``), read now.

    ``sahab gate`` reads them before the program runs (:mod:`sahab.gate.snapshot`): a check is code
    checkov runs, and a program must not be able to replace or remove one while it is planned.
    """
    checks: Dict[str, CheckFile] = {}
    for checks_dir in map(Path, checks_dirs):
        if not checks_dir.is_dir():
            raise ConfigError("checkov checks folder %s does not exist" % checks_dir,
                              "pass a folder of checkov custom checks (--checkov-checks-dir, gate.checkov.checks_dirs)")
        for path in sorted(checks_dir.iterdir()):
            if path.is_file() and path.suffix in (".py", ".yaml", ".yml", ".json") and path.name != "__init__.py":
                if path.name in checks:
                    raise ConfigError("checkov check files %s and %s have the same name" % (checks[path.name].source, path),
                                      "rename one: checks from every folder are loaded from one place")
                checks[path.name] = CheckFile(path.name, path, read_input_bytes(path, "checkov check", "fix or remove it"))
    return tuple(checks.values())


def _stage_checks(checks: Sequence[CheckFile], target: Path) -> Path:
    """checkov loads external checks only from folders with an ``__init__.py``; policies/checkov
    has none (it is not a sahab package), so the checks are written into one that has: sahab's and
    a team's own side by side, so every check runs in the same scans."""
    target.mkdir(parents=True)
    for check in checks:
        (target / check.name).write_bytes(check.content)
    (target / "__init__.py").write_text("", encoding="utf-8")
    return target


@dataclass
class Record:
    """One checkov result mapped back to what sahab scanned."""

    raw: Dict[str, Any]
    passed: bool
    manifest: Optional[Manifest] = None
    source: Optional[str] = None      # project-relative path of a pipeline/Dockerfile

    @property
    def identity(self) -> Tuple[str, str, str]:
        return (self.raw["check_id"], self.raw.get("resource") or "", self.raw.get("file_path") or "")


@dataclass
class ScanOutcome:
    records: List[Record]
    parse_errors: List[str]           # project files checkov could not parse
    shards: int
    jobs: int
    cached: int
    mode: str


def scan(inputs: Inputs, *, workers: int = 2, sharded: bool = True, shard_size: int = DEFAULT_TARGET,
         checks_dir: Optional[Path] = None, cache_dir: Optional[Path] = None, use_cache: bool = True,
         timeout: float = 900.0, mode: Optional[str] = None, scratch: Optional[Path] = None,
         driver: Optional[PreforkDriver] = None, extra_checks_dirs: Sequence[Path] = (),
         checks: Optional[Sequence[CheckFile]] = None) -> ScanOutcome:
    """Scan ``inputs`` with checkov and map the results back; no Finding policy applied yet.

    ``sharded=False`` scans every manifest and project file in one checkov run over one folder
    (the reference the sharded scan must equal). ``driver``: a pre-forking driver started
    earlier (see :mod:`.background`), used instead of starting one; its owner closes it.
    ``extra_checks_dirs``: a team's own checks, run beside sahab's and reported the same way.
    ``checks``: every check, read earlier (:func:`read_checks`); then ``checks_dir`` and
    ``extra_checks_dirs`` are not read.
    """
    if checks is None:
        checks = read_checks([Path(checks_dir) if checks_dir is not None else default_checks_dir(), *extra_checks_dirs])
    owned = scratch is None
    work = Path(tempfile.mkdtemp(prefix="sahab-checkov-")) if owned else Path(scratch)
    try:
        staged = _stage_checks(checks, work / "checks")
        env = {"SAHAB_ACR_UAE_REGISTRIES": ",".join(inputs.acr_registries)}
        runner = CheckovRunner(checks_dir=staged, workers=workers, cache_dir=cache_dir, use_cache=use_cache,
                               timeout=timeout, mode=mode, extra_env=env, driver=driver)
        by_path: Dict[str, Manifest] = {m.rel_path: m for m in inputs.manifests}
        by_file = {f.rel_path: f for f in inputs.files}
        jobs: List[Job] = []
        homes: List[Optional[Set[str]]] = []
        if not sharded:
            shards = single_shard(inputs.manifests)
            files = {m.rel_path: m.text.encode("utf-8") for m in inputs.manifests}
            files.update({f.rel_path: f.content for f in inputs.files})
            if files:
                jobs.append(Job("whole", work / "whole", ALL_FRAMEWORKS if inputs.files else K8S_FRAMEWORKS,
                                files, quiet=not any(m.unknown_paths for m in inputs.manifests),
                                min_resources=len(inputs.manifests), strict_parsing=False))
                homes.append(None)
        else:
            if _has_graph_checks(staged):
                shards = single_shard(inputs.manifests)
            else:
                shards = plan_shards(inputs.manifests, shard_size)
            for number, shard in enumerate(shards):
                objects = shard.members + shard.context
                files = {m.rel_path: m.text.encode("utf-8") for m in objects}
                jobs.append(Job("shard-%04d" % number, work / "shards" / ("%04d" % number), K8S_FRAMEWORKS, files,
                                quiet=not any(m.unknown_paths for m in shard.members), min_resources=len(objects)))
                homes.append({"/" + m.rel_path for m in shard.members})
            if inputs.files:
                jobs.append(Job("files", work / "files-job", FILE_FRAMEWORKS,
                                {f.rel_path: f.content for f in inputs.files}, strict_parsing=False))
                homes.append(None)
        results: List[JobResult] = runner.run(jobs, work) if jobs else []
        records: List[Record] = []
        parse_errors: Set[str] = set()
        for job, home, result in zip(jobs, homes, results):
            for raw_list, passed in ((result.failed, False), (result.passed, True)):
                for raw in raw_list:
                    path = raw.get("file_path") or ""
                    if home is not None and path not in home:
                        continue  # a context object: its home shard reports it
                    rel = path.lstrip("/")
                    if rel in by_path:
                        records.append(Record(raw, passed, manifest=by_path[rel]))
                    elif rel in by_file:
                        records.append(Record(raw, passed, source=by_file[rel].source))
                    else:  # never drop a result: a path sahab cannot map is a fault, not a pass
                        raise EngineError("checkov reported %s on %r, which sahab did not give it" % (raw.get("check_id"), path))
            for path in result.parsing_errors:
                rel = _relative_to(path, job.root)
                if rel in by_file:
                    parse_errors.add(by_file[rel].source)
                elif rel in by_path:
                    raise EngineError("checkov could not parse the generated manifest %s" % rel)
        return ScanOutcome(records, sorted(parse_errors), len(shards), runner.stats["jobs"],
                           runner.stats["cached"], runner.mode)
    finally:
        if owned:
            shutil.rmtree(work, ignore_errors=True)


def _relative_to(path: str, root: Path) -> str:
    candidate = Path(path)
    try:
        return candidate.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return path.lstrip("/")


def _normalise_key(key: str) -> str:
    return _INDEX.sub(r"\1", key).strip("/")


def _reads_unknown(record: Record) -> Optional[List[str]]:
    """The unknown paths a check result depends on, or None when it depends on none."""
    manifest = record.manifest
    if manifest is None or not manifest.unknown_paths:
        return None
    top = set(manifest.document)
    keys = [_normalise_key(k) for k in record.raw.get("evaluated_keys") or [] if isinstance(k, str)]
    keys = [k for k in keys if k.split("/", 1)[0] in top]
    if not keys:
        # no evaluated keys: a failure is deferred when a value such checks read is unknown; a
        # pass is kept (most checks that do not apply to an object pass without reading anything)
        if manifest.sensitive_unknowns and not record.passed:
            return list(manifest.sensitive_unknowns)
        return None
    touched = [u for u in manifest.unknown_paths
               if any(k == u or k.startswith(u + "/") or u.startswith(k + "/") for k in keys)]
    return touched or None


def _severity(raw: Dict[str, Any], curated: Optional[CuratedCheck]) -> str:
    value = raw.get("severity")
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, str) and value.lower() in _SEVERITY:
        return _SEVERITY[value.lower()]
    if curated is not None and curated.severity in _SEVERITY:
        return _SEVERITY[curated.severity]
    return "medium"


def _first_line(raw: Dict[str, Any]) -> Optional[int]:
    """The first line checkov reports for a file check (``file_line_range``), if it gave one."""
    lines = raw.get("file_line_range")
    if isinstance(lines, list) and lines and isinstance(lines[0], int) and lines[0] > 0:
        return lines[0]
    return None


def to_findings(outcome: ScanOutcome, inputs: Inputs, *, mandatory: Optional[Sequence[str]] = None,
                advisory_only: bool = False) -> List[Finding]:
    curated = load_curated()
    blocking: Set[str] = {c for c, info in curated.items() if info.mandatory} if mandatory is None else {str(m) for m in mandatory}

    def enforcement(check_id: str) -> str:
        return "mandatory" if (check_id in blocking and not advisory_only) else "advisory"

    findings: List[Finding] = []
    seen: Set[Tuple[str, str, str, str]] = set()
    for record in outcome.records:
        raw = record.raw
        check_id = str(raw["check_id"])
        name = str(raw.get("check_name") or check_id)
        resource = str(raw.get("resource") or "")
        unknown = _reads_unknown(record)
        if record.passed and not unknown:
            continue
        info = curated.get(check_id)
        remediation = str(raw.get("guideline") or (info.remediation if info else ""))
        line: Optional[int] = None
        if record.manifest is not None:
            urn, rtype, file = record.manifest.urn, record.manifest.resource_type, None
        else:
            urn, rtype, file = "file:%s" % record.source, str(raw.get("check_type") or ""), record.source
            line = _first_line(raw)
            staged = "/" + str(raw.get("file_path") or "").lstrip("/")
            if resource.startswith(staged):  # Dockerfile ids embed the scanned path
                resource = record.source + resource[len(staged):]
        message = "%s (%s)" % (name, resource) if resource else name
        status = "violation"
        if unknown:
            status = "deferred"
            message += ": %s before deploy; checkov read %s" % (
                "cannot be decided" if record.passed else "failed on a value unknown",
                ", ".join(sorted(unknown)[:3]))
        key = (check_id, urn, status, message)
        if key in seen:
            continue
        seen.add(key)
        findings.append(Finding(rule_id=check_id, engine=ENGINE, severity=_severity(raw, info),
                                enforcement=enforcement(check_id), status=status, urn=urn, resource_type=rtype,
                                message=message, title=name, remediation=remediation, file=file, line=line))
    for item in inputs.deferred:
        findings.append(Finding(
            rule_id="CKV_SAHAB_UNKNOWN", engine=ENGINE, severity="medium", enforcement=enforcement("CKV_SAHAB_UNKNOWN"),
            status="deferred", urn=item.urn, resource_type=item.resource_type,
            message="not scanned by checkov: %s %s before deploy" % (
                ", ".join(item.paths[:5]), "is secret" if item.reason == "secret" else "unknown"),
            title="Kubernetes object only known at deploy time",
            remediation="Make the object's structure known at preview (pass plain values, not outputs, for whole blocks)."))
    for source in sorted(set(outcome.parse_errors) | set(inputs.unparseable)):
        findings.append(Finding(
            rule_id="CKV_SAHAB_PARSE", engine=ENGINE, severity="medium", enforcement=enforcement("CKV_SAHAB_PARSE"),
            status="unchecked", urn="file:%s" % source, resource_type="file",
            message="%s is not valid YAML: checkov skips it, so it was not checked" % source,
            title="CI file that cannot be checked",
            remediation="Fix the file's syntax so that it can be checked.", file=source))
    for source, reason in inputs.refused:
        findings.append(Finding(
            rule_id="CKV_SAHAB_PARSE", engine=ENGINE, severity="medium", enforcement=enforcement("CKV_SAHAB_PARSE"),
            status="unchecked", urn="file:%s" % source, resource_type="file",
            message="%s %s: sahab did not read it, so it was not checked" % (source, reason),
            title="Project file that cannot be checked",
            remediation="Keep CI files and Dockerfiles regular files inside the project, under 4 MiB and within "
                        "sahab's YAML limits (docs/cli.md).", file=source))
    return sorted(findings, key=Finding.sort_key)


def run_checkov(plan: Dict[str, Any], project_dir: Optional[Path], *, mandatory: Optional[Sequence[str]] = None,
                advisory_only: bool = False, workers: int = 2, cache_dir: Optional[Path] = None,
                use_cache: bool = True, shard_size: int = DEFAULT_TARGET, sharded: bool = True,
                checks_dir: Optional[Path] = None, timeout: float = 900.0,
                driver: Optional[PreforkDriver] = None) -> List[Finding]:
    """checkov's findings on the plan's Kubernetes objects and the project's pipelines and Dockerfiles.

    Raises :class:`~sahab.gate.engines.base.EngineError` (exit 3) when checkov crashes, times out
    or writes something that is not its JSON report: never an empty result instead.
    """
    inputs = build_inputs(plan, Path(project_dir) if project_dir is not None else None)
    return scan_findings(inputs, mandatory=mandatory, advisory_only=advisory_only, workers=workers,
                         cache_dir=cache_dir, use_cache=use_cache, shard_size=shard_size, sharded=sharded,
                         checks_dir=checks_dir, timeout=timeout, driver=driver)


def scan_findings(inputs: Inputs, *, mandatory: Optional[Sequence[str]] = None, advisory_only: bool = False,
                  **scan_options: Any) -> List[Finding]:
    """:func:`scan` ``inputs`` (``scan_options`` are its keywords) and turn the outcome into findings."""
    return to_findings(scan(inputs, **scan_options), inputs, mandatory=mandatory, advisory_only=advisory_only)


def identities(records: Iterable[Record]) -> Set[Tuple[str, str, str]]:
    """(check id, checkov resource, file) of each failed check: what the equivalence test compares."""
    return {record.identity for record in records if not record.passed}
