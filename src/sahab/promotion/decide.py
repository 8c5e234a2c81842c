"""``sahab promote``: judge a model version, record the decision, and only then move the alias.

Order, so that nothing is promoted unrecorded: check the audit log's chain; gather the candidate
and the current holder of the alias from MLflow; evaluate the promotion rules; append the decision
to the audit log; tag the version with it; and, when allowed, move the alias. A denied version
leaves every alias as it was. An unreachable tracking server, an engine failure or a broken log
stops before anything moves (exit 3 or 2).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from ..errors import UsageError
from ..gate.config import GateConfig, load_gate_config
from ..gate.findings import Finding
from . import audit_log
from .config import PromotionConfig, load_promotion_config
from .gather import TARGETS, connect, holder, input_document, model_version, redact_uri, tracking_call
from .policy import load_policy

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

TAG_PREFIX = "sahab.promotion."
_TAG_LIMIT = 5000  # MLflow's limit on a model version tag value
PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class PromotionResult:
    """One decision: what was asked, what the rules found, and where it was recorded."""

    action: str                  # promote | rollback
    model: str
    version: str                 # the version judged (the one that would hold the alias)
    alias: str
    previous: Optional[str]      # the version that held the alias before
    allowed: bool
    findings: List[Finding] = field(default_factory=list)
    entry_hash: str = ""         # sha256 of the audit log entry
    audit_log: Optional[Path] = None

    @property
    def blocking(self) -> List[Finding]:
        return [f for f in self.findings if f.blocks]

    @property
    def exit_code(self) -> int:
        return 0 if self.allowed else 1


def promote(model: str, version: Union[str, int], to: str, *, project_dir: PathLike = ".", config: Optional[PromotionConfig] = None,
            gate_config: Optional[GateConfig] = None, tracking_uri: Optional[str] = None, actor: Optional[str] = None,
            audit_log_path: Optional[PathLike] = None) -> PromotionResult:
    """Promote ``model`` version ``version`` to ``to`` (``staging`` or ``production``) if the rules allow it."""
    alias = _alias(to)
    version = _version(version)
    return _decide("promote", model, alias, to, project_dir, config, gate_config, tracking_uri, actor, audit_log_path,
                   lambda client: model_version(client, model, version))


def rollback(model: str, to: str = "production", *, project_dir: PathLike = ".", config: Optional[PromotionConfig] = None,
             gate_config: Optional[GateConfig] = None, tracking_uri: Optional[str] = None, actor: Optional[str] = None,
             audit_log_path: Optional[PathLike] = None) -> PromotionResult:
    """Return ``to``'s alias to the version that held it before the current one (policy-checked and audited).

    The previous holder is the one recorded when the current version was promoted (its tag
    ``sahab.promotion.<alias>.previous``); a version promoted without sahab has none (exit 2).
    """
    alias = _alias(to)

    def previous(client: "MlflowClient") -> "ModelVersion":
        current = holder(client, model, alias)
        if current is None:
            raise UsageError("no version of %s holds the alias %s, so there is nothing to roll back" % (model, alias),
                             "promote a version first")
        earlier = (current.tags or {}).get(TAG_PREFIX + alias + ".previous")
        if not earlier:
            raise UsageError("%s version %s holds %s but no previous version was recorded for it" % (model, current.version, alias),
                             "promote the version you want explicitly: sahab promote %s --version N --to %s" % (model, to))
        return model_version(client, model, earlier)

    return _decide("rollback", model, alias, to, project_dir, config, gate_config, tracking_uri, actor, audit_log_path, previous)


def _decide(action: str, model: str, alias: str, to: str, project_dir: PathLike, config: Optional[PromotionConfig],
            gate_config: Optional[GateConfig], tracking_uri: Optional[str], actor: Optional[str],
            audit_log_path: Optional[PathLike], candidate_of: Any) -> PromotionResult:
    if not model or not model.strip():
        raise UsageError("no model name given", "sahab promote MODEL --version N --to staging|production")
    project = Path(project_dir)
    config = config or load_promotion_config(project)
    gate_config = gate_config or load_gate_config(project)
    log_path = Path(audit_log_path) if audit_log_path is not None else config.audit_log
    uri = _tracking_uri(tracking_uri, config)
    who, ci_run = audit_log.actor_of(actor)
    check = audit_log.verify_promotion_log(log_path) if log_path.exists() else None
    if check is not None and not check.intact:
        raise UsageError("audit log %s is broken at %s" % (log_path, check.problem),
                         "restore it from its copy before promoting; sahab does not extend a tampered log")
    policy = load_policy(gate_config)  # the embedded engine's worker boots while MLflow is asked
    try:
        client = connect(uri)
        candidate = candidate_of(client)
        current = holder(client, model, alias)
        document = input_document(client, model, candidate, alias, to, action, current, config.to_input())
        findings = policy.evaluate(document)
        digest = policy.digest
    finally:
        policy.close()
    allowed = not any(f.blocks for f in findings)
    previous = str(current.version) if current is not None else None
    entry, entry_hash = audit_log.append_entry(log_path, {
        "at": audit_log.now(), "actor": who, "ci_run": ci_run, "action": action, "model": model,
        "version": str(candidate.version), "alias": alias, "from_version": previous,
        "to_version": str(candidate.version) if allowed else previous,
        "decision": "allowed" if allowed else "denied",
        "findings": [{"rule": f.rule_id, "severity": f.severity, "enforcement": f.enforcement, "message": f.message} for f in findings],
        "policy_bundle": digest, "tracking_uri": redact_uri(uri)})
    _record(client, model, str(candidate.version), alias, entry, entry_hash, findings)
    if allowed and previous != str(candidate.version):
        if action == "promote" and previous is not None:
            tracking_call("recording the previous holder of %s" % alias, client.set_model_version_tag, model, str(candidate.version),
                          TAG_PREFIX + alias + ".previous", previous)
        tracking_call("moving alias %s of %s to version %s" % (alias, model, candidate.version),
                      client.set_registered_model_alias, model, alias, str(candidate.version))
    return PromotionResult(action=action, model=model, version=str(candidate.version), alias=alias, previous=previous,
                           allowed=allowed, findings=findings, entry_hash=entry_hash, audit_log=log_path)


def _record(client: "MlflowClient", model: str, version: str, alias: str, entry: Dict[str, Any], entry_hash: str,
            findings: List[Finding]) -> None:
    """The decision on the version itself, as tags: allowed or denied, when, by whom, why, and its log entry."""
    rules = ",".join(sorted({f.rule_id for f in findings if f.blocks}))
    tags = {"decision": entry["decision"], "action": entry["action"], "at": entry["at"], "actor": entry["actor"],
            "entry": entry_hash, "findings": rules[:_TAG_LIMIT]}
    for key, value in tags.items():
        tracking_call("recording the decision on %s version %s" % (model, version), client.set_model_version_tag,
                      model, version, TAG_PREFIX + alias + "." + key, value)


def _alias(to: str) -> str:
    if to not in TARGETS:
        raise UsageError("--to %r is not a target" % (to,), "use --to staging or --to production")
    return TARGETS[to]


def _version(version: Union[str, int]) -> str:
    text = str(version).strip()
    if not text.isdigit() or int(text) < 1:
        raise UsageError("--version %r is not a model version number" % (version,), "e.g. --version 3")
    return str(int(text))


def _tracking_uri(flag: Optional[str], config: PromotionConfig) -> str:
    """--tracking-uri, else MLFLOW_TRACKING_URI, else promotion.tracking_uri; none is exit 2."""
    uri = flag or os.environ.get("MLFLOW_TRACKING_URI") or config.tracking_uri
    if not uri:
        raise UsageError("no tracking server given", "pass --tracking-uri, set MLFLOW_TRACKING_URI, or set promotion.tracking_uri in sahab.yaml")
    return uri
