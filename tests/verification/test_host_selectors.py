"""Hosts a stack names by selector (node pools' labels, runner pods), resolved with kubectl when sahab verify runs;
nodes read through node-debug pods under ``chroot /host``; and ``sahab verify`` without its extra.

No cluster here: kubectl is tests/fake_kubectl.py, which logs what sahab asks and answers from a state file.
The node suites through such a pod, over a real transport, are in tests/verify_hosts/test_node_debug_pods.py.
"""
from __future__ import annotations

import json
import shlex
import subprocess
import sys

import pytest
from testinfra.backend.kubectl import KubectlBackend
from testinfra.backend.ssh import SshBackend
from testinfra.host import Host

from fake_kubectl import FakeKubectl
from sahab.errors import UsageError, VerificationError
from sahab.verification import verify_stack
from sahab.verification.host_root import rooted
from sahab.verification.inventory import Endpoint, HostSelector, parse_inventory
from sahab.verification.kube import debug_pod, list_command, resolved

IMAGE = "111122223333.dkr.ecr.me-central-1.amazonaws.com/busybox:1.37.0"
GPU = {"nodes": {"sahab.io/pool": "gpu-training", "nvidia.com/gpu.present": "true"}, "image": IMAGE}
RUNNERS = {"pods": {"sahab.io/ci-role": "runner"}, "namespace": "ci-runners", "container": "runner"}


def _inventory(hosts, endpoints=()):
    return parse_inventory({"hosts": hosts, "endpoints": list(endpoints)}, "inventory", "fix it")


def test_a_role_takes_specs_and_selectors_and_the_json_form_round_trips():
    inventory = _inventory({"gpu-training": [GPU, "ssh://ubuntu@10.20.1.5"], "ci-runner": [RUNNERS]})
    assert inventory.hosts == {"gpu-training": ("ssh://ubuntu@10.20.1.5",)}
    assert inventory.selectors == {
        "gpu-training": (HostSelector("nodes", (("nvidia.com/gpu.present", "true"), ("sahab.io/pool", "gpu-training")),
                                      "default", None, IMAGE),),
        "ci-runner": (HostSelector("pods", (("sahab.io/ci-role", "runner"),), "ci-runners", "runner"),)}
    assert not inventory.is_empty() and not _inventory({"inference": [GPU]}).is_empty()
    assert parse_inventory(inventory.to_json(), "again", "") == inventory


@pytest.mark.parametrize("entry, message", [
    ({"nodes": {"sahab.io/pool": "gpu-training"}}, "inventory hosts.gpu-training[0] names no image for the node-debug pods"),
    ({"pods": {"a": "b"}}, "inventory hosts.gpu-training[0] has no namespace"),
    ({"nodes": {}, "image": IMAGE}, "inventory hosts.gpu-training[0] nodes is not a non-empty mapping of labels"),
    ({"nodes": {"a": "b"}, "pods": {"a": "b"}, "namespace": "x"}, "names neither nodes nor pods (or both)"),
    ({"nodes": {"a": "b"}, "image": IMAGE, "container": "c"}, "inventory hosts.gpu-training[0] has unknown key 'container'"),
    ({"nodes": {"bad key!": "b"}, "image": IMAGE}, "label key 'bad key!' is not a valid Kubernetes label key"),
    ({"pods": {"a": "b"}, "namespace": "Bad_NS"}, "namespace 'Bad_NS' is not a Kubernetes name"),
    ({"nodes": {"a": "b"}, "image": "busybox; rm -rf /"}, "is not an image reference"),
    ("kubectl://p?namespace=n&host_root=/", "host_root must be one absolute folder other than /"),
    ("kubectl://p?namespace=n&host_root=/host/../etc", "host_root must be one absolute folder other than /"),
    ("kubectl://p?namespace=n&host_root=host", "host_root must be one absolute folder other than /"),
])
def test_a_bad_selector_or_host_root_is_exit_2_in_one_line(entry, message):
    with pytest.raises(UsageError) as raised:
        _inventory({"gpu-training": [entry]})
    assert message in raised.value.message and raised.value.exit_code == 2


def test_one_host_cannot_have_two_roots():
    """testinfra keeps one connection per scheme://netloc: two roots for it would check one of them silently."""
    with pytest.raises(UsageError, match="names host kubectl://p with two different host_root values"):
        _inventory({"gpu-training": ["kubectl://p?namespace=n&host_root=/host"], "inference": ["kubectl://p?namespace=n"]})
    inventory = _inventory({"gpu-training": ["kubectl://p?namespace=n&container=debugger&host_root=/host", "ssh://u@h"]})
    assert inventory.host_roots() == {"kubectl://p": "/host"}


