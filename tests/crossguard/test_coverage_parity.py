"""SAHAB-COV-001 in the CrossGuard pack: the same unchecked findings as `sahab gate`, as violations."""
from __future__ import annotations

import copy

from crossguard_helpers import analyze, clone, find, plan_to_request, violations

from sahab.crossguard.pack import build_policies
from sahab.gate.coverage import RULE_ID, coverage_findings
from sahab.gate.rules import load_bundle


def test_the_pack_reports_the_gates_coverage_findings(plan_reference_stack):
    bundle = load_bundle()
    plan = clone(plan_reference_stack("prod"))
    logs = find(plan, "aws:cloudwatch/logGroup:LogGroup")
    efs = copy.deepcopy(logs)  # an EFS file system: data-holding, and no encryption rule understands it
    efs.update(type="aws:efs/fileSystem:FileSystem", name="shared", urn=logs["urn"].replace(
        "aws:cloudwatch/logGroup:LogGroup::" + logs["name"], "aws:efs/fileSystem:FileSystem::shared"), inputs={"encrypted": True},
        unknowns=[], secrets=[], propertyDependencies={}, dependencies=[])
    plan["resources"].append(efs)
    expected = {(f.rule_id, f.urn, f.message) for f in coverage_findings(plan, bundle)}
    assert [urn for _, urn, _ in expected] == [efs["urn"]]

    policies = build_policies(bundle, dry_run=True)
    policy = next(p for p in policies if p.name == RULE_ID)
    assert (policy.enforcement_level.value, policy.sahab_rule.concern) == ("mandatory", "coverage")
    found = violations(analyze(policies, plan_to_request(plan)), policies)
    assert {v for v in found if v[0] == RULE_ID} == expected
