"""The promised zero-trust controls hold on the Rego rules alone (issue 9, section 2).

policies/promises.yaml lists every promised control and the mandatory Rego rule that keeps it.
Each one is broken here on its own object of the compliant Azure and Kubernetes fixture
(tests/fixtures/programs/compliant_platform, through the mutation builders), and the gate must
block on exactly that rule and object with checkov disabled and with an empty checkov mandatory
list. Conventions of sahab's own clusters are reported, never blocking.
"""
from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

from sahab.errors import ConfigError
from sahab.gate.checkov import load_mandatory
from sahab.gate.config import GateConfig
from sahab.gate.promises import load_promises, render_markdown
from sahab.gate.rules import load_bundle
from sahab.gate.run import gate_plan
from sahab.planner import plan_project
from test_mutations import Plan, _nth, _set
from test_mutations_azure_kubernetes import (ACCOUNT, CONTAINER, DEPLOYMENT, HOST_PATH, NAMESPACE, POD, PROGRAM, PSA_ENFORCE,
                                             _to_namespace)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "controls.md"
Break = Callable[[Plan], str]


def _on_own_deployment(name: str, path, value: Any) -> Break:
    """A copy of the model server under its own name, broken at `path`: one object per promise."""
    def mutate(plan: Plan) -> str:
        clone = copy.deepcopy(_nth(plan, DEPLOYMENT, 0))
        clone["urn"] = clone["urn"].rsplit("::", 1)[0] + "::" + name
        clone["name"] = name
        plan["resources"].append(clone)
        index = [r["urn"] for r in plan["resources"] if r["type"] == DEPLOYMENT].index(clone["urn"])
        return _set(DEPLOYMENT, index, path, value)(plan)
    return mutate


def _undeclared_namespace(plan: Plan) -> str:
    _on_own_deployment("batch-scorer", ("metadata", "labels"), {"app": "batch-scorer"})(plan)
    index = [r["name"] for r in plan["resources"] if r["type"] == DEPLOYMENT].index("batch-scorer")
    return _to_namespace(DEPLOYMENT, index, "ml-batch")(plan)


# promise id -> (the rule that must block, how to break it)
BREAKS: Dict[str, tuple] = {
    "no-privileged-containers": ("SAHAB-WKL-001", _on_own_deployment("privileged", CONTAINER + ("securityContext", "privileged"), True)),
    "no-host-network": ("SAHAB-WKL-001", _on_own_deployment("host-network", POD + ("hostNetwork",), True)),
    "no-host-pid-ipc": ("SAHAB-WKL-001", _on_own_deployment("host-pid", POD + ("hostPID",), True)),
    "no-host-path": ("SAHAB-WKL-001", _on_own_deployment("host-path", POD + ("volumes", "0"), HOST_PATH)),
    "no-privilege-escalation": ("SAHAB-WKL-002", _on_own_deployment(
        "escalates", CONTAINER + ("securityContext", "allowPrivilegeEscalation"), True)),
    "no-root": ("SAHAB-WKL-005", _on_own_deployment("root", CONTAINER + ("securityContext", "runAsUser"), 0)),
    "no-secrets-in-environment": ("SAHAB-WKL-006", _on_own_deployment("secret-env", CONTAINER + ("env",), [
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}])),
    "restricted-pod-security": ("SAHAB-WKL-003", _set(NAMESPACE, 0, PSA_ENFORCE, "privileged")),
    "default-deny-networking": ("SAHAB-NET-008", _undeclared_namespace),
    "no-static-keys": ("SAHAB-IAM-001", _set(ACCOUNT, 0, ("allowSharedKeyAccess",), True)),
    "no-cloud-keys-in-pods": ("SAHAB-IAM-002", _on_own_deployment("cloud-keys", CONTAINER + ("env",), [
        {"name": "AWS_ACCESS_KEY_ID", "value": "AKIAIOSFODNN7EXAMPLE"}])),
    "images-in-region": ("SAHAB-RES-006", _on_own_deployment("docker-hub", CONTAINER + ("image",), "python:3.12-slim")),
}


@pytest.fixture(scope="module")
def bundle():
    return load_bundle()


@pytest.fixture(scope="module")
def platform_plan() -> Plan:
    return plan_project(PROGRAM, "dev")


@pytest.fixture(scope="module")
def broken(platform_plan) -> tuple:
    """One plan with every promise broken on its own object: {promise id: (rule id, URN)}."""
    plan = copy.deepcopy(platform_plan)
    where = {promise: (rule, mutate(plan)) for promise, (rule, mutate) in BREAKS.items()}
    return plan, where


def test_every_promise_is_broken_here_and_names_its_rule(bundle):
    promises = load_promises(bundle).promises
    assert sorted(BREAKS) == sorted(p.promise_id for p in promises)
    for promise in promises:
        assert BREAKS[promise.promise_id][0] in promise.rules, promise.promise_id


def test_the_clones_the_breaks_start_from_are_compliant(platform_plan, bundle):
    """Each copy of the model server passes every rule until it is broken: the block is the break's."""
    plan = copy.deepcopy(platform_plan)
    for name in ("a", "b"):
        _on_own_deployment(name, ("metadata", "labels"), _nth(plan, DEPLOYMENT, 0)["inputs"]["metadata"].get("labels"))(plan)
    result = gate_plan(plan, GateConfig(checkov_enabled=False), bundle=bundle)
    assert [(f.rule_id, f.status) for f in result.findings if f.status != "deferred"] == []


