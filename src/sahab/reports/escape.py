"""Names are data, not markup: one escaping helper per report family.

Resource, project, stack and folder names, URNs, messages built from them and waiver fields come
from the program and the pull request. In a report they must read as the text they are and
never act as markup: a newline must not start a line of its own (``"x\\nPASS: no mandatory
violations"`` would forge a verdict), an ANSI escape must not move the cursor or recolour a log,
``<!--`` must not hide the rest of a pull-request comment, ``[text](1)`` must not become a SARIF
link, and XML must stay parseable. Each family escapes what is special *in that family* and is
used by every report of the family:

* :func:`plain`: console, the plan table, CI logs, JUnit, GitLab, and the base of the others:
  control and separator characters (``\\n``, ``\\r``, ESC, DEL, C1, U+2028/2029), bidi overrides,
  lone surrogates and U+FFFE/U+FFFF become visible ``\\xNN``/``\\uNNNN`` escapes. The result is
  one line and holds only characters XML 1.0 allows.
* :func:`markdown_text` / :func:`markdown_code`: GitHub-flavoured Markdown, in table cells.
* :func:`sarif_text`: SARIF ``message.text``, where ``[text](N)`` is an embedded link.
"""
from __future__ import annotations

import re
import unicodedata

_BIDI = {"\u061c", "\u200e", "\u200f"} | {chr(c) for c in range(0x202A, 0x202F)} | {chr(c) for c in range(0x2066, 0x206A)}
_NONCHARACTERS = {"\ufffe", "\uffff"}
_UNSAFE_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}
# Inline Markdown inside a table cell: code, emphasis, links and images, HTML and entities, the
# cell separator, strikethrough and GitHub's math. Line-level syntax (#, -, >) cannot start a cell.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~$])")
# SARIF: a backslash is an escape only before a bracket.
_SARIF_SPECIAL = re.compile(r"(\\(?=[\[\]])|[\[\]])")


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in _UNSAFE_CATEGORIES or char in _BIDI or char in _NONCHARACTERS


def _visible(char: str) -> str:
    code = ord(char)
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


def plain(text: object) -> str:
    """``text`` on one line, every control, separator and bidi character shown as an escape."""
    value = str(text)
    if value.isprintable() and not any(char in _BIDI for char in value):
        return value  # the common case, without a walk per character
    return "".join(_visible(char) if _unsafe(char) else char for char in value)


def markdown_text(text: object) -> str:
    """Plain text inside Markdown (a table cell): the inline Markdown and HTML characters backslash-escaped.

    CommonMark lets any ASCII punctuation be escaped, so nothing in a name can open a link, an
    emphasis, a heading, an HTML tag or comment (``<!--`` would hide the rest of the comment) or
    end the table cell (GFM splits cells on unescaped ``|`` before anything else).
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", plain(text))


def markdown_code(text: object) -> str:
    """A code span holding ``text`` literally: a fence of more backticks than any run inside it.

    Inside a code span nothing is markup (``<!--`` is shown, not parsed); only ``|`` needs its GFM
    table escape, which applies inside code spans too.
    """
    value = plain(text).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value.strip() else ""
    return "%s%s%s%s%s" % (fence, pad, value, pad, fence)


def sarif_text(text: object) -> str:
    """SARIF plain-text message: ``[``, ``]`` and a backslash before them escaped (SARIF 2.1.0, 3.11.5)."""
    return _SARIF_SPECIAL.sub(r"\\\1", plain(text))
