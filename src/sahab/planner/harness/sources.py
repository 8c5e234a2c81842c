"""Where a resource was registered: the program line a finding should point at.

The Pulumi SDK already walks the Python stack for every registration and sends it to the engine
as ``stackTrace`` (innermost frame first, SDK frames already cut off; older SDKs send only
``sourcePosition``, the first frame outside the SDK). Reading it here costs nothing extra.

The line kept is the *innermost* frame inside the source root (the repository, else the project
folder) that is neither in ``site-packages``/``dist-packages`` nor the harness: the call whose
arguments made the resource. A component library in the same repository therefore points at its
own line (it is reviewed in the same pull requests); one installed from a registry is skipped,
so the line is the program's call into it (docs/decisions.md).
"""
from __future__ import annotations

import os
from typing import Any, Dict, Iterable, Optional
from urllib.parse import unquote, urlsplit

_LIBRARY_FOLDERS = ("site-packages", "dist-packages")


class SourceLocator:
    """Map a registration request to ``{"file": <POSIX path relative to the root>, "line": N}``."""

    def __init__(self, root: str, excluded: Iterable[str] = ()) -> None:
        self.root = os.path.realpath(root)
        self._prefix = self.root if self.root.endswith(os.sep) else self.root + os.sep
        self.excluded = tuple(os.path.realpath(folder) + os.sep for folder in excluded)
        self._paths: Dict[str, Optional[str]] = {}  # frame URI -> relative path, None when not the program's

    def locate(self, request: Any) -> Optional[Dict[str, Any]]:
        trace = getattr(request, "stackTrace", None)
        frames = trace.frames if trace is not None else ()
        positions = (frame.pc for frame in frames) if frames else (getattr(request, "sourcePosition", None),)
        paths = self._paths
        for position in positions:
            if position is None:
                continue
            uri = position.uri
            path = paths.get(uri, "")
            if path == "":
                path = paths[uri] = self._relative(uri) if uri else None
            if path is not None and position.line > 0:
                return {"file": path, "line": int(position.line)}
        return None

    def _relative(self, uri: str) -> Optional[str]:
        parts = urlsplit(uri)
        if parts.scheme != "file":
            return None
        path = os.path.realpath(unquote(parts.path))
        if not path.startswith(self._prefix) or path.startswith(self.excluded):
            return None
        relative = os.path.relpath(path, self.root).split(os.sep)
        if any(part in _LIBRARY_FOLDERS for part in relative):
            return None
        return "/".join(relative)
