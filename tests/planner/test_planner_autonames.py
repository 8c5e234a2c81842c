"""Auto-names (issue 10, class 2) and echoed nested objects (class 3), on a program in the style of
pulumi/examples that names nothing itself: the names come from the providers, so what the program
builds on them (in ``apply`` callbacks) must be in the plan, as in a real ``pulumi preview``."""
from __future__ import annotations

import hashlib

import pytest

from planner_helpers import UNKNOWN, assert_valid, plan, program, resource, urn

NAMESPACE = "kubernetes:core/v1:Namespace"


def expected(document, qualified_type: str, name: str, digits: int, separator: str = "-") -> str:
    """The documented form: ``<logical name><separator><first digits of sha256(URN)>``."""
    return name + separator + hashlib.sha256(urn(document, qualified_type, name).encode()).hexdigest()[:digits]


@pytest.fixture(scope="module")
def doc():
    return plan("autonames")


def test_document_is_valid_and_deterministic(doc):
    assert_valid(doc)
    assert plan("autonames") == doc


def test_kubernetes_namespace_is_auto_named_and_marked(doc):
    namespace = resource(doc, NAMESPACE, "apps")
    name = expected(doc, NAMESPACE, "apps", 8)
    assert namespace["inputs"]["metadata"] == {"name": name, "annotations": {"pulumi.com/autonamed": "true"}}
    assert namespace["autonamed"] == ["metadata.name"]
    assert namespace["unknowns"] == []
    assert doc["outputs"]["namespace"] == name


def test_resources_created_in_a_name_apply_are_planned(doc):
    """Both callbacks ran on the auto-name: their resources exist, built on the known name."""
    namespace = expected(doc, NAMESPACE, "apps", 8)
    settings = resource(doc, "kubernetes:core/v1:ConfigMap", "settings")
    assert settings["inputs"]["metadata"]["namespace"] == namespace
    assert settings["inputs"]["data"] == {"namespace": namespace}
    assert settings["autonamed"] == ["data.namespace", "metadata.name", "metadata.namespace"]
    bucket = expected(doc, "aws:s3/bucket:Bucket", "site-assets", 7)
    index = resource(doc, "aws:s3/bucketObjectv2:BucketObjectv2", "index")
    assert (index["inputs"]["bucket"], index["inputs"]["key"]) == (bucket, "index.html")
    assert index["autonamed"] == ["bucket"]
    assert doc["outputs"]["siteBucket"] == bucket


def test_auto_name_feeds_the_release_and_the_deployment(doc):
    namespace = expected(doc, NAMESPACE, "apps", 8)
    release = resource(doc, "kubernetes:helm.sh/v3:Release", "cache")
    assert release["inputs"]["namespace"] == namespace
    assert release["inputs"]["name"] == expected(doc, "kubernetes:helm.sh/v3:Release", "cache", 8)
    assert release["autonamed"] == ["name", "namespace"]
    assert doc["outputs"]["release"] == release["inputs"]["name"]
    deployment = resource(doc, "kubernetes:apps/v1:Deployment", "web")
    assert deployment["inputs"]["metadata"]["namespace"] == namespace
    assert deployment["inputs"]["metadata"]["name"] == expected(doc, "kubernetes:apps/v1:Deployment", "web", 8)
    assert "metadata.namespace" in deployment["autonamed"] and deployment["unknowns"] == []


def test_two_logical_names_get_two_names(doc):
    site, logs = (resource(doc, "aws:s3/bucket:Bucket", n)["inputs"]["bucket"] for n in ("site-assets", "site-logs"))
    assert site.startswith("site-assets-") and logs.startswith("site-logs-")
    assert site[-7:] != logs[-7:]
    service = resource(doc, "kubernetes:core/v1:Service", "web")["inputs"]["metadata"]["name"]
    deployment = resource(doc, "kubernetes:apps/v1:Deployment", "web")["inputs"]["metadata"]["name"]
    assert service != deployment  # same logical name, different types: different URNs


