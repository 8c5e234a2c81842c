"""Unknown and secret values through a chart: rendered as placeholder strings, read back as markers.

A release's values may hold ``{"$unknown": true}`` (an output only known after deploy) or
``{"$secret": true}`` (a secret the plan never carries). Helm needs plain values, so each marker
is rendered as a placeholder string, and every string of the rendered objects that contains a
placeholder, whole or in part (``"<registry>/api:1.2"``), becomes the marker again: a value
derived from an unknown is unknown, one derived from a secret is secret. The placeholders are
lowercase DNS labels so that they survive the usual name helpers (``trunc 63``, ``lower``,
``printf "%s-%s"``) and are found case-insensitively; a base64-encoded placeholder
(``b64enc``) is found too.

What this cannot see (docs/charts.md): a template that *branches* on an unknown value renders
the branch a non-empty string takes, and one that converts it (``int``, ``sha256sum``) hides it.
"""
from __future__ import annotations

import base64
import binascii
import re
from typing import Any, List, Tuple

UNKNOWN_TOKEN = "sahabunknownzq7"
SECRET_TOKEN = "sahabsecretzq7"
_MARKERS = {"$unknown": UNKNOWN_TOKEN, "$secret": SECRET_TOKEN}
_BASE64 = re.compile(r"^[A-Za-z0-9+/]{16,}={0,2}$")


def to_placeholders(value: Any, path: str = "") -> Tuple[Any, List[str]]:
    """``value`` with markers replaced by placeholder strings, and the dotted paths replaced."""
    found: List[str] = []
    return _replace(value, path, found), found


def _replace(value: Any, path: str, found: List[str]) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in _MARKERS:
            found.append(path)
            return _MARKERS[next(iter(value))]
        return {key: _replace(item, _join(path, key), found) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, _join(path, str(index)), found) for index, item in enumerate(value)]
    return value


class Restorer:
    """Turns placeholders in rendered objects back into markers, remembering their paths."""

    def __init__(self) -> None:
        self.unknowns: List[str] = []
        self.secrets: List[str] = []

    def restore(self, value: Any, path: str = "") -> Any:
        if isinstance(value, str):
            kind = placeholder_kind(value)
            if kind == "$secret":
                self.secrets.append(path)
            elif kind == "$unknown":
                self.unknowns.append(path)
            return {kind: True} if kind else value
        if isinstance(value, list):
            return [self.restore(item, _join(path, str(index))) for index, item in enumerate(value)]
        if isinstance(value, dict):
            if any(placeholder_kind(str(key)) for key in value):
                # A key made from an unknown value: the whole mapping is only known at deploy.
                self.unknowns.append(path)
                return {"$unknown": True}
            return {key: self.restore(item, _join(path, key)) for key, item in value.items()}
        return value


def placeholder_kind(text: str) -> str:
    """``$secret``, ``$unknown`` or "" for a rendered string (a secret wins over an unknown)."""
    lowered = text.lower()
    decoded = _decoded(text)
    if SECRET_TOKEN in lowered or SECRET_TOKEN in decoded:
        return "$secret"
    if UNKNOWN_TOKEN in lowered or UNKNOWN_TOKEN in decoded:
        return "$unknown"
    return ""


def _decoded(text: str) -> str:
    if not _BASE64.match(text):
        return ""
    try:
        return base64.b64decode(text, validate=True).decode("utf-8", "replace").lower()
    except (binascii.Error, ValueError):
        return ""


def _join(path: str, key: str) -> str:
    return key if not path else "%s.%s" % (path, key)


def placeholder_for(value: Any) -> Any:
    """A release name or namespace: its placeholder when it is a marker, else itself."""
    replaced, _ = to_placeholders(value)
    return replaced

