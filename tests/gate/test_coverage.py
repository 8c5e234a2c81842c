"""The declared coverage model: classified types no rule understands are reported, never passed.

- every rule's declared coverage (custom.covers / covers_sets) equals what it actually judges,
  found by evaluating the rules on probe resources of every type token the rules, the catalogue
  and its sets name (no silent drift between a rule's Rego tables and its METADATA);
- a data-holding type no encryption rule understands yields exactly one unchecked SAHAB-COV-001
  finding naming the type and the concern, and blocks; a covered type yields none;
- malformed declarations stop the load; the published table (docs/coverage.md) is the generated one;
- the reference stacks use only covered or deliberately unclassified types.
"""
from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest

from sahab.errors import ConfigError
from sahab.gate.config import GateConfig
from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.coverage import REGENERATE, RULE_ID, coverage_findings, render_coverage
from sahab.gate.evaluate import evaluate_rules
from sahab.gate.rules import load_bundle
from sahab.gate.run import gate_plan

REPO = Path(__file__).resolve().parents[2]
UNKNOWN = {"$unknown": True}
_TOKEN = re.compile(r'"((?:aws|azure-native|kubernetes):[A-Za-z0-9._/-]+:[A-Za-z][A-Za-z0-9]*)"')
_KEY = re.compile(r'"([a-zA-Z][a-zA-Z0-9]*)"|\.inputs\.([a-zA-Z][a-zA-Z0-9]*)')
# Kubernetes kinds the rules match by group and kind rather than by a type token literal.
_KUBERNETES = {"kubernetes:core/v1:Namespace", "kubernetes:core/v1:Service", "kubernetes:networking.k8s.io/v1:Ingress",
               "kubernetes:networking.k8s.io/v1:NetworkPolicy"}


@pytest.fixture(scope="module")
def bundle():
    return load_bundle()


def _resource(type_token: str, name: str, inputs: Dict[str, Any], **fields: Any) -> Dict[str, Any]:
    resource = {"urn": "urn:pulumi:dev::p::%s::%s" % (type_token, name), "type": type_token, "name": name, "custom": True,
                "mode": "create", "opaque": False, "provider": "urn:pulumi:dev::p::pulumi:providers:aws::uae",
                "region": "me-central-1", "regionSource": "provider", "parent": None, "inputs": inputs, "unknowns": [],
                "secrets": [], "dependencies": [], "propertyDependencies": {}, "options": {}}
    resource.update(fields)
    return resource


def _plan(*resources: Dict[str, Any]) -> Dict[str, Any]:
    return {"project": "p", "stack": "dev", "resources": list(resources)}


# --- declared coverage == what the rules judge ---------------------------------------------------

def _universe(bundle) -> List[str]:
    tokens: Set[str] = set(_KUBERNETES)
    for text in bundle.without_tests().values():
        tokens.update(_TOKEN.findall(text))
    for rule in bundle.rules:
        tokens.update(bundle.covered_types(rule))
    for entry in bundle.catalogue.entries:
        tokens.update(p for p in entry.patterns if "*" not in p)
    for members in bundle.catalogue.sets.values():
        tokens.update(members)
    return sorted(tokens)


def _judged_types(bundle) -> Dict[str, Set[str]]:
    """Rule id -> the probe types it reports a finding (violation or deferred) on.

    Three probes per type: no inputs (a rule that denies a missing setting), every input unknown
    (a rule that defers on an unknown object), and every key any rule reads set to unknown (a rule
    that defers on one unknown setting)."""
    universe = _universe(bundle)
    keys = {a or b for text in bundle.without_tests().values() for a, b in _KEY.findall(text)}
    judged: Dict[str, Set[str]] = {}
    for probe in ({}, UNKNOWN, {key: UNKNOWN for key in keys}):
        plan = _plan(*(_resource(t, "probe%d" % i, probe) for i, t in enumerate(universe)))
        engine = EmbeddedEngine()
        try:
            for finding in evaluate_rules(plan, bundle, engine):
                judged.setdefault(finding.rule_id, set()).add(finding.urn.split("::")[2])
        finally:
            engine.close()
    return judged


