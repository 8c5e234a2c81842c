"""The CrossGuard pack of an installed sahab: written out by `sahab crossguard path` from the wheel,
started the way the Pulumi CLI starts a Python pack, and asked over gRPC.

The installed virtualenv is the session's (tests/installed_sahab.py, outside the checkout). The
pack process is ``<virtualenv>/bin/python -u -m pulumi.policy <engine> <pack>`` in the pack folder
(what Pulumi's Python analyzer runs, with the virtualenv named in PulumiPolicy.yaml); it prints its
port and serves pulumi-policy's analyzer. The test is the engine: ``GetAnalyzerInfo``, then
``AnalyzeStack`` with the fixture's plan marshalled as the engine does (crossguard_helpers.py). No
Pulumi CLI is involved; what it would add (installing nothing, launching this command) is in
docs/crossguard.md.
"""
from __future__ import annotations

import json
import select
import subprocess
from pathlib import Path

import grpc
import pytest
import yaml
from crossguard_helpers import SECRET_PLAINTEXT, plan_to_request, violations
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2_grpc

from sahab.crossguard.pack import build_policies
from sahab.gate.engines import create_engine
from sahab.gate.evaluate import evaluate_rules
from sahab.gate.rules import load_bundle

STARTUP_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def pack_dir(set_up_sahab) -> Path:
    completed = set_up_sahab.sahab(["crossguard", "path"])
    assert completed.returncode == 0, completed.stderr
    return Path(completed.stdout.strip())


@pytest.fixture(scope="module")
def plan(set_up_sahab, repo_root):
    """The fixture program planned by the installed sahab, with a secret in the container's env."""
    program = repo_root / "tests" / "fixtures" / "programs" / "kubernetes_small"
    completed = set_up_sahab.sahab(["plan", str(program), "--stack", "dev", "--format", "json"])
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    deployment = next(r for r in document["resources"] if r["type"] == "kubernetes:apps/v1:Deployment")
    deployment["inputs"]["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "API_TOKEN", "value": {"$secret": True}}]
    deployment["secrets"] = sorted(deployment["secrets"] + ["spec.template.spec.containers.0.env.0.value"])
    return document


@pytest.fixture(scope="module")
def analyzer(set_up_sahab, pack_dir):
    """The pack process, started from the pack folder as Pulumi starts it; its gRPC stub."""
    manifest = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text())
    python = Path(manifest["runtime"]["options"]["virtualenv"]) / "bin" / "python"
    env = dict(set_up_sahab.env, PULUMI_DRY_RUN="true", PULUMI_PROJECT="k8s-small", PULUMI_STACK="dev")
    process = subprocess.Popen([str(python), "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(pack_dir)], cwd=pack_dir,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT)
        port = process.stdout.readline().strip() if ready else ""
        assert port.isdigit(), "the pack did not print its port: %s" % (process.stderr.read() if process.poll() is not None else "timeout")
        channel = grpc.insecure_channel("127.0.0.1:" + port)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=30)


def test_pack_is_written_from_the_wheel_and_runs_in_the_installed_environment(set_up_sahab, pack_dir):
    assert pack_dir == Path(set_up_sahab.env["SAHAB_DATA_DIR"]) / "crossguard"
    assert sorted(p.name for p in pack_dir.iterdir()) == ["PulumiPolicy.yaml", "__main__.py"]
    manifest = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": str(set_up_sahab.venv)}}
    for path in pack_dir.iterdir():
        assert "../" not in path.read_text(), path


def test_installed_pack_serves_every_rule(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=60)
    assert info.name == "sahab-uae"
    served = {p.name for p in info.policies}
    assert served == {p.name for p in build_policies(load_bundle())}   # what the checkout's pack serves
    assert {rule.rule_id for rule in load_bundle().rules} <= served


def test_installed_pack_reports_what_the_gate_reports(analyzer, plan):
    response = analyzer.AnalyzeStack(plan_to_request(plan), timeout=300)
    bundle = load_bundle()
    engine = create_engine("embedded")
    try:
        findings = evaluate_rules(plan, bundle, engine)
    finally:
        engine.close()
    expected = {(f.rule_id, f.urn, f.message) for f in findings if f.status == "violation"}
    assert len({rule for rule, _, _ in expected}) >= 4, expected
    assert violations(response, build_policies(bundle, dry_run=True)) == expected
    assert not any(SECRET_PLAINTEXT in d.message for d in response.diagnostics)
