# METADATA
# title: sahab's node bootstrap renders
# description: >-
#   Every node bootstrap sahab.components.node_bootstrap can render. `renders`: the AL2023 user
#   data documents (MIME multi-part: NodeConfig part and hardening shell part), by name;
#   SAHAB-NOD-001 accepts a node group's user data only when it decodes to one of these.
#   `aks_renders`: the AKS agent pool settings (aks_node_configuration, as a plan carries them),
#   by SSH mode; SAHAB-NOD-002 accepts an AKS pool only when it carries one of these. Generated
#   from components/node_bootstrap by `python -m sahab.components.node_bootstrap`; do not edit.
package sahab.lib.node_bootstrap

import rego.v1

renders := {
	"cpu-disabled": `MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="==SAHAB-NODE-BOOTSTRAP=="

--==SAHAB-NODE-BOOTSTRAP==
Content-Type: application/node.eks.aws

---
# sahab node bootstrap, NodeConfig part (SAHAB-NOD-001, SAHAB-NOD-002): nodeadm merges it with the cluster details
# EKS adds for a managed node group. The kubelet settings match the plan-time rules.
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  kubelet:
    config:
      readOnlyPort: 0
      protectKernelDefaults: true
      authentication:
        anonymous:
          enabled: false
        webhook:
          enabled: true
      authorization:
        mode: Webhook
--==SAHAB-NODE-BOOTSTRAP==
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
# sahab node hardening: the shell part of the node bootstrap sahab renders for its GPU and inference
# pools (sahab.components.node_bootstrap). The two settings below are the only lines the render
# changes; everything else is this file as reviewed. It runs once, as root, before the node joins
# the cluster (on AL2023, cloud-init runs it between nodeadm's config and run phases).
set -euo pipefail

SAHAB_SSH_MODE="disabled"  # "disabled" or "key-only"
SAHAB_GPU="false"  # "true" on GPU nodes

say() { echo "sahab-node-hardening: $*"; }
# Services are only touched on a booted host: a chroot or image build has no systemd running.
booted() { [ -d /run/systemd/system ]; }

# 1. SSH: key-only, no root login, no passwords; with "disabled" the daemon is also masked.
#    The drop-in sorts first, and sshd keeps the first value it reads for a setting.
mkdir -p /etc/ssh/sshd_config.d
cat > /etc/ssh/sshd_config.d/00-sahab-hardening.conf <<'SSHD'
# sahab node hardening (SAHAB-NOD-001): key-only SSH, no root login, no passwords.
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PubkeyAuthentication yes
AuthenticationMethods publickey
X11Forwarding no
AllowTcpForwarding no
MaxAuthTries 3
SSHD
chmod 600 /etc/ssh/sshd_config.d/00-sahab-hardening.conf
if [ -f /etc/ssh/sshd_config ] && ! grep -Eq '^[[:space:]]*Include[[:space:]]+/etc/ssh/sshd_config\.d/\*\.conf' /etc/ssh/sshd_config; then
  sed -i '1i Include /etc/ssh/sshd_config.d/*.conf' /etc/ssh/sshd_config
fi
if [ "$SAHAB_SSH_MODE" = "disabled" ]; then
  mkdir -p /etc/systemd/system
  for unit in sshd.service sshd.socket ssh.service ssh.socket; do
    if booted; then systemctl disable --now "$unit" >/dev/null 2>&1 || true; fi
    ln -sfn /dev/null "/etc/systemd/system/$unit"   # what "systemctl mask" writes
  done
  say "sshd masked"
elif booted; then
  systemctl try-reload-or-restart sshd.service >/dev/null 2>&1 || true
fi

# 2. Kernel hardening, plus the values kubelet's protectKernelDefaults insists on.
mkdir -p /etc/sysctl.d
cat > /etc/sysctl.d/90-sahab-hardening.conf <<'SYSCTL'
# sahab node hardening (SAHAB-NOD-001)
kernel.kptr_restrict = 2
kernel.dmesg_restrict = 1
kernel.unprivileged_bpf_disabled = 1
net.core.bpf_jit_harden = 2
kernel.yama.ptrace_scope = 1
kernel.randomize_va_space = 2
fs.protected_hardlinks = 1
fs.protected_symlinks = 1
fs.suid_dumpable = 0
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.all.log_martians = 1
net.ipv4.icmp_echo_ignore_broadcasts = 1
net.ipv4.tcp_syncookies = 1
# Required as-is by kubelet with protectKernelDefaults: true (it refuses to start otherwise).
vm.overcommit_memory = 1
vm.panic_on_oom = 0
kernel.panic = 10
kernel.panic_on_oops = 1
kernel.keys.root_maxkeys = 1000000
kernel.keys.root_maxbytes = 25000000
SYSCTL
if booted; then sysctl --system >/dev/null; fi

# 3. Audit logging: identity files, kernel modules, the container runtime and kubelet configuration.
mkdir -p /etc/audit/rules.d
cat > /etc/audit/rules.d/90-sahab-hardening.rules <<'AUDIT'
## sahab node hardening (SAHAB-NOD-001)
-w /etc/passwd -p wa -k identity
-w /etc/group -p wa -k identity
-w /etc/shadow -p wa -k identity
-w /etc/gshadow -p wa -k identity
-w /etc/sudoers -p wa -k identity
-w /etc/sudoers.d/ -p wa -k identity
-w /usr/sbin/insmod -p x -k modules
-w /usr/sbin/rmmod -p x -k modules
-w /usr/sbin/modprobe -p x -k modules
-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k modules
-w /etc/containerd/ -p wa -k container-runtime
-w /etc/nvidia-container-runtime/ -p wa -k container-runtime
-w /etc/kubernetes/ -p wa -k kubelet
AUDIT
if booted; then
  systemctl enable --now auditd.service >/dev/null
  augenrules --load >/dev/null
fi

# 4. GPU nodes: the NVIDIA runtime is containerd's default (nodeadm merges the same setting from the
#    NodeConfig part); fail the boot rather than run GPU pods without it.
if [ "$SAHAB_GPU" = "true" ] && booted && ! command -v nvidia-container-runtime >/dev/null; then
  say "nvidia-container-runtime is missing on a GPU node"; exit 1
fi
say "done (ssh: $SAHAB_SSH_MODE, gpu: $SAHAB_GPU)"
--==SAHAB-NODE-BOOTSTRAP==--
`,
	"cpu-key-only": `MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="==SAHAB-NODE-BOOTSTRAP=="

--==SAHAB-NODE-BOOTSTRAP==
Content-Type: application/node.eks.aws

---
# sahab node bootstrap, NodeConfig part (SAHAB-NOD-001, SAHAB-NOD-002): nodeadm merges it with the cluster details
# EKS adds for a managed node group. The kubelet settings match the plan-time rules.
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  kubelet:
    config:
      readOnlyPort: 0
      protectKernelDefaults: true
      authentication:
        anonymous:
          enabled: false
        webhook:
          enabled: true
      authorization:
        mode: Webhook
--==SAHAB-NODE-BOOTSTRAP==
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
# sahab node hardening: the shell part of the node bootstrap sahab renders for its GPU and inference
# pools (sahab.components.node_bootstrap). The two settings below are the only lines the render
# changes; everything else is this file as reviewed. It runs once, as root, before the node joins
# the cluster (on AL2023, cloud-init runs it between nodeadm's config and run phases).
set -euo pipefail

SAHAB_SSH_MODE="key-only"  # "disabled" or "key-only"
SAHAB_GPU="false"  # "true" on GPU nodes

say() { echo "sahab-node-hardening: $*"; }
# Services are only touched on a booted host: a chroot or image build has no systemd running.
booted() { [ -d /run/systemd/system ]; }

# 1. SSH: key-only, no root login, no passwords; with "disabled" the daemon is also masked.
#    The drop-in sorts first, and sshd keeps the first value it reads for a setting.
mkdir -p /etc/ssh/sshd_config.d
cat > /etc/ssh/sshd_config.d/00-sahab-hardening.conf <<'SSHD'
# sahab node hardening (SAHAB-NOD-001): key-only SSH, no root login, no passwords.
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PubkeyAuthentication yes
AuthenticationMethods publickey
X11Forwarding no
AllowTcpForwarding no
MaxAuthTries 3
SSHD
chmod 600 /etc/ssh/sshd_config.d/00-sahab-hardening.conf
if [ -f /etc/ssh/sshd_config ] && ! grep -Eq '^[[:space:]]*Include[[:space:]]+/etc/ssh/sshd_config\.d/\*\.conf' /etc/ssh/sshd_config; then
  sed -i '1i Include /etc/ssh/sshd_config.d/*.conf' /etc/ssh/sshd_config
fi
if [ "$SAHAB_SSH_MODE" = "disabled" ]; then
  mkdir -p /etc/systemd/system
  for unit in sshd.service sshd.socket ssh.service ssh.socket; do
    if booted; then systemctl disable --now "$unit" >/dev/null 2>&1 || true; fi
    ln -sfn /dev/null "/etc/systemd/system/$unit"   # what "systemctl mask" writes
  done
  say "sshd masked"
elif booted; then
  systemctl try-reload-or-restart sshd.service >/dev/null 2>&1 || true
fi

# 2. Kernel hardening, plus the values kubelet's protectKernelDefaults insists on.
mkdir -p /etc/sysctl.d
cat > /etc/sysctl.d/90-sahab-hardening.conf <<'SYSCTL'
# sahab node hardening (SAHAB-NOD-001)
kernel.kptr_restrict = 2
kernel.dmesg_restrict = 1
kernel.unprivileged_bpf_disabled = 1
net.core.bpf_jit_harden = 2
kernel.yama.ptrace_scope = 1
kernel.randomize_va_space = 2
fs.protected_hardlinks = 1
fs.protected_symlinks = 1
fs.suid_dumpable = 0
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.all.log_martians = 1
net.ipv4.icmp_echo_ignore_broadcasts = 1
net.ipv4.tcp_syncookies = 1
# Required as-is by kubelet with protectKernelDefaults: true (it refuses to start otherwise).
vm.overcommit_memory = 1
vm.panic_on_oom = 0
kernel.panic = 10
kernel.panic_on_oops = 1
kernel.keys.root_maxkeys = 1000000
kernel.keys.root_maxbytes = 25000000
SYSCTL
if booted; then sysctl --system >/dev/null; fi

# 3. Audit logging: identity files, kernel modules, the container runtime and kubelet configuration.
mkdir -p /etc/audit/rules.d
cat > /etc/audit/rules.d/90-sahab-hardening.rules <<'AUDIT'
## sahab node hardening (SAHAB-NOD-001)
-w /etc/passwd -p wa -k identity
-w /etc/group -p wa -k identity
-w /etc/shadow -p wa -k identity
-w /etc/gshadow -p wa -k identity
-w /etc/sudoers -p wa -k identity
-w /etc/sudoers.d/ -p wa -k identity
-w /usr/sbin/insmod -p x -k modules
-w /usr/sbin/rmmod -p x -k modules
-w /usr/sbin/modprobe -p x -k modules
-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k modules
-w /etc/containerd/ -p wa -k container-runtime
-w /etc/nvidia-container-runtime/ -p wa -k container-runtime
-w /etc/kubernetes/ -p wa -k kubelet
AUDIT
if booted; then
  systemctl enable --now auditd.service >/dev/null
  augenrules --load >/dev/null
fi

# 4. GPU nodes: the NVIDIA runtime is containerd's default (nodeadm merges the same setting from the
#    NodeConfig part); fail the boot rather than run GPU pods without it.
if [ "$SAHAB_GPU" = "true" ] && booted && ! command -v nvidia-container-runtime >/dev/null; then
  say "nvidia-container-runtime is missing on a GPU node"; exit 1
fi
say "done (ssh: $SAHAB_SSH_MODE, gpu: $SAHAB_GPU)"
--==SAHAB-NODE-BOOTSTRAP==--
`,
	"gpu-disabled": `MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="==SAHAB-NODE-BOOTSTRAP=="

--==SAHAB-NODE-BOOTSTRAP==
Content-Type: application/node.eks.aws

---
# sahab node bootstrap, NodeConfig part (SAHAB-NOD-001, SAHAB-NOD-002): nodeadm merges it with the cluster details
# EKS adds for a managed node group. The kubelet settings match the plan-time rules.
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  kubelet:
    config:
      readOnlyPort: 0
      protectKernelDefaults: true
      authentication:
        anonymous:
          enabled: false
        webhook:
          enabled: true
      authorization:
        mode: Webhook
  containerd:
    config: |
      version = 2
      [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "nvidia"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia.options]
      BinaryName = "/usr/bin/nvidia-container-runtime"
      SystemdCgroup = true
--==SAHAB-NODE-BOOTSTRAP==
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
# sahab node hardening: the shell part of the node bootstrap sahab renders for its GPU and inference
# pools (sahab.components.node_bootstrap). The two settings below are the only lines the render
# changes; everything else is this file as reviewed. It runs once, as root, before the node joins
# the cluster (on AL2023, cloud-init runs it between nodeadm's config and run phases).
set -euo pipefail

SAHAB_SSH_MODE="disabled"  # "disabled" or "key-only"
SAHAB_GPU="true"  # "true" on GPU nodes

say() { echo "sahab-node-hardening: $*"; }
# Services are only touched on a booted host: a chroot or image build has no systemd running.
booted() { [ -d /run/systemd/system ]; }

# 1. SSH: key-only, no root login, no passwords; with "disabled" the daemon is also masked.
#    The drop-in sorts first, and sshd keeps the first value it reads for a setting.
mkdir -p /etc/ssh/sshd_config.d
cat > /etc/ssh/sshd_config.d/00-sahab-hardening.conf <<'SSHD'
# sahab node hardening (SAHAB-NOD-001): key-only SSH, no root login, no passwords.
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PubkeyAuthentication yes
AuthenticationMethods publickey
X11Forwarding no
AllowTcpForwarding no
MaxAuthTries 3
SSHD
chmod 600 /etc/ssh/sshd_config.d/00-sahab-hardening.conf
if [ -f /etc/ssh/sshd_config ] && ! grep -Eq '^[[:space:]]*Include[[:space:]]+/etc/ssh/sshd_config\.d/\*\.conf' /etc/ssh/sshd_config; then
  sed -i '1i Include /etc/ssh/sshd_config.d/*.conf' /etc/ssh/sshd_config
fi
if [ "$SAHAB_SSH_MODE" = "disabled" ]; then
  mkdir -p /etc/systemd/system
  for unit in sshd.service sshd.socket ssh.service ssh.socket; do
    if booted; then systemctl disable --now "$unit" >/dev/null 2>&1 || true; fi
    ln -sfn /dev/null "/etc/systemd/system/$unit"   # what "systemctl mask" writes
  done
  say "sshd masked"
elif booted; then
  systemctl try-reload-or-restart sshd.service >/dev/null 2>&1 || true
fi

# 2. Kernel hardening, plus the values kubelet's protectKernelDefaults insists on.
mkdir -p /etc/sysctl.d
cat > /etc/sysctl.d/90-sahab-hardening.conf <<'SYSCTL'
# sahab node hardening (SAHAB-NOD-001)
kernel.kptr_restrict = 2
kernel.dmesg_restrict = 1
kernel.unprivileged_bpf_disabled = 1
net.core.bpf_jit_harden = 2
kernel.yama.ptrace_scope = 1
kernel.randomize_va_space = 2
fs.protected_hardlinks = 1
fs.protected_symlinks = 1
fs.suid_dumpable = 0
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.all.log_martians = 1
net.ipv4.icmp_echo_ignore_broadcasts = 1
net.ipv4.tcp_syncookies = 1
# Required as-is by kubelet with protectKernelDefaults: true (it refuses to start otherwise).
vm.overcommit_memory = 1
vm.panic_on_oom = 0
kernel.panic = 10
kernel.panic_on_oops = 1
kernel.keys.root_maxkeys = 1000000
kernel.keys.root_maxbytes = 25000000
SYSCTL
if booted; then sysctl --system >/dev/null; fi

# 3. Audit logging: identity files, kernel modules, the container runtime and kubelet configuration.
mkdir -p /etc/audit/rules.d
cat > /etc/audit/rules.d/90-sahab-hardening.rules <<'AUDIT'
## sahab node hardening (SAHAB-NOD-001)
-w /etc/passwd -p wa -k identity
-w /etc/group -p wa -k identity
-w /etc/shadow -p wa -k identity
-w /etc/gshadow -p wa -k identity
-w /etc/sudoers -p wa -k identity
-w /etc/sudoers.d/ -p wa -k identity
-w /usr/sbin/insmod -p x -k modules
-w /usr/sbin/rmmod -p x -k modules
-w /usr/sbin/modprobe -p x -k modules
-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k modules
-w /etc/containerd/ -p wa -k container-runtime
-w /etc/nvidia-container-runtime/ -p wa -k container-runtime
-w /etc/kubernetes/ -p wa -k kubelet
AUDIT
if booted; then
  systemctl enable --now auditd.service >/dev/null
  augenrules --load >/dev/null
fi

# 4. GPU nodes: the NVIDIA runtime is containerd's default (nodeadm merges the same setting from the
#    NodeConfig part); fail the boot rather than run GPU pods without it.
if [ "$SAHAB_GPU" = "true" ] && booted && ! command -v nvidia-container-runtime >/dev/null; then
  say "nvidia-container-runtime is missing on a GPU node"; exit 1
fi
say "done (ssh: $SAHAB_SSH_MODE, gpu: $SAHAB_GPU)"
--==SAHAB-NODE-BOOTSTRAP==--
`,
	"gpu-key-only": `MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="==SAHAB-NODE-BOOTSTRAP=="

--==SAHAB-NODE-BOOTSTRAP==
Content-Type: application/node.eks.aws

---
# sahab node bootstrap, NodeConfig part (SAHAB-NOD-001, SAHAB-NOD-002): nodeadm merges it with the cluster details
# EKS adds for a managed node group. The kubelet settings match the plan-time rules.
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  kubelet:
    config:
      readOnlyPort: 0
      protectKernelDefaults: true
      authentication:
        anonymous:
          enabled: false
        webhook:
          enabled: true
      authorization:
        mode: Webhook
  containerd:
    config: |
      version = 2
      [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "nvidia"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia.options]
      BinaryName = "/usr/bin/nvidia-container-runtime"
      SystemdCgroup = true
--==SAHAB-NODE-BOOTSTRAP==
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
# sahab node hardening: the shell part of the node bootstrap sahab renders for its GPU and inference
# pools (sahab.components.node_bootstrap). The two settings below are the only lines the render
# changes; everything else is this file as reviewed. It runs once, as root, before the node joins
# the cluster (on AL2023, cloud-init runs it between nodeadm's config and run phases).
set -euo pipefail

SAHAB_SSH_MODE="key-only"  # "disabled" or "key-only"
SAHAB_GPU="true"  # "true" on GPU nodes

say() { echo "sahab-node-hardening: $*"; }
# Services are only touched on a booted host: a chroot or image build has no systemd running.
booted() { [ -d /run/systemd/system ]; }

# 1. SSH: key-only, no root login, no passwords; with "disabled" the daemon is also masked.
#    The drop-in sorts first, and sshd keeps the first value it reads for a setting.
mkdir -p /etc/ssh/sshd_config.d
cat > /etc/ssh/sshd_config.d/00-sahab-hardening.conf <<'SSHD'
# sahab node hardening (SAHAB-NOD-001): key-only SSH, no root login, no passwords.
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PubkeyAuthentication yes
AuthenticationMethods publickey
X11Forwarding no
AllowTcpForwarding no
MaxAuthTries 3
SSHD
chmod 600 /etc/ssh/sshd_config.d/00-sahab-hardening.conf
if [ -f /etc/ssh/sshd_config ] && ! grep -Eq '^[[:space:]]*Include[[:space:]]+/etc/ssh/sshd_config\.d/\*\.conf' /etc/ssh/sshd_config; then
  sed -i '1i Include /etc/ssh/sshd_config.d/*.conf' /etc/ssh/sshd_config
fi
if [ "$SAHAB_SSH_MODE" = "disabled" ]; then
  mkdir -p /etc/systemd/system
  for unit in sshd.service sshd.socket ssh.service ssh.socket; do
    if booted; then systemctl disable --now "$unit" >/dev/null 2>&1 || true; fi
    ln -sfn /dev/null "/etc/systemd/system/$unit"   # what "systemctl mask" writes
  done
  say "sshd masked"
elif booted; then
  systemctl try-reload-or-restart sshd.service >/dev/null 2>&1 || true
fi

# 2. Kernel hardening, plus the values kubelet's protectKernelDefaults insists on.
mkdir -p /etc/sysctl.d
cat > /etc/sysctl.d/90-sahab-hardening.conf <<'SYSCTL'
# sahab node hardening (SAHAB-NOD-001)
kernel.kptr_restrict = 2
kernel.dmesg_restrict = 1
kernel.unprivileged_bpf_disabled = 1
net.core.bpf_jit_harden = 2
kernel.yama.ptrace_scope = 1
kernel.randomize_va_space = 2
fs.protected_hardlinks = 1
fs.protected_symlinks = 1
fs.suid_dumpable = 0
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.all.log_martians = 1
net.ipv4.icmp_echo_ignore_broadcasts = 1
net.ipv4.tcp_syncookies = 1
# Required as-is by kubelet with protectKernelDefaults: true (it refuses to start otherwise).
vm.overcommit_memory = 1
vm.panic_on_oom = 0
kernel.panic = 10
kernel.panic_on_oops = 1
kernel.keys.root_maxkeys = 1000000
kernel.keys.root_maxbytes = 25000000
SYSCTL
if booted; then sysctl --system >/dev/null; fi

# 3. Audit logging: identity files, kernel modules, the container runtime and kubelet configuration.
mkdir -p /etc/audit/rules.d
cat > /etc/audit/rules.d/90-sahab-hardening.rules <<'AUDIT'
## sahab node hardening (SAHAB-NOD-001)
-w /etc/passwd -p wa -k identity
-w /etc/group -p wa -k identity
-w /etc/shadow -p wa -k identity
-w /etc/gshadow -p wa -k identity
-w /etc/sudoers -p wa -k identity
-w /etc/sudoers.d/ -p wa -k identity
-w /usr/sbin/insmod -p x -k modules
-w /usr/sbin/rmmod -p x -k modules
-w /usr/sbin/modprobe -p x -k modules
-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k modules
-w /etc/containerd/ -p wa -k container-runtime
-w /etc/nvidia-container-runtime/ -p wa -k container-runtime
-w /etc/kubernetes/ -p wa -k kubelet
AUDIT
if booted; then
  systemctl enable --now auditd.service >/dev/null
  augenrules --load >/dev/null
fi

# 4. GPU nodes: the NVIDIA runtime is containerd's default (nodeadm merges the same setting from the
#    NodeConfig part); fail the boot rather than run GPU pods without it.
if [ "$SAHAB_GPU" = "true" ] && booted && ! command -v nvidia-container-runtime >/dev/null; then
  say "nvidia-container-runtime is missing on a GPU node"; exit 1
fi
say "done (ssh: $SAHAB_SSH_MODE, gpu: $SAHAB_GPU)"
--==SAHAB-NODE-BOOTSTRAP==--
`,
}

aks_renders := {
	"disabled": {"kubeletConfig": {"allowedUnsafeSysctls": [], "failSwapOn": true}, "linuxOSConfig": {"swapFileSizeMB": 0}, "securityProfile": {"sshAccess": "Disabled"}},
	"key-only": {"kubeletConfig": {"allowedUnsafeSysctls": [], "failSwapOn": true}, "linuxOSConfig": {"swapFileSizeMB": 0}, "securityProfile": {"sshAccess": "LocalUser"}},
}