def test_every_rule_declares_exactly_the_types_it_judges(bundle):
    universe = set(_universe(bundle))
    judged = _judged_types(bundle)
    problems = []
    for rule in bundle.rules:
        declared, seen = bundle.covered_types(rule), judged.get(rule.rule_id, set())
        if not declared and seen >= universe:
            continue  # type-independent (every resource's provider), no table to declare
        if declared - seen:
            problems.append("%s declares but never judges %s" % (rule.rule_id, sorted(declared - seen)))
        if seen - declared:
            problems.append("%s judges but does not declare %s" % (rule.rule_id, sorted(seen - declared)))
    assert not problems, "custom.covers drifted from the Rego tables:\n" + "\n".join(problems)


def test_the_probes_reach_every_table(bundle):
    """The drift test above is only as good as its probes: each rule with a table judges some probe."""
    judged = _judged_types(bundle)
    assert {rule.rule_id for rule in bundle.rules if bundle.covered_types(rule)} <= set(judged)


# --- the unchecked finding -----------------------------------------------------------------------

EFS = "aws:efs/fileSystem:FileSystem"
LOGS = "aws:cloudwatch/logGroup:LogGroup"


def test_a_data_holding_type_no_encryption_rule_understands_is_unchecked_and_blocks(bundle):
    efs = _resource(EFS, "shared", {"encrypted": True})
    logs = _resource(LOGS, "app", {"kmsKeyId": "arn:aws:kms:me-central-1:111122223333:key/1"})
    result = gate_plan(_plan(efs, logs), GateConfig(), bundle=bundle)
    mine = [f for f in result.findings if f.rule_id == RULE_ID]
    assert [(f.status, f.enforcement, f.engine, f.urn, f.resource_type, f.message) for f in mine] == [(
        "unchecked", "mandatory", "sahab", efs["urn"], EFS,
        "shared is a data-holding type (aws:efs/fileSystem:FileSystem) that no encryption rule understands: "
        "its encryption settings were not checked")]
    assert mine[0].blocks and result.exit_code == 1
    assert RULE_ID in result.rules_evaluated


def test_a_covered_type_and_configuration_are_not_reported(bundle):
    plan = _plan(_resource(LOGS, "app", {}), _resource("aws:s3/bucketVersioning:BucketVersioning", "v", {}),
                 _resource("aws:iam/role:Role", "r", {}))
    assert coverage_findings(plan, bundle) == []


def test_one_finding_per_uncovered_concern_and_lookups_components_providers_skipped(bundle):
    broker = _resource("aws:mq/broker:Broker", "mq", {})
    plan = _plan(broker, _resource(EFS, "looked-up", {}, mode="read"), _resource(EFS, "component", {}, custom=False),
                 _resource("pulumi:providers:aws", "uae", {}))
    assert [(f.urn, f.message.split(" that no ")[1].split(" ")[0]) for f in coverage_findings(plan, bundle)] == [
        (broker["urn"], "encryption"), (broker["urn"], "network")]


def test_coverage_is_decided_on_the_exact_token(bundle):
    """A versioned azure-native token is classified like the unversioned one but no rule lists it:
    the rules that do read it are not assumed to, so it is reported, not passed."""
    versioned = _resource("azure-native:storage/v20230101:StorageAccount", "acct", {})
    plain = _resource("azure-native:storage:StorageAccount", "acct2", {})
    found = coverage_findings(_plan(versioned, plain), bundle)
    assert {(f.urn, f.message.split(" that no ")[1].split(" ")[0]) for f in found} == {
        (versioned["urn"], "encryption"), (versioned["urn"], "network")}


def test_the_finding_can_be_made_advisory_or_waived(bundle, tmp_path: Path):
    efs = _resource(EFS, "shared", {})
    advisory = gate_plan(_plan(efs), GateConfig(enforcement={RULE_ID: "advisory"}), bundle=bundle)
    assert [f.enforcement for f in advisory.findings if f.rule_id == RULE_ID] == ["advisory"]
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - rule: %s\n    urn: \"%s\"\n    reason: EFS encryption reviewed in SEC-7\n"
                       "    approver: ciso@example.ae\n    expires: 2027-01-31\n" % (RULE_ID, efs["urn"]))
    waived = gate_plan(_plan(efs), GateConfig(waivers=waivers), bundle=bundle, today=datetime.date(2026, 12, 3))
    assert [f.status for f in waived.findings if f.rule_id == RULE_ID] == ["waived"]


