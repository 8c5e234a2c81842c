"""The one YAML loader for what users and pull requests write: safe, and bounded.

PyYAML's ``safe_load`` constructs no objects, but it still follows aliases without limit (a
"billion laughs" document of a few hundred bytes expands to billions of values for whoever walks
it), recurses once per nesting level (a deep document ends in ``RecursionError``) and reads
files of any size. This loader composes the node graph first and refuses it, before anything is
constructed, when the document

* nests deeper than :data:`MAX_DEPTH` (checked while composing, aliases followed after),
* expands to more than :data:`MAX_NODES` values once every alias is followed,
* contains an alias to one of its own ancestors (a recursive structure),

and reads files through :func:`sahab.inputs.files.read_input_text` (size limit, regular files only,
UTF-8). YAML 1.1 timestamps stay strings, as Pulumi (Go) reads them: ``2027-01-01`` is the text a
program receives, and fields that are dates are validated by :mod:`sahab.config_dates`.
Every refusal is a :class:`~sahab.errors.ConfigError` (exit 2) naming the file and the fix.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from ..errors import ConfigError
from .files import MAX_INPUT_BYTES, read_input_text

MAX_DEPTH = 64
MAX_NODES = 1_000_000

_STRING_TAGS = ("tag:yaml.org,2002:timestamp",)


class YamlLimitError(Exception):
    """A document over the limits; the text completes "<file> ..." (``nests deeper than 64 levels``)."""


class LimitedComposer:
    """Mixin for a PyYAML loader: counts nesting while composing (before Python's own recursion limit)."""

    _depth = 0

    def compose_node(self, parent: Optional[Node], index: Any) -> Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise YamlLimitError("nests deeper than %d levels (line %d)" % (MAX_DEPTH, mark.line + 1))
            return super().compose_node(parent, index)  # type: ignore[misc, no-any-return]
        finally:
            self._depth -= 1


class _Loader(LimitedComposer, yaml.SafeLoader):
    """Safe YAML within the limits, timestamps left as text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in _STRING_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _check_expansion(root: Node) -> None:
    """Walk the node graph once (shared nodes memoized): expanded size, depth, recursion."""
    sizes: Dict[int, int] = {}
    heights: Dict[int, int] = {}
    active: Set[int] = set()

    def visit(node: Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            if depth + heights[key] > MAX_DEPTH:
                raise YamlLimitError("nests deeper than %d levels once its aliases are followed" % MAX_DEPTH)
            return sizes[key]
        if key in active:
            raise YamlLimitError("has an alias to one of its own ancestors (line %d), a structure without end"
                           % (node.start_mark.line + 1))
        if depth > MAX_DEPTH:
            raise YamlLimitError("nests deeper than %d levels once its aliases are followed" % MAX_DEPTH)
        active.add(key)
        total, height = 1, 0
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        for child in children:
            total += visit(child, depth + 1)
            height = max(height, heights[id(child)] + 1)
            if total > MAX_NODES:
                raise YamlLimitError("expands to more than %d values once its aliases are followed" % MAX_NODES)
        active.discard(key)
        sizes[key], heights[key] = total, height
        return total

    visit(root, 1)


def construct_within_limits(loader: Any) -> Any:
    """The single document of ``loader`` (a :class:`LimitedComposer` loader), checked before it is built.

    Raises :class:`YamlLimitError` over the limits, ``yaml.YAMLError`` when it is not YAML.
    """
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def parse_yaml(text: str, source: str, fix: str) -> Any:
    """Parse ``text`` (from ``source``, as messages name it) within the limits; ConfigError otherwise."""
    try:
        return construct_within_limits(_Loader(text))
    except YamlLimitError as exc:
        raise ConfigError("%s %s" % (source, exc), fix) from None
    except yaml.YAMLError as exc:
        raise ConfigError("%s%s is not valid YAML: %s" % ((source,) + _yaml_problem(exc)), "fix its syntax") from None
    except (ValueError, TypeError) as exc:  # a value PyYAML cannot construct, e.g. a malformed !!binary
        raise ConfigError("%s is not valid YAML: %s" % (source, str(exc).splitlines()[0] if str(exc) else type(exc).__name__),
                          "fix its syntax") from None


def parse_yaml_documents(text: str, source: str, fix: str, loader_class: Optional[type] = None) -> List[Any]:
    """Every document of a YAML stream (``---``-separated), each within the limits; ConfigError otherwise.

    ``loader_class``: a :class:`LimitedComposer` safe loader resolving other implicit types (Kubernetes').
    """
    loader = (loader_class or _Loader)(text)
    documents: List[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            _check_expansion(node)
            documents.append(loader.construct_document(node))
    except YamlLimitError as exc:
        raise ConfigError("%s %s" % (source, exc), fix) from None
    except yaml.YAMLError as exc:
        raise ConfigError("%s%s is not valid YAML: %s" % ((source,) + _yaml_problem(exc)), "fix its syntax") from None
    except (ValueError, TypeError) as exc:  # a value PyYAML cannot construct, e.g. `!!float abc`
        raise ConfigError("%s is not valid YAML: %s" % (source, str(exc).splitlines()[0] if str(exc) else type(exc).__name__),
                          "fix its syntax") from None
    finally:
        loader.dispose()
    return documents


def load_yaml(path: Path, what: str, fix: str, max_bytes: int = MAX_INPUT_BYTES) -> Any:
    """Read and parse the YAML file ``path``; every refusal names ``what`` and ``path`` and hints ``fix``."""
    return parse_yaml(read_input_text(path, what, fix, max_bytes), "%s %s" % (what, path), fix)


def _yaml_problem(exc: yaml.YAMLError) -> Tuple[str, str]:
    """`` line N`` (or "") and the problem, on one line."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return (" line %d" % (mark.line + 1) if mark is not None else "", " ".join(str(problem).split()))


def parse_json(text: str, source: str, fix: str, max_depth: int = MAX_DEPTH) -> Any:
    """JSON with a nesting limit (the same as YAML's by default: Python's parser recurses per level too)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ConfigError("%s nests deeper than %d levels" % (source, max_depth), fix) from None
    except ValueError as exc:
        raise ConfigError("%s is not valid JSON: %s" % (source, exc), "fix its syntax") from None
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise ConfigError("%s nests deeper than %d levels" % (source, max_depth), fix)
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return value


def load_json_or_yaml(path: Path, what: str, fix: str, max_bytes: int = MAX_INPUT_BYTES) -> Any:
    """``path`` as JSON when it ends in ``.json``, else as YAML; both within the limits."""
    text = read_input_text(path, what, fix, max_bytes)
    source = "%s %s" % (what, path)
    return parse_json(text, source, fix) if path.suffix == ".json" else parse_yaml(text, source, fix)
