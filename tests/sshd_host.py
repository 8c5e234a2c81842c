"""Throwaway hosts on loopback for the verification tests: a private root file system served by its
own OpenSSH server on 127.0.0.1, reached through testinfra's ssh:// and paramiko:// backends.

Why this shape: the suites must run over a real SSH connection, but nothing may be installed on
or changed in this machine. So the server is the distribution's sshd unpacked by ./bootstrap into
.tools/openssh, and it runs chrooted in its own mount and PID namespaces over a root built in a
temporary folder: the host's /usr read-only (with the unpacked OpenSSH overlaid), a private /etc,
/var, /run, /tmp and /root the test owns and may change. The server is that namespace's first
process, so stopping it by PID ends every session it started; the mounts vanish with the namespace.

The server the tests log in through is the *harness* sshd (its own config, host key and authorized
key under /run/sahab-harness in the root): it stands for the verifying pipeline's channel to a node
(SSM, a debug pod, a bastion). The root's own /etc/ssh is the node's configuration, which is what
the suites check, so a node whose sshd is disabled or key-only can still be inspected.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OPENSSH = REPO / ".tools" / "openssh"
HARNESS_DIR = "/run/sahab-harness"  # inside the root: the harness sshd's own files


def unavailable_reason() -> str | None:
    """Why a throwaway host cannot run here, or None: the tests skip with this reason."""
    if not (OPENSSH / "usr" / "sbin" / "sshd").is_file():
        return f"no OpenSSH server in {OPENSSH}: run ./bootstrap on a Debian or Ubuntu machine (it fetches openssh-server with apt-get download)"
    if os.geteuid() != 0:
        return "throwaway hosts need root (mount and PID namespaces, chroot)"
    if shutil.which("unshare") is None or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        return "throwaway hosts need unshare (util-linux), ssh and ssh-keygen (openssh-client) on PATH"
    return None


def build_root(root: Path) -> Path:
    """Lay out a minimal private root file system in ``root`` (an empty or missing folder).

    /usr and the merged-/usr links come from the host at start time; everything written here is the
    node's own: accounts, the distribution's default sshd_config with its drop-in folder and a host key.
    """
    for folder in ("etc/ssh/sshd_config.d", "etc/sysctl.d", "var/log", "var/lib", "run/sshd",
                   "root", "home", "usr", "proc", "dev", "tmp"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    (root / "root").chmod(0o700)
    for link, target in (("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib"), ("lib64", "usr/lib64")):
        if not (root / link).is_symlink():
            (root / link).symlink_to(target)
    etc = root / "etc"
    (etc / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/bash\n"
        "sshd:x:100:65534::/run/sshd:/usr/sbin/nologin\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    )
    (etc / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
    # "*": no password, yet not locked ("!"), so key authentication is allowed without PAM.
    (etc / "shadow").write_text("root:*:20000:0:99999:7:::\nsshd:*:20000:0:99999:7:::\nnobody:*:20000:0:99999:7:::\n")
    (etc / "shadow").chmod(0o640)
    (etc / "nsswitch.conf").write_text("passwd: files\ngroup: files\nshadow: files\nhosts: files\n")
    (etc / "hosts").write_text("127.0.0.1 localhost\n")
    shutil.copyfile("/etc/os-release", etc / "os-release")
    shutil.copyfile(OPENSSH / "usr/share/openssh/sshd_config", etc / "ssh" / "sshd_config")
    shutil.copyfile(OPENSSH / "etc/ssh/moduli", etc / "ssh" / "moduli")
    _keygen(etc / "ssh" / "ssh_host_ed25519_key")
    return root


@dataclass(frozen=True)
class SshdHost:
    """A running throwaway host: where it listens, how to reach it, and the root it serves."""

    root: Path
    port: int
    identity_file: Path
    ssh_config: Path
    pid: int
    log: Path

    @property
    def ssh_spec(self) -> str:
        """testinfra host spec for the ssh backend (the ssh client, configured by ``ssh_config``)."""
        return f"ssh://root@127.0.0.1:{self.port}?ssh_config={self.ssh_config}"

    @property
    def paramiko_spec(self) -> str:
        """testinfra host spec for the paramiko backend."""
        return f"paramiko://root@127.0.0.1:{self.port}?ssh_config={self.ssh_config}&ssh_identity_file={self.identity_file}"


@contextlib.contextmanager
def sshd_host(root: Path, workdir: Path, *, start_timeout: float = 10.0, nested: Sequence[str] = ()) -> Iterator[SshdHost]:
    """Serve ``root`` (laid out by :func:`build_root`) over SSH on 127.0.0.1:<free port> until the block ends.

    ``workdir`` (outside the root) receives the client key, the client ssh_config and the server log.
    ``nested``: folders of ``root`` (e.g. ``host``) that are roots of their own (a node-debug pod's
    ``/host``), laid out by :func:`build_root` and given the same /usr, /proc and /dev, so
    ``chroot /host`` works inside a session. The server is stopped by its PID on exit, whatever
    happened inside the block.
    """
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    root, workdir = root.resolve(), workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    harness = root / HARNESS_DIR.lstrip("/")
    harness.mkdir(parents=True, exist_ok=True)
    client_key = workdir / "client_ed25519"
    _keygen(client_key)
    _keygen(harness / "host_ed25519_key")
    shutil.copyfile(client_key.with_suffix(".pub"), harness / "authorized_keys")
    port = _free_loopback_port()
    (harness / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1\nPort {port}\n"
        f"HostKey {HARNESS_DIR}/host_ed25519_key\nPidFile {HARNESS_DIR}/sshd.pid\n"
        f"AuthorizedKeysFile {HARNESS_DIR}/authorized_keys\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
        "PermitRootLogin prohibit-password\nSubsystem sftp /usr/lib/openssh/sftp-server\n"
    )
    # One multiplexed connection for the ssh backend (testinfra asks for ControlMaster=auto): a new
    # connection per command costs ~0.2 s. The master ends when the server is stopped. A socket path
    # must stay under 108 bytes, hence a short folder of its own.
    control_dir = Path(tempfile.mkdtemp(prefix="sahab-ssh-"))
    ssh_config = workdir / "ssh_config"
    ssh_config.write_text(
        f"Host 127.0.0.1\n  Port {port}\n  User root\n  IdentityFile {client_key}\n  IdentitiesOnly yes\n"
        "  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  BatchMode yes\n  LogLevel ERROR\n"
        f"  ControlPath {control_dir}/%C\n"
    )
    # Runs as PID 1 of a new PID namespace in a private mount namespace: the mounts exist only there.
    mounts = "".join(
        f'mount -t overlay sahab-usr -o "lowerdir={OPENSSH}/usr:/usr" "{folder}/usr"\n'
        f'mount -t proc proc "{folder}/proc"\n'
        f'mount --bind /dev "{folder}/dev"\n'
        for folder in [root] + [root / inner for inner in nested]
    )
    script = "set -e\n" + mounts + f'exec chroot "{root}" /usr/sbin/sshd -D -e -f {HARNESS_DIR}/sshd_config\n'
    log = workdir / "sshd.log"
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child=SIGKILL",
             "sh", "-c", script],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        _wait_for_banner(port, proc, log, start_timeout)
        yield SshdHost(root=root, port=port, identity_file=client_key, ssh_config=ssh_config, pid=proc.pid, log=log)
    finally:
        _stop(proc)
        shutil.rmtree(control_dir, ignore_errors=True)


def _keygen(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_suffix(".pub").unlink(missing_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sahab-throwaway", "-f", str(path)],
                   check=True, stdin=subprocess.DEVNULL)


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_banner(port: int, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the throwaway sshd exited ({proc.returncode}): {log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            if sock.recv(64).startswith(b"SSH-2.0-"):
                return
        time.sleep(0.05)
    raise RuntimeError(f"the throwaway sshd did not answer on 127.0.0.1:{port} within {timeout:.0f} s: {log.read_text(errors='replace')[-2000:]}")


def _stop(proc: subprocess.Popen) -> None:
    """Stop the namespace by PID: its first process (sshd, the child of the unshare we started) gets
    SIGTERM, the kernel then ends every other process in the namespace, and unshare reaps sshd and exits.
    unshare itself ignores SIGTERM while it waits, so it is only killed if that did not happen in time."""
    if proc.poll() is not None:
        return
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    with contextlib.suppress(OSError):
        for child in children.read_text().split():
            os.kill(int(child), signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)  # --kill-child=SIGKILL then ends the namespace
        proc.wait(timeout=5)
