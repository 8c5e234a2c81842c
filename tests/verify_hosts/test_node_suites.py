"""The node suites (verify/test_gpu_node.py, verify/test_inference_node.py) over real SSH, against
throwaway hosts on loopback (tests/sshd_host.py): one booted the way sahab's bootstrap leaves a node
must pass; one misconfigured must fail exactly the expected tests, by control id.

Each host is a private root file system the test builds; the library's hardening script
(components/node_bootstrap/templates/hardening.sh, as rendered for a GPU node with key-only SSH) runs
in it over SSH, as cloud-init would run it, and kubelet's configuration is written the way nodeadm
writes the NodeConfig part (base file plus drop-in). Both testinfra transports reach each host:
ssh:// (the ssh client) and paramiko://. Checks of the running kernel, audit daemon and container
runtime cannot be shown by a chroot and are declared unavailable: they must come back skipped with
the reason, never passed (README.md, "Verification on this machine").
"""
from __future__ import annotations

import ast
import email
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, Tuple

import pytest
import yaml

from sahab.components.node_bootstrap import NodeBootstrap, al2023_mime, hardening_script
from sshd_host import SshdHost, build_root, sshd_host, unavailable_reason

REPO = Path(__file__).resolve().parents[2]
SUITES = ("verify/test_gpu_node.py", "verify/test_inference_node.py")
# Read, not imported: importing a suite module here would apply its `controls` marker outside the suites' conftest.
UNAVAILABLE_ENV = "SAHAB_VERIFY_UNAVAILABLE"
UNAVAILABLE = "kernel,auditd,containerd"
LIVE_TESTS = {"test_sahab_nod_001_kernel_sysctls_live", "test_sahab_nod_001_auditd_running_with_rules",
              "test_sahab_nod_001_nvidia_default_runtime"}
# The misconfigurations, and the one test each must fail.
MISCONFIGURED = {
    "sed -i 's/^PasswordAuthentication no$/PasswordAuthentication yes/' /etc/ssh/sshd_config.d/00-sahab-hardening.conf":
        "test_sahab_nod_001_sshd_key_only",
    "sed -i '/^kernel.kptr_restrict/d' /etc/sysctl.d/90-sahab-hardening.conf":
        "test_sahab_nod_001_kernel_sysctls_configured",
    "echo '{\"authentication\": {\"anonymous\": {\"enabled\": true}}}' > /etc/kubernetes/kubelet/config.json.d/90-debug.conf":
        "test_sahab_nod_001_kubelet_anonymous_auth_off",
}

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=unavailable_reason() or "")

Outcomes = Dict[Tuple[str, str, str], str]  # (suite module, test function, transport) -> outcome


def _ssh(host: SshdHost, command: str, stdin: str = "") -> str:
    done = subprocess.run(["ssh", "-F", str(host.ssh_config), "127.0.0.1", command], input=stdin, text=True,
                          capture_output=True, timeout=30)
    assert done.returncode == 0, "%s failed on the throwaway host: %s" % (command, done.stderr)
    return done.stdout


def _nodeadm_kubelet_drop_in() -> str:
    """The kubelet settings of the library's NodeConfig part, as nodeadm writes them for kubelet."""
    parts = email.message_from_string(al2023_mime(NodeBootstrap(ssh="key-only"), gpu=True)).get_payload()
    node_config = next(part.get_payload() for part in parts if part.get_content_type() == "application/node.eks.aws")
    return json.dumps(yaml.safe_load(node_config)["spec"]["kubelet"]["config"])


def _boot(host: SshdHost, node_root: str = "/") -> None:
    """What a node's first boot does to the root: cloud-init runs the shell part, nodeadm writes kubelet's config.
    ``node_root``: where, inside the host, the node's root is (``/host`` of a node-debug pod)."""
    shell = "bash -s" if node_root == "/" else "chroot %s bash -s" % node_root
    output = _ssh(host, shell, stdin=hardening_script(NodeBootstrap(ssh="key-only"), gpu=True))
    assert "sahab-node-hardening: done (ssh: key-only, gpu: true)" in output
    base = {"kind": "KubeletConfiguration", "apiVersion": "kubelet.config.k8s.io/v1beta1", "cgroupDriver": "systemd",
            "authentication": {"x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"}}}
    kubelet = host.root / node_root.lstrip("/") / "etc/kubernetes/kubelet"
    (kubelet / "config.json.d").mkdir(parents=True)
    (kubelet / "config.json").write_text(json.dumps(base))
    (kubelet / "config.json.d" / "40-nodeadm.conf").write_text(_nodeadm_kubelet_drop_in())


