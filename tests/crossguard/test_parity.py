"""The CrossGuard pack reports exactly what ``sahab gate`` reports, through pulumi-policy's own
analyzer interface (``_PolicyAnalyzerServicer.AnalyzeStack``, what the Pulumi CLI calls over gRPC).

The plan comes from a real offline plan of the reference ``prod`` stack; the request is built from
it the way the engine marshals resources (crossguard_helpers.py). A real ``pulumi preview
--policy-pack`` run is not possible offline and is not tested here (docs/crossguard.md).
"""
from __future__ import annotations

from typing import Any, Dict, List, Set, Tuple

import pytest
from crossguard_helpers import (analyze, as_the_engine_plans_it, clone, find, plan_to_request, refresh_regions, remove,
                                servicer, set_input, use_default_provider, violations)
from pulumi.runtime.proto import analyzer_pb2

from sahab.crossguard.pack import DEFERRED_AFTER_DEPLOY, build_policies, control_parts, control_tag
from sahab.gate.coverage import coverage_rule
from sahab.gate.engines import create_engine
from sahab.gate.evaluate import evaluate_rules

BUCKET = "aws:s3/bucket:Bucket"


@pytest.fixture(scope="module")
def mutated_plan(prod_plan) -> Dict[str, Any]:
    """Several violations a reviewer would care about, and one value unknown before deploy."""
    plan = clone(prod_plan)
    set_input(plan, find(plan, BUCKET, "ml-prod-artifacts"), "region", "eu-west-1")
    remove(plan, find(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "ml-prod-artifacts-logs"))
    find(plan, "aws:ec2/securityGroup:SecurityGroup", "ml-prod-endpoints")["inputs"]["ingress"][0]["cidrBlocks"] = ["0.0.0.0/0"]
    use_default_provider(plan, find(plan, "aws:s3/bucketVersioning:BucketVersioning", "ml-prod-artifacts-logs"))
    set_input(plan, find(plan, BUCKET, "ml-prod-artifacts-logs"), "region", {"$unknown": True})
    set_input(plan, find(plan, "aws:rds/instance:Instance"), "password", {"$secret": True})
    refresh_regions(plan)
    return plan


def gate_findings(plan, bundle) -> List[Any]:
    """The gate's findings on the plan as the engine holds it: under `pulumi preview` no callback runs
    on an unknown, so the partial values the offline planner adds are plain unknowns to CrossGuard
    (where the gate decides on them, the pack defers: pulumi-policy#258, docs/crossguard.md)."""
    engine = create_engine("embedded")
    try:
        return evaluate_rules(as_the_engine_plans_it(plan), bundle, engine)
    finally:
        engine.close()


def gate_set(findings, status: str) -> Set[Tuple[str, str, str]]:
    return {(f.rule_id, f.urn, f.message) for f in findings if f.status == status}


def plan_urns(plan) -> Set[str]:
    return {r["urn"] for r in plan["resources"]}


def advisory_notes(response) -> Dict[str, str]:
    """The SDK's "can't run policy … during preview" diagnostics, by policy (no URN, advisory)."""
    notes = {}
    for d in response.diagnostics:
        if not d.urn:
            assert d.enforcementLevel == analyzer_pb2.ADVISORY
            notes[d.policyName] = d.message
    return notes


# -- parity ----------------------------------------------------------------------------------

def test_prod_plan_parity(prod_plan, bundle):
    policies = build_policies(bundle, dry_run=True)
    response = analyze(policies, plan_to_request(prod_plan))
    findings = gate_findings(prod_plan, bundle)
    assert violations(response, policies) == gate_set(findings, "violation")
    assert set(advisory_notes(response)) == {f.rule_id for f in findings if f.status == "deferred"}


