"""The planner renders a Release's chart offline and puts every object into the plan, under the release."""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import pytest

from chart_helpers import NAME, REPO, VERSION, build_archive, chart_copy, children, expanded, release_program, the_release
from sahab.charts.expand import expand_helm
from sahab.charts.placeholders import SECRET_TOKEN, UNKNOWN_TOKEN
from sahab.testing import plan_resources

UNKNOWN = {"$unknown": True}
SECRET = {"$secret": True}
OBJECTS = {
    "CustomResourceDefinition widgets.demo.sahab.dev": "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
    "Deployment ray-sahab-demo": "kubernetes:apps/v1:Deployment",
    "Job ray-sahab-demo-migrate": "kubernetes:batch/v1:Job",
    "NetworkPolicy ray-sahab-demo-default-deny": "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    "Service ray-sahab-demo": "kubernetes:core/v1:Service",
}


def _sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _without_tokens(resources) -> None:
    text = json.dumps(resources).lower()
    assert UNKNOWN_TOKEN not in text and SECRET_TOKEN not in text


def test_every_object_of_the_chart_is_a_child_of_the_release(cache: Path):
    resources = expanded(release_program(), cache)
    release = the_release(resources)
    found = children(resources)
    assert {key: r["type"] for key, r in found.items()} == OBJECTS  # NOTES.txt and _helpers.tpl are not objects
    deployment = found["Deployment ray-sahab-demo"]
    assert deployment["urn"] == ("urn:pulumi:test::test::kubernetes:helm.sh/v3:Release$kubernetes:apps/v1:Deployment"
                                 "::ray:training/ray-sahab-demo")
    assert found["CustomResourceDefinition widgets.demo.sahab.dev"]["name"] == "ray:widgets.demo.sahab.dev"
    for child in found.values():
        assert (child["parent"], child["provider"], child["region"]) == (release["urn"], release["provider"], release["region"])
        assert (child["custom"], child["opaque"], child["mode"]) == (True, False, "create")
        assert child["rendered"]["release"] == release["urn"]
    assert found["Job ray-sahab-demo-migrate"]["rendered"] == {
        "by": "helm", "release": release["urn"], "chart": NAME, "version": VERSION,
        "template": "sahab-demo/templates/hook-job.yaml", "hook": "pre-install,pre-upgrade"}
    assert deployment["rendered"]["template"] == "sahab-demo/templates/deployment.yaml"
    assert release["expanded"] == {
        "by": "helm", "chart": NAME, "version": VERSION, "repository": REPO, "source": "cache:sahab-demo-0.3.1.tgz",
        "chartDigest": _sha256(cache / "sahab-demo-0.3.1.tgz"), "renderer": "helm-python-sdk 0.2.2 (Helm v4.2.3)",
        "valuesDigest": release["expanded"]["valuesDigest"], "objects": 5, "placeholders": [], "omitted": []}
    assert [r["urn"] for r in resources] == sorted(r["urn"] for r in resources)


def test_an_unpacked_chart_renders_the_same_objects_as_its_archive(cache: Path, tmp_path: Path):
    unpacked = tmp_path / "unpacked"
    chart_copy(unpacked / ("%s-%s" % (NAME, VERSION)))
    from_archive, from_folder = expanded(release_program(), cache), expanded(release_program(), unpacked)
    strip = lambda rs: {k: (r["inputs"], r["unknowns"]) for k, r in children(rs).items()}  # noqa: E731
    assert strip(from_folder) == strip(from_archive)
    assert (the_release(from_folder)["expanded"]["source"], the_release(from_folder)["expanded"]["chartDigest"]) == (
        "cache:sahab-demo-0.3.1/", None)


def test_values_release_name_and_namespace_are_applied(cache: Path):
    found = children(expanded(release_program({"replicas": 5, "metrics": {"enabled": True}}, name="ray"), cache))
    deployment, service = found["Deployment ray-sahab-demo"]["inputs"], found["Service ray-sahab-demo"]["inputs"]
    assert deployment["spec"]["replicas"] == 5
    assert deployment["metadata"]["labels"] == {"app.kubernetes.io/instance": "ray", "app.kubernetes.io/name": NAME}
    assert [p["port"] for p in service["spec"]["ports"]] == [80, 9090]
    # the Service's template names no namespace: Helm installs it into the release's
    assert service["metadata"]["namespace"] == "training"
    assert {r["inputs"]["metadata"].get("namespace") for r in found.values()} == {"training", None}
    assert "namespace" not in found["CustomResourceDefinition widgets.demo.sahab.dev"]["inputs"]["metadata"]


