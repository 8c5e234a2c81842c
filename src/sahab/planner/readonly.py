"""Make the planned program's filesystem read-only, except its scratch folder, then run it.

Run as a script with sahab's own interpreter (``python -I -S readonly.py SCRATCH -- COMMAND...``)
inside a new mount namespace (``unshare --mount``, :mod:`sahab.planner.sandbox`), *before* the
program's interpreter starts: that interpreter's site (``.pth`` files of its virtualenv) is the
program author's code, so nothing of the program may run before the filesystem is locked.

- Mount propagation becomes private (nothing done here reaches the host's namespace);
- the user's credential files and folders (:data:`CREDENTIAL_PATHS` under ``$HOME`` and the
  account's home: cloud CLIs, kubeconfig, SSH, Pulumi's access token, package and git tokens)
  are hidden: an empty read-only tmpfs over a folder, ``/dev/null`` over a file;
- SCRATCH is bound onto itself, so it stays a writable mount of its own;
- every other mount point in ``/proc/self/mountinfo`` is remounted ``bind,ro`` (keeping its
  nosuid/nodev/noexec flags, which a user namespace may not clear), then each one is checked with
  ``statvfs``: one still writable fails the run;
- every capability is dropped (bounding set, ambient, effective, permitted) with ``no_new_privs``:
  the program is root in its namespace, and root with ``CAP_SYS_ADMIN`` could remount ``rw``.

Any failure prints one ``sahab:`` line and exits with :data:`FAILED` without running COMMAND: the
program never runs with a filesystem it was meant not to write. Standard library only; Linux only.
"""
import ctypes
import os
import sys

FAILED = 125
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_NOSYMFOLLOW = 1, 2, 4, 8, 256
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
KEPT = {b"nosuid": MS_NOSUID, b"nodev": MS_NODEV, b"noexec": MS_NOEXEC, b"nosymfollow": MS_NOSYMFOLLOW}
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 38, 47, 4
CAPABILITY_VERSION_3 = 0x20080522
UNREACHABLE = {2, 13, 20, 40}  # ENOENT, EACCES, ENOTDIR, ELOOP: a mount point no path leads to
# Where tools keep credentials, relative to a home folder (docs/planner.md#environment-and-network).
CREDENTIAL_PATHS = (
    ".aws", ".azure", ".config/gcloud", ".kube", ".docker", ".ssh", ".gnupg", ".pulumi", ".config/gh",
    ".terraform.d", ".netrc", ".git-credentials", ".npmrc", ".pypirc", ".config/pip", ".vault-token",
)


class Refused(Exception):
    """The filesystem could not be locked: the program must not run."""


def main(argv):
    if len(argv) < 3 or argv[1] != "--":
        os.write(2, b"sahab: usage: readonly.py SCRATCH -- COMMAND...\n")
        return FAILED
    scratch, command = os.fsencode(os.path.realpath(argv[0])), argv[2:]
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        hide_credentials(libc, homes())
        lock(libc, scratch)
        drop_capabilities(libc)
    except Refused as exc:
        os.write(2, b"sahab: the planned program's filesystem could not be made read-only: %s\n" % str(exc).encode())
        return FAILED
    try:
        os.execvp(command[0], command)
    except OSError as exc:
        os.write(2, b"sahab: cannot start %s: %s\n" % (os.fsencode(command[0]), (exc.strerror or "").encode()))
        return 127


def homes():
    """``$HOME`` and the account's home folder (they differ under sudo or a CI runner), once each."""
    found = []
    for home in (os.environ.get("HOME"), _account_home()):
        if home and os.path.isabs(home) and os.path.realpath(home) not in found:
            found.append(os.path.realpath(home))
    return found


def _account_home():
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError):
        return None


def hide_credentials(libc, home_folders):
    """An empty tmpfs over each credential folder and /dev/null over each credential file that exists."""
    for home in home_folders:
        for relative in CREDENTIAL_PATHS:
            path = os.fsencode(os.path.join(home, relative))
            if os.path.islink(path) or not os.path.exists(path):
                if os.path.islink(path) and os.path.exists(path):
                    path = os.fsencode(os.path.realpath(path))  # hide what the link leads to
                else:
                    continue
            if os.path.isdir(path):
                _mount(libc, b"tmpfs", path, MS_NOSUID | MS_NODEV | MS_NOEXEC, "hide " + os.fsdecode(path),
                       kind=b"tmpfs", data=b"size=4k,mode=000")
            else:
                _mount(libc, b"/dev/null", path, MS_BIND, "hide " + os.fsdecode(path))


def lock(libc, scratch):
    """Private propagation, SCRATCH bound writable, every other mount read-only (checked)."""
    _mount(libc, None, b"/", MS_REC | MS_PRIVATE, "make mounts private")
    _mount(libc, scratch, scratch, MS_BIND, "bind " + os.fsdecode(scratch))
    for point, options in mount_points():
        if point == scratch:
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for option in options:
            flags |= KEPT.get(option, 0)
        if libc.mount(None, point, None, flags, None) != 0 and not read_only(point):
            raise Refused("remount %s read-only: %s" % (os.fsdecode(point), os.strerror(ctypes.get_errno())))
    for point, _ in mount_points():
        if point != scratch and not read_only(point):
            raise Refused("%s is still writable" % os.fsdecode(point))
    if read_only(scratch):
        raise Refused("the scratch folder %s is not writable" % os.fsdecode(scratch))


def mount_points():
    """(mount point, per-mount options) of each path in this namespace's mount table, once each."""
    with open("/proc/self/mountinfo", "rb") as table:
        lines = table.read().splitlines()
    seen = {}
    for line in lines:
        fields = line.split(b" ")
        point = _unescape(fields[4])
        seen.pop(point, None)  # a later mount on the same path is the one the path reaches
        seen[point] = fields[5].split(b",")
    return list(seen.items())


def read_only(point):
    """Whether the mount ``point`` leads to is read-only; True when no path leads to it any more."""
    try:
        return bool(os.statvfs(point).f_flag & os.ST_RDONLY)
    except OSError as exc:
        if exc.errno in UNREACHABLE:
            return True
        raise Refused("cannot check %s: %s" % (os.fsdecode(point), exc.strerror)) from None


def drop_capabilities(libc):
    """No capability now or after exec (root's exec gains only the empty bounding set), no setuid gain."""
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise Refused("no_new_privs: " + os.strerror(ctypes.get_errno()))
    capability = 0
    while libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) == 0:
        capability += 1
    if ctypes.get_errno() != 22 or capability == 0:  # EINVAL: past the last capability this kernel knows
        raise Refused("drop capability %d: %s" % (capability, os.strerror(ctypes.get_errno())))
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)  # EINVAL on kernels without ambient sets: none to clear
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    if libc.capset(header, data) != 0:
        raise Refused("capset: " + os.strerror(ctypes.get_errno()))


def _mount(libc, source, target, flags, what, kind=None, data=None):
    if libc.mount(source, target, kind, flags, data) != 0:
        raise Refused("%s: %s" % (what, os.strerror(ctypes.get_errno())))


def _unescape(field):
    r"""A mountinfo path: space, tab, newline and backslash arrive as ``\040``, ``\011``, ``\012``, ``\134``."""
    parts = field.split(b"\\")
    out = [parts[0]]
    for part in parts[1:]:
        if len(part) >= 3 and all(48 <= byte <= 55 for byte in part[:3]):
            out.append(bytes([int(part[:3], 8)]) + part[3:])
        else:
            out.append(b"\\" + part)
    return b"".join(out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
