"""The node bootstrap sahab's GPU and inference pools boot with, rendered from readable files.

The files in ``templates/`` are the bootstrap as reviewed: ``hardening.sh`` (SSH key-only or
disabled, kernel sysctls, audit rules, the NVIDIA runtime check), ``nodeconfig.yaml`` (nodeadm's
kubelet settings) and ``containerd-nvidia.toml`` (GPU nodes only). A render only fills in the
:class:`NodeBootstrap` arguments, so the set of possible renders is small and fixed: the plan-time
rule SAHAB-NOD-001 compares a launch template's user data with exactly these renders, and SAHAB-NOD-002
an AKS agent pool's settings with :func:`library_aks_renders` (``policies/lib/node_bootstrap.rego``
is generated from both).

* AWS, AL2023: :func:`al2023_user_data` is the MIME multi-part user data (NodeConfig part and shell
  part) for a managed node group's launch template; EKS appends the cluster details itself.
* AWS, Bottlerocket: refused with a bootstrap (no shell user data, no audit daemon to configure).
* Azure AKS: :func:`aks_node_configuration` is what AKS lets a node pool set; the rest is AKS's own.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Literal, Tuple

from ..validation import ComponentInputError

SshMode = Literal["disabled", "key-only"]
SSH_MODES: Tuple[str, ...] = ("disabled", "key-only")
TEMPLATES = Path(__file__).with_name("templates")
MIME_BOUNDARY = "==SAHAB-NODE-BOOTSTRAP=="


@dataclass(frozen=True)
class NodeBootstrap:
    """How a pool's nodes are hardened at boot.

    ``ssh="disabled"`` (the default) masks sshd; ``"key-only"`` keeps it for break-glass access with
    keys only, no root login and no passwords. Either way nodes have no SSH key from the pool.
    """

    ssh: SshMode = "disabled"

    def validate(self, component: str) -> None:
        if self.ssh not in SSH_MODES:
            raise ComponentInputError(
                "%s: bootstrap ssh must be one of %s, got %r" % (component, ", ".join(SSH_MODES), self.ssh))


def _template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def hardening_script(bootstrap: NodeBootstrap, *, gpu: bool) -> str:
    """The shell part: templates/hardening.sh with the two settings filled in."""
    return (_template("hardening.sh")
            .replace("@SSH_MODE@", bootstrap.ssh)
            .replace("@GPU@", "true" if gpu else "false"))


def node_config(*, gpu: bool) -> str:
    """The NodeConfig part: kubelet settings, and the NVIDIA runtime as containerd's default on GPU nodes."""
    containerd = ""
    if gpu:
        toml = "".join("      %s\n" % line if line else "\n" for line in _template("containerd-nvidia.toml").splitlines())
        containerd = "  containerd:\n    config: |\n" + toml.rstrip("\n")
    return _template("nodeconfig.yaml").replace("@CONTAINERD@\n", containerd + "\n" if containerd else "")


def al2023_mime(bootstrap: NodeBootstrap, *, gpu: bool) -> str:
    """The user data document (MIME multi-part, as EKS managed node groups require it)."""
    parts = (("application/node.eks.aws", node_config(gpu=gpu)),
             ('text/x-shellscript; charset="us-ascii"', hardening_script(bootstrap, gpu=gpu)))
    lines = ["MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="%s"' % MIME_BOUNDARY, ""]
    for content_type, body in parts:
        lines += ["--" + MIME_BOUNDARY, "Content-Type: " + content_type, "", body.rstrip("\n")]
    lines += ["--%s--" % MIME_BOUNDARY, ""]
    return "\n".join(lines)


def al2023_user_data(bootstrap: NodeBootstrap, *, gpu: bool) -> str:
    """The launch template's ``user_data`` (base64 of :func:`al2023_mime`)."""
    return base64.b64encode(al2023_mime(bootstrap, gpu=gpu).encode("ascii")).decode("ascii")


def library_renders() -> Dict[str, str]:
    """Every user data document the library can render, by a short name (what SAHAB-NOD-001 accepts)."""
    return {"%s-%s" % ("gpu" if gpu else "cpu", ssh): al2023_mime(NodeBootstrap(ssh=ssh), gpu=gpu)  # type: ignore[arg-type]
            for gpu in (False, True) for ssh in SSH_MODES}


def aks_node_configuration(bootstrap: NodeBootstrap) -> Dict[str, Any]:
    """Keyword arguments for an AKS agent pool (azure-native ``AgentPool``).

    AKS runs no user data on its nodes, so only what its API exposes is set: SSH access
    (``security_profile.ssh_access``: "Disabled", or "LocalUser", AKS's key-only SSH), no unsafe
    sysctls for pods, swap off. AKS already runs kubelet with anonymous auth off and the read-only
    port closed, and its sysctl allow-list has none of the hardening sysctls; the audit rules and
    kernel settings of ``hardening.sh`` have no AKS equivalent (docs/node-bootstrap.md). Who
    installs the GPU driver is the pool's choice (the GPU operator, on sahab's pools), not the
    bootstrap's.
    """
    bootstrap.validate("aks_node_configuration")
    return {
        "security_profile": {"ssh_access": "Disabled" if bootstrap.ssh == "disabled" else "LocalUser"},
        "kubelet_config": {"allowed_unsafe_sysctls": [], "fail_swap_on": True},
        "linux_os_config": {"swap_file_size_mb": 0},
    }


# The ARM (plan document) name of each key aks_node_configuration returns: the azure-native SDK
# translates the Python names into these, and the component tests check a planned pool carries them.
_AKS_PLAN_NAMES = {
    "security_profile": "securityProfile", "ssh_access": "sshAccess",
    "kubelet_config": "kubeletConfig", "allowed_unsafe_sysctls": "allowedUnsafeSysctls", "fail_swap_on": "failSwapOn",
    "linux_os_config": "linuxOSConfig", "swap_file_size_mb": "swapFileSizeMB",
}


def _plan_names(value: Any) -> Any:
    if isinstance(value, dict):
        return {_AKS_PLAN_NAMES[key]: _plan_names(item) for key, item in value.items()}
    return value


def aks_plan_properties(bootstrap: NodeBootstrap) -> Dict[str, Any]:
    """:func:`aks_node_configuration` as an agent pool's inputs carry it in a plan (ARM property names)."""
    return _plan_names(aks_node_configuration(bootstrap))


def library_aks_renders() -> Dict[str, Dict[str, Any]]:
    """Every AKS agent pool configuration the library can render, by SSH mode (what SAHAB-NOD-002 accepts)."""
    return {ssh: aks_plan_properties(NodeBootstrap(ssh=ssh)) for ssh in SSH_MODES}  # type: ignore[arg-type]