def test_mutated_plan_parity(mutated_plan, bundle):
    policies = build_policies(bundle, dry_run=True)
    response = analyze(policies, plan_to_request(mutated_plan))
    expected = gate_set(gate_findings(mutated_plan, bundle), "violation")
    # The resource moved off its explicit provider is on the default aws provider, which is a
    # resource of the plan and of the request alike.
    assert violations(response, policies, plan_urns(mutated_plan)) == expected
    bucket = find(mutated_plan, BUCKET, "ml-prod-artifacts")["urn"]
    assert any(rule == "SAHAB-RES-001" and urn == bucket for rule, urn, _ in expected)
    assert len({rule for rule, _, _ in expected}) >= 3, expected
    levels = {d.policyName: d.enforcementLevel for d in response.diagnostics if d.urn}
    for policy in policies:
        if policy.name in levels:
            assert levels[policy.name] == (analyzer_pb2.MANDATORY if policy.sahab_rule.enforcement == "mandatory"
                                           else analyzer_pb2.ADVISORY)


def test_rules_run_once_per_stack(mutated_plan, bundle):
    policies = build_policies(bundle, dry_run=True)
    analyze(policies, plan_to_request(mutated_plan))
    assert policies[0].sahab_evaluator.evaluations == 1
    analyze(policies, plan_to_request(mutated_plan))
    assert policies[0].sahab_evaluator.evaluations == 1  # same content: cached
    changed = clone(mutated_plan)
    set_input(changed, find(changed, BUCKET, "ml-prod-artifacts"), "region", "me-central-1")
    response = analyze(policies, plan_to_request(changed))
    assert policies[0].sahab_evaluator.evaluations == 2  # new content: evaluated again
    assert violations(response, policies, plan_urns(changed)) == gate_set(gate_findings(changed, bundle), "violation")


# -- deferred findings -----------------------------------------------------------------------

def test_preview_reports_deferred_as_one_advisory_note_per_rule(mutated_plan, bundle):
    policies = build_policies(bundle, dry_run=True)
    response = analyze(policies, plan_to_request(mutated_plan))
    deferred = [f for f in gate_findings(mutated_plan, bundle) if f.status == "deferred"]
    assert any(f.rule_id == "SAHAB-RES-001" for f in deferred)
    notes = advisory_notes(response)
    assert set(notes) == {f.rule_id for f in deferred}
    for finding in deferred:
        assert "during preview" in notes[finding.rule_id]
        assert "%s: %s" % (finding.urn, finding.message) in notes[finding.rule_id]
    # ...and never as a violation of the resource
    assert not any(d.urn == f.urn and f.message in d.message for d in response.diagnostics for f in deferred)


def test_update_reports_deferred_as_violations(mutated_plan, bundle):
    policies = build_policies(bundle, dry_run=False)
    response = analyze(policies, plan_to_request(mutated_plan))
    findings = gate_findings(mutated_plan, bundle)
    expected = gate_set(findings, "violation") | {
        (rule, urn, DEFERRED_AFTER_DEPLOY % message) for rule, urn, message in gate_set(findings, "deferred")}
    assert violations(response, policies, plan_urns(mutated_plan)) == expected
    assert advisory_notes(response) == {}


def test_fail_on_deferred_policy_config(mutated_plan, bundle):
    policies = build_policies(bundle, dry_run=True)
    response = analyze(policies, plan_to_request(mutated_plan), config={"SAHAB-RES-001": {"failOnDeferred": True}})
    deferred = gate_set(gate_findings(mutated_plan, bundle), "deferred")
    res001 = {f for f in deferred if f[0] == "SAHAB-RES-001"}
    assert res001 and res001 <= violations(response, policies)
    assert "SAHAB-RES-001" not in advisory_notes(response)


def test_enforcement_override_through_policy_pack_config(mutated_plan, bundle):
    """``--policy-pack-config`` keys are the rule ids, like sahab.yaml's gate.enforcement."""
    policies = build_policies(bundle, dry_run=True)
    response = analyze(policies, plan_to_request(mutated_plan), config={"SAHAB-RES-001": {"enforcementLevel": "advisory"}})
    levels = {d.enforcementLevel for d in response.diagnostics if d.policyName == "SAHAB-RES-001" and d.urn}
    assert levels == {analyzer_pb2.ADVISORY}


