"""yaml/v2 ConfigFile and ConfigGroup: their objects are put in the plan as pulumi-kubernetes registers
them, or the component says why not (never an empty, silently passing component)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pulumi
import pulumi_kubernetes as k8s
import pytest

from sahab.charts.manifests import expand_yaml
from sahab.gate.run import opaque_findings
from sahab.testing import plan_resources

CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup"
APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers: [{name: api, image: registry.example/api:1.0}]
---
# an empty document, skipped
---
apiVersion: core/v1
kind: Secret
metadata: {name: token, namespace: vault}
stringData: {token: not-for-plans}
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Namespace, metadata: {name: shop}}
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: reader}}
"""


def _expand(program: Callable[[], None], project: Path) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    return expand_yaml(plan_resources(program), program_dir=project, root=project)


def _with_provider(make: Callable[[pulumi.ResourceOptions], None]) -> Callable[[], None]:
    def program() -> None:
        provider = k8s.Provider("cluster", kubeconfig="apiVersion: v1\nkind: Config\n", namespace="apps")
        make(pulumi.ResourceOptions(provider=provider))
    return program


def _component(resources: List[Dict[str, Any]], name: str) -> Dict[str, Any]:
    (found,) = [r for r in resources if r["type"] in (CONFIG_FILE, CONFIG_GROUP) and r["name"] == name]
    return found


def _children(resources: List[Dict[str, Any]], parent: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {r["urn"].split("::", 2)[2]: r for r in resources if r["parent"] == parent["urn"]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "app.yaml").write_text(APP)
    return tmp_path


def test_a_config_file_registers_its_objects_named_and_namespaced_like_pulumi_kubernetes(project: Path):
    resources, notes = _expand(_with_provider(lambda opts: k8s.yaml.v2.ConfigFile(
        "app", file="manifests/app.yaml", opts=opts)), project)
    component = _component(resources, "app")
    assert (component["opaque"], component["expanded"]) == (False, {
        "by": "yaml", "objects": 4,
        "files": [{"path": "manifests/app.yaml", "sha256": __import__("hashlib").sha256(APP.encode()).hexdigest()}]})
    children = _children(resources, component)
    assert sorted(children) == [
        "kubernetes:yaml/v2:ConfigFile$kubernetes:apps/v1:Deployment::app:apps/api",
        "kubernetes:yaml/v2:ConfigFile$kubernetes:core/v1:Namespace::app:shop",
        "kubernetes:yaml/v2:ConfigFile$kubernetes:core/v1:Secret::app:vault/token",
        "kubernetes:yaml/v2:ConfigFile$kubernetes:rbac.authorization.k8s.io/v1:ClusterRole::app:reader",
    ]
    deployment = children["kubernetes:yaml/v2:ConfigFile$kubernetes:apps/v1:Deployment::app:apps/api"]
    assert deployment["inputs"]["metadata"] == {"name": "api", "namespace": "apps"}  # the provider's namespace
    assert (deployment["provider"], deployment["custom"], deployment["rendered"]) == (
        component["provider"], True, {"by": "yaml", "component": component["urn"], "origin": "file:manifests/app.yaml"})
    secret = children["kubernetes:yaml/v2:ConfigFile$kubernetes:core/v1:Secret::app:vault/token"]
    assert (secret["inputs"]["apiVersion"], secret["inputs"]["stringData"], secret["secrets"]) == (
        "v1", {"$secret": True}, ["stringData"])
    assert "not-for-plans" not in repr(resources)
    assert notes == [] and opaque_findings({"resources": resources}) == []


def test_a_config_group_reads_globs_inline_yaml_and_objs_with_prefix_and_skip_await(project: Path):
    (project / "manifests" / "extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n")

    def make(opts: pulumi.ResourceOptions) -> None:
        password = pulumi.Output.secret("hunter2")
        k8s.yaml.v2.ConfigGroup(
            "group", files=["manifests/e*.yaml", "manifests/none-*.yaml"], resource_prefix="", skip_await=True,
            yaml="apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: runner}\n",
            objs=[{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "stringData": {"password": password}},
                  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dsn", "namespace": "db"},
                   "data": {"password": password, "host": pulumi.Output.concat(k8s.core.v1.Service("db", opts=opts).id, ".db")}}],
            opts=opts)

    resources, notes = _expand(_with_provider(make), project)
    component = _component(resources, "group")
    children = _children(resources, component)
    assert {urn.rsplit("::", 1)[1]: child["rendered"]["origin"] for urn, child in children.items()} == {
        "apps/extra": "file:manifests/extra.yaml", "apps/runner": "input:yaml", "apps/db": "input:objs",
        "db/dsn": "input:objs"}
    assert all(child["inputs"]["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"} for child in children.values())
    dsn = next(c for c in children.values() if c["name"] == "db/dsn")
    assert (dsn["inputs"]["data"], dsn["secrets"], dsn["unknowns"]) == (
        {"password": {"$secret": True}, "host": {"$unknown": True}}, ["data.password"], ["data.host"])
    assert component["expanded"]["files"][0]["path"] == "manifests/extra.yaml" and component["expanded"]["objects"] == 4
    assert notes == [{"severity": "warning", "urn": component["urn"],
                      "message": "files pattern manifests/none-*.yaml matches no file: it adds no objects"}]


