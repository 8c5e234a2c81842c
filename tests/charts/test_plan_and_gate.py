"""End to end: `sahab plan` renders the fixture program's Release from the chart cache, and the
gate's Rego rules and checkov judge the rendered objects like hand-written ones."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chart_helpers import NAME, REPO, VERSION, build_archive
from planner_helpers import assert_valid, plan, program, resource, run_cli, warnings
from sahab.charts.placeholders import SECRET_TOKEN, UNKNOWN_TOKEN
from sahab.gate.config import GateConfig
from sahab.gate.rules import load_bundle
from sahab.gate.run import gate_plan
from sahab.planner import dumps

RELEASE = "kubernetes:helm.sh/v3:Release"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
JOB = "kubernetes:batch/v1:Job"


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("charts")
    build_archive(folder / ("%s-%s.tgz" % (NAME, VERSION)))
    return folder


@pytest.fixture(scope="module")
def dev(cache: Path):
    return plan("helm_release", "dev", chart_cache=cache)


@pytest.fixture(scope="module")
def privileged(cache: Path):
    return plan("helm_release", "privileged", chart_cache=cache)


def test_the_plan_holds_the_rendered_objects_and_satisfies_the_schema(dev):
    assert_valid(dev)
    release = resource(dev, RELEASE, "demo")
    assert (release["expanded"]["by"], release["expanded"]["objects"]) == ("helm", 6)
    assert release["expanded"]["placeholders"] == ["values.apiToken"]
    rendered = sorted((r["type"], r["name"]) for r in dev["resources"] if r["parent"] == release["urn"])
    assert rendered == [
        ("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "demo:widgets.demo.sahab.dev"),
        (DEPLOYMENT, "demo:demo/demo-sahab-demo"),
        (JOB, "demo:demo/demo-sahab-demo-migrate"),
        ("kubernetes:core/v1:Secret", "demo:demo/demo-sahab-demo"),
        ("kubernetes:core/v1:Service", "demo:demo/demo-sahab-demo"),
        ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "demo:demo/demo-sahab-demo-default-deny"),
    ]
    namespace = resource(dev, "kubernetes:core/v1:Namespace", "demo")
    deployment = resource(dev, DEPLOYMENT, "demo:demo/demo-sahab-demo")
    assert deployment["propertyDependencies"] == {"metadata": [namespace["urn"]]}
    assert deployment["inputs"]["spec"]["template"]["spec"]["volumes"] == [
        {"name": "api-token", "secret": {"secretName": "demo-sahab-demo"}}]  # the secret token was set: a secret, not ""
    assert not [w for w in warnings(dev) if "helm" in w]


def test_without_the_chart_the_plan_says_why_and_stays_valid(tmp_path: Path):
    document = plan("helm_release", "dev", chart_cache=tmp_path)
    assert_valid(document)
    release = resource(document, RELEASE, "demo")
    assert [r for r in document["resources"] if r["parent"] == release["urn"]] == []
    reason = release["expanded"]["reason"]
    assert reason.startswith("sahab-demo-0.3.1.tgz is not in the chart cache %s: fill it with `helm pull" % tmp_path)
    assert ("helm release demo (chart sahab-demo 0.3.1 from %s) was not rendered: %s; its objects are not in the plan "
            "and are not checked" % (REPO, reason)) in warnings(document)


def test_secrets_and_placeholders_never_reach_the_plan(dev):
    text = dumps(dev)
    assert SECRET_TOKEN not in text.lower() and UNKNOWN_TOKEN not in text.lower()
    assert "[secret]" not in text  # what the program saw for the `secure:` config value
    secret = resource(dev, "kubernetes:core/v1:Secret", "demo:demo/demo-sahab-demo")
    assert (secret["inputs"]["stringData"], secret["secrets"]) == ({"$secret": True}, ["stringData"])


def test_two_plans_are_byte_identical(dev, cache: Path):
    assert dumps(plan("helm_release", "dev", chart_cache=cache)) == dumps(dev)


def test_the_gate_passes_a_compliant_chart_with_its_default_deny_policy_from_the_chart(dev, tmp_path: Path):
    result = gate_plan(dev, GateConfig(), project_dir=tmp_path, bundle=load_bundle())
    assert [f for f in result.findings if result.is_blocking(f)] == []
    assert "checkov" in result.engines
    # the Namespace's default-deny NetworkPolicy exists only in the chart: SAHAB-NET-008 saw it
    assert not [f for f in result.findings if f.rule_id in ("SAHAB-NET-008", "CKV2_K8S_6")]


def test_a_privileged_container_in_the_chart_blocks_the_gate_through_the_rendered_objects(privileged, tmp_path: Path):
    result = gate_plan(privileged, GateConfig(), project_dir=tmp_path, bundle=load_bundle())
    blocking = {(f.rule_id, f.urn.rsplit("::", 1)[-1]) for f in result.findings if result.is_blocking(f)}
    assert blocking == {
        ("SAHAB-WKL-001", "demo:demo/demo-sahab-demo"), ("SAHAB-WKL-001", "demo:demo/demo-sahab-demo-migrate"),
        ("CKV_K8S_16", "demo:demo/demo-sahab-demo"), ("CKV_K8S_16", "demo:demo/demo-sahab-demo-migrate"),
    }
    assert result.exit_code == 1


def test_without_the_chart_the_cli_gate_reports_the_release_unchecked(tmp_path: Path):
    result = run_cli(["gate", str(program("helm_release")), "--stack", "dev", "--no-checkov", "--format", "json",
                      "--chart-cache", str(tmp_path)])
    assert result.returncode == 1, result.stderr
    [finding] = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "SAHAB-PLN-002"]
    assert (finding["status"], finding["enforcement"]) == ("unchecked", "mandatory")
    assert finding["message"].startswith(
        "helm release demo installs chart sahab-demo 0.3.1 from %s, which was not rendered: sahab-demo-0.3.1.tgz is not "
        "in the chart cache %s" % (REPO, tmp_path))


def test_sahab_plan_reads_the_chart_cache_from_sahab_yaml(cache: Path, tmp_path: Path):
    project = tmp_path / "project"
    shutil.copytree(program("helm_release"), project)
    shutil.copytree(cache, project / "vendor-charts")
    (project / "sahab.yaml").write_text("charts:\n  cache: vendor-charts\n")
    result = run_cli(["plan", str(project), "--stack", "privileged", "--format", "json"])
    assert result.returncode == 0, result.stderr
    release = resource(json.loads(result.stdout), RELEASE, "demo")
    assert (release["expanded"]["by"], release["expanded"]["source"]) == ("helm", "cache:sahab-demo-0.3.1.tgz")
    gated = run_cli(["gate", str(project), "--stack", "privileged", "--no-checkov", "--chart-cache", str(tmp_path / "none")])
    assert gated.returncode == 1 and "SAHAB-PLN-002" in gated.stdout and "SAHAB-WKL-001" not in gated.stdout