def test_a_rule_selection_cannot_leave_the_coverage_check_out(bundle):
    efs = _resource(EFS, "shared", {})
    result = gate_plan(_plan(efs), GateConfig(rules=["SAHAB-NET-001"]), bundle=bundle)
    assert [f.rule_id for f in result.findings if f.rule_id == RULE_ID] == [RULE_ID]


# --- declarations are validated at load ------------------------------------------------------------

HEADER = """# METADATA
# title: t
# description: A test rule.
# custom:
#   id: SAHAB-NET-950
#   severity: high
#   enforcement: mandatory
#   remediation: Fix it.
COVERS#   controls:
#     - "ISO/IEC 27001:2022 A.8.20: Networks security"
package sahab.rules.network.covered

import rego.v1

deny contains x if { false; x := 1 }
"""


def _root(tmp_path: Path, covers: str, catalogue: str = "") -> Path:
    (tmp_path / "network").mkdir()
    (tmp_path / "network" / "covered.rego").write_text(HEADER.replace("COVERS", covers))
    if catalogue:
        (tmp_path / "coverage.yaml").write_text(catalogue)
    return tmp_path


CATALOGUE = """classes:
  network-exposing: {description: opens a path, requires: [network]}
types:
  - {match: ["aws:ec2/eip:*"], classes: [network-exposing]}
sets:
  addresses: ["aws:ec2/eip:Eip"]
"""


@pytest.mark.parametrize("covers, message", [
    ("#   covers: aws:ec2/eip:Eip\n", "custom.covers must be a list of type tokens"),
    ("#   covers:\n#     - Eip\n", "'Eip' is not a Pulumi type token (package:module:Name)"),
    ("#   covers:\n#     - aws:ec2/eip:Eip\n#     - aws:ec2/eip:Eip\n", "custom.covers lists aws:ec2/eip:Eip twice"),
    ("#   covers_sets:\n#     - elastic-ips\n", "custom.covers_sets names elastic-ips, which"),
])
def test_malformed_coverage_declarations_stop_the_load(tmp_path: Path, covers, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_bundle(_root(tmp_path, covers, CATALOGUE))


@pytest.mark.parametrize("damage, message", [
    (("requires: [network]", "requires: [netwrok]"), "`requires` must list concerns among"),
    (("classes: [network-exposing]", "classes: [exposed]"), "`classes` must list classes declared under `classes`"),
    (("sets:\n", "extra: 1\nsets:\n"), "must be a mapping with exactly `classes`, `sets` and `types`"),
    (('"aws:ec2/eip:*"', '"not a pattern"'), "`match` must list type tokens or `*` patterns"),
])
def test_a_malformed_catalogue_stops_the_load(tmp_path: Path, damage, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_bundle(_root(tmp_path, "", CATALOGUE.replace(*damage)))


def test_a_rule_covers_a_set_of_the_catalogue(tmp_path: Path):
    bundle = load_bundle(_root(tmp_path, "#   covers_sets:\n#     - addresses\n", CATALOGUE))
    [rule] = bundle.rules
    assert bundle.covered_types(rule) == {"aws:ec2/eip:Eip"}
    assert coverage_findings(_plan(_resource("aws:ec2/eip:Eip", "ip", {})), bundle) == []


# --- the published table -----------------------------------------------------------------------------

def test_the_published_coverage_page_is_the_generated_one(bundle):
    committed = (REPO / "docs" / "coverage.md").read_text(encoding="utf-8")
    assert committed == render_coverage(bundle, "markdown"), "docs/coverage.md is stale: run `%s`" % REGENERATE


def test_policy_coverage_prints_the_table(sahab_cli):
    done = sahab_cli(["policy", "coverage"])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.search(r"^  aws:secretsmanager/secret:Secret +data-holding +SAHAB-ENC-013$", done.stdout, re.M)
    assert re.search(r"^  aws:efs/fileSystem:FileSystem +data-holding +none: unchecked \(SAHAB-COV-001\)$", done.stdout, re.M)
    assert lines[-1].endswith("reported unchecked (SAHAB-COV-001)")


# --- the reference stacks ----------------------------------------------------------------------------

@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_reference_stacks_use_only_covered_or_unclassified_types(bundle, stack, plan_reference_stack):
    assert [(f.resource_type, f.message) for f in coverage_findings(plan_reference_stack(stack), bundle)] == []
