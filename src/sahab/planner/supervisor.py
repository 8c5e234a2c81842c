"""The planned program's supervisor: nothing the program starts outlives the plan, or sahab.

Run as a script by :mod:`sahab.planner.child` with sahab's own interpreter
(``python -I -S supervisor.py COMMAND...``), in a session of its own, so a terminal's
Ctrl-C reaches sahab alone and sahab decides. Standard library only: it starts in a few ms.

- It starts COMMAND (the program) in a process group of its own, stdin from /dev/null, stdout and
  stderr on the supervisor's stdout.
- On Linux it is a child subreaper (``PR_SET_CHILD_SUBREAPER``): every process the program starts
  stays its descendant, even one that leaves the group (``setsid``) or daemonizes; and the program
  gets ``PR_SET_PDEATHSIG(SIGKILL)``, so it dies if the supervisor is killed.
- Its stdin is sahab's control pipe. When that pipe ends (sahab closed it: the deadline passed,
  Ctrl-C, SIGTERM; or sahab died, even of SIGKILL, and the kernel closed it) or when the program
  exits, the supervisor kills the program's group, then every descendant left, reaps them and
  exits: with the program's exit code (128 + signal) when it ended on its own.
- Its stderr is the status channel: one line, ``started PID`` or ``failed ERRNO``, then closed.
"""
import ctypes
import os
import signal
import subprocess
import sys
import threading

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
STOPPED = 128 + signal.SIGKILL  # the exit code when sahab stopped the program
LINUX = sys.platform.startswith("linux")


def main(command):
    libc = ctypes.CDLL(None, use_errno=True) if LINUX else None
    me = os.getpid()

    def die_with_supervisor():
        # Runs in the program's process between fork and exec (single-threaded supervisor).
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != me:  # the supervisor died before the death signal was armed
            os._exit(STOPPED)

    if LINUX:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    try:
        program = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=1, stderr=1, process_group=0,
                                   preexec_fn=die_with_supervisor if LINUX else None)
    except OSError as exc:
        os.write(2, b"failed %d\n" % (exc.errno or 0))
        return 127
    os.write(2, b"started %d\n" % program.pid)
    os.close(2)
    ending = threading.Lock()

    def end(code):
        with ending:  # the first caller kills and exits; a second one waits here for os._exit
            kill_tree(program.pid, me)
            os._exit(code)

    def watch_control():
        while os.read(0, 4096):
            pass
        end(STOPPED)

    threading.Thread(target=watch_control, daemon=True).start()
    code = program.wait()
    end(code if code >= 0 else 128 - code)


def kill_tree(group, me):
    """SIGKILL the program's group, then (Linux) every descendant left, until none is; reap them."""
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
    while True:
        children = _children(me) if LINUX else []
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        if not children:
            return


def _children(parent):
    """PIDs whose parent is ``parent`` (orphans of the program are re-parented here), zombies included."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as stat:
                fields = stat.read().rpartition(b")")[2].split()
        except OSError:
            continue
        if len(fields) > 1 and int(fields[1]) == parent:
            found.append(int(name))
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
