"""Hosts from an inventory's selectors, found with ``kubectl`` when ``sahab verify`` runs.

A stack knows at plan time which nodes and pods it means (a node pool's labels, the runner pods'
namespace and labels), not their names: nodes come and go with the autoscaler, runner pods with
jobs. So the inventory carries :class:`~.inventory.HostSelector` entries and this module turns
them into testinfra host specs just before the suites run:

* ``pods``: ``kubectl get pods -l ... --field-selector=status.phase=Running``, each one a
  ``kubectl://POD?namespace=NS&container=C`` host;
* ``nodes``: ``kubectl get nodes -l ...``, then per node a node-debug pod shaped as ``kubectl debug
  node/NAME --profile=sysadmin`` makes it (pinned to the node, its PID, network and IPC
  namespaces, privileged, the node's ``/`` mounted at ``/host``, tolerating every taint), here
  read-only and never restarted, deleted when the run ends and ended by Kubernetes after
  ``activeDeadlineSeconds`` if sahab is killed first. The node's host is that pod with
  ``host_root=/host``: every check runs under ``chroot /host`` (:mod:`.host_root`).

Nodes boot with SSH disabled, so this is the only way in that needs nothing on the node.
"""
from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import subprocess
from typing import Any, Dict, Iterator, List, Sequence, Tuple

from ..errors import SetupError, VerificationError
from .inventory import HOST_ROOT, HostSelector, Inventory

DEBUG_CONTAINER = "debugger"
DEBUG_ROOT = "/host"  # where `kubectl debug node/...` mounts the node's root file system
RUN_LABEL = "sahab.io/verify-run"
READY_TIMEOUT = 180  # seconds for every debug pod to pull its image and start
KUBECTL_TIMEOUT = 60
_SLACK = 300  # a debug pod outlives the run by this much, then Kubernetes ends it


def list_command(selector: HostSelector) -> List[str]:
    """``kubectl get`` of the selector's nodes, or of its running pods, one ``kind/name`` a line."""
    if selector.kind == "nodes":
        return ["kubectl", "get", "nodes", "-l", selector.label_selector(), "-o", "name"]
    return ["kubectl", "get", "pods", "-n", selector.namespace, "-l", selector.label_selector(),
            "--field-selector=status.phase=Running", "-o", "name"]


def debug_pod_name(node: str, run_id: str) -> str:
    """``sahab-verify-RUN-NODE``, within a pod name's 253 characters (the node's name stays readable in results)."""
    return ("sahab-verify-%s-%s" % (run_id, node))[:253].rstrip("-.")


def debug_pod(node: str, selector: HostSelector, run_id: str, lifetime: float) -> Dict[str, Any]:
    """The node-debug pod for ``node`` (``kubectl debug node/NAME --profile=sysadmin``'s shape, read-only)."""
    seconds = int(lifetime) + _SLACK
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": debug_pod_name(node, run_id), "namespace": selector.namespace,
                     "labels": {RUN_LABEL: run_id, "app.kubernetes.io/managed-by": "sahab",
                                "app.kubernetes.io/component": "node-debug"}},
        "spec": {
            "nodeName": node, "hostPID": True, "hostNetwork": True, "hostIPC": True,
            "restartPolicy": "Never", "activeDeadlineSeconds": seconds, "terminationGracePeriodSeconds": 0,
            "automountServiceAccountToken": False, "enableServiceLinks": False,
            "tolerations": [{"operator": "Exists"}],
            "containers": [{
                "name": DEBUG_CONTAINER, "image": selector.image, "command": ["sleep", str(seconds)],
                # privileged as kubectl's sysadmin profile: auditctl needs CAP_AUDIT_CONTROL, sshd -T reads host keys
                "securityContext": {"privileged": True},
                "volumeMounts": [{"name": "host-root", "mountPath": DEBUG_ROOT, "readOnly": True}],
            }],
            "volumes": [{"name": "host-root", "hostPath": {"path": "/"}}],
        },
    }


