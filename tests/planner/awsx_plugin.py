"""pulumi-resource-awsx v3.8.0 built from awsx's own source, installed as Pulumi installs plugins.

Pulumi ships awsx's implementation only inside the plugin binary (``pkg`` bundles Node and the
compiled ``awsx/`` folder of pulumi/pulumi-awsx). The tests build the same provider from that
folder's TypeScript, vendored in ``tests/fixtures/plugins/awsx-3.8.0`` (its README says from where),
the way awsx's ``scripts/build.sh`` does before bundling: ``npm ci`` from the vendored lock (hash-
locked by its integrity fields), ``tsc``, ``schema.json`` and ``package.json`` with the version
into ``bin/``. awsx's own launcher ``pulumi-resource-awsx`` (``node $SCRIPT_DIR/bin``) is the plugin
executable. The result is a Pulumi home, cached under ``.tools/test-cache`` by the digest of the
vendored files: the first build needs the npm registry (~40 s), later ones reuse it.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "tests" / "fixtures" / "plugins" / "awsx-3.8.0"
VERSION = "3.8.0"
CACHE = REPO / ".tools" / "test-cache" / "awsx-plugin"
_DOCS = ("LICENSE", "README.md")  # not part of the build (nor of its digest)


def source_digest() -> str:
    """sha256 over the vendored files' paths and bytes: a change to any of them is a new build."""
    digest = hashlib.sha256()
    for path in sorted(p for p in SOURCE.rglob("*") if p.is_file() and p.name not in _DOCS):
        digest.update(str(path.relative_to(SOURCE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def pulumi_home() -> Path:
    """A Pulumi home whose ``plugins/resource-awsx-v3.8.0`` is the built plugin (built on first use)."""
    home = CACHE / source_digest()[:16]
    plugins = home / "plugins"
    folder = plugins / ("resource-awsx-v%s" % VERSION)
    partial = plugins / (folder.name + ".partial")  # Pulumi's own marker of an unfinished install
    with locked(CACHE / ".lock"):
        if folder.is_dir() and not partial.exists():
            return home
        shutil.rmtree(folder, ignore_errors=True)
        plugins.mkdir(parents=True, exist_ok=True)
        partial.write_text("")
        build(folder)
        partial.unlink()
    return home


def build(folder: Path) -> None:
    """The plugin in ``folder``: awsx's scripts/build.sh up to its ``pkg`` bundling step, with npm for yarn."""
    shutil.copytree(SOURCE, folder, ignore=shutil.ignore_patterns(*_DOCS, "schema.json"))
    _run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], folder)
    _run(["node", str(folder / "node_modules" / "typescript" / "bin" / "tsc")], folder)
    schema = json.loads((SOURCE / "schema.json").read_text(encoding="utf-8"))
    schema["version"] = VERSION  # provider/cmd/pulumi-resource-awsx/generate.go
    (folder / "bin" / "schema.json").write_text(json.dumps(schema, separators=(",", ":")), encoding="utf-8")
    package = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    (folder / "bin" / "package.json").write_text(json.dumps({**package, "version": VERSION}, indent=2), encoding="utf-8")
    (folder / "pulumi-resource-awsx").chmod(0o755)


def _run(command: list, cwd: Path) -> None:
    result = subprocess.run(command, cwd=str(cwd), capture_output=True, text=True, timeout=600, check=False,
                            env=dict(os.environ, npm_config_update_notifier="false"))
    if result.returncode != 0:
        raise RuntimeError("building pulumi-resource-awsx: %s failed:\n%s%s" % (" ".join(command[:2]), result.stdout[-2000:],
                                                                             result.stderr[-2000:]))


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` for the block: test sessions and xdist workers share .tools."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
