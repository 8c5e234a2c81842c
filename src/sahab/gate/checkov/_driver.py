"""Run several checkov CLI invocations from one pre-imported checkov (a pre-fork "zygote").

This file runs under *checkov's own interpreter* (its isolated virtualenv), never inside sahab:
``<checkov python> _driver.py``. It imports ``checkov.main`` once (about 2.5 s, most of a small
scan), *then* reads its jobs from stdin, so sahab can start it before it knows the jobs (while
the program is being planned). It forks one child per job. Each child is a fresh copy of a
process that has only imported checkov, adds the job's environment, sets ``sys.argv`` and runs
``checkov.main.Checkov(argv).run()``: the same code path as the ``checkov`` console script, with
stdout and stderr sent to the job's files. The parent never scans anything, so no scan can leak
state into the next one.

stdin: ``{"workers": N, "jobs": [{"argv": [...], "cwd": DIR, "stdout": PATH, "stderr": PATH,
"env": {...}}, ...]}``. Prints ``{"rc": [exit code per job]}`` on stdout when done; empty stdin
(sahab needed no scan after all) ends it quietly. Standard library only; must not import sahab.
"""
import gc
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
        os.environ.update(job.get("env") or {})
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


def main():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=SyntaxWarning)
        import checkov.main  # noqa: F401 - the expensive import, done once before forking
    text = sys.stdin.read()
    if not text.strip():
        return 0
    spec = json.loads(text)
    jobs = spec["jobs"]
    workers = max(1, int(spec.get("workers", 1)))
    if spec.get("quiet_logging", True):
        # checkov sends every DEBUG and INFO record to an in-memory log (root level DEBUG) that
        # only its platform upload reads: about a fifth of a scan's time. WARNING and above
        # still reach stderr.
        import logging

        logging.disable(logging.INFO)
    # Collect once, then move every object to the permanent generation: a child's first
    # collections then leave checkov's ~150 MB of imported objects alone instead of touching
    # (and so copying, page by page) all of them. Without it, forking after more allocations
    # than the import made every child ~40 % slower; with it a 5,000-object scan takes ~15 % less
    # than forking straight after the import.
    gc.collect()
    gc.freeze()
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
    sys.exit(main())