def _run_suites(host: SshdHost, workdir: Path) -> Outcomes:
    """Both node suites, as a deploy pipeline runs them, over both transports; outcome per test."""
    inventory = workdir / "inventory.json"
    specs = [host.ssh_spec, host.paramiko_spec]
    inventory.write_text(json.dumps({"hosts": {"gpu-training": specs, "inference": specs}}))
    junit = workdir / "junit.xml"
    env = dict(os.environ, **{UNAVAILABLE_ENV: UNAVAILABLE})
    # -n 0: one process, not the checkout's xdist workers (it reads pyproject.toml's addopts from REPO).
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", "-rs", *SUITES,
                           "--sahab-inventory", str(inventory), "--junitxml", str(junit)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    outcomes: Outcomes = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name, _, param = case.get("name", "").partition("[")
        transport = param.split("://", 1)[0]
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = "skipped"
                assert "not verified here" in (child.get("message") or ""), child.get("message")
        outcomes[(case.get("classname", "").rsplit(".", 1)[-1], name, transport)] = outcome
    return outcomes


def _suite_tests(path: str) -> Dict[str, Tuple[str, ...]]:
    """The test functions a suite file defines, with their ``controls`` marker's ids (read from the source)."""
    tests = {}
    for node in ast.parse((REPO / path).read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            tests[node.name] = tuple(arg.value for d in node.decorator_list if isinstance(d, ast.Call)
                                     and getattr(d.func, "attr", "") == "controls" for arg in d.args)
    return tests


SHARED = _suite_tests("verify/node_checks.py")
SUITE_TESTS = {"test_gpu_node": {**SHARED, **_suite_tests("verify/test_gpu_node.py")}, "test_inference_node": SHARED}


def _expected(failing: set) -> Outcomes:
    return {(module, name, transport): ("skipped" if name in LIVE_TESTS else "failed" if name in failing else "passed")
            for module, tests in SUITE_TESTS.items() for name in tests for transport in ("ssh", "paramiko")}


@pytest.fixture()
def booted_host(tmp_path):
    root = build_root(tmp_path / "root")
    with sshd_host(root, tmp_path / "client") as host:
        _boot(host)
        yield host


def test_a_node_booted_with_the_bootstrap_passes_every_check_it_can_show(booted_host, tmp_path):
    outcomes = _run_suites(booted_host, tmp_path)
    assert outcomes == _expected(set())


def test_a_misconfigured_node_fails_exactly_the_checks_it_breaks(booted_host, tmp_path):
    for command in MISCONFIGURED:
        _ssh(booted_host, command)
    outcomes = _run_suites(booted_host, tmp_path)
    assert outcomes == _expected(set(MISCONFIGURED.values()))
    failed = sorted({(name, SHARED[name]) for (_, name, _), outcome in outcomes.items() if outcome == "failed"})
    assert failed == [("test_sahab_nod_001_kernel_sysctls_configured", ("SAHAB-NOD-001",)),
                      ("test_sahab_nod_001_kubelet_anonymous_auth_off", ("SAHAB-NOD-001",)),
                      ("test_sahab_nod_001_sshd_key_only", ("SAHAB-NOD-001",))]


def test_the_throwaway_host_is_gone_after_its_block(tmp_path):
    """Stopped by PID: the server and every session it started end with the block."""
    root = build_root(tmp_path / "root")
    with sshd_host(root, tmp_path / "client") as host:
        _ssh(host, "sleep 300 >/dev/null 2>&1 </dev/null &")
        pid = host.pid
    assert not Path("/proc/%d" % pid).exists()
    sleepers = subprocess.run(["pgrep", "-f", "^sleep 300$"], capture_output=True, text=True).stdout.split()
    assert [p for p in sleepers if Path("/proc/%s/root" % p).resolve() == root.resolve()] == []
