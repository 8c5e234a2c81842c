"""A stand-in ``kubectl`` on PATH for the tests of sahab verify's selectors and node-debug pods.

There is no Kubernetes cluster on this machine. This script answers ``get nodes|pods -l`` from a
state file, prints ``pod/NAME`` for ``create``, succeeds on ``wait`` and ``delete``, and logs every
call (arguments and stdin) so the tests can assert what sahab asked for. ``exec`` into a pod whose
name starts with one of the state's prefixes runs the command over SSH on a throwaway host
(tests/sshd_host.py), so testinfra's real kubectl backend carries the checks. What it cannot show:
the API server accepting the pod, the scheduler placing it, the kubelet mounting the node's root.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List

_SCRIPT = r'''#!%(python)s
import json, os, shlex, subprocess, sys
state = json.load(open(os.environ["FAKE_KUBECTL_STATE"]))
args = sys.argv[1:]
stdin = sys.stdin.read() if args[:1] == ["create"] else ""
with open(os.environ["FAKE_KUBECTL_LOG"], "a") as log:
    log.write(json.dumps({"args": args, "stdin": stdin}) + "\n")
if "exec" in args:
    pod = args[args.index("exec") + 1]
    command = args[args.index("--") + 1:]
    for prefix, ssh in state.get("exec", {}).items():
        if pod.startswith(prefix):
            sys.exit(subprocess.run(ssh + [shlex.join(command)], stdin=subprocess.DEVNULL).returncode)
    sys.stderr.write('Error from server (NotFound): pods "%%s" not found\n' %% pod)
    sys.exit(1)
if args[:1] == ["get"]:
    if "get" in state.get("fail", {}):
        sys.stderr.write(state["fail"]["get"] + "\n")
        sys.exit(1)
    selector = args[args.index("-l") + 1]
    for name in state.get(args[1], {}).get(selector, []):
        print("%%s/%%s" %% (args[1][:-1], name))
    sys.exit(0)
if args[:1] == ["create"]:
    for item in json.loads(stdin)["items"]:
        print("pod/" + item["metadata"]["name"])
sys.exit(0)
'''


class FakeKubectl:
    """``kubectl`` in ``folder``, answering from ``state``; :meth:`env` puts it first on PATH."""

    def __init__(self, folder: Path, state: Dict[str, Any]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / "calls.jsonl"
        self.state = folder / "state.json"
        self.state.write_text(json.dumps(state))
        script = folder / "kubectl"
        script.write_text(_SCRIPT % {"python": sys.executable})
        script.chmod(0o755)
        self.folder = folder

    def env(self) -> Dict[str, str]:
        return {"PATH": "%s:%s" % (self.folder, os.environ["PATH"]), "FAKE_KUBECTL_LOG": str(self.log),
                "FAKE_KUBECTL_STATE": str(self.state)}

    def calls(self) -> List[Dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]
