"""Run several checkov CLI invocations from one pre-imported checkov (a pre-fork "zygote").

This file runs under *checkov's own interpreter* (its isolated virtualenv), never inside sahab:
``<checkov python> _driver.py JOBS.json``. It imports ``checkov.main`` once (about 2.5 s, most of
a small scan), then forks one child per job. Each child is a fresh copy of a process that has
only imported checkov, sets ``sys.argv`` and runs ``checkov.main.Checkov(argv).run()``: the
same code path as the ``checkov`` console script, with stdout and stderr sent to the job's
files. The parent never scans anything, so no scan can leak state into the next one.

JOBS.json: ``{"workers": N, "jobs": [{"argv": [...], "cwd": DIR, "stdout": PATH,
"stderr": PATH}, ...]}``. Prints ``{"rc": [exit code per job]}`` on stdout when done.
Standard library only; must not import sahab.
"""
import json
import os
import sys
import traceback
import warnings


def _child(job):
    fd_out = os.open(job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    fd_err = os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd_out, 1)
    os.dup2(fd_err, 2)
    code = 2
    try:
        os.chdir(job["cwd"])
        argv = list(job["argv"])
        sys.argv = ["checkov"] + argv
        from checkov.main import Checkov

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=SyntaxWarning)
            result = Checkov(argv).run()
        code = result if isinstance(result, int) else 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    except BaseException:  # noqa: BLE001 - reported through stderr and the exit code
        traceback.print_exc()
        code = 2
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main(path):
    with open(path, encoding="utf-8") as handle:
        spec = json.load(handle)
    jobs = spec["jobs"]
    workers = max(1, int(spec.get("workers", 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=SyntaxWarning)
        import checkov.main  # noqa: F401 - the expensive import, done once before forking
    if spec.get("quiet_logging", True):
        # checkov sends every DEBUG and INFO record to an in-memory log (root level DEBUG) that
        # only its platform upload reads: about a fifth of a scan's time. WARNING and above
        # still reach stderr.
        import logging

        logging.disable(logging.INFO)
    sys.stdout.flush()
    sys.stderr.flush()
    codes = [None] * len(jobs)
    running = {}
    pending = list(range(len(jobs)))
    while pending or running:
        while pending and len(running) < workers:
            index = pending.pop(0)
            pid = os.fork()
            if pid == 0:
                _child(jobs[index])
            running[pid] = index
        pid, status = os.wait()
        index = running.pop(pid, None)
        if index is None:
            continue
        codes[index] = os.waitstatus_to_exitcode(status)
    sys.stdout.write(json.dumps({"rc": codes}))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
