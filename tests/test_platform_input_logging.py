"""The reference stacks log every served model's inputs where its DriftMonitor reads them: the
sidecar in every serving pod, its counters scraped across the namespaces, and a role that may write
that model's inputs prefix and nothing else of the bucket."""
from __future__ import annotations

from typing import Any, Dict, List

import pytest

from sahab.components.aws.workload_role import permissions_policy
from sahab.stacks.ml_services import serving_access
from sahab.stacks.platform_services import bucket_grants

BUCKET = "arn:aws:s3:::ml-prod-artifacts"
KEY = "arn:aws:kms:me-central-1:111122223333:key/0a1b2c3d-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def prod(plan_reference_stack) -> List[Dict[str, Any]]:
    return plan_reference_stack("prod")["resources"]


def _of(resources: List[Dict[str, Any]], type_token: str) -> List[Dict[str, Any]]:
    return [r for r in resources if r["type"] == type_token]


def test_a_served_model_writes_only_its_own_inputs_prefix_and_reads_the_registry_artifacts():
    statements = {s["Sid"]: s for s in permissions_policy(bucket_grants(BUCKET, KEY, serving_access("fraud-scorer")))["Statement"]}
    objects = {s["Resource"]: s["Action"] for sid, s in statements.items() if sid.endswith("ObjectsUnderPrefix")}
    assert objects == {
        BUCKET + "/mlflow/*": ["s3:GetObject"],
        BUCKET + "/inference-inputs/fraud-scorer/*": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
    }
    writes = [s for s in statements.values() if "s3:PutObject" in s["Action"]]
    assert [s["Resource"] for s in writes] == [BUCKET + "/inference-inputs/fraud-scorer/*"]


def test_every_serving_pod_logs_its_inputs_under_the_drift_monitors_root(prod):
    rollouts = _of(prod, "kubernetes:argoproj.io/v1alpha1:Rollout")
    monitors = {d["inputs"]["metadata"]["name"]: d for d in _of(prod, "kubernetes:apps/v1:Deployment")
                if d["inputs"]["metadata"]["namespace"] == "drift"}
    assert rollouts and len(rollouts) == len(monitors)
    for rollout in rollouts:
        name = rollout["inputs"]["metadata"]["name"]
        containers = {c["name"]: c for c in rollout["inputs"]["spec"]["template"]["spec"]["containers"]}
        sidecar = containers["inputs-log"]
        assert sidecar["image"].endswith("/sahab/inference-log:0.1.0")
        (drift,) = monitors["%s-drift" % name]["inputs"]["spec"]["template"]["spec"]["containers"]
        # The model MLServer serves and the drift check judges; the root the one writes and the other reads.
        served = next(e["value"] for e in containers["mlserver"]["env"] if e["name"] == "MLSERVER_MODEL_URI")
        assert (sidecar["args"][0], sidecar["args"][1]) == ("--model-uri", served) == (drift["args"][0], drift["args"][1])
        assert sidecar["args"][2:4] == drift["args"][2:4] and sidecar["args"][3].endswith("-artifacts-123456789012/inference-inputs")


def test_prometheus_may_scrape_the_sidecars_and_nothing_else_new(prod):
    policies = {(p["inputs"]["metadata"]["namespace"], p["inputs"]["metadata"]["name"]): p["inputs"]["spec"]
                for p in _of(prod, "kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    inbound = policies[("serving", "allow-in-fraud-scorer-metrics")]["ingress"][0]["ports"]
    assert inbound == [{"port": 8082, "protocol": "TCP"}, {"port": 8083, "protocol": "TCP"}]
    outbound = policies[("monitoring", "allow-out-scrape-fraud-scorer-inputs")]["egress"][0]
    assert outbound["ports"] == [{"port": 8083, "protocol": "TCP"}]
    assert outbound["to"][0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "serving"}}
