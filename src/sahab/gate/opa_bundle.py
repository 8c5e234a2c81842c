"""OPA bundles of sahab's rules: the archive a production OPA loads instead of policy uploads.

An OPA fed by bundles (``opa run --bundle``, or a bundle service) refuses Policy API writes
under the bundle's roots, so the gate cannot upload its modules there. ``build_opa_bundle``
writes exactly the modules the embedded engine loads (tests excluded) and a ``.manifest`` whose
``roots`` are sahab's top-level packages, so no other source can add rules under them. The
``revision`` defaults to a digest of those modules, and the digest is also kept in the
manifest's ``metadata``: the OPA engine's bundle mode (``engines/opa_server.py``) compares both
with what the server reports before it evaluates anything, and fails closed on any difference.

The archive is byte-for-byte reproducible: entries sorted, fixed mtime, owner and mode, and a
gzip header without file name or time. Format: docs/gate-engines.md, "OPA servers fed by bundles".
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from ..errors import UsageError
from .rules import PolicyBundle, package_of

MANIFEST = ".manifest"
REGO_VERSION = 1  # every module under policies/ is Rego v1
METADATA_KEY = "sahab"  # manifest.metadata.sahab.modules_sha256


def modules_digest(modules: Mapping[str, str]) -> str:
    """``sha256:<hex>`` of the modules as canonical JSON (path -> source, keys sorted, UTF-8)."""
    canonical = json.dumps(dict(modules), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def bundle_roots(modules: Mapping[str, str]) -> List[str]:
    """The first segment of every module's package (``["sahab"]``): the paths the bundle owns."""
    return sorted({package_of(text, Path(path)).split(".")[0] for path, text in modules.items()})


def bundle_manifest(modules: Mapping[str, str], revision: Optional[str] = None) -> Dict[str, Any]:
    """The ``.manifest`` for ``modules``; ``revision`` defaults to their digest."""
    digest = modules_digest(modules)
    if revision is not None and not revision.strip():
        raise UsageError("the bundle revision is empty", "give a non-empty --revision, or leave it out to use the content digest")
    return {
        "revision": digest if revision is None else revision,
        "roots": bundle_roots(modules),
        "rego_version": REGO_VERSION,
        "metadata": {METADATA_KEY: {"modules_sha256": digest}},
    }


def build_opa_bundle(modules: Mapping[str, str], revision: Optional[str] = None) -> bytes:
    """A gzipped tarball: ``.manifest`` and every module at its path under ``policies/``."""
    files = {MANIFEST: json.dumps(bundle_manifest(modules, revision), sort_keys=True, indent=2) + "\n"}
    files.update(modules)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name in sorted(files):
            data = files[name].encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0, compresslevel=9) as stream:
        stream.write(raw.getvalue())
    return packed.getvalue()


def write_opa_bundle(out: Path, policies: PolicyBundle, revision: Optional[str] = None) -> Dict[str, Any]:
    """Write the bundle of ``policies`` (tests excluded) to ``out``; return its manifest."""
    modules = policies.without_tests()
    data = build_opa_bundle(modules, revision)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise UsageError("cannot write %s: %s" % (out, exc.strerror), "choose a writable path for --out") from None
    return bundle_manifest(modules, revision)
