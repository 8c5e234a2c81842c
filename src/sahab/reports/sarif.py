"""SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``).

GitHub needs every result to carry a physical location, so a finding about a resource points at
the stack's config file (``Pulumi.<stack>.yaml``, where the stack is defined) and names the URN
as its logical location; checkov findings on pipeline files and Dockerfiles point at the file.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List

from .. import __version__
from ..gate.findings import Finding, GateResult

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
            "shortDescription": {"text": finding.title or finding.rule_id},
            "fullDescription": {"text": finding.title or finding.message},
            "help": {"text": finding.remediation or "See the rule's documentation."},
            "defaultConfiguration": {"level": "error" if finding.enforcement == "mandatory" else "warning"},
            "properties": {
                "tags": _rule_tags(finding),
                "security-severity": _SECURITY_SEVERITY.get(finding.severity, "5.5"),
            },
        })
    rule_ids = list(rules)
    results: List[Dict[str, Any]] = []
    for finding in findings:
        uri = finding.file or "Pulumi.%s.yaml" % result.stack
        fingerprint = hashlib.sha256(("%s|%s|%s" % (finding.rule_id, finding.urn, finding.message)).encode()).hexdigest()
        entry: Dict[str, Any] = {
            "ruleId": finding.rule_id,
            "ruleIndex": rule_ids.index(finding.rule_id),
            "level": _level(finding, result),
            "message": {"text": "[%s] %s (%s)" % (finding.status, finding.message, finding.urn)},
            "locations": [{
                "physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": 1}},
                "logicalLocations": [{"fullyQualifiedName": finding.urn, "kind": "resource"}],
            }],
            "partialFingerprints": {"sahabFinding/v1": fingerprint},
            "properties": {"status": finding.status, "enforcement": finding.enforcement, "engine": finding.engine},
        }
        if finding.status == "waived" and finding.waiver:
            entry["suppressions"] = [{"kind": "external", "status": "accepted",
                                      "justification": "%s (approved by %s, expires %s)" % (
                                          finding.waiver["reason"], finding.waiver["approver"], finding.waiver["expires"])}]
        results.append(entry)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "sahab", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://github.com/sahab-dev/sahab", "rules": list(rules.values())}},
            "automationDetails": {"id": "sahab-gate/%s/%s" % (result.project, result.stack)},
            "results": results,
        }],
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