def test_list_commands_and_the_node_debug_pod():
    nodes, pods = _inventory({"gpu-training": [GPU], "ci-runner": [RUNNERS]}).selectors.values()
    assert list_command(nodes[0]) == ["kubectl", "get", "nodes", "-l", "nvidia.com/gpu.present=true,sahab.io/pool=gpu-training",
                                      "-o", "name"]
    assert list_command(pods[0]) == ["kubectl", "get", "pods", "-n", "ci-runners", "-l", "sahab.io/ci-role=runner",
                                     "--field-selector=status.phase=Running", "-o", "name"]
    pod = debug_pod("ip-10-20-1-5.me-central-1.compute.internal", nodes[0], "0a1b2c3d", lifetime=900)
    spec = pod["spec"]
    assert pod["metadata"]["name"] == "sahab-verify-0a1b2c3d-ip-10-20-1-5.me-central-1.compute.internal"
    assert pod["metadata"]["namespace"] == "default" and pod["metadata"]["labels"]["sahab.io/verify-run"] == "0a1b2c3d"
    # kubectl debug node/NAME --profile=sysadmin's pod: on that node, in its namespaces, its root at /host
    assert (spec["nodeName"], spec["hostPID"], spec["hostNetwork"], spec["hostIPC"]) == (
        "ip-10-20-1-5.me-central-1.compute.internal", True, True, True)
    assert spec["volumes"] == [{"name": "host-root", "hostPath": {"path": "/"}}]
    (container,) = spec["containers"]
    assert container["volumeMounts"] == [{"name": "host-root", "mountPath": "/host", "readOnly": True}]
    assert container["image"] == IMAGE and container["securityContext"] == {"privileged": True}
    # it ends by itself if sahab is killed, never restarts, carries no API token, and reaches tainted GPU nodes
    assert spec["activeDeadlineSeconds"] == 1200 and container["command"] == ["sleep", "1200"]
    assert spec["restartPolicy"] == "Never" and spec["automountServiceAccountToken"] is False
    assert spec["tolerations"] == [{"operator": "Exists"}]


def _recorded(backend):
    """The command lines ``backend`` would run locally, instead of running them."""
    seen = []

    def run_local(command, *args):
        seen.append(backend.quote(command, *args))
        return backend.result(0, b"", b"", command)

    backend.run_local = run_local
    return seen


def test_a_rooted_host_runs_every_command_under_chroot_and_leaves_the_original_alone():
    backend = KubectlBackend("sahab-verify-1-node", namespace="default", container="debugger")
    seen = _recorded(backend)
    host = Host(backend)
    inner = rooted(host, "/host")
    inner.run("cat -- %s", "/etc/sysctl.d/90 sahab.conf")
    host.run("true")
    wrapped, plain = (shlex.split(line) for line in seen)
    assert wrapped[:8] == ["kubectl", "-n", "default", "-c", "debugger", "exec", "sahab-verify-1-node", "--"]
    assert wrapped[8:] == ["/bin/sh", "-c", "chroot /host /bin/sh -c 'cat -- '\"'\"'/etc/sysctl.d/90 sahab.conf'\"'\"''"]
    assert shlex.split(shlex.split(wrapped[10])[4]) == ["cat", "--", "/etc/sysctl.d/90 sahab.conf"]  # quoting survives
    assert plain[8:] == ["/bin/sh", "-c", "true"]
    assert inner.backend.get_pytest_id() == host.backend.get_pytest_id() == "kubectl://sahab-verify-1-node"


def test_with_sudo_the_chroot_runs_as_root():
    backend = SshBackend("ubuntu@10.20.1.5", sudo=True)
    calls = []
    backend.run_ssh = lambda command: calls.append(command) or backend.result(0, b"", b"", command)
    rooted(Host(backend), "/host").run("sshd -T")
    assert calls == ["sudo /bin/sh -c 'chroot /host /bin/sh -c '\"'\"'sshd -T'\"'\"''"]


@pytest.fixture()
def kubectl(tmp_path, monkeypatch):
    fake = FakeKubectl(tmp_path / "kubectl", {
        "nodes": {"nvidia.com/gpu.present=true,sahab.io/pool=gpu-training": ["gpu-a", "gpu-b"]},
        "pods": {"sahab.io/ci-role=runner": ["runner-x1"]}})
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    return fake


def test_selectors_resolve_to_debug_pods_and_runner_pods_which_are_deleted_afterwards(kubectl):
    inventory = _inventory({"gpu-training": [GPU], "ci-runner": [RUNNERS]})
    with resolved(inventory, lifetime=600) as found:
        calls = kubectl.calls()
        debug = sorted(found.hosts["gpu-training"])
        assert found.hosts["ci-runner"] == ("kubectl://runner-x1?namespace=ci-runners&container=runner",)
        assert found.selectors == inventory.selectors  # kept, for the skip reason and the record
    run_id = debug[0].split("sahab-verify-")[1].split("-")[0]
    assert debug == ["kubectl://sahab-verify-%s-gpu-%s?namespace=default&container=debugger&host_root=/host" % (run_id, n)
                     for n in ("a", "b")]
    assert found.host_roots() == {spec.split("?")[0]: "/host" for spec in debug}
    (create,) = [c for c in calls if c["args"][0] == "create"]
    assert create["args"] == ["create", "-f", "-", "-o", "name"]
    pods = json.loads(create["stdin"])["items"]
    assert [p["spec"]["nodeName"] for p in pods] == ["gpu-a", "gpu-b"]
    assert [c["args"] for c in calls if c["args"][0] == "wait"] == [
        ["wait", "--for=condition=Ready", "pod", "-n", "default", "-l", "sahab.io/verify-run=%s" % run_id, "--timeout=180s"]]
    assert [c["args"] for c in kubectl.calls() if c["args"][0] == "delete"] == [
        ["delete", "pod", "-n", "default", "-l", "sahab.io/verify-run=%s" % run_id, "--ignore-not-found", "--wait=false"]]