# -- metadata --------------------------------------------------------------------------------

def pack_rules(bundle):
    """Every Rego rule, then SAHAB-COV-001 (the coverage check, a policy of its own)."""
    return bundle.rules + (coverage_rule(bundle),)


def test_each_policy_carries_its_rule_metadata(bundle):
    policies = build_policies(bundle)
    assert [p.name for p in policies] == [r.rule_id for r in pack_rules(bundle)]
    for policy, rule in zip(policies, pack_rules(bundle)):
        assert policy.name == rule.rule_id
        assert policy.display_name == rule.title
        assert policy.description == rule.description
        assert policy.enforcement_level.value == rule.enforcement
        assert policy.severity.value == rule.severity
        assert policy.remediation_steps == rule.remediation
        name, version, reference, specification = control_parts(rule.controls[0])
        assert (policy.framework.name, policy.framework.version, policy.framework.reference,
                policy.framework.specification) == (name, version, reference, specification)
        assert policy.tags == [rule.concern] + [control_tag(c) for c in rule.controls]


def test_analyzer_info_carries_the_metadata_to_the_engine(bundle):
    """GetAnalyzerInfo is what the CLI reads to list the pack's policies."""
    info = servicer(build_policies(bundle)).GetAnalyzerInfo(None, None)
    by_name = {p.name: p for p in info.policies}
    severities = {"low": analyzer_pb2.POLICY_SEVERITY_LOW, "medium": analyzer_pb2.POLICY_SEVERITY_MEDIUM,
                  "high": analyzer_pb2.POLICY_SEVERITY_HIGH, "critical": analyzer_pb2.POLICY_SEVERITY_CRITICAL}
    assert set(by_name) == {r.rule_id for r in pack_rules(bundle)}
    for rule in pack_rules(bundle):
        info_policy = by_name[rule.rule_id]
        assert info_policy.policy_type == analyzer_pb2.POLICY_TYPE_STACK
        assert info_policy.description == rule.description
        assert info_policy.enforcementLevel == (analyzer_pb2.MANDATORY if rule.enforcement == "mandatory" else analyzer_pb2.ADVISORY)
        assert info_policy.severity == severities[rule.severity]
        assert info_policy.remediation_steps == rule.remediation
        assert info_policy.framework.name == control_parts(rule.controls[0])[0]


@pytest.mark.parametrize("control, parts, tag", [
    ("UAE PDPL (Federal Decree-Law 45/2021) Art. 22: Cross-Border Transfer and Sharing of Personal Data for Processing Purposes if a Proper Protection Level is Available",
     ("UAE PDPL", "Federal Decree-Law 45/2021", "Art. 22",
      "Cross-Border Transfer and Sharing of Personal Data for Processing Purposes if a Proper Protection Level is Available"), "UAE PDPL Art. 22"),
    ("UAE IA (NESA) T6.3.1: Information Security Requirements for Cloud Environments",
     ("UAE IA (NESA)", None, "T6.3.1", "Information Security Requirements for Cloud Environments"), "UAE IA (NESA) T6.3.1"),
    ("ISO/IEC 27001:2022 A.5.34: Privacy and protection of PII",
     ("ISO/IEC 27001", "2022", "A.5.34", "Privacy and protection of PII"), "ISO/IEC 27001:2022 A.5.34"),
    ("NIST SP 800-53 AC-3: access enforcement", ("NIST SP 800-53 AC-3", None, None, "access enforcement"), "NIST SP 800-53 AC-3"),
])
def test_control_to_framework(control, parts, tag):
    assert control_parts(control) == parts
    assert control_tag(control) == tag
