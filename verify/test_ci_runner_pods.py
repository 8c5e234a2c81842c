"""CI runner pods as they run: a job's container must not be a way into the cluster or the cloud.

Hosts: the inventory's ``ci-runner`` role, normally ``kubectl://POD?namespace=NS&container=runner``
(testinfra runs each check with ``kubectl exec``, as the container's user, in its environment).
Every check reads the runner's own view (/proc/self/status, its files, its environment's variable
*names*): no value of the environment ever leaves the pod.
"""
from __future__ import annotations

import pytest

ROLE = "ci-runner"

# Capabilities a privileged container has in its bounding set and a default one does not.
HOST_CONTROL_CAPABILITIES = {21: "CAP_SYS_ADMIN", 12: "CAP_NET_ADMIN", 16: "CAP_SYS_MODULE", 19: "CAP_SYS_PTRACE",
                             17: "CAP_SYS_RAWIO"}
RUNTIME_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
                   "/var/run/crio/crio.sock", "/run/podman/podman.sock")
SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
CLOUD_KEY_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_CLIENT_SECRET",
                       "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_STORAGE_KEY", "AZURE_STORAGE_CONNECTION_STRING",
                       "ARM_CLIENT_SECRET", "ARM_ACCESS_KEY", "GOOGLE_APPLICATION_CREDENTIALS")
# ARC's kubernetes container mode: the runner creates each job's pod through the API with its token.
KUBERNETES_MODE_VARIABLE = "ACTIONS_RUNNER_CONTAINER_HOOKS"


def _status(host) -> dict:
    """/proc/self/status of a process the check starts as the runner's user: its capabilities and flags."""
    fields = {}
    for line in host.check_output("cat /proc/self/status").splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def _set_variables(host, names) -> list:
    """Which of ``names`` are set in the runner's environment; only names are printed, never a value."""
    script = "; ".join('[ -n "${%s+x}" ] && echo %s' % (name, name) for name in names) + "; true"
    return host.check_output(script).split()


@pytest.mark.controls("SAHAB-WKL-005")
def test_runner_runs_as_non_root(host):
    # `id -u`, not host.user(): a container may run as a uid its image's /etc/passwd does not name.
    assert int(host.check_output("id -u")) != 0, "the runner's processes run as root (uid 0)"


@pytest.mark.controls("SAHAB-WKL-001")
def test_runner_is_not_privileged(host):
    """A privileged container keeps every capability in its bounding set; a runner keeps none of host control."""
    bounding = int(_status(host)["CapBnd"], 16)
    held = sorted(name for bit, name in HOST_CONTROL_CAPABILITIES.items() if bounding >> bit & 1)
    assert held == [], "the runner's bounding set holds %s: privileged, or capabilities added" % ", ".join(held)


@pytest.mark.controls("SAHAB-WKL-003")
def test_runner_holds_no_effective_capabilities(host):
    """The restricted Pod Security Standard: every capability dropped."""
    assert int(_status(host)["CapEff"], 16) == 0, "the runner's processes hold capabilities %s" % _status(host)["CapEff"]


@pytest.mark.controls("SAHAB-WKL-002")
def test_runner_cannot_escalate_privileges(host):
    """allowPrivilegeEscalation false sets no_new_privs: no setuid binary can raise a job's privileges."""
    assert _status(host).get("NoNewPrivs") == "1", "no_new_privs is not set: a setuid binary could escalate"


@pytest.mark.controls("SAHAB-WKL-001")
def test_runner_has_no_container_runtime_socket(host):
    """A runtime socket is root on the node: a job must not reach one (Docker, containerd, CRI-O, Podman)."""
    present = [path for path in RUNTIME_SOCKETS if host.file(path).exists]
    assert present == [], "the runner can reach %s" % ", ".join(present)


@pytest.mark.controls("SAHAB-IAM-002")
def test_runner_has_no_kubernetes_token(host):
    """No Kubernetes API token is mounted (automountServiceAccountToken false), except in ARC's kubernetes mode."""
    if _set_variables(host, (KUBERNETES_MODE_VARIABLE,)):
        pytest.skip("ARC kubernetes container mode mounts the runner's token to create job pods (components/kubernetes/ci_runner_values.py)")
    assert not host.file(SERVICE_ACCOUNT_TOKEN).exists, "a Kubernetes API token is mounted at %s" % SERVICE_ACCOUNT_TOKEN


@pytest.mark.controls("SAHAB-IAM-001", "SAHAB-IAM-002")
def test_runner_has_no_cloud_keys_in_environment(host):
    """The runner reaches the cloud through workload identity, never through keys in its environment."""
    found = _set_variables(host, CLOUD_KEY_VARIABLES)
    assert found == [], "the runner's environment sets %s" % ", ".join(found)
