"""sahab's Rego rules as CrossGuard stack policies: one ``StackValidationPolicy`` per rule.

Every policy shares one :class:`StackEvaluator`: the first policy to run on a stack adapts the
resources (:func:`sahab.crossguard.adapter.adapt_stack`) and evaluates *all* rules once on the
embedded regorus engine (:func:`sahab.gate.evaluate.evaluate_rules`, the code ``sahab gate``
runs), and the coverage check (:func:`sahab.gate.coverage.coverage_findings`, SAHAB-COV-001, a
policy of its own); the others find the result cached under the stack's content digest
(:func:`sahab.crossguard.adapter.stack_fingerprint`: the SDK hands each policy new objects, so
neither ``id(args)`` nor the URNs alone would identify the stack). Each policy
then reports its own rule's findings. See docs/crossguard.md for the decisions (names, deferred
findings, frameworks).

Never construct ``pulumi_policy.PolicyPack`` outside the pack program: it starts a gRPC server
and blocks. :func:`build_policy_pack` is only called from ``policies/crossguard/__main__.py``.
"""
from __future__ import annotations

import os
import re
import threading
from typing import Any, Callable, List, Optional, Sequence, Tuple

from pulumi_policy import (EnforcementLevel, PolicyComplianceFramework, PolicyConfigSchema, Severity,
                           StackValidationArgs, StackValidationPolicy)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..gate.coverage import coverage_findings, coverage_rule
from ..gate.evaluate import check_builtins, evaluate_rules
from ..gate.findings import Finding
from ..gate.rules import PolicyBundle, Rule, load_bundle
from .adapter import adapt_stack, keep_secrets, stack_fingerprint

PACK_NAME = "sahab-uae"
PACK_DESCRIPTION = ("sahab's UAE residency and security rules (Rego, policies/) on the resources of "
                    "`pulumi preview` and `pulumi up`: the same rules and findings as `sahab gate`.")
FAIL_ON_DEFERRED = "failOnDeferred"
DEFERRED_AFTER_DEPLOY = "%s (deferred: the value was still not known after deploy, so the rule could not be verified)"

ReportViolation = Callable[[str, Optional[str]], None]


class StackEvaluator:
    """Adapts a stack and runs every rule once per distinct stack content; thread-safe."""

    def __init__(self, bundle: PolicyBundle) -> None:
        self.bundle = bundle
        self._engine: Any = None
        self._lock = threading.Lock()
        self._key: Optional[str] = None
        self._findings: List[Finding] = []
        self.evaluations = 0  # how many times the rules actually ran (tests check the cache)

    def findings(self, resources: Sequence[Any]) -> List[Finding]:
        key = stack_fingerprint(resources)
        with self._lock:
            if key != self._key:
                document = adapt_stack(resources)
                self._findings = evaluate_rules(document, self.bundle, self._loaded_engine(), loaded=True) \
                    + coverage_findings(document, self.bundle)
                self._key = key
                self.evaluations += 1
            return list(self._findings)

    def _loaded_engine(self) -> Any:
        if self._engine is None:
            from ..gate.engines import create_engine

            engine = create_engine("embedded")
            check_builtins(self.bundle, engine)
            engine.load(self.bundle.without_tests())
            self._engine = engine
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None


def build_policies(bundle: Optional[PolicyBundle] = None, *, dry_run: Optional[bool] = None) -> List[StackValidationPolicy]:
    """One stack policy per rule of ``bundle`` (default: the installed ``sahab.policies``).

    ``dry_run``: ``None`` reads ``PULUMI_DRY_RUN``, which the CLI sets for policy packs
    (``true`` in a preview); tests pass it explicitly.
    """
    bundle = bundle or load_bundle()
    evaluator = StackEvaluator(bundle)
    return [_policy(rule, evaluator, dry_run) for rule in bundle.rules + (coverage_rule(bundle),)]


def build_policy_pack() -> None:
    """Serve the pack (blocks): only ever called by policies/crossguard/__main__.py."""
    from pulumi_policy import PolicyPack

    keep_secrets()
    PolicyPack(PACK_NAME, policies=build_policies(), enforcement_level=EnforcementLevel.MANDATORY,
               description=PACK_DESCRIPTION, display_name="sahab UAE rules")