def pod_spec(pod: str, namespace: str, container: str | None) -> str:
    """testinfra's spec of a pod (``kubectl exec`` into ``container``)."""
    spec = "kubectl://%s?namespace=%s" % (pod, namespace)
    return spec + ("&container=%s" % container if container else "")


def debug_spec(pod: str, namespace: str) -> str:
    """testinfra's spec of a node through its debug pod: the node's root at :data:`DEBUG_ROOT`."""
    return "%s&%s=%s" % (pod_spec(pod, namespace, DEBUG_CONTAINER), HOST_ROOT, DEBUG_ROOT)


@contextlib.contextmanager
def resolved(inventory: Inventory, lifetime: float) -> Iterator[Inventory]:
    """``inventory`` with its selectors' hosts added; the node-debug pods made for it are deleted on exit."""
    if not any(inventory.selectors.values()):
        yield inventory
        return
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise SetupError("kubectl is not on PATH, so the inventory's node and pod selectors cannot be resolved",
                         "install kubectl with access to the cluster, or list the hosts (--hosts ROLE=SPEC)")
    run_id = secrets.token_hex(4)
    namespaces: List[str] = []
    made: Dict[Tuple[str, str], str] = {}  # (namespace, node) -> its debug pod: one per node, whichever roles select it
    try:
        found: Dict[str, List[str]] = {}
        for role, selectors in inventory.selectors.items():
            for selector in selectors:
                names = _names(kubectl, selector)
                if selector.kind == "pods":
                    found.setdefault(role, []).extend(pod_spec(n, selector.namespace, selector.container) for n in names)
                    continue
                if names and selector.namespace not in namespaces:
                    namespaces.append(selector.namespace)
                pods = [debug_pod(node, selector, run_id, lifetime) for node in names if (selector.namespace, node) not in made]
                if pods:
                    _kubectl(kubectl, ["create", "-f", "-", "-o", "name"], json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}))
                    made.update(((selector.namespace, p["spec"]["nodeName"]), p["metadata"]["name"]) for p in pods)
                found.setdefault(role, []).extend(debug_spec(made[(selector.namespace, node)], selector.namespace) for node in names)
        for namespace in namespaces:
            # Not ready in time: the pod's checks then error with kubectl's reason (never a pass); the run goes on.
            _kubectl(kubectl, ["wait", "--for=condition=Ready", "pod", "-n", namespace, "-l", "%s=%s" % (RUN_LABEL, run_id),
                               "--timeout=%ds" % READY_TIMEOUT], check=False, timeout=READY_TIMEOUT + KUBECTL_TIMEOUT)
        yield inventory.with_hosts(found)
    finally:
        for namespace in namespaces:
            _kubectl(kubectl, ["delete", "pod", "-n", namespace, "-l", "%s=%s" % (RUN_LABEL, run_id),
                               "--ignore-not-found", "--wait=false"], check=False)


def _names(kubectl: str, selector: HostSelector) -> List[str]:
    output = _kubectl(kubectl, list_command(selector)[1:])
    return [line.split("/", 1)[-1] for line in output.split() if line.strip()]


def _kubectl(kubectl: str, args: Sequence[str], stdin: str = "", *, check: bool = True, timeout: float = KUBECTL_TIMEOUT) -> str:
    """Run kubectl; a failure (when ``check``) is exit 3 naming the command and kubectl's last line."""
    shown = "kubectl " + " ".join(args[:4])
    try:
        completed = subprocess.run([kubectl, *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        if not check:
            return ""
        raise VerificationError("`%s` did not answer within %d s" % (shown, timeout), "check kubectl's access to the cluster") from None
    if completed.returncode != 0 and check:
        last = (completed.stderr.strip().splitlines() or ["exit %d" % completed.returncode])[-1]
        raise VerificationError("`%s` failed: %s" % (shown, last),
                                "check kubectl's access to the cluster (KUBECONFIG, context, RBAC)")
    return completed.stdout
