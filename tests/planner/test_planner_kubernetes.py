"""Kubernetes: an explicit provider, typed resources, yaml.ConfigFile (v1, via the
kubernetes:yaml:decode invoke), a helm v3 Chart offline, yaml.v2.ConfigFile (expanded by sahab in its
own process) and a multi-language component."""
from __future__ import annotations

import re

import pytest

from planner_helpers import assert_valid, plan, resource, urn, warnings

PROVIDER = "pulumi:providers:kubernetes"


@pytest.fixture(scope="module")
def doc():
    return plan("kubernetes")


def test_document_is_valid(doc):
    assert_valid(doc)
    assert len(doc["resources"]) == 13


def test_explicit_provider(doc):
    provider = resource(doc, PROVIDER, "dev-cluster")
    assert provider["inputs"]["namespace"] == "apps"
    assert provider["inputs"]["kubeconfig"].startswith("apiVersion: v1\nkind: Config\n")
    for type_, name in (("kubernetes:core/v1:Namespace", "apps"), ("kubernetes:apps/v1:Deployment", "nginx"),
                        ("kubernetes:core/v1:Service", "nginx"),
                        ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "default-deny")):
        found = resource(doc, type_, name)
        assert found["provider"] == provider["urn"]
        assert (found["region"], found["regionSource"]) == ("unknown", "none")


def test_outputs_of_one_resource_feed_another(doc):
    """metadata.name was given, so it is known; labels are lifted through nested output types."""
    namespace_urn = resource(doc, "kubernetes:core/v1:Namespace", "apps")["urn"]
    deployment = resource(doc, "kubernetes:apps/v1:Deployment", "nginx")
    metadata = dict(deployment["inputs"]["metadata"])
    assert re.fullmatch(r"nginx-[0-9a-f]{8}", metadata.pop("name"))
    assert metadata == {"labels": {"app": "nginx"}, "namespace": "apps", "annotations": {"pulumi.com/autonamed": "true"}}
    assert deployment["autonamed"] == ["metadata.name"]
    assert deployment["inputs"]["spec"]["replicas"] == 2
    assert deployment["inputs"]["spec"]["template"]["spec"]["containers"] == [
        {"image": "nginx:1.27", "name": "nginx", "ports": [{"containerPort": 80}]}]
    assert deployment["unknowns"] == []
    assert deployment["propertyDependencies"] == {"metadata": [namespace_urn]}
    service = resource(doc, "kubernetes:core/v1:Service", "nginx")
    assert {k: v for k, v in service["inputs"]["metadata"].items() if k != "annotations"} == {
        "labels": {"app": "nginx"}, "namespace": "apps", "name": doc["outputs"]["serviceName"]}
    assert service["dependencies"] == sorted([namespace_urn, deployment["urn"]])
    policy = resource(doc, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "default-deny")
    assert policy["inputs"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_auto_named_metadata_is_the_providers_auto_name(doc):
    """pulumi-kubernetes names it in preview (<name>-<8 hex>); the plan marks it as auto-named."""
    service = resource(doc, "kubernetes:core/v1:Service", "nginx")
    assert doc["outputs"]["serviceName"] == service["inputs"]["metadata"]["name"]
    assert re.fullmatch(r"nginx-[0-9a-f]{8}", doc["outputs"]["serviceName"])
    assert "metadata.name" in service["autonamed"]
    assert doc["outputs"]["namespace"] == "apps"
    assert doc["outputs"]["replicas"] == 2


def test_yaml_config_file_v1_expands_into_children(doc):
    parent = resource(doc, "kubernetes:yaml:ConfigFile", "monitoring")
    assert (parent["custom"], parent["opaque"]) == (False, False)
    config_map = resource(doc, "kubernetes:core/v1:ConfigMap", "apps/app-settings")
    assert config_map["urn"] == urn(doc, "kubernetes:yaml:ConfigFile$kubernetes:core/v1:ConfigMap", "apps/app-settings")
    assert config_map["parent"] == parent["urn"]
    assert config_map["inputs"] == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "data": {"FEATURE_FLAGS": "a,b", "LOG_LEVEL": "info"},
        "metadata": {"name": "app-settings", "namespace": "apps"},
    }
    assert config_map["provider"] == resource(doc, PROVIDER, "dev-cluster")["urn"]
    account = resource(doc, "kubernetes:core/v1:ServiceAccount", "apps/app-runner")
    assert account["parent"] == parent["urn"]
    assert doc["outputs"]["settingsMap"] == "app-settings"


def test_helm_v3_chart_does_not_crash_and_warns(doc):
    chart = resource(doc, "kubernetes:helm.sh/v3:Chart", "redis")
    assert (chart["custom"], chart["opaque"]) == (False, False)
    assert not [r for r in doc["resources"] if r["parent"] == chart["urn"]]
    assert ("helm chart 'redis' 19.6.0 cannot be rendered offline (it needs the helm binary and the chart); "
            "its resources are not in the plan") in warnings(doc)


def test_yaml_v2_config_file_objects_are_its_children(doc):
    """The same manifest as the v1 ConfigFile: the same objects, named with the v2 component's prefix."""
    component = resource(doc, "kubernetes:yaml/v2:ConfigFile", "extras")
    assert (component["opaque"], component["expanded"]["by"], component["expanded"]["objects"]) == (False, "yaml", 2)
    children = sorted(r["urn"] for r in doc["resources"] if r["parent"] == component["urn"])
    assert children == [
        urn(doc, "kubernetes:yaml/v2:ConfigFile$kubernetes:core/v1:ConfigMap", "extras:apps/app-settings"),
        urn(doc, "kubernetes:yaml/v2:ConfigFile$kubernetes:core/v1:ServiceAccount", "extras:apps/app-runner"),
    ]
    assert not [d for d in doc["diagnostics"] if d.get("urn") == component["urn"]]


@pytest.mark.parametrize("type_, name, inputs", [
    ("kubernetes:helm.sh/v4:Chart", "ingress", {
        "chart": "ingress-nginx", "namespace": "apps", "version": "4.11.2",
        "repositoryOpts": {"repo": "https://kubernetes.github.io/ingress-nginx"},
    }),
])
def test_multi_language_components_are_opaque(doc, type_, name, inputs):
    component = resource(doc, type_, name)
    assert (component["custom"], component["opaque"]) == (False, True)
    assert component["inputs"] == inputs
    assert component["provider"] == resource(doc, PROVIDER, "dev-cluster")["urn"]
    assert not [r for r in doc["resources"] if r["parent"] == component["urn"]]
    assert {
        "severity": "warning",
        "urn": component["urn"],
        "message": "multi-language component %s registers its children in another "
                   "process; they are not visible to the planner and are not checked" % type_,
    } in doc["diagnostics"]