def _policy(rule: Rule, evaluator: StackEvaluator, dry_run: Optional[bool]) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        mine = sorted((f for f in evaluator.findings(args.resources) if f.rule_id == rule.rule_id), key=Finding.sort_key)
        preview = _is_dry_run() if dry_run is None else dry_run
        strict = bool((args.get_config() or {}).get(FAIL_ON_DEFERRED, False))
        waiting: List[Finding] = []
        for finding in mine:
            if finding.status in ("violation", "unchecked"):  # unchecked: SAHAB-COV-001
                report_violation(finding.message, finding.urn)
            elif finding.status == "deferred":
                if preview and not strict:
                    waiting.append(finding)
                else:
                    report_violation(finding.message if preview else DEFERRED_AFTER_DEPLOY % finding.message, finding.urn)
        if waiting:
            raise _deferred(waiting)

    policy = StackValidationPolicy(
        name=rule.rule_id,
        description=rule.description,
        validate=validate,
        enforcement_level=EnforcementLevel(rule.enforcement),
        config_schema=PolicyConfigSchema({FAIL_ON_DEFERRED: {
            "type": "boolean", "default": False,
            "description": "Report findings that wait on values unknown during preview as violations."}}),
        display_name=rule.title,
        severity=Severity(rule.severity),
        framework=control_framework(rule.controls[0]) if rule.controls else None,
        tags=[rule.concern] + [control_tag(control) for control in rule.controls],
        remediation_steps=rule.remediation,
    )
    policy.sahab_rule = rule  # type: ignore[attr-defined]
    policy.sahab_evaluator = evaluator  # type: ignore[attr-defined]
    return policy


def _deferred(findings: List[Finding]) -> UnknownValueError:
    """pulumi-policy turns this into one advisory diagnostic: "can't run policy … during preview: …"."""
    error = UnknownValueError(UNKNOWN_STRING_VALUE, [])
    error.message = "%d finding(s) wait on values known only at deploy time: %s" % (
        len(findings), "; ".join("%s: %s" % (f.urn, f.message) for f in findings))
    return error


def _is_dry_run() -> bool:
    return os.environ.get("PULUMI_DRY_RUN", "").lower() == "true"


# -- controls -> compliance frameworks -----------------------------------------------------------

_FRAMEWORKS: Tuple[Tuple[str, "re.Pattern[str]"], ...] = (
    ("UAE PDPL", re.compile(r"^UAE PDPL(?: \((?P<version>[^)]+)\))? (?P<reference>[^:]+?): (?P<specification>.+)$")),
    ("UAE IA (NESA)", re.compile(r"^UAE IA \(NESA\) (?P<reference>[^:]+?): (?P<specification>.+)$")),
    ("ISO/IEC 27001", re.compile(r"^ISO/IEC 27001(?::(?P<version>\d{4}))? (?P<reference>[^:]+?): (?P<specification>.+)$")),
)


def control_parts(control: str) -> Tuple[str, Optional[str], Optional[str], Optional[str]]:
    """``(framework, version, reference, specification)`` of a METADATA control line.

    ``"UAE PDPL (Federal Decree-Law 45/2021) Art. 22: Cross-Border Transfer…"`` ->
    ``("UAE PDPL", "Federal Decree-Law 45/2021", "Art. 22", "Cross-Border Transfer…")``;
    ``"ISO/IEC 27001:2022 A.5.34: …"`` -> ``("ISO/IEC 27001", "2022", "A.5.34", …)``;
    an unknown family keeps the text before the first ``": "`` as its name.
    """
    for name, pattern in _FRAMEWORKS:
        match = pattern.match(control)
        if match:
            groups = match.groupdict()
            return name, groups.get("version"), groups["reference"], groups["specification"]
    head, sep, tail = control.partition(": ")
    return (head, None, None, tail) if sep else (control, None, None, None)


def control_framework(control: str) -> PolicyComplianceFramework:
    name, version, reference, specification = control_parts(control)
    return PolicyComplianceFramework(name=name, version=version, reference=reference, specification=specification)


def control_tag(control: str) -> str:
    """A short tag: ``UAE PDPL Art. 22``, ``UAE IA (NESA) T6.3.1``, ``ISO/IEC 27001:2022 A.5.34``."""
    name, version, reference, _ = control_parts(control)
    if reference is None:
        return name
    if name == "ISO/IEC 27001" and version:
        return "%s:%s %s" % (name, version, reference)
    return "%s %s" % (name, reference)
