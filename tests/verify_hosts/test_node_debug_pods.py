"""The node suites through a node-debug pod, the way they reach nodes that boot with SSH disabled.

``sahab verify`` gets the reference stack's kind of inventory (node pools by label), resolves it
with kubectl, makes a debug pod per node and runs the node suites over testinfra's real
``kubectl://`` backend, every command under ``chroot /host``. Here kubectl is tests/fake_kubectl.py
(no cluster on this machine): its ``exec`` carries the command over SSH into a throwaway host
(tests/sshd_host.py) whose ``/host`` holds a node's root file system, booted with the library's
hardening script, as the debug pod's ``/host`` holds the node's. The checks must read that root,
not the pod's own: the booted node passes everything it can show, the misconfigured one fails
exactly the tests it breaks. Not shown here: the API server, scheduler and kubelet making the pod.
"""
from __future__ import annotations

import shlex

import pytest

from fake_kubectl import FakeKubectl
from sahab.verification import verify_stack
from sahab.verification.inventory import parse_inventory
from sshd_host import build_root, sshd_host, unavailable_reason
from test_node_suites import LIVE_TESTS, MISCONFIGURED, SUITE_TESTS, UNAVAILABLE, UNAVAILABLE_ENV, _boot, _ssh

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=unavailable_reason() or "")

IMAGE = "111122223333.dkr.ecr.me-central-1.amazonaws.com/busybox:1.37.0"
NODES = {"gpu-training": "ip-10-20-1-5.me-central-1.compute.internal", "inference": "ip-10-20-2-7.me-central-1.compute.internal"}
# As stacks/verification_outputs.py exports them.
INVENTORY = {"hosts": {"gpu-training": [{"nodes": {"nvidia.com/gpu.present": "true", "sahab.io/pool": "gpu-training"}, "image": IMAGE}],
                       "inference": [{"nodes": {"sahab.io/pool": "inference"}, "image": IMAGE}]}}


@pytest.fixture()
def debug_pod_host(tmp_path, monkeypatch):
    """A throwaway host standing for a node-debug pod: its own root, the node's root at /host, booted."""
    root = build_root(tmp_path / "pod")
    build_root(root / "host")
    with sshd_host(root, tmp_path / "client", nested=("host",)) as host:
        _boot(host, node_root="/host")
        kubectl = FakeKubectl(tmp_path / "kubectl", {
            "nodes": {"nvidia.com/gpu.present=true,sahab.io/pool=gpu-training": [NODES["gpu-training"]],
                      "sahab.io/pool=inference": [NODES["inference"]]},
            "exec": {"sahab-verify-": ["ssh", "-F", str(host.ssh_config), "127.0.0.1"]}})
        for key, value in {**kubectl.env(), UNAVAILABLE_ENV: UNAVAILABLE}.items():
            monkeypatch.setenv(key, value)
        yield host, kubectl


def _outcomes(tmp_path):
    run = verify_stack("prod", parse_inventory(INVENTORY, "inventory", ""), junit=tmp_path / "verify.xml",
                       results_file=tmp_path / "verify.json", timeout=300)
    outcomes = {}
    for test in run.results.tests:
        module, _, rest = test.nodeid.partition(".py::")
        if module not in SUITE_TESTS:  # the runner-pod and endpoint suites: this inventory names none
            assert test.outcome == "skipped", test
            continue
        name = rest.partition("[")[0]
        outcomes[(module, name)] = test.outcome
        assert test.host is not None and test.host.startswith("kubectl://sahab-verify-"), test.host
        role = "gpu-training" if module == "test_gpu_node" else "inference"
        assert test.host.endswith(NODES[role]), test.host  # the results name the node checked
        if test.outcome == "skipped":
            assert "not verified here" in (test.reason or ""), test.reason
    return run, outcomes


def _expected(failing):
    return {(module, name): "skipped" if name in LIVE_TESTS else "failed" if name in failing else "passed"
            for module, tests in SUITE_TESTS.items() for name in tests}


def test_a_booted_node_passes_through_its_debug_pod(debug_pod_host, tmp_path):
    host, kubectl = debug_pod_host
    run, outcomes = _outcomes(tmp_path)
    assert outcomes == _expected(set()) and run.exit_code == 0
    # the pod's own root has no hardening at all: every pass above was read under /host
    assert not (host.root / "etc/sysctl.d/90-sahab-hardening.conf").exists()
    assert (host.root / "host/etc/sysctl.d/90-sahab-hardening.conf").exists()
    execs = [c["args"] for c in kubectl.calls() if "exec" in c["args"]]
    assert execs and all(a[:4] == ["-n", "default", "-c", "debugger"] and a[a.index("--") + 3].startswith("chroot /host /bin/sh -c ")
                         for a in execs)
    assert [c["args"][0] for c in kubectl.calls() if c["args"][0] in ("create", "delete")] == ["create", "create", "delete"]


def test_a_misconfigured_node_fails_exactly_the_checks_it_breaks_through_its_debug_pod(debug_pod_host, tmp_path):
    host, _ = debug_pod_host
    for command in MISCONFIGURED:
        _ssh(host, "chroot /host /bin/sh -c %s" % shlex.quote(command))
    run, outcomes = _outcomes(tmp_path)
    assert outcomes == _expected(set(MISCONFIGURED.values())) and run.exit_code == 1
