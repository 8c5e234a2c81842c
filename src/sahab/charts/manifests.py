"""Put the objects of a ``kubernetes:yaml/v2:ConfigFile`` or ``ConfigGroup`` into the plan, as its children.

pulumi-kubernetes builds these components in its provider process (``provider/pkg/provider/yaml/v2``),
which does not run offline; this module does what that code does, in sahab's process after the
program has run (like :mod:`.expand` for charts):

- ``Parse``: a ConfigFile reads ``file``; a ConfigGroup reads ``files`` (a pattern with ``*``, ``?``
  or ``[`` is a glob, its matches sorted), then the inline ``yaml`` string, then the ``objs``
  objects. Paths are relative to the program's folder. Each file must be a regular file inside the
  source root (the repository, else the project), at most 4 MiB, UTF-8; YAML is read within
  :mod:`sahab.inputs.safe_yaml`'s limits (alias bombs and deep nesting refused);
- ``Normalize`` (:mod:`.objects`): lists flattened, ``core/v1`` written ``v1``, a namespaced object
  without a namespace gets the provider's ``namespace`` (else ``default``);
- ``Register`` (:mod:`.children`): names ``<resourcePrefix>:<namespace>/<name>``, the prefix
  defaulting to the component's name (``""``: none), ``skipAwait`` annotated, a Secret's data secret.

The component gets ``expanded: {"by": "yaml", "files": [...], "objects": N}`` and is no longer
opaque. When its objects cannot be known offline (an input unknown before deploy, a URL, a file
missing, outside the repository or unreadable, YAML that pulumi-kubernetes would refuse) it gets
``{"by": null, "reason": …}`` and a warning, and the gate reports it unchecked (SAHAB-PLN-001).
"""
from __future__ import annotations

import glob
from collections import Counter
import hashlib
import re
from pathlib import Path, PurePosixPath
from typing import Any, Dict, List, Set, Tuple
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..expansion import YAML, not_expanded
from ..inputs.files import RefusedFile, read_project_file
from ..inputs.safe_yaml import parse_yaml_documents
from .children import object_resource
from .objects import LimitedKubernetesLoader, RenderedObject, flatten, place
from .placeholders import placeholder_for, to_placeholders
from .render import RenderFailed

CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup"
YAML_TYPES = frozenset({CONFIG_FILE, CONFIG_GROUP})
# yaml/v2's isGlobPattern: an unescaped *, ? or [ makes a path a pattern.
_GLOB = re.compile(r"(?:^|[^\\])[*?\[]")
_FIX = "fix the manifest the program names"


class NotExpandable(Exception):
    """The component's objects cannot be known offline; the message says why."""


def expand_yaml(resources: List[Dict[str, Any]], *, program_dir: Path,
                root: Path) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """``resources`` (plan form) with every yaml/v2 component's objects added, sorted by URN; and a
    warning diagnostic for each component that was not expanded. Components are annotated in place.

    ``program_dir``: where relative paths start (the program's working directory); ``root``: the
    source root, which no file may leave.
    """
    components = [resource for resource in resources if resource.get("type") in YAML_TYPES]
    if not components:
        return resources, []
    by_urn = {resource["urn"]: resource for resource in resources}
    taken: Set[str] = set(by_urn)
    children: List[Dict[str, Any]] = []
    diagnostics: List[Dict[str, Any]] = []
    for component in components:
        provider = by_urn.get(component.get("provider") or "") or {}
        namespace = (provider.get("inputs") or {}).get("namespace")
        reader = _Reader(program_dir, root)
        try:
            objects = _expand(component, namespace if namespace not in (None, "") else "default", reader, taken)
        except NotExpandable as exc:
            component["expanded"] = not_expanded(str(exc))
            diagnostics.append({"severity": "warning", "urn": component["urn"], "message": (
                "%s %s was not expanded: %s; its objects are not in the plan and are not checked"
                % (component["type"].split(":", 1)[1], component["name"], exc))})
            continue
        component["expanded"] = {"by": YAML, "files": reader.files, "objects": len(objects)}
        component["opaque"] = False  # its objects are in the plan now
        diagnostics.extend({"severity": "warning", "urn": component["urn"], "message": note} for note in reader.notes)
        taken.update(child["urn"] for child in objects)
        children.extend(objects)
    return sorted(resources + children, key=lambda r: r["urn"]), diagnostics


