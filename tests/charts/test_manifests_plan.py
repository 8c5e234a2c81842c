"""End to end, as programs use them: `sahab plan` puts the objects of a yaml.v2.ConfigFile, a
ConfigGroup's inline YAML and a helm.v4.Chart from a vendored chart folder into the plan, and the
gate judges them at the program line that applied them."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chart_helpers import chart_copy
from planner_helpers import assert_valid, plan, program, resource, run_cli, warnings
from sahab.gate.config import GateConfig
from sahab.gate.rules import load_bundle
from sahab.gate.run import gate_plan
from sahab.planner import dumps, plan_project

PROGRAM = "tests/fixtures/programs/k8s_manifests"
CONFIG_FILE, CONFIG_GROUP = "kubernetes:yaml/v2:ConfigFile", "kubernetes:yaml/v2:ConfigGroup"
STACK_URN = "urn:pulumi:%s::k8s-manifests::"


@pytest.fixture(scope="module")
def empty_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("no-charts")


@pytest.fixture(scope="module")
def dev(empty_cache: Path):
    return plan("k8s_manifests", "dev", chart_cache=empty_cache)


@pytest.fixture(scope="module")
def debug(empty_cache: Path):
    return plan("k8s_manifests", "debug", chart_cache=empty_cache)


def test_the_manifests_objects_are_children_of_their_components(dev):
    assert_valid(dev)
    app, policies = resource(dev, CONFIG_FILE, "app"), resource(dev, CONFIG_GROUP, "policies")
    children = sorted((r["urn"], r["inputs"]["metadata"].get("namespace"), r["source"]["line"])
                      for r in dev["resources"] if r["parent"] in (app["urn"], policies["urn"]))
    prefix = STACK_URN % "dev"
    assert children == [
        (prefix + "kubernetes:yaml/v2:ConfigFile$kubernetes:apps/v1:Deployment::app:shop/api", "shop", 14),
        (prefix + "kubernetes:yaml/v2:ConfigFile$kubernetes:core/v1:Namespace::app:shop", None, 14),
        (prefix + "kubernetes:yaml/v2:ConfigFile$kubernetes:core/v1:Service::app:shop/api", "shop", 14),
        (prefix + "kubernetes:yaml/v2:ConfigGroup$kubernetes:networking.k8s.io/v1:NetworkPolicy::policies:shop/default-deny",
         "shop", 16),
    ]
    assert (app["opaque"], app["expanded"]["by"], app["expanded"]["objects"]) == (False, "yaml", 3)
    assert [f["path"] for f in app["expanded"]["files"]] == [PROGRAM + "/manifests/app.yaml"]
    assert policies["expanded"] == {"by": "yaml", "files": [], "objects": 1}
    assert not [w for w in warnings(dev) if "multi-language" in w or "expanded" in w]


def test_two_plans_are_byte_identical(dev, empty_cache: Path):
    assert dumps(plan("k8s_manifests", "dev", chart_cache=empty_cache)) == dumps(dev)


def test_the_gate_passes_the_compliant_manifests(dev, tmp_path: Path):
    result = gate_plan(dev, GateConfig(), project_dir=tmp_path, bundle=load_bundle())
    assert [f for f in result.findings if result.is_blocking(f)] == []
    # the Namespace's default-deny policy comes from the inline YAML: SAHAB-NET-008 saw it
    assert not [f for f in result.findings if f.rule_id in ("SAHAB-NET-008", "SAHAB-PLN-001")]


def test_a_privileged_pod_in_a_manifest_is_blocked_at_the_line_that_applied_it(debug, tmp_path: Path):
    result = gate_plan(debug, GateConfig(), project_dir=tmp_path, bundle=load_bundle())
    blocking = sorted((f.rule_id, f.urn.rsplit("::", 1)[-1], f.location) for f in result.findings if result.is_blocking(f)
                      if f.rule_id.startswith("SAHAB-"))
    where = PROGRAM + "/__main__.py:31"
    assert blocking == [("SAHAB-WKL-001", "debug:shop/netshoot", where), ("SAHAB-WKL-002", "debug:shop/netshoot", where),
                        ("SAHAB-WKL-005", "debug:shop/netshoot", where)]
    assert result.exit_code == 1


def test_a_missing_manifest_is_reported_unchecked_with_the_reason(tmp_path: Path):
    project = tmp_path / "project"
    shutil.copytree(program("k8s_manifests"), project)
    (project / "manifests" / "app.yaml").unlink()
    result = run_cli(["gate", str(project), "--stack", "dev", "--no-checkov", "--format", "json",
                      "--chart-cache", str(tmp_path / "none")])
    assert result.returncode == 1, result.stderr
    [finding] = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "SAHAB-PLN-001"]
    assert (finding["status"], finding["enforcement"], finding["urn"]) == (
        "unchecked", "mandatory", (STACK_URN % "dev") + CONFIG_FILE + "::app")
    assert finding["message"] == ("app is a multi-language component; its children are not in the plan and were not "
                                  "checked: it was not expanded offline because its file manifests/app.yaml does not exist")


@pytest.fixture(scope="module")
def vendored(tmp_path_factory) -> Path:
    """The helm_v4_local program with the test chart vendored at charts/sahab-demo."""
    project = tmp_path_factory.mktemp("vendored") / "project"
    shutil.copytree(program("helm_v4_local"), project)
    chart_copy(project / "charts" / "sahab-demo")
    return project


def test_a_v4_chart_from_a_vendored_folder_shows_its_objects(vendored: Path, empty_cache: Path):
    document = plan_project(vendored, "dev", chart_cache=empty_cache)
    assert_valid(document)
    chart = resource(document, "kubernetes:helm.sh/v4:Chart", "demo")
    assert (chart["opaque"], chart["expanded"]["by"], chart["expanded"]["source"], chart["expanded"]["version"]) == (
        False, "helm", "program:./charts/sahab-demo", "0.3.1")
    children = sorted((r["type"], r["name"], r["inputs"]["metadata"].get("namespace"))
                      for r in document["resources"] if r["parent"] == chart["urn"])
    assert children == [
        ("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "demo:widgets.demo.sahab.dev", None),
        ("kubernetes:apps/v1:Deployment", "demo:demo/demo-sahab-demo", "demo"),
        ("kubernetes:core/v1:Service", "demo:demo/demo-sahab-demo", "demo"),
        ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "demo:demo/demo-sahab-demo-default-deny", "demo"),
    ]  # the pre-install hook Job is not installed by helm.v4.Chart
    assert dumps(plan_project(vendored, "dev", chart_cache=empty_cache)) == dumps(document)
    assert [f for f in gate_plan(document, GateConfig(), project_dir=vendored, bundle=load_bundle()).findings
            if f.enforcement == "mandatory" and f.status != "pass"] == []


def test_a_privileged_value_for_the_vendored_chart_is_blocked_at_the_chart_line(vendored: Path, empty_cache: Path):
    document = plan_project(vendored, "privileged", chart_cache=empty_cache)
    result = gate_plan(document, GateConfig(), project_dir=vendored, bundle=load_bundle())
    blocking = {(f.rule_id, f.urn.rsplit("::", 1)[-1], f.location) for f in result.findings if result.is_blocking(f)}
    assert blocking == {("SAHAB-WKL-001", "demo:demo/demo-sahab-demo", "__main__.py:19"),
                        ("CKV_K8S_16", "demo:demo/demo-sahab-demo", "__main__.py:19")}
