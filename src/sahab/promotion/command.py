"""``sahab promote``'s flags onto the library (:mod:`.decide`, :mod:`.audit_log`), and its output lines."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from ..errors import UsageError
from . import decide
from .audit_log import verify_promotion_log
from .config import load_promotion_config


def run_promote(model: Optional[str], version: Optional[str], to: Optional[str], *, rollback: bool = False,
                tracking_uri: Optional[str] = None, actor: Optional[str] = None, audit_log_path: Optional[Path] = None,
                config_path: Optional[Path] = None, verify_log: bool = False, echo: Callable[[str], None] = print) -> int:
    """Run one ``sahab promote`` invocation; return its exit code (errors raise, as everywhere)."""
    config = load_promotion_config(Path("."), config_path)
    if verify_log:
        if model or version or to or rollback:
            raise UsageError("--verify-log checks the audit log only", "drop MODEL, --version, --to and --rollback")
        check = verify_promotion_log(audit_log_path or config.audit_log)
        if check.intact:
            echo("audit log %s: %d entries, chain intact, head %s" % (check.path, check.entries, check.head))
            return 0
        echo("audit log %s: BROKEN at %s (%d entries before it are intact)" % (check.path, check.problem, check.entries))
        return 1
    if not model:
        raise UsageError("no model given", "sahab promote MODEL --version N --to staging|production")
    if to is None:
        raise UsageError("--to is required", "--to staging or --to production")
    if rollback and version is not None:
        raise UsageError("--rollback returns to the recorded previous version; --version is not used", "drop --version")
    if not rollback and version is None:
        raise UsageError("--version is required", "e.g. --version 3 (or --rollback)")
    options: Dict[str, Any] = dict(config=config, tracking_uri=tracking_uri, actor=actor, audit_log_path=audit_log_path)
    if config_path is not None:
        from ..gate.config import load_gate_config

        options["gate_config"] = load_gate_config(Path("."), config_path)
    result = decide.rollback(model, to, **options) if rollback else decide.promote(model, version, to, **options)
    for line in describe(result):
        echo(line)
    return result.exit_code


def describe(result: decide.PromotionResult) -> List[str]:
    """The decision in lines: the verdict, then each blocking finding with its rule."""
    what = "%s %s version %s -> %s" % (result.action, result.model, result.version, result.alias)
    was = " (was version %s)" % result.previous if result.previous else " (no version held it)"
    if result.allowed:
        lines = ["allowed: %s%s" % (what, was)]
    else:
        lines = ["denied: %s; %s unchanged%s" % (what, result.alias, was)]
        lines += ["  %s [%s] %s" % (f.rule_id, f.severity, f.message) for f in result.blocking]
    lines.append("recorded: %s entry %s" % (result.audit_log, result.entry_hash))
    return lines