def _expand(component: Dict[str, Any], namespace: Any, reader: "_Reader", taken: Set[str]) -> List[Dict[str, Any]]:
    inputs = component.get("inputs") or {}
    for key in ("file", "files", "yaml", "objs", "resourcePrefix", "skipAwait"):
        if _holds_marker(inputs.get(key), deep=key != "objs"):
            # The provider registers nothing until every input is known (a preview shows no objects).
            raise NotExpandable("its %s is not known before deploy" % key)
    prefix = inputs.get("resourcePrefix", component["name"])
    if not isinstance(prefix, str):
        raise NotExpandable("its resourcePrefix is not a string")
    sources: List[Tuple[str, Any]] = []
    if component["type"] == CONFIG_FILE:
        if not isinstance(inputs.get("file"), str) or not inputs["file"]:
            raise NotExpandable("it names no file")
        sources += reader.read(inputs["file"], glob_allowed=False)
    else:
        files = inputs.get("files") or []
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise NotExpandable("its files are not a list of paths")
        for pattern in files:
            sources += reader.read(pattern, glob_allowed=True)
        if isinstance(inputs.get("yaml"), str):
            sources.append(("input:yaml", _parse(inputs["yaml"], "its yaml input")))
        objs = inputs.get("objs") or []
        if not isinstance(objs, list):
            raise NotExpandable("its objs are not a list of objects")
        placeheld, _ = to_placeholders(_plain_markers(objs), "objs")
        sources.append(("input:objs", placeheld))
    try:
        objects = place([RenderedObject(origin, body) for origin, documents in sources
                         for body in flatten(origin, documents)], placeholder_for(namespace))
        children = [object_resource(component, obj.body, prefix=prefix, origin=obj.template,
                                    rendered={"by": YAML, "component": component["urn"], "origin": obj.template},
                                    dependencies=[], skip_await=inputs.get("skipAwait") is True)
                    for obj in objects]
    except RenderFailed as exc:
        raise NotExpandable(str(exc).replace(" renders ", " holds ", 1)) from None
    counts = Counter(child["urn"] for child in children)
    clash = next((u for u, n in counts.items() if u in taken or n > 1), None)
    if clash is not None:
        raise NotExpandable("it registers %s more than once (or it is already in the plan)" % clash.rsplit("::", 1)[-1])
    return children


class _Reader:
    """Reads the files a component names, inside the source root; remembers what it read."""

    def __init__(self, program_dir: Path, root: Path) -> None:
        self.program_dir = program_dir
        self.root = root.resolve()
        self.files: List[Dict[str, str]] = []   # {"path": <relative to the source root>, "sha256": …}
        self.notes: List[str] = []

    def read(self, written: str, glob_allowed: bool) -> List[Tuple[str, Any]]:
        """[(origin, documents)] for ``written`` (a path, or a pattern when ``glob_allowed``)."""
        if urlsplit(written).scheme:
            raise NotExpandable("it reads %s over the network, which is not fetched offline" % written)
        if not (glob_allowed and _GLOB.search(written)):
            return [self._one(written, self.program_dir / written)]
        matches = sorted(glob.glob(written, root_dir=self.program_dir, include_hidden=True))
        if not matches:
            self.notes.append("files pattern %s matches no file: it adds no objects" % written)
        return [self._one(match, self.program_dir / match) for match in matches]

    def _one(self, written: str, path: Path) -> Tuple[str, Any]:
        try:
            resolved = path.resolve(strict=True)
        except FileNotFoundError:
            raise NotExpandable("its file %s does not exist" % written) from None
        except (OSError, RuntimeError):
            raise NotExpandable("its file %s cannot be resolved (a symlink loop?)" % written) from None
        try:
            relative = PurePosixPath(*resolved.relative_to(self.root).parts).as_posix()
        except ValueError:
            raise NotExpandable("its file %s is outside the repository, which sahab does not read" % written) from None
        try:
            data = read_project_file(self.root, resolved)
        except RefusedFile as exc:
            raise NotExpandable("its file %s %s" % (written, exc.reason)) from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise NotExpandable("its file %s is not UTF-8 text" % written) from None
        self.files.append({"path": relative, "sha256": hashlib.sha256(data).hexdigest()})
        return "file:" + relative, _parse(text, "its file %s" % written)


def _parse(text: str, source: str) -> List[Any]:
    try:
        return parse_yaml_documents(text, source, _FIX, loader_class=LimitedKubernetesLoader)
    except ConfigError as exc:
        raise NotExpandable(exc.message) from None


def _holds_marker(value: Any, deep: bool) -> bool:
    """A marker at the top of ``value``, or anywhere in it when ``deep`` (a list of paths)."""
    if isinstance(value, dict):
        return "$unknown" in value or "$secret" in value
    if deep and isinstance(value, list):
        return any(_holds_marker(item, deep) for item in value)
    return False


def _plain_markers(value: Any) -> Any:
    """A partial value (``{"$unknown": true, "$partial": …}``) is unknown as a whole inside an object."""
    if isinstance(value, dict):
        if "$secret" in value:
            return {"$secret": True}
        if "$unknown" in value:
            return {"$unknown": True}
        return {key: _plain_markers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_markers(item) for item in value]
    return value