@pytest.mark.parametrize("type_, name, prop, value", [
    ("aws:iam/role:Role", "deployer", "name", lambda d: expected(d, "aws:iam/role:Role", "deployer", 7)),
    ("aws:ec2/securityGroup:SecurityGroup", "web",  # no override: pulumi-aws's default for any input `name`
     "name", lambda d: expected(d, "aws:ec2/securityGroup:SecurityGroup", "web", 7)),
    ("aws:sqs/queue:Queue", "jobs", "name", lambda d: expected(d, "aws:sqs/queue:Queue", "jobs", 7) + ".fifo"),
    ("azure-native:resources:ResourceGroup", "rg", "resourceGroupName",
     lambda d: expected(d, "azure-native:resources:ResourceGroup", "rg", 8, separator="")),
    ("azure-native:storage:StorageAccount", "sa", "accountName",
     lambda d: expected(d, "azure-native:storage:StorageAccount", "sa", 8, separator="")),
])
def test_provider_rules(doc, type_, name, prop, value):
    found = resource(doc, type_, name)
    assert found["inputs"][prop] == value(doc)
    assert found["autonamed"] == [prop]


def test_a_name_prefix_conflicts_with_the_auto_name(doc):
    prefixed = resource(doc, "aws:iam/role:Role", "ci")
    assert "name" not in prefixed["inputs"] and "autonamed" not in prefixed


def test_azure_output_name_stays_unknown(doc):
    """azure-native's preview outputs map inputs by name; ``name`` is not an input, so it is unknown."""
    group = resource(doc, "azure-native:resources:ResourceGroup", "rg")
    assert doc["outputs"]["resourceGroup"] == {"$unknown": True, "of": {"urn": group["urn"], "output": "name"}}
    account = resource(doc, "azure-native:storage:StorageAccount", "sa")
    assert account["inputs"]["resourceGroupName"] == UNKNOWN and "resourceGroupName" in account["unknowns"]


def test_echoed_kubernetes_objects_stay_known(doc):
    """Class 3: the Deployment's spec is echoed as given, so its replicas and labels are known."""
    assert doc["outputs"]["replicas"] == 1
    assert doc["outputs"]["selector"] == {"app": "web"}
    service = resource(doc, "kubernetes:core/v1:Service", "web")
    assert service["inputs"]["spec"]["selector"] == {"app": "web"}
    assert service["unknowns"] == []


def test_echoed_nested_objects_elsewhere_keep_absent_optional_properties_absent(doc):
    """Class 3 outside Kubernetes: an echoed ingress block gets no filled-in unknowns for the optional
    properties it leaves out (only the ones the SDK's output type says the provider always returns),
    so ``ingress.apply(lambda rules: rules[0].from_port)`` is known, as in ``pulumi preview``."""
    assert doc["outputs"]["webIngressPort"] == 443
    group = resource(doc, "aws:ec2/securityGroup:SecurityGroup", "web")
    assert group["inputs"]["ingress"] == [{"cidrBlocks": ["10.0.0.0/16"], "fromPort": 443, "protocol": "tcp",
                                           "toPort": 443}]


def test_engine_autonaming_config_disables_the_emulation(tmp_path):
    """Names the engine proposes from a stack's own pattern are not emulated: unknown, and said so."""
    from shutil import copytree

    from sahab.planner import plan_project

    project = copytree(program("autonames"), tmp_path / "autonames")
    stack = project / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text() + "  pulumi:autonaming:\n    pattern: ${name}-${hex(4)}\n")
    document = plan_project(project, "dev")
    namespace = resource(document, NAMESPACE, "apps")
    assert "autonamed" not in namespace and "name" not in namespace["inputs"].get("metadata", {})
    bucket = resource(document, "aws:s3/bucket:Bucket", "site-assets")
    assert "bucket" not in bucket["inputs"] and "autonamed" not in bucket
    index = [r for r in document["resources"] if r["type"] == "aws:s3/bucketObjectv2:BucketObjectv2"]
    assert all(r["inputs"]["bucket"].get("$unknown") is True for r in index)  # never a known name
    assert any("pulumi:autonaming" in d["message"] for d in document["diagnostics"])
