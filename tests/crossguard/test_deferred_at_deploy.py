"""What ``sahab gate`` defers, the CrossGuard pack decides once the value is known (issue 9, section 2).

The offline plan has a value only known at deploy (a bucket's region, a container's
allowPrivilegeEscalation): the gate reports the mandatory rule ``deferred``. At ``pulumi up`` the
engine hands the pack the real value; served through pulumi-policy's own analyzer interface, the
same Rego rule then reports a violation on the same resource when the value breaks it, and nothing
when it does not.
"""
from __future__ import annotations

from typing import Any, Dict

import pytest
from crossguard_helpers import analyze, clone, find, plan_to_request, set_input, violations

from sahab.crossguard.pack import build_policies
from sahab.gate.engines import create_engine
from sahab.gate.evaluate import evaluate_rules

UNKNOWN = {"$unknown": True}
BUCKET = "aws:s3/bucket:Bucket"
MLFLOW = ("kubernetes:apps/v1:Deployment", "mlflow")


def _bucket_region(plan: Dict[str, Any], value: Any) -> str:
    bucket = find(plan, BUCKET, "ml-prod-artifacts")
    set_input(plan, bucket, "region", value)
    return bucket["urn"]


def _escalation(plan: Dict[str, Any], value: Any) -> str:
    deployment = find(plan, *MLFLOW)
    container = deployment["inputs"]["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["allowPrivilegeEscalation"] = value
    path = "spec.template.spec.containers.0.securityContext.allowPrivilegeEscalation"
    deployment["unknowns"] = sorted(set(deployment["unknowns"]) - {path} | ({path} if value == UNKNOWN else set()))
    return deployment["urn"]


@pytest.mark.parametrize("rule_id, edit, breaking, compliant", [
    ("SAHAB-RES-001", _bucket_region, "eu-west-1", "me-central-1"),
    ("SAHAB-WKL-002", _escalation, True, False),
], ids=["bucket region", "privilege escalation"])
def test_a_rule_deferred_offline_is_enforced_by_the_pack_when_the_value_is_known(prod_plan, bundle, rule_id, edit,
                                                                                  breaking, compliant):
    offline = clone(prod_plan)
    urn = edit(offline, UNKNOWN)
    engine = create_engine("embedded")
    try:
        gate = [(f.rule_id, f.status, f.enforcement) for f in evaluate_rules(offline, bundle, engine) if f.urn == urn]
    finally:
        engine.close()
    assert (rule_id, "deferred", "mandatory") in gate and not any(status == "violation" for _, status, _ in gate)

    for dry_run in (True, False):  # pulumi preview with the value known, and pulumi up
        deployed = clone(prod_plan)
        edit(deployed, breaking)
        policies = build_policies(bundle, dry_run=dry_run)
        found = {(rule, where) for rule, where, _ in violations(analyze(policies, plan_to_request(deployed)), policies)}
        assert (rule_id, urn) in found, (dry_run, sorted(found))
        fine = clone(prod_plan)
        edit(fine, compliant)
        found = {(rule, where) for rule, where, _ in violations(analyze(policies, plan_to_request(fine)), policies)}
        assert (rule_id, urn) not in found
