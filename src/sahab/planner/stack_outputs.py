"""The ``--stack-outputs`` file: what other stacks give ``pulumi.StackReference``, validated.

The file maps a fully qualified stack name to its outputs, either directly
(``{"org/network/prod": {"vpcId": "vpc-1"}}``) or in the shape of ``pulumi stack export``'s
outputs section, ``{"outputs": {...}, "secretOutputNames": [...]}``. The second shape is the only
one that can mark outputs secret, so it is read strictly: an entry holding either key is that shape
(no other key), ``outputs`` is a mapping and ``secretOutputNames`` a list of strings each naming one
of its outputs. Anything else is exit 2: read loosely, ``secretOutputNames: dbPassword`` (a string,
iterated as characters) or ``outputs: [...]`` (a list, leaving the entry itself as the outputs) would
hand the program a secret as a plain value, and the plan and every report would show it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from ..errors import ConfigError
from ..inputs.safe_yaml import load_json_or_yaml

_SHAPE = ("outputs", "secretOutputNames")
_FIX = 'fix --stack-outputs, e.g. {"org/net/prod": {"outputs": {"vpcId": "vpc-1", "dbPassword": "..."}, "secretOutputNames": ["dbPassword"]}}'


def load_stack_outputs(path: Path) -> Dict[str, Dict[str, Any]]:
    """``{stack: {"outputs": {...}, "secretOutputNames": [...]}}`` from ``path`` (JSON or YAML)."""
    document = load_json_or_yaml(path, "stack outputs file", "fix --stack-outputs")
    if not isinstance(document, dict) or not all(isinstance(name, str) and name.strip() for name in document):
        raise ConfigError("stack outputs file %s must map stack names to outputs" % path, _FIX)
    return {name: _entry(entry, "stack outputs file %s: %s" % (path, name)) for name, entry in document.items()}


def _entry(entry: Any, where: str) -> Dict[str, Any]:
    if not isinstance(entry, dict):
        raise ConfigError("%s must be a mapping of outputs, not %s" % (where, _kind(entry)), _FIX)
    if not set(_SHAPE) & set(entry):
        return {"outputs": _outputs(entry, where), "secretOutputNames": []}
    unknown = sorted(str(key) for key in set(entry) - set(_SHAPE))
    if unknown:
        raise ConfigError("%s has %s beside outputs/secretOutputNames" % (where, ", ".join(unknown)),
                          "fix --stack-outputs: move every output under `outputs:`")
    if "outputs" not in entry:
        raise ConfigError("%s has secretOutputNames but no outputs" % where, _FIX)
    outputs = entry["outputs"]
    if not isinstance(outputs, dict):
        raise ConfigError("%s: outputs must be a mapping, not %s" % (where, _kind(outputs)), _FIX)
    return {"outputs": _outputs(outputs, where), "secretOutputNames": _secret_names(entry.get("secretOutputNames", []), outputs, where)}


def _outputs(outputs: Dict[Any, Any], where: str) -> Dict[str, Any]:
    names = [name for name in outputs if not isinstance(name, str)]
    if names:
        raise ConfigError("%s: output name %r is not a string" % (where, names[0]), "fix --stack-outputs: quote it")
    return outputs


def _secret_names(value: Any, outputs: Dict[str, Any], where: str) -> List[str]:
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ConfigError("%s: secretOutputNames must be a list of output names, not %s" % (where, _kind(value)), _FIX)
    missing = [name for name in value if name not in outputs]
    if missing:
        raise ConfigError("%s: secretOutputNames names %s, which is not an output" % (where, ", ".join(map(repr, missing))),
                          "fix --stack-outputs: name outputs listed under `outputs:`, spelt exactly")
    return list(value)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list" if all(isinstance(item, str) for item in value) else "a list holding %s" % ", ".join(
            sorted({type(item).__name__ for item in value if not isinstance(item, str)}))
    return {str: "text", dict: "a mapping", type(None): "empty"}.get(type(value), "a %s" % type(value).__name__)