def test_the_debug_pods_are_deleted_when_the_run_fails(kubectl):
    with pytest.raises(RuntimeError), resolved(_inventory({"gpu-training": [GPU]}), lifetime=60):
        raise RuntimeError("the suites crashed")
    assert [c["args"][:2] for c in kubectl.calls()] == [["get", "nodes"], ["create", "-f"], ["wait", "--for=condition=Ready"],
                                                        ["delete", "pod"]]


def test_a_cluster_kubectl_cannot_read_is_exit_3_and_creates_nothing(tmp_path, monkeypatch):
    fake = FakeKubectl(tmp_path / "kubectl", {"fail": {"get": "error: You must be logged in to the server (Unauthorized)"}})
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    with pytest.raises(VerificationError) as raised, resolved(_inventory({"gpu-training": [GPU]}), lifetime=60):
        pass
    assert raised.value.exit_code == 3
    assert raised.value.message == "`kubectl get nodes -l nvidia.com/gpu.present=true,sahab.io/pool=gpu-training` failed: " \
                                   "error: You must be logged in to the server (Unauthorized)"
    assert [c["args"][0] for c in fake.calls()] == ["get"]


def test_selectors_without_kubectl_are_exit_2(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError) as raised, resolved(_inventory({"ci-runner": [RUNNERS]}), lifetime=60):
        pass
    assert raised.value.exit_code == 2 and raised.value.message.startswith("kubectl is not on PATH")


def test_a_selector_that_finds_nothing_skips_its_role_with_that_reason(kubectl, tmp_path):
    """No GPU node (the pool scaled to zero) and no running runner: skipped, naming what was looked for; never passed."""
    kubectl.state.write_text(json.dumps({}))
    inventory = _inventory({"gpu-training": [GPU], "ci-runner": [RUNNERS]},
                           [Endpoint("m", "http://127.0.0.1:9", tls=False, auth=False, private=False).to_json()])
    run = verify_stack("dev", inventory, junit=tmp_path / "j.xml", results_file=tmp_path / "r.json", timeout=120)
    reasons = {t.outcome + ": " + (t.reason or "") for t in run.results.tests if t.nodeid.startswith(("test_gpu", "test_ci"))}
    assert reasons == {
        "skipped: no gpu-training host was found when sahab verify resolved nodes with "
        "nvidia.com/gpu.present=true,sahab.io/pool=gpu-training (docs/verify.md#host-selectors)",
        "skipped: no ci-runner host was found when sahab verify resolved pods with sahab.io/ci-role=runner in namespace "
        "ci-runners (docs/verify.md#host-selectors)"}
    assert not [c for c in kubectl.calls() if c["args"][0] in ("create", "delete")]  # no node, so no debug pod


_WITHOUT_EXTRA = """
import sys
sys.modules["testinfra"] = None  # what an install without sahab[verify] looks like to importlib
from sahab.cli import main
sys.argv = ["sahab"] + sys.argv[1:]
main()
"""


def test_sahab_verify_without_the_verify_extra_is_exit_2_naming_the_install(tmp_path):
    completed = subprocess.run([sys.executable, "-c", _WITHOUT_EXTRA, "verify", "--stack", "dev",
                                "--hosts", "inference=ssh://ec2-user@10.20.2.7"],
                               cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.strip() == ("error: pytest-testinfra is not installed: `sahab verify` needs the verify extra "
                                        "(pip install 'sahab[verify]')")
    assert completed.stdout == "" and not list(tmp_path.iterdir())


def test_paramiko_hosts_need_paramiko(tmp_path):
    script = _WITHOUT_EXTRA.replace('sys.modules["testinfra"]', 'sys.modules["paramiko"]')
    completed = subprocess.run([sys.executable, "-c", script, "verify", "--stack", "dev",
                                "--hosts", "inference=paramiko://ec2-user@10.20.2.7"],
                               cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 2
    assert completed.stderr.strip() == "error: paramiko is not installed: `sahab verify` needs the verify extra " \
                                       "(pip install 'sahab[verify]')"


def test_a_node_two_roles_select_gets_one_debug_pod(kubectl):
    both = {"nodes": {"sahab.io/pool": "gpu-training"}, "image": IMAGE}
    kubectl.state.write_text(json.dumps({"nodes": {"sahab.io/pool=gpu-training": ["gpu-a"]}}))
    with resolved(_inventory({"gpu-training": [both], "inference": [both]}), lifetime=60) as found:
        assert found.hosts["gpu-training"] == found.hosts["inference"]
    assert len([c for c in kubectl.calls() if c["args"][0] == "create"]) == 1
