"""SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``).

GitHub needs every result to carry a physical location and annotates a pull request on it: a
finding about a resource points at the program line that registered it (checkov findings on
pipeline files and Dockerfiles at their file and line; without either, at the stack's
``Pulumi.<stack>.yaml``, line 1) and names the URN as its logical location. The URI is relative
to the repository root under ``uriBaseId`` ``%SRCROOT%``, as GitHub resolves it; no
``originalUriBaseIds`` is written, since its absolute path would leak the machine's layout.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List
from urllib.parse import quote

from .. import __version__
from ..gate.findings import Finding, GateResult
from ..gate.locations import stack_config_file
from .annotations import describe, fingerprint
from .escape import plain, sarif_text

SOURCE_ROOT = "%SRCROOT%"

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def _level(finding: Finding, result: GateResult) -> str:
    if result.is_blocking(finding):
        return "error"
    return "warning" if finding.status in ("violation", "unchecked") else "note"


def _rule_tags(finding: Finding) -> List[str]:
    """The rule's ``properties.tags``, each tag once, in first-seen order.

    SARIF defines ``tags`` as a set: the OASIS schema's ``propertyBag.tags`` has
    ``uniqueItems: true``, so a repeated tag makes the whole log invalid. sahab's own findings
    (engine ``sahab``, e.g. SAHAB-PLN-001 for an opaque component) would otherwise carry
    ``sahab`` twice, and a rule's metadata may name a control twice.
    """
    return list(dict.fromkeys(["security", "sahab", finding.engine, *finding.controls]))


def render_sarif(result: GateResult) -> str:
    findings = result.sorted_findings()
    rules: Dict[str, Dict[str, Any]] = {}
    for finding in findings:
        rules.setdefault(finding.rule_id, {
            "id": finding.rule_id,
            "name": finding.rule_id.replace("-", "").replace("_", ""),
            "shortDescription": {"text": sarif_text(finding.title or finding.rule_id)},
            "fullDescription": {"text": sarif_text(finding.title or finding.message)},
            "help": {"text": sarif_text(finding.remediation or "See the rule's documentation.")},
            "defaultConfiguration": {"level": "error" if finding.enforcement == "mandatory" else "warning"},
            "properties": {
                "tags": _rule_tags(finding),
                "security-severity": _SECURITY_SEVERITY.get(finding.severity, "5.5"),
            },
        })
    rule_ids = list(rules)
    results: List[Dict[str, Any]] = []
    for finding in findings:
        uri = quote(plain(finding.file or stack_config_file(result.stack)))
        entry: Dict[str, Any] = {
            "ruleId": finding.rule_id,
            "ruleIndex": rule_ids.index(finding.rule_id),
            "level": _level(finding, result),
            "message": {"text": describe(finding, sarif_text)},
            "locations": [{
                "physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": SOURCE_ROOT},
                                     "region": {"startLine": finding.line or 1}},
                "logicalLocations": [{"fullyQualifiedName": plain(finding.urn), "kind": "resource"}],
            }],
            "partialFingerprints": {"sahabFinding/v1": fingerprint(finding)},
            "properties": {"status": finding.status, "enforcement": finding.enforcement, "engine": finding.engine},
        }
        if finding.status == "waived" and finding.waiver:
            entry["suppressions"] = [{"kind": "external", "status": "accepted",
                                      "justification": plain("%s (approved by %s, expires %s)" % (
                                          finding.waiver["reason"], finding.waiver["approver"], finding.waiver["expires"]))}]
        results.append(entry)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "sahab", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://github.com/sahab-dev/sahab", "rules": list(rules.values())}},
            "automationDetails": {"id": plain("sahab-gate/%s/%s" % (result.project, result.stack))},
            "results": results,
            # What narrowed the run (docs/gate.md): rules not evaluated, the blocking threshold, soft-fail.
            "properties": {"skippedRules": list(result.rules_skipped), "severityThreshold": result.severity_threshold or "low",
                           "softFail": result.soft_fail,
                           **({"projectRelaxations": result.relaxations.to_dict()} if result.relaxations else {})},
        }],
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
