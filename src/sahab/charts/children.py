"""A Kubernetes object a component creates -> the plan resource pulumi-kubernetes would register.

Shared by the Helm expansion (:mod:`.expand`) and the YAML v2 expansion (:mod:`.manifests`): both
register their objects as pulumi-kubernetes' ``yaml/v2`` ``Register`` does. Type
``kubernetes:<apiVersion>:<kind>`` (``core/v1`` for ``v1``), name ``[<prefix>:][<namespace>/]<name>``,
parent the component, its provider. A ``v1`` Secret's ``data`` and ``stringData`` are secret as a
whole (``pulumi.ToSecret``); ``skipAwait`` adds the ``pulumi.com/skipAwait`` annotation.

The object may hold placeholders (:mod:`.placeholders`) where a value is unknown or secret: they
become markers again, listed in ``unknowns`` and ``secrets``, and are shown as ``[unknown]`` /
``[secret]`` in names.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from ..expansion import child_urn
from .placeholders import SECRET_TOKEN, UNKNOWN_TOKEN, Restorer, placeholder_kind
from .render import RenderFailed

SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait"
_TOKENS = re.compile("%s|%s" % (UNKNOWN_TOKEN, SECRET_TOKEN), re.IGNORECASE)


def object_resource(parent: Dict[str, Any], body: Dict[str, Any], *, prefix: Optional[str], origin: str,
                    rendered: Dict[str, Any], dependencies: List[str], skip_await: bool = False) -> Dict[str, Any]:
    """The plan resource for ``body`` (a normalised object, metadata.name set) under ``parent``.

    ``origin`` names where the object came from in messages (a template, a file);
    ``dependencies``: URNs its ``metadata`` came from (the release's namespace input).
    """
    if placeholder_kind(body["apiVersion"]) or placeholder_kind(body["kind"]):
        raise RenderFailed("%s renders an object whose apiVersion or kind is only known at deploy time" % origin)
    metadata = body["metadata"]
    if skip_await:
        annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}
        metadata["annotations"] = {**annotations, SKIP_AWAIT_ANNOTATION: "true"}
    object_namespace = metadata.get("namespace")
    resource_name = display("%s/%s" % (object_namespace, metadata["name"]) if object_namespace else str(metadata["name"]))
    if prefix:
        resource_name = "%s:%s" % (prefix, resource_name)
    type_token = "kubernetes:%s:%s" % (body["apiVersion"] if "/" in body["apiVersion"] else "core/" + body["apiVersion"],
                                       body["kind"])
    restorer = Restorer()
    inputs = restorer.restore(body)
    if body["apiVersion"] == "v1" and body["kind"] == "Secret":
        for key in ("data", "stringData"):
            if key in inputs:
                inputs[key] = {"$secret": True}
                restorer.secrets.append(key)
    secrets = sorted(set(p for p in restorer.secrets if not _inside(p, restorer.secrets)))
    child: Dict[str, Any] = {
        "urn": child_urn(parent["urn"], type_token, resource_name),
        "type": type_token,
        "name": resource_name,
        "mode": "create",
        "custom": True,
        "opaque": False,
        "parent": parent["urn"],
        "provider": parent.get("provider"),
        "region": parent.get("region", "unknown"),
        "regionSource": parent.get("regionSource", "none"),
        "inputs": inputs,
        "unknowns": sorted(set(u for u in restorer.unknowns if not _inside(u, secrets))),
        "secrets": secrets,
        "dependencies": dependencies,
        "propertyDependencies": {"metadata": dependencies} if dependencies else {},
        "options": {},
        "rendered": rendered,
    }
    if parent.get("source"):  # the program line of the component made the object
        child["source"] = dict(parent["source"])
    return child


def display(text: str) -> str:
    """A name for URNs and messages: placeholders shown as [unknown] / [secret]."""
    return _TOKENS.sub(lambda m: "[unknown]" if m.group(0).lower() == UNKNOWN_TOKEN else "[secret]", text)


def _inside(path: str, secrets: List[str]) -> bool:
    """Whether ``path`` lies inside a value that is secret as a whole (a Secret's ``data``)."""
    return any(path != secret and path.startswith(secret + ".") for secret in secrets)
