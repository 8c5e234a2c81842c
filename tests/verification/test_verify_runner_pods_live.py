"""`sahab verify` end to end on the CI runner pod suite, over real SSH (ssh:// and paramiko://) to a throwaway
loopback host (~60 s).

The host is tests/sshd_host.py's (a private root served by its own sshd on 127.0.0.1). Two
accounts log in to it: ``runner``, whose login shell drops to uid 1001 with no capabilities, an
empty bounding set and no_new_privs (what a restricted runner container's process has), and
``leaky``, a root shell with a cloud key in its environment (what a privileged runner has). The
first passes every check; the second fails every one; then a container runtime socket and a
Kubernetes token placed in the root fail the runner too. The key's value never reaches a report.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import xml.etree.ElementTree as ET

import pytest

from program_projects import write_project
from sshd_host import build_root, sshd_host, unavailable_reason

SECRET = "AKIAVERIFYSECRETVALUE0"
CHECKS = ("runs_as_non_root", "is_not_privileged", "holds_no_effective_capabilities", "cannot_escalate_privileges",
          "has_no_container_runtime_socket", "has_no_kubernetes_token", "has_no_cloud_keys_in_environment")

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))


@pytest.fixture
def host(tmp_path):
    root = build_root(tmp_path / "root")
    with (root / "etc" / "passwd").open("a") as passwd:  # both log in as uid 0; their shells decide the rest
        passwd.write("runner:x:0:0::/root:/opt/runner-shell\nleaky:x:0:0::/root:/opt/leaky-shell\n")
    with (root / "etc" / "shadow").open("a") as shadow:
        shadow.write("runner:*:20000:0:99999:7:::\nleaky:*:20000:0:99999:7:::\n")
    (root / "opt").mkdir()
    (root / "opt" / "runner-shell").write_text(
        '#!/bin/sh\nexec /usr/bin/setpriv --reuid=1001 --regid=1001 --clear-groups --inh-caps=-all --bounding-set=-all '
        '--no-new-privs /bin/sh "$@"\n')
    (root / "opt" / "leaky-shell").write_text('#!/bin/sh\nexport AWS_SECRET_ACCESS_KEY=%s\nexec /bin/sh "$@"\n' % SECRET)
    for shell in ("runner-shell", "leaky-shell"):
        (root / "opt" / shell).chmod(0o755)
    with sshd_host(root, tmp_path / "work") as served:
        yield served


def _spec(served, user, transport="ssh"):
    config = served.ssh_config
    if transport == "paramiko":  # testinfra's paramiko backend lets an ssh_config's User win over the spec's user
        config = served.ssh_config.with_name("ssh_config_no_user")
        config.write_text("".join(line for line in served.ssh_config.read_text().splitlines(True) if "User root" not in line))
    spec = "%s://%s@127.0.0.1:%d?ssh_config=%s" % (transport, user, served.port, config)
    return spec + ("&ssh_identity_file=%s" % served.identity_file if transport == "paramiko" else "")


def _verify(sahab_cli, tmp_path, hosts, name):
    results, junit = tmp_path / ("%s.json" % name), tmp_path / ("%s.xml" % name)
    completed = sahab_cli(["verify", "--stack", "dev", "--hosts", "ci-runner=" + ",".join(hosts), "--results", str(results),
                           "--junit", str(junit)])
    tests = json.loads(results.read_text())["tests"] if results.is_file() else []
    return completed, tests, results, junit


def _by_check(tests, user_port):
    return {t["nodeid"].split("::test_runner_")[1].split("[")[0]: (t["outcome"], t["reason"])
            for t in tests if t["nodeid"].startswith("test_ci_runner_pods.py") and user_port in t["nodeid"]}


@pytest.mark.parametrize("transport", ["ssh", "paramiko"])
def test_a_restricted_runner_passes_and_a_privileged_one_fails_every_check(host, sahab_cli, tmp_path, transport):
    completed, tests, results, junit = _verify(sahab_cli, tmp_path, [_spec(host, "runner", transport)], "restricted")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    checks = _by_check(tests, "127.0.0.1")
    assert checks == {check: ("passed", None) for check in CHECKS}
    assert {t["host"] for t in tests if t["nodeid"].startswith("test_ci_runner_pods.py")} == {"%s://127.0.0.1" % transport}
    assert {t["controls"][0] for t in tests if "runs_as_non_root" in t["nodeid"]} == {"SAHAB-WKL-005"}

    completed, tests, results, junit = _verify(sahab_cli, tmp_path, [_spec(host, "leaky", transport)], "privileged")
    assert completed.returncode == 1, completed.stdout + completed.stderr
    checks = _by_check(tests, "127.0.0.1")
    assert {check: outcome for check, (outcome, _) in checks.items()} == dict.fromkeys(CHECKS[:4] + CHECKS[6:], "failed") | {
        "has_no_container_runtime_socket": "passed", "has_no_kubernetes_token": "passed"}
    assert checks["runs_as_non_root"][1] == "AssertionError: the runner's processes run as root (uid 0)"
    assert checks["is_not_privileged"][1].startswith("AssertionError: the runner's bounding set holds CAP_NET_ADMIN")
    assert checks["has_no_cloud_keys_in_environment"][1] == "AssertionError: the runner's environment sets AWS_SECRET_ACCESS_KEY"
    for text in (completed.stdout, completed.stderr, results.read_text(), junit.read_text()):
        assert SECRET not in text


def test_a_runtime_socket_and_a_mounted_token_fail_a_restricted_runner(host, sahab_cli, tmp_path):
    (host.root / "run").mkdir(exist_ok=True)
    with socket.socket(socket.AF_UNIX) as docker:
        docker.bind(str(host.root / "run" / "docker.sock"))
        token = host.root / "var" / "run" / "secrets" / "kubernetes.io" / "serviceaccount" / "token"
        token.parent.mkdir(parents=True)
        token.write_text("eyJhbGciOi.not-a-real-token")
        completed, tests, _, junit = _verify(sahab_cli, tmp_path, [_spec(host, "runner")], "mounted")
    assert completed.returncode == 1
    checks = _by_check(tests, "127.0.0.1")
    assert checks["has_no_container_runtime_socket"] == ("failed", "AssertionError: the runner can reach /run/docker.sock")
    assert checks["has_no_kubernetes_token"] == (
        "failed", "AssertionError: a Kubernetes API token is mounted at /var/run/secrets/kubernetes.io/serviceaccount/token")
    assert checks["runs_as_non_root"] == ("passed", None)
    failures = [case.get("name") for case in ET.parse(junit).getroot().iter("testcase") if case.find("failure") is not None]
    assert sorted(failures) == ["test_runner_has_no_container_runtime_socket[ssh://127.0.0.1]",
                                "test_runner_has_no_kubernetes_token[ssh://127.0.0.1]"]


def test_an_unreachable_host_is_an_error_naming_the_transport_failure(host, sahab_cli, tmp_path):
    closed = "ssh://runner@127.0.0.1:1?ssh_config=%s" % host.ssh_config
    completed, tests, _, _ = _verify(sahab_cli, tmp_path, [closed], "unreachable")
    assert completed.returncode == 1
    runner = [t for t in tests if t["nodeid"].startswith("test_ci_runner_pods.py")]
    assert len(runner) == len(CHECKS) and {t["outcome"] for t in runner} == {"error"}
    assert {t["reason"] for t in runner} == {"Failed: cannot reach ssh://127.0.0.1: ssh: connect to host 127.0.0.1 port 1: "
                                             "Connection refused"}


def test_the_run_time_results_join_the_plan_time_evidence(host, sahab_cli, tmp_path):
    """The deploy pipeline's order: sahab verify, then sahab gate --evidence --verify-results on the same stack."""
    _, _, results, _ = _verify(sahab_cli, tmp_path, [_spec(host, "leaky")], "privileged")
    project = write_project(tmp_path / "project", "import pulumi\npulumi.export('ok', 1)\n")
    completed = sahab_cli(["gate", str(project), "--stack", "dev", "--no-checkov", "--evidence", str(tmp_path / "ev"),
                           "--verify-results", str(results)])
    assert completed.returncode == 1, completed.stderr
    report = json.loads((tmp_path / "ev" / "evidence-dev.json").read_text())
    (privileged,) = [c for c in report["controls"] if c["control"] == "ISO/IEC 27001:2022 A.8.2: Privileged access rights"]
    assert privileged["result"] == "fail" and all(r["result"] == "pass" for r in privileged["rules"])
    assert {(t["rules"][0], t["outcome"]) for t in privileged["tests"]} >= {("SAHAB-WKL-005", "failed"), ("SAHAB-WKL-001", "failed")}


@pytest.mark.skipif(subprocess.run(["kubectl", "cluster-info"], capture_output=True, timeout=30).returncode != 0
                    if shutil.which("kubectl") else True,
                    reason="no Kubernetes cluster is reachable from this machine (kubectl cluster-info fails), so the "
                           "kubectl:// transport of the runner-pod suite is not exercised here (docs/verify.md)")
def test_a_runner_pod_over_kubectl(sahab_cli, tmp_path):
    """With a cluster: SAHAB_TEST_RUNNER_POD=NAMESPACE/POD names a runner pod of the platform to verify."""
    namespace, _, pod = os.environ.get("SAHAB_TEST_RUNNER_POD", "").partition("/")
    if not pod:
        pytest.skip("set SAHAB_TEST_RUNNER_POD=NAMESPACE/POD to verify a runner pod over kubectl://")
    completed, tests, _, _ = _verify(sahab_cli, tmp_path, ["kubectl://%s?namespace=%s" % (pod, namespace)], "kubectl")
    assert completed.returncode == 0, completed.stdout
    assert {t["outcome"] for t in tests if t["nodeid"].startswith("test_ci_runner_pods.py")} <= {"passed", "skipped"}