def test_a_schema_violation_in_the_values_is_helms_error_not_a_rendering(cache: Path):
    release = the_release(expanded(release_program({"replicas": 0}), cache))
    assert release["expanded"]["by"] is None
    assert release["expanded"]["reason"] == (
        "values don't meet the specifications of the schema(s) in the following chart(s):; sahab-demo:; "
        "- at '/replicas': minimum: got 0, want 1")


def test_unknown_and_secret_values_come_back_as_markers(cache: Path):
    def namespace(opts):  # an output only known after deploy
        return k8s.core.v1.Namespace("training", opts=opts).id

    program = release_program(lambda: {"image": {"tag": pulumi.Output.secret("1.4.3")},
                                       "apiToken": pulumi.Output.secret("t0ken"), "replicas": 2},
                              namespace=namespace, name=None)
    resources = expanded(program, cache)
    release, found = the_release(resources), children(resources)
    namespace_urn = next(r["urn"] for r in resources if r["type"] == "kubernetes:core/v1:Namespace")
    assert release["expanded"]["placeholders"] == ["values.apiToken", "values.image.tag"]
    deployment = next(r for r in found.values() if r["inputs"]["kind"] == "Deployment")
    container = deployment["inputs"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == SECRET                        # "<registry>/<repo>:<secret tag>"
    release_name = release["inputs"]["name"]  # no name given: auto-named as the provider does, ray-<8 hex>
    assert release_name.startswith("ray-") and len(release_name) == len("ray-") + 8
    assert release["autonamed"] == ["name"]
    assert deployment["inputs"]["metadata"]["name"] == release_name + "-sahab-demo"
    assert deployment["inputs"]["metadata"]["namespace"] == UNKNOWN
    assert deployment["secrets"] == ["spec.template.spec.containers.0.image"]
    assert "metadata.namespace" in deployment["unknowns"] and "metadata.name" not in deployment["unknowns"]
    assert deployment["propertyDependencies"] == {"metadata": [namespace_urn]}
    assert deployment["name"] == "ray:[unknown]/%s-sahab-demo" % release_name
    secret = next(r for r in found.values() if r["inputs"]["kind"] == "Secret")
    assert (secret["inputs"]["stringData"], secret["secrets"]) == (SECRET, ["stringData"])
    _without_tokens(resources)
    assert "t0ken" not in json.dumps(resources) and "1.4.3" not in json.dumps(resources)


def test_a_value_random_at_every_rendering_is_unknown_and_the_plan_stable(cache: Path):
    first, second = expanded(release_program(), cache), expanded(release_program(), cache)
    deployment = children(first)["Deployment ray-sahab-demo"]
    assert deployment["inputs"]["spec"]["template"]["metadata"]["annotations"] == {"demo.sahab.dev/rollout-token": UNKNOWN}
    assert deployment["unknowns"] == ["spec.template.metadata.annotations.demo.sahab.dev/rollout-token"]
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_skip_crds_leaves_the_crds_out(cache: Path):
    found = children(expanded(release_program(skip_crds=True), cache))
    assert set(found) == set(OBJECTS) - {"CustomResourceDefinition widgets.demo.sahab.dev"}


def test_a_v4_chart_is_expanded_without_its_hooks_and_is_no_longer_opaque(cache: Path):
    resources = expanded(release_program(kind="chart"), cache)
    chart = the_release(resources)
    assert (chart["opaque"], chart["expanded"]["by"], chart["expanded"]["objects"]) == (False, "helm", 4)
    assert chart["expanded"]["omitted"] == [
        "Job ray-sahab-demo-migrate from sahab-demo/templates/hook-job.yaml: a hook, which helm.v4.Chart does not install"]
    assert set(children(resources)) == set(OBJECTS) - {"Job ray-sahab-demo-migrate"}


def test_an_archive_must_hold_the_pinned_version(tmp_path: Path):
    cache = tmp_path / "cache"
    build_archive(cache / "sahab-demo-0.3.1.tgz", chart_copy(tmp_path / "other", version="0.3.2"))
    release = the_release(expanded(release_program(), cache))
    assert (release["expanded"]["by"], release["expanded"]["reason"]) == (
        None, "sahab-demo-0.3.1.tgz holds chart sahab-demo 0.3.2, not sahab-demo 0.3.1")


def test_an_untarred_chart_of_another_version_is_not_used(tmp_path: Path):
    cache = tmp_path / "cache"
    chart_copy(cache / NAME, version="0.3.2")
    reason = the_release(expanded(release_program(), cache))["expanded"]["reason"]
    assert reason == ("sahab-demo-0.3.1.tgz is not in the chart cache %s (sahab-demo/ holds version 0.3.2): fill it with "
                      "`helm pull sahab-demo --repo %s --version 0.3.1 -d %s`" % (cache, REPO, cache))
    chart_copy(tmp_path / "right" / NAME)
    assert the_release(expanded(release_program(), tmp_path / "right"))["expanded"]["source"] == "cache:sahab-demo/"


def test_a_chart_without_its_declared_subchart_is_not_rendered(tmp_path: Path):
    chart = chart_copy(tmp_path / "cache" / ("%s-%s" % (NAME, VERSION)))
    with (chart / "Chart.yaml").open("a") as handle:
        handle.write("dependencies:\n  - name: postgresql\n    version: 16.7.4\n    repository: https://charts.example.org/db\n")
    reason = the_release(expanded(release_program(), tmp_path / "cache"))["expanded"]["reason"]
    assert reason == ("its dependencies postgresql are missing from the chart's charts/ folder "
                      "(`helm dependency build` before packaging)")


def test_a_chart_given_as_a_path_in_the_program_is_rendered_from_there(tmp_path: Path):
    program_dir = tmp_path / "program"
    chart_copy(program_dir / "charts" / "demo")
    resources = expanded(release_program(chart="./charts/demo", version=None), tmp_path / "empty-cache", program_dir)
    release = the_release(resources)
    assert (release["expanded"]["source"], release["expanded"]["version"], release["expanded"]["objects"]) == (
        "program:./charts/demo", VERSION, 5)


@pytest.mark.parametrize("extra, reason", [
    ({"value_yaml_files": [pulumi.FileAsset("values-prod.yaml")]},
     "it reads values files (valueYamlFiles), which are not rendered offline"),
    ({"postrender": "./kustomize.sh"}, "a post-renderer changes its objects at install, which is not run offline"),
    ({"version": None}, "it pins no chart version, so no chart archive can be matched to it (set `version`)"),
])
def test_what_cannot_be_rendered_honestly_is_not_rendered(cache: Path, extra, reason):
    version = extra.pop("version", VERSION)
    resources = expanded(release_program(version=version, **extra), cache)
    assert the_release(resources)["expanded"]["reason"] == reason
    assert children(resources) == {}


def test_without_the_charts_extra_the_release_says_how_to_render_it(cache: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "helm_python", None)  # `import helm_python` now raises ImportError
    resources, diagnostics = expand_helm(plan_resources(release_program()), cache=cache)
    release = the_release(resources)
    assert release["expanded"]["reason"] == "install sahab[charts] to render it"
    assert children(resources) == {}
    assert diagnostics == [{"severity": "warning", "urn": release["urn"], "message": (
        "helm release ray (chart sahab-demo 0.3.1 from %s) was not rendered: install sahab[charts] to render it; "
        "its objects are not in the plan and are not checked" % REPO)}]



@pytest.mark.parametrize("kind, in_cache", [("release", True), ("chart", True), ("release", False)])
def test_expanded_and_rendered_resources_match_the_published_schema(cache: Path, tmp_path: Path, kind, in_cache):
    import jsonschema
    from planner_helpers import SCHEMA

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    resource_schema = dict(schema["$defs"]["resource"], **{"$defs": schema["$defs"]})
    resources = expanded(release_program(lambda: {"apiToken": pulumi.Output.secret("t")}, kind=kind),
                         cache if in_cache else tmp_path)
    for resource in resources:
        jsonschema.validate(resource, resource_schema)
    assert the_release(resources)["expanded"]["by"] == ("helm" if in_cache else None)


def test_an_invalid_release_name_is_refused_as_helm_install_refuses_it(cache: Path):
    release = the_release(expanded(release_program(name="Ray_Operator"), cache))
    assert release["expanded"]["reason"].startswith("invalid release name, must match regex ")


def test_a_subchart_switched_on_by_the_values_is_rendered_every_time(tmp_path: Path):
    """helm-python-sdk 0.2.2 drops a disabled subchart from a loaded chart: each rendering loads afresh."""
    chart = chart_copy(tmp_path / "cache" / ("%s-%s" % (NAME, VERSION)))
    with (chart / "Chart.yaml").open("a") as handle:
        handle.write("dependencies:\n  - name: metrics\n    version: 0.1.0\n    condition: metrics.enabled\n")
    sub = chart / "charts" / "metrics"
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: metrics\nversion: 0.1.0\n")
    (sub / "templates" / "config.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-metrics\ndata:\n  port: \"9090\"\n")
    on = children(expanded(release_program({"metrics": {"enabled": True}}), tmp_path / "cache"))
    assert on["ConfigMap ray-metrics"]["rendered"]["template"] == "sahab-demo/charts/metrics/templates/config.yaml"
    assert on["ConfigMap ray-metrics"]["inputs"]["metadata"]["namespace"] == "training"
    assert "ConfigMap ray-metrics" not in children(expanded(release_program(), tmp_path / "cache"))
