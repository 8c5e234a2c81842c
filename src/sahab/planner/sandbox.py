"""What the planned program runs with: an environment without credentials, and no network.

The gate runs in pull-request checks on programs anyone with a branch can change, inside a CI job
whose environment often holds cloud credentials and tokens. A plan needs none of them: the mock
engine never calls a cloud. So the program gets an *allow-list* of variables, what Python and the
Pulumi SDK need (:data:`ALLOWED`, ``LC_*``), and nothing else; a variable it must see is passed by
name (``--pass-env NAME``), which refuses names that look like credentials (:func:`is_credential`),
or given a literal value (``--pass-env NAME=VALUE``), which inherits nothing.

Where the OS allows it the program runs in a network namespace of its own (``unshare --net``;
``--user --map-root-user`` first for a user who cannot create one directly): no interface but a
loopback that is down, so no connection leaves it, not even to the machine's own loopback.
Otherwise the plan carries a diagnostic saying the program ran with network.
"""
from __future__ import annotations

import functools
import re
import shutil
import subprocess
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ..errors import UsageError

# What the interpreter, its site and the Pulumi SDK read; nothing here is a credential.
ALLOWED = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "VIRTUAL_ENV",
    "LD_LIBRARY_PATH", "PYTHONHOME", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONDONTWRITEBYTECODE", "PYTHONNOUSERSITE",
    "PYTHONPYCACHEPREFIX", "PYTHONWARNINGS", "PYTHONFAULTHANDLER", "PYTHONDEVMODE",
    "SYSTEMROOT", "WINDIR", "COMSPEC", "PATHEXT",  # Windows: the interpreter cannot start without them
})
ALLOWED_PREFIXES = ("LC_",)
# Names that hold credentials: never passed by name (docs/planner.md#environment-and-network).
_CREDENTIAL = re.compile(r"^(AWS|AZURE|ARM|GOOGLE|GCP|CLOUDSDK)_|TOKEN$|SECRET|(^|_)KEY$|PASSWORD|PASSWD|CREDENTIAL",
                         re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NO_NETWORK_NAMESPACE = ("the program ran with network access: this system does not let sahab create a network namespace "
                        "(unshare --net); run the gate where it can (root, or unprivileged user namespaces enabled)")


def is_credential(name: str) -> bool:
    """Whether ``name`` looks like a credential variable: ``AWS_*``, ``AZURE_*``, ``ARM_*``,
    ``GOOGLE_*``, ``*_TOKEN``, ``*SECRET*``, ``*_KEY``, ``*PASSWORD*``, ``*CREDENTIAL*``..."""
    return bool(_CREDENTIAL.search(name))


def parse_pass_env(items: Iterable[str]) -> Tuple[Tuple[str, Optional[str]], ...]:
    """``--pass-env`` values as (name, literal value or None to inherit); UsageError (exit 2) for a
    malformed one or an inherited credential."""
    parsed: List[Tuple[str, Optional[str]]] = []
    for item in items:
        name, equals, value = item.partition("=")
        if not _NAME.match(name):
            raise UsageError("--pass-env %r is not an environment variable name" % item, "pass NAME or NAME=VALUE")
        if not equals and is_credential(name):
            raise UsageError("--pass-env %s names a credential, which the planned program never gets" % name,
                             "a plan needs none; if the program insists, give it a placeholder: --pass-env %s=placeholder" % name)
        parsed.append((name, value if equals else None))
    return tuple(parsed)


def program_environment(parent: Mapping[str, str], pass_env: Sequence[Tuple[str, Optional[str]]] = ()) -> Dict[str, str]:
    """The program's environment: the allow-listed part of ``parent`` plus what ``pass_env`` names."""
    env = {name: value for name, value in parent.items() if name in ALLOWED or name.startswith(ALLOWED_PREFIXES)}
    for name, value in pass_env:
        if value is not None:
            env[name] = value
        elif name in parent:
            env[name] = parent[name]
    return env


@functools.lru_cache(maxsize=1)
def network_isolation() -> Optional[Tuple[str, ...]]:
    """The command prefix that runs a program in a new network namespace here, or None if none works.

    Tried once per process: ``unshare --net`` (root, CAP_SYS_ADMIN), then ``unshare --user
    --map-root-user --net`` (unprivileged user namespaces). Python 3.11 has no ``os.unshare``.
    """
    unshare, true = shutil.which("unshare"), shutil.which("true")
    if unshare is None or true is None:
        return None
    for options in (("--net",), ("--user", "--map-root-user", "--net")):
        prefix = (unshare, *options, "--")
        try:
            probe = subprocess.run([*prefix, true], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return prefix
    return None
