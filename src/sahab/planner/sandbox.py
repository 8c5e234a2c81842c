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

In the same ``unshare`` (``--mount``) the whole filesystem becomes read-only but for the run's
scratch folder (:mod:`.readonly`): sahab reads and runs much after the program ends (checkov's
result cache, its own and checkov's installations, the chart cache, configs, report paths), and
the program, running as the same user, must not be able to prepare any of it. Its temporary
folder (``TMPDIR``/``TEMP``/``TMP``) is inside the scratch folder. Where that cannot be done the
program runs with a writable filesystem and the plan says so.
"""
from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from ..errors import UsageError
from ..scratch import scratch_folder

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
WRITABLE_FILESYSTEM = ("the program ran with a writable filesystem and could read the user's credential files: this "
                       "system does not let sahab make it read-only in a mount namespace (unshare --mount); run the gate "
                       "where it can (root, or unprivileged user namespaces enabled)")
READ_ONLY_HINT = "planning runs the program on a read-only filesystem: write temporary files under tempfile.gettempdir()"
READONLY = Path(__file__).resolve().parent / "readonly.py"
# Run by the probe inside the locked namespace: the scratch folder takes a file, its parent does not.
_PROBE = """
import sys
open(sys.argv[1] + "/written", "w").close()
try:
    open(sys.argv[2] + "/written", "w").close()
except OSError:
    sys.exit(0)
sys.exit(1)
"""


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


class Namespaces(NamedTuple):
    """What isolation this system allows: the ``unshare`` command with its options (``()``: none),
    and whether it includes the read-only filesystem (``--mount``, :mod:`.readonly`)."""

    unshare: Tuple[str, ...]
    read_only: bool


class Isolation(NamedTuple):
    """How one run of the program is confined: the command prefix before its interpreter, the
    variables that point its temporary files into the scratch folder, and the plan's warnings."""

    command: Tuple[str, ...]
    environment: Dict[str, str]
    diagnostics: Tuple[str, ...]


@functools.lru_cache(maxsize=1)
def namespaces() -> Namespaces:
    """The strongest isolation that works here, probed once per process.

    ``unshare --net --mount`` (root, CAP_SYS_ADMIN), then ``unshare --user --map-root-user --net
    --mount`` (unprivileged user namespaces), each with the filesystem locked (:func:`_works`);
    then the same two without ``--mount``. Python 3.11 has no ``os.unshare``.
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        return Namespaces((), False)
    networks = (("--net",), ("--user", "--map-root-user", "--net"))
    for read_only in (True, False):
        for options in networks:
            command = (unshare, *options, *(("--mount",) if read_only else ()), "--")
            if _works(command, read_only):
                return Namespaces(command, read_only)
    return Namespaces((), False)


def program_isolation(scratch: Path, prepare: Sequence[str] = ()) -> Isolation:
    """The isolation of a run whose scratch folder is ``scratch``: makes ``scratch/tmp``, the
    program's temporary folder, and locks everything but ``scratch`` where :func:`namespaces` can.

    ``prepare``: sahab's own command (never the program's) that runs inside the namespaces, with
    their privileges, before the filesystem is locked, and then executes what follows it
    (a provider plugin's loopback and folder: :mod:`.node_components.plugin_host`); only where
    there are namespaces.
    """
    temp = scratch / "tmp"
    temp.mkdir(mode=0o700)
    environment = {name: str(temp) for name in ("TMPDIR", "TEMP", "TMP")}
    found = namespaces()
    command = found.unshare + (tuple(prepare) if found.unshare else ())
    if found.read_only:
        command += _locked(scratch)
    diagnostics = (() if found.unshare else (NO_NETWORK_NAMESPACE,)) + (() if found.read_only else (WRITABLE_FILESYSTEM,))
    return Isolation(command, environment, diagnostics)


def _locked(scratch: Path) -> Tuple[str, ...]:
    """The prefix that locks the filesystem but ``scratch``, then runs what follows (:mod:`.readonly`)."""
    return (sys.executable, "-I", "-S", str(READONLY), str(scratch), "--")


def _works(command: Tuple[str, ...], read_only: bool) -> bool:
    """Whether ``command`` runs a program here; with ``read_only``, whether that program can write
    its scratch folder and nothing beside it."""
    with scratch_folder("sahab-probe-") as root:
        scratch = root / "scratch"
        scratch.mkdir()
        if read_only:
            program = [*command, *_locked(scratch), sys.executable, "-I", "-S", "-c", _PROBE, str(scratch), str(root)]
        else:
            program = [*command, sys.executable, "-I", "-S", "-c", ""]
        try:
            probe = subprocess.run(program, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return probe.returncode == 0 and (not read_only or (scratch / "written").is_file()
                                          and not (root / "written").exists())
