"""Default providers: resources without a provider land where the engine's default provider puts them.

The fixture is written like pulumi/examples (no provider object anywhere); its stacks set
``aws:region`` / ``azure-native:location`` (dev), nothing (noregion), or forbid the aws default
provider (nodefaults).
"""
from __future__ import annotations

import pytest

from planner_helpers import SECRET, assert_valid, default_provider_urn, plan, resource, warnings
from sahab.gate.engines import create_engine
from sahab.gate.evaluate import evaluate_rules
from sahab.gate.rules import load_bundle
from sahab.planner.document import dumps

BUCKET = "aws:s3/bucket:Bucket"
GROUP = "azure-native:resources:ResourceGroup"
ACCOUNT = "azure-native:storage:StorageAccount"
LANDS = ": the stack configuration and the environment of the deploy, not the program, decide its region and credentials"


@pytest.fixture(scope="module")
def dev():
    return plan("default_provider", "dev")


@pytest.fixture(scope="module")
def noregion():
    return plan("default_provider", "noregion")


@pytest.fixture(scope="module")
def bundle():
    return load_bundle()


def residency(document, bundle):
    engine = create_engine("embedded")
    try:
        findings = evaluate_rules(document, bundle, engine)
    finally:
        engine.close()
    return {(f.rule_id, f.status, f.urn.rsplit("::", 1)[-1], f.message) for f in findings if f.rule_id.startswith("SAHAB-RES-")}


def test_resources_point_at_the_default_provider_and_take_its_region(dev):
    assert_valid(dev)
    aws, azure = default_provider_urn(dev, "aws"), default_provider_urn(dev, "azure-native")
    site = resource(dev, BUCKET, "site")
    assert (site["provider"], site["region"], site["regionSource"]) == (aws, "eu-west-1", "provider")
    for type_, name in ((GROUP, "rg"), (ACCOUNT, "sa")):
        found = resource(dev, type_, name)
        assert (found["provider"], found["region"], found["regionSource"]) == (azure, "westeurope", "provider")


def test_the_default_provider_is_a_resource_configured_from_the_stack(dev):
    from importlib.metadata import version

    provider = resource(dev, "pulumi:providers:aws", default_provider_urn(dev, "aws").rsplit("::", 1)[-1])
    assert provider["urn"] == default_provider_urn(dev, "aws")
    assert provider["inputs"] == {"region": "eu-west-1", "secretKey": SECRET, "version": version("pulumi-aws")}
    assert provider["secrets"] == ["secretKey"]
    assert (provider["custom"], provider["provider"], provider["parent"]) == (True, None, dev["stackUrn"])
    assert (provider["region"], provider["regionSource"]) == ("eu-west-1", "resource")
    # one default provider per package, however many resources use it
    assert len([r for r in dev["resources"] if r["type"].startswith("pulumi:providers:")]) == 2
    # the ciphertext of aws:secretKey is nowhere in the plan
    assert "bm90LWEtcmVhbC1jaXBoZXJ0ZXh0" not in dumps(dev)
    assert warnings(dev) == []


def test_residency_says_where_the_resource_lands(dev, bundle):
    found = residency(dev, bundle)
    assert ("SAHAB-RES-002", "violation", "site",
            "site (aws:s3/bucket:Bucket) uses the default aws provider (eu-west-1, outside the UAE)" + LANDS) in found
    assert ("SAHAB-RES-002", "violation", "sa",
            "sa (azure-native:storage:StorageAccount) uses the default azure-native provider (westeurope, outside the UAE)"
            + LANDS) in found
    assert ("SAHAB-RES-001", "violation", "site",
            'site is in region "eu-west-1", outside the UAE (me-central-1, uaecentral, uaenorth)') in found
    default_name = default_provider_urn(dev, "aws").rsplit("::", 1)[-1]
    assert ("SAHAB-RES-001", "violation", default_name,
            '%s is in region "eu-west-1", outside the UAE (me-central-1, uaecentral, uaenorth)' % default_name) in found


def test_no_region_in_the_stack_is_unknown_and_taken_from_the_deploy_environment(noregion, bundle):
    aws = default_provider_urn(noregion, "aws")
    site = resource(noregion, BUCKET, "site")
    assert (site["provider"], site["region"], site["regionSource"]) == (aws, "unknown", "none")
    assert set(resource(noregion, "pulumi:providers:aws", aws.rsplit("::", 1)[-1])["inputs"]) == {"version"}
    notes = {(d.get("urn"), d["message"]) for d in noregion["diagnostics"] if d["severity"] == "warning"}
    assert (aws, "the stack sets no aws:region: resources on the default aws provider are placed in the region "
                 "taken from the deploy environment, unknown to the plan") in notes
    assert (default_provider_urn(noregion, "azure-native"),
            "the stack sets no azure-native:location: resources on the default azure-native provider are placed in "
            "the region taken from the deploy environment, unknown to the plan") in notes
    found = residency(noregion, bundle)
    assert ("SAHAB-RES-002", "violation", "site", "site (aws:s3/bucket:Bucket) uses the default aws provider "
            "(region unknown, taken from the deploy environment)" + LANDS) in found
    # unknown from the environment is not a deploy-time value of the program: nothing is deferred as if it were
    assert not [f for f in found if f[0] == "SAHAB-RES-001" and f[2] == "site"]


def test_disabled_default_providers_are_not_created():
    document = plan("default_provider", "nodefaults")
    assert resource(document, BUCKET, "site")["provider"] is None
    assert not [r for r in document["resources"] if r["type"] == "pulumi:providers:aws"]
    # azure-native is not disabled: it still gets its default provider
    assert resource(document, GROUP, "rg")["provider"] == default_provider_urn(document, "azure-native")


def test_plans_with_default_providers_are_byte_identical(dev):
    assert dumps(plan("default_provider", "dev")) == dumps(dev)


@pytest.mark.parametrize("version, name", [
    ("", "default"), ("7.51.1", "default_7_51_1"), ("3.0.0-alpha.1+dev", "default_3_0_0_alpha_1_dev"),
])
def test_default_provider_names_match_the_residency_rule(version, name, bundle):
    """The name the harness gives is the one SAHAB-RES-002 recognises as the engine's default provider."""
    from sahab.planner.harness.providers import default_name

    assert default_name(version) == name
    document = {"resources": [{
        "urn": "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b", "type": BUCKET, "name": "b", "mode": "create",
        "custom": True, "opaque": False, "parent": None, "provider": "urn:pulumi:dev::p::pulumi:providers:aws::" + name,
        "region": "me-central-1", "regionSource": "provider", "inputs": {}, "unknowns": [], "secrets": [],
        "dependencies": [], "propertyDependencies": {}, "options": {}}]}
    assert ("SAHAB-RES-002", "violation", "b", "b (aws:s3/bucket:Bucket) uses the default aws provider "
            "(me-central-1, in the UAE)" + LANDS) in residency(document, bundle)


@pytest.mark.parametrize("setting, disabled", [
    ('["aws"]', True), ('["*"]', True), ('["azure-native"]', False), ("", False), ("aws", True),
])
def test_disable_default_providers_setting(setting, disabled):
    from sahab.planner.harness.providers import DISABLE_KEY
    from sahab.planner.harness.providers import disabled as is_disabled

    assert is_disabled("aws", {DISABLE_KEY: setting} if setting else {}) is disabled