@pytest.mark.parametrize("config", [GateConfig(checkov_enabled=False), GateConfig(checkov_mandatory=[])],
                         ids=["no-checkov", "empty-checkov-mandatory-list"])
def test_every_promised_control_blocks_on_its_rego_rule(broken, bundle, config):
    plan, where = broken
    result = gate_plan(plan, config, project_dir=PROGRAM, bundle=bundle)
    blocking = {(f.rule_id, f.urn) for f in result.findings if result.is_blocking(f)}
    missing = {promise: hit for promise, hit in where.items() if hit not in blocking}
    assert missing == {}, "promises that did not block: %s" % missing
    assert result.exit_code == 1
    if config.checkov_enabled:
        assert "checkov" in result.engines
        checkov = [f for f in result.findings if f.engine == "checkov"]
        # checkov ran and saw the breaks it checks too (not runAsUser 0 under a pod's runAsNonRoot:
        # CKV_K8S_23 passes it; SAHAB-WKL-005 does not)
        assert {f.rule_id for f in checkov} >= {"CKV_K8S_16", "CKV_K8S_17", "CKV_K8S_19", "CKV_K8S_20", "CKV_K8S_35"}
        assert [f for f in checkov if result.is_blocking(f)] == []
    else:
        assert result.engines == ["regorus"]


def test_a_promised_rule_blocks_from_the_command_line_without_checkov(sahab_cli, tmp_path: Path):
    """`--no-checkov`, and a sahab.yaml that empties checkov's mandatory list: the Rego rule still blocks."""
    project = tmp_path / "platform"
    shutil.copytree(PROGRAM, project)
    source = project / "__main__.py"
    text = source.read_text()
    assert text.count("allow_privilege_escalation=False") == 1
    source.write_text(text.replace("allow_privilege_escalation=False", "allow_privilege_escalation=True"))
    result = sahab_cli(["gate", str(project), "--stack", "dev", "--no-checkov"])
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"^FAIL\s+SAHAB-WKL-002\s+mandatory/high\s+model-server \(kubernetes:apps/v1:Deployment\)$", result.stdout, re.M)
    (project / "sahab.yaml").write_text("gate:\n  checkov:\n    mandatory: []\n")
    result = sahab_cli(["gate", str(project), "--stack", "dev"])
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"^FAIL\s+SAHAB-WKL-002\s", result.stdout, re.M)
    assert re.search(r"^ADVISORY\s+CKV_K8S_20\s+advisory/", result.stdout, re.M)


def test_sahab_cluster_conventions_are_advisory_for_a_third_party_program(platform_plan, bundle):
    """A GPU pod that does not tolerate sahab's GPU taint is reported (CKV_SAHAB_1), and passes."""
    plan = copy.deepcopy(platform_plan)
    _set(DEPLOYMENT, 0, CONTAINER + ("resources", "limits", "nvidia.com/gpu"), 1)(plan)
    result = gate_plan(plan, GateConfig(), project_dir=PROGRAM, bundle=bundle)
    conventions = [(f.rule_id, f.status, f.enforcement) for f in result.findings if f.rule_id == "CKV_SAHAB_1"]
    assert conventions == [("CKV_SAHAB_1", "violation", "advisory")]
    assert result.blocking == [] and result.exit_code == 0


def test_no_convention_is_in_the_default_checkov_mandatory_list():
    assert "CKV_SAHAB_1" not in load_mandatory()


def test_controls_doc_shows_the_promises_file(bundle):
    text = DOCS.read_text(encoding="utf-8")
    table = render_markdown(load_promises(bundle))
    assert table in text, "docs/controls.md is out of date: paste the output of " \
        "`python -c 'from sahab.gate.promises import *; from sahab.gate.rules import load_bundle; " \
        "print(render_markdown(load_promises(load_bundle())))'` under 'Promised zero-trust controls'"


@pytest.mark.parametrize("edit, message", [
    (("rules: [SAHAB-WKL-002]", "rules: [SAHAB-WKL-004]"), "promise no-privilege-escalation rests on SAHAB-WKL-004, which is advisory by default"),
    (("rules: [SAHAB-WKL-005]", "rules: [SAHAB-WKL-999]"), "promise no-root names rule SAHAB-WKL-999, which does not exist"),
    (("checkov: [CKV_K8S_20]", "checkov: []"), "mandatory checkov check CKV_K8S_20 is neither the second opinion of a promise"),
    (("checkov_only:\n", "checkov_only:\n  - id: CKV_DOCKER_9\n    reason: made up\n"), "CKV_DOCKER_9 is not in checkov's mandatory list"),
])
def test_a_promise_cannot_rest_on_checkov_or_an_advisory_rule(bundle, tmp_path: Path, edit, message):
    text = (bundle.root / "promises.yaml").read_text(encoding="utf-8")
    assert text.count(edit[0]) == 1
    path = tmp_path / "promises.yaml"
    path.write_text(text.replace(*edit))
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_promises(bundle, path)
