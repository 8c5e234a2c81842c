"""Stand-in tokens, and their conversion into the plan's partial-value markers.

A stand-in (:mod:`.standins`) is the text of a *token*: an ASCII string that no program writes
by chance (it holds a random per-run nonce) and that ``json.dumps`` copies unchanged (no quote,
backslash or control character). Every character of it is followed by a backtick, so cutting a
token anywhere (a slice, a split on ``:``, ``/``, ``.``, ``-``, ``,``, ``=``, ``_``, ``@``,
``|``, ``;``, ``+``, ``#`` or a space, which all occur in it, a case change or a replace of
one of its characters) leaves a *fragment*: a backtick, one character, a backtick.

This module is pure (no SDK import): the monitor's :class:`.wire.Redactor` uses it to turn
token-bearing wire strings into ``{"$unknown": true, "of": ...}`` and
``{"$unknown": true, "$partial": [...], "$json": ...}`` markers (docs/plan-format.md), and it is
also imported, inactive, by the plan builder in sahab's own process.
"""
from __future__ import annotations

import json
import re
import secrets
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

UNKNOWN_KEY = "$unknown"
PARTIAL_KEY = "$partial"
JSON_KEY = "$json"
OF_KEY = "of"
# What a stand-in becomes where a plain string must be written (a resource's name and URN).
PLACEHOLDER = "{unknown}"

_TICK = "`"
# Upper and lower case (so upper()/lower() change it) and the usual split characters.
_HEAD = "Sahab :/.-,=_@|;+#"
_TAIL = "~"
_FRAGMENT = re.compile(r"`[^`]`")


def _ticked(text: str) -> str:
    return "".join(char + _TICK for char in text)


# Every token starts with this (the nonce follows); a string without a backtick holds none.
MARK = _TICK + _ticked(_HEAD)

Origin = Dict[str, str]
Part = Union[str, Origin]


class Tokens:
    """The tokens of one run: their nonce, and the output each stands for, written in the token.

    A token names its origin (resource URN and output wire name, hex-encoded), so sahab's
    process reads it without asking the program's process; neither the encoding nor the nonce
    ever reaches the plan, which shows origins.
    """

    def __init__(self, nonce: Optional[str] = None) -> None:
        self.active = False  # set by the first token: until then no string can hold one
        self._by_origin: Dict[Tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self._on_first: Optional[Callable[[], None]] = None
        self.use_nonce(nonce or secrets.token_hex(8))

    def use_nonce(self, nonce: str, on_first: Optional[Callable[[], None]] = None) -> None:
        """Take the nonce sahab's process chose (before any token exists); ``on_first`` hears of the
        first token before it is handed out, so the monitor starts looking for tokens."""
        self.nonce = nonce
        self._on_first = on_first
        self._pattern = re.compile(re.escape(MARK + _ticked(nonce + ".")) + r"((?:[0-9a-f]`)+)" + re.escape(_ticked(_TAIL)))

    def token_for(self, urn: str, output: str) -> str:
        """The token text standing for output ``output`` (wire name) of the resource ``urn``."""
        key = (urn, output)
        with self._lock:
            token = self._by_origin.get(key)
            if token is None:
                if not self.active and self._on_first is not None:
                    self._on_first()
                encoded = (urn + "\n" + output).encode("utf-8").hex()
                token = _TICK + _ticked(_HEAD + self.nonce + "." + encoded + _TAIL)
                self._by_origin[key] = token
                self.active = True
            return token

    def parts(self, text: str) -> Optional[List[Part]]:
        """``text`` as known pieces (str) and origins (dict), in order; None if it holds a fragment."""
        parts: List[Part] = []
        position = 0
        for match in self._pattern.finditer(text):
            if match.start() > position:
                parts.append(text[position:match.start()])
            parts.append(_origin(match.group(1).replace(_TICK, "")))
            position = match.end()
        if position < len(text):
            parts.append(text[position:])
        if any(isinstance(part, str) and _FRAGMENT.search(part) for part in parts):
            return None
        return parts

    def holds_token(self, text: str) -> bool:
        return self.active and _TICK in text and self._pattern.search(text) is not None

    def scrub(self, text: str) -> str:
        """``text`` with every token, and every fragment of one, written as ``{unknown}``.

        For text the plan shows as it is (a resource's name, a log message, and the whole
        capture as a last safety net): the nonce never reaches the plan.
        """
        if not self.active or _TICK not in text:
            return text
        return _FRAGMENT_RUN.sub(PLACEHOLDER, self._pattern.sub(PLACEHOLDER, text))

    def scrub_tokens(self, text: str) -> str:
        """``text`` with every whole token written as ``{unknown}`` (fast when there is none)."""
        if not self.active or MARK not in text:
            return text
        return self._pattern.sub(PLACEHOLDER, text)

    # -- markers ------------------------------------------------------------------------------

    def marker(self, text: str) -> Optional[Tuple[Dict[str, Any], bool]]:
        """The plan marker for a string that holds tokens, and whether it is a ``$partial`` one.

        None for a string with neither a token nor a fragment (a backtick of the program's own);
        a plain ``{"$unknown": true}`` for one with a fragment: a cut token stands for nothing.
        """
        parts = self.parts(text)
        if parts is None:
            return {UNKNOWN_KEY: True}, False
        if not any(isinstance(part, dict) for part in parts):
            return None
        if len(parts) == 1:
            return _unknown(parts[0]), False  # type: ignore[arg-type]
        marker: Dict[str, Any] = {UNKNOWN_KEY: True, PARTIAL_KEY: [
            part if isinstance(part, str) else _unknown(part) for part in parts
        ]}
        document = self._json_document(text)
        if document is not None:
            marker[JSON_KEY] = document
        return marker, True

    def _json_document(self, text: str) -> Any:
        """The parsed document of a JSON object/array with tokens inside its strings, else None."""
        if text.lstrip()[:1] not in ("{", "["):
            return None
        try:
            document = json.loads(text)
        except ValueError:
            return None
        try:
            return self._mark_document(document)
        except _KeyHoldsToken:
            return None

    def _mark_document(self, value: Any) -> Any:
        if isinstance(value, str):
            marked = self.marker(value) if _TICK in value else None
            return value if marked is None else marked[0]
        if isinstance(value, list):
            return [self._mark_document(item) for item in value]
        if isinstance(value, dict):
            if any(_TICK in key and self._pattern.search(key) for key in value):
                raise _KeyHoldsToken()
            return {key: self._mark_document(item) for key, item in value.items()}
        return value


def _origin(encoded: str) -> Origin:
    """The origin a token's hex part names; an empty one when it does not decode (a forged token)."""
    try:
        urn, _, output = bytes.fromhex(encoded).decode("utf-8").partition("\n")
    except ValueError:
        return {}
    return {"urn": urn, "output": output}


def _unknown(origin: Origin) -> Dict[str, Any]:
    return {UNKNOWN_KEY: True, OF_KEY: dict(origin)} if origin.get("urn") else {UNKNOWN_KEY: True}


class _KeyHoldsToken(Exception):
    """A JSON document whose keys hold unknowns gets no ``$json``."""


# A run of at least two ticked characters: what is left of a token cut anywhere but at its ends.
_FRAGMENT_RUN = re.compile(r"`?(?:[^`]`){2,}[^`]?")

# The one registry of the harness process (the plan builder's process never makes a token).
TOKENS = Tokens()
