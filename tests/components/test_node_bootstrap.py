"""The node bootstrap's render (components/node_bootstrap): what every node gets, the two arguments
that change it, the AKS equivalent, and the generated renders SAHAB-NOD-001 and SAHAB-NOD-002 accept."""
from __future__ import annotations

import base64
import email
import subprocess
import sys

import pytest

from sahab.components.node_bootstrap import (
    NodeBootstrap,
    aks_node_configuration,
    al2023_mime,
    al2023_user_data,
    hardening_script,
    library_aks_renders,
    library_renders,
)
from sahab.components.node_bootstrap.__main__ import check_aks_renders, rego_module
from sahab.components.validation import ComponentInputError

REGO = "policies/lib/node_bootstrap.rego"


def _parts(bootstrap: NodeBootstrap, gpu: bool):
    message = email.message_from_string(al2023_mime(bootstrap, gpu=gpu))
    assert message.is_multipart()
    return [(part.get_content_type(), part.get_payload()) for part in message.get_payload()]


@pytest.mark.parametrize("gpu", [False, True])
def test_user_data_is_mime_with_a_nodeconfig_part_then_the_shell_part(gpu):
    (node_type, node_config), (shell_type, script) = _parts(NodeBootstrap(), gpu)
    assert (node_type, shell_type) == ("application/node.eks.aws", "text/x-shellscript")
    for setting in ("kind: NodeConfig", "readOnlyPort: 0", "protectKernelDefaults: true",
                    "anonymous:\n          enabled: false", "mode: Webhook"):
        assert setting in node_config
    assert ('default_runtime_name = "nvidia"' in node_config) is gpu
    assert script.startswith("#!/bin/bash\n") and 'SAHAB_GPU="%s"' % str(gpu).lower() in script


def test_user_data_is_the_base64_of_the_document():
    assert base64.b64decode(al2023_user_data(NodeBootstrap(ssh="key-only"), gpu=False)).decode() == al2023_mime(
        NodeBootstrap(ssh="key-only"), gpu=False)


def test_the_hardening_script_is_valid_bash_and_keeps_the_security_settings():
    script = hardening_script(NodeBootstrap(ssh="key-only"), gpu=True)
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)
    for line in ("PermitRootLogin no", "PasswordAuthentication no", "kernel.kptr_restrict = 2",
                 "-w /etc/shadow -p wa -k identity", "-w /etc/containerd/ -p wa -k container-runtime",
                 "-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k modules"):
        assert line in script
    assert 'SAHAB_SSH_MODE="key-only"' in script and "@SSH_MODE@" not in script and "@GPU@" not in script


def test_ssh_mode_is_validated():
    with pytest.raises(ComponentInputError, match=r"^X: bootstrap ssh must be one of disabled, key-only, got 'on'$"):
        NodeBootstrap(ssh="on").validate("X")  # type: ignore[arg-type]


@pytest.mark.parametrize("ssh, access", [("disabled", "Disabled"), ("key-only", "LocalUser")])
def test_aks_configuration_sets_what_aks_allows(ssh, access):
    assert aks_node_configuration(NodeBootstrap(ssh=ssh)) == {
        "security_profile": {"ssh_access": access},
        "kubelet_config": {"allowed_unsafe_sysctls": [], "fail_swap_on": True},
        "linux_os_config": {"swap_file_size_mb": 0},
    }


def test_aks_renders_use_the_plan_property_names_one_per_ssh_mode():
    assert library_aks_renders() == {
        ssh: {"securityProfile": {"sshAccess": access}, "kubeletConfig": {"allowedUnsafeSysctls": [], "failSwapOn": True},
              "linuxOSConfig": {"swapFileSizeMB": 0}}
        for ssh, access in (("disabled", "Disabled"), ("key-only", "LocalUser"))}


def test_aks_renders_that_a_property_by_property_check_would_mix_are_refused():
    """SAHAB-NOD-002 judges each property on its own: two renders that differ in two properties would let
    a pool take one property from each, so the generator refuses them."""
    mixable = {"a": {"securityProfile": 1, "kubeletConfig": 1}, "b": {"securityProfile": 2, "kubeletConfig": 2}}
    with pytest.raises(ValueError, match="not every combination"):
        check_aks_renders(mixable)
    with pytest.raises(ValueError, match="set different properties"):
        check_aks_renders({"a": {"securityProfile": 1}, "b": {"kubeletConfig": 1}})
    check_aks_renders(dict(mixable, c={"securityProfile": 1, "kubeletConfig": 2}, d={"securityProfile": 2, "kubeletConfig": 1}))
    check_aks_renders(library_aks_renders())


def test_four_renders_all_different():
    renders = library_renders()
    assert sorted(renders) == ["cpu-disabled", "cpu-key-only", "gpu-disabled", "gpu-key-only"]
    assert len(set(renders.values())) == 4


def test_the_generated_rego_renders_are_current(repo_root):
    """SAHAB-NOD-001 and SAHAB-NOD-002 accept exactly what the library renders: regenerate after editing it."""
    assert (repo_root / REGO).read_text() == rego_module(), (
        "%s is stale: run `%s -m sahab.components.node_bootstrap > %s`" % (REGO, sys.executable, REGO))