@pytest.mark.parametrize("make, reason", [
    (lambda o: k8s.yaml.v2.ConfigFile("c", file="manifests/missing.yaml", opts=o),
     "its file manifests/missing.yaml does not exist"),
    (lambda o: k8s.yaml.v2.ConfigFile("c", file="/etc/hostname", opts=o),
     "its file /etc/hostname is outside the repository, which sahab does not read"),
    (lambda o: k8s.yaml.v2.ConfigFile("c", file="manifests/escape.yaml", opts=o),
     "its file manifests/escape.yaml is outside the repository, which sahab does not read"),
    (lambda o: k8s.yaml.v2.ConfigFile("c", file="https://raw.example.org/app.yaml", opts=o),
     "it reads https://raw.example.org/app.yaml over the network, which is not fetched offline"),
    (lambda o: k8s.yaml.v2.ConfigFile("c", file=k8s.core.v1.Namespace("ns", opts=o).id, opts=o),
     "its file is not known before deploy"),
    (lambda o: k8s.yaml.v2.ConfigGroup("c", files=["manifests/bomb.yaml"], opts=o),
     "its file manifests/bomb.yaml expands to more than 1000000 values once its aliases are followed"),
    (lambda o: k8s.yaml.v2.ConfigGroup("c", yaml="apiVersion: v1\nkind: ConfigMap\n", opts=o),
     "input:yaml holds a ConfigMap without metadata.name"),
    (lambda o: k8s.yaml.v2.ConfigGroup("c", files=["manifests/app.yaml", "manifests/app.yaml"], opts=o),
     "it registers c:apps/api more than once (or it is already in the plan)"),
])
def test_what_cannot_be_known_offline_leaves_the_component_unchecked_with_the_reason(project: Path, tmp_path_factory,
                                                                                      make, reason):
    outside = tmp_path_factory.mktemp("outside") / "secret.yaml"
    outside.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leaked}\n")
    os.symlink(outside, project / "manifests" / "escape.yaml")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        "%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n" % ((chr(98 + i), chr(98 + i)) + (chr(97 + i),) * 10)
        for i in range(6))
    (project / "manifests" / "bomb.yaml").write_text(bomb)
    resources, notes = _expand(_with_provider(make), project)
    component = _component(resources, "c")
    assert (component["opaque"], component["expanded"]) == (True, {"by": None, "reason": reason})
    assert _children(resources, component) == {}
    kind = component["type"].split(":", 1)[1]
    assert notes == [{"severity": "warning", "urn": component["urn"], "message": (
        "%s c was not expanded: %s; its objects are not in the plan and are not checked" % (kind, reason))}]
    [finding] = opaque_findings({"resources": resources})
    assert (finding.rule_id, finding.status, finding.enforcement) == ("SAHAB-PLN-001", "unchecked", "mandatory")
    assert finding.message == ("c is a multi-language component; its children are not in the plan and were not checked: "
                               "it was not expanded offline because %s" % reason)
    assert "leaked" not in repr(resources)


def test_a_v4_chart_names_its_objects_with_its_resource_prefix_and_marks_skip_await(tmp_path: Path):
    from chart_helpers import build_archive, children, expanded, release_program, the_release

    program_dir = tmp_path / "program"
    build_archive(program_dir / "charts" / "sahab-demo-0.3.1.tgz")
    resources = expanded(release_program(kind="chart", chart="./charts/sahab-demo-0.3.1.tgz", version=None,
                                         resource_prefix="platform", skip_await=True),
                         tmp_path / "empty-cache", program_dir)
    chart = the_release(resources)
    assert (chart["expanded"]["by"], chart["expanded"]["source"], chart["expanded"]["chartDigest"][:7]) == (
        "helm", "program:./charts/sahab-demo-0.3.1.tgz", "sha256:")
    deployment = children(resources)["Deployment ray-sahab-demo"]
    assert deployment["name"] == "platform:training/ray-sahab-demo"
    assert deployment["inputs"]["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
