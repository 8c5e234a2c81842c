"""Turn Pulumi wire values (protobuf ``Struct`` contents) into plan JSON.

The wire format marks secrets, unknowns, assets and resource references with "special
signature" envelopes. The plan must never carry a secret's value and must show an unknown as
unknown, so the conversion happens here, on the raw wire data, before anything is written.
"""
from __future__ import annotations

from typing import Any, Dict, List

from .partial import TOKENS, Tokens

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

UNKNOWN_MARKER_KEY = "$unknown"
SECRET_MARKER_KEY = "$secret"


def unknown_marker() -> Dict[str, Any]:
    return {UNKNOWN_MARKER_KEY: True}


def secret_marker() -> Dict[str, Any]:
    return {SECRET_MARKER_KEY: True}


class Redactor:
    """Converts one resource's wire values, remembering where secrets and unknowns were."""

    def __init__(self, tokens: Tokens = TOKENS) -> None:
        self.tokens = tokens
        self.unknowns: List[str] = []
        self.secrets: List[str] = []
        self.partials: List[str] = []  # paths of strings built from known text and unknowns

    def convert(self, value: Any, path: str = "") -> Any:
        if isinstance(value, float):
            return int(value) if value.is_integer() else value
        if isinstance(value, str):
            if value == UNKNOWN_SENTINEL:
                self.unknowns.append(path)
                return unknown_marker()
            if self.tokens.active and "`" in value:
                return self._stand_ins(value, path)
            return value
        if isinstance(value, list):
            return [self.convert(item, _join(path, str(i))) for i, item in enumerate(value)]
        if isinstance(value, dict):
            return self._convert_object(value, path)
        return value

    def _stand_ins(self, value: str, path: str) -> Any:
        """A string that holds stand-in tokens (:mod:`.standins`) as its partial-value marker."""
        marked = self.tokens.marker(value)
        if marked is None:
            return value
        self.unknowns.append(path)
        if marked[1]:
            self.partials.append(path)
        return marked[0]

    def _convert_object(self, value: Dict[str, Any], path: str) -> Any:
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            self.secrets.append(path)
            if _is_unknown_wire(value.get("value")):
                self.unknowns.append(path)
            return secret_marker()
        if sig == OUTPUT_SIG:
            if value.get("secret"):
                self.secrets.append(path)
                if "value" not in value or _is_unknown_wire(value.get("value")):
                    self.unknowns.append(path)
                return secret_marker()
            if "value" not in value:
                self.unknowns.append(path)
                return unknown_marker()
            return self.convert(value["value"], path)
        if sig in (ASSET_SIG, ARCHIVE_SIG):
            kind = "asset" if sig == ASSET_SIG else "archive"
            described = {k: v for k, v in value.items() if k in ("path", "uri")}
            if "text" in value:
                described["text"] = "<inline text>"
            if "assets" in value:
                described["assets"] = sorted(value["assets"])
            return {"$" + kind: described}
        if sig == RESOURCE_SIG:
            ref: Dict[str, Any] = {"urn": value.get("urn")}
            if "id" in value:
                ref["id"] = self.convert(value["id"], _join(path, "id"))
            return {"$resource": ref}
        return {key: self.convert(item, _join(path, key)) for key, item in value.items()}


def _is_unknown_wire(value: Any) -> bool:
    """An unknown, bare or as an output value without a value (secret envelopes seen through)."""
    if value == UNKNOWN_SENTINEL:
        return True
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return _is_unknown_wire(value.get("value"))
        if sig == OUTPUT_SIG:
            return "value" not in value or _is_unknown_wire(value.get("value"))
    return False


def _join(path: str, key: str) -> str:
    return key if not path else path + "." + key


def contains_secret(value: Any) -> bool:
    """True when a wire value holds a secret envelope anywhere inside it."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return True
        if value.get(SIG_KEY) == OUTPUT_SIG and value.get("secret"):
            return True
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


def make_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """The URN the engine gives: the parent's whole qualified type, minus the stack's.

    (The stock mock monitor keeps only the parent's last type and keeps the root stack's type.)
    The monitor and the harness's transforms both key resources by it.
    """
    if parent:
        qualified = parent.split("::")[2] if parent.count("::") >= 3 else ""
        if qualified and qualified != "pulumi:pulumi:Stack":
            type_ = qualified + "$" + type_
    return "urn:pulumi:" + "::".join([stack, project, type_, name])
