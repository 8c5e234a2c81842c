"""Rendered manifests -> Kubernetes objects, the way Pulumi and Helm read them.

Following pulumi-kubernetes' ``yaml/v2`` (``Parse`` and ``Normalize``, used by ``helm.v4.Chart``
and by ``yaml.v2.ConfigFile``/``ConfigGroup``, :mod:`.manifests`): empty documents are skipped,
``…List`` objects are flattened into their items, every object needs ``apiVersion``, ``kind`` and
``metadata.name``, ``core/v1`` is written ``v1``, and a namespaced object without a namespace gets
the release's (the provider's default namespace for YAML). Whether a kind is namespaced is decided without a cluster: the chart's own CRDs
say so for their kinds; Kubernetes' cluster-scoped built-in kinds, and custom kinds named
``Cluster…`` (ClusterIssuer, ClusterPolicy, ClusterServingRuntime…), are cluster-scoped; any other
kind is taken to be namespaced.

YAML is read as Kubernetes reads it into JSON: dates stay strings, keys become strings, and
whole numbers are integers (as everywhere in the plan).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from ..inputs.safe_yaml import LimitedComposer
from .render import RenderedChart, RenderFailed

HOOK_ANNOTATION = "helm.sh/hook"
TEST_HOOKS = frozenset({"test", "test-success", "test-failure"})
CLUSTER_SCOPED_KINDS = frozenset({
    "Namespace", "Node", "PersistentVolume", "StorageClass", "CSIDriver", "CSINode", "VolumeAttachment",
    "VolumeAttributesClass", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "APIService",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    "PriorityClass", "RuntimeClass", "IngressClass", "CertificateSigningRequest", "ClusterTrustBundle",
    "FlowSchema", "PriorityLevelConfiguration", "DeviceClass", "ResourceSlice", "IPAddress", "ServiceCIDR",
    "StorageVersionMigration", "GatewayClass",
})

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _KubernetesLoader(_Base):  # type: ignore[misc, valid-type]
    """Safe YAML without YAML 1.1's timestamp and value types: Kubernetes keeps ``2026-01-01``
    and ``=`` (an enum value in the Prometheus Operator's CRDs) strings."""


class _PureLimitedLoader(LimitedComposer, yaml.SafeLoader):  # type: ignore[misc]
    """Kubernetes' YAML within :mod:`sahab.inputs.safe_yaml`'s limits, in pure Python."""


try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml
    CParser = None


if CParser is not None:
    class _FastLimitedLoader(LimitedComposer, Composer, CParser, SafeConstructor, Resolver):  # type: ignore[misc, valid-type]
        """libyaml's event parser (4x faster: bench/expansion_bench.py); composing stays in Python,
        where the depth is counted, and the node graph is checked before anything is built."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)


# For manifests a user or pull request wrote (yaml/v2, :mod:`.manifests`): within the limits
# (nesting, alias expansion). A rendered chart is Helm's output and is read with the loader above.
LimitedKubernetesLoader: Any = _FastLimitedLoader if CParser is not None else _PureLimitedLoader


_STRING_TAGS = ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value")
_KubernetesLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in _STRING_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PureLimitedLoader.yaml_implicit_resolvers = LimitedKubernetesLoader.yaml_implicit_resolvers = \
    _KubernetesLoader.yaml_implicit_resolvers


@dataclass
class RenderedObject:
    template: str              # "sahab-demo/templates/deployment.yaml", or the CRD file
    body: Dict[str, Any]
    hook: Optional[str] = None  # the helm.sh/hook annotation, when it is a hook

    @property
    def is_test_hook(self) -> bool:
        return bool(self.hook) and bool({h.strip() for h in str(self.hook).split(",")} & TEST_HOOKS)


def parse_objects(chart: RenderedChart, namespace: str, include_crds: bool) -> List[RenderedObject]:
    """Every object of a rendering, CRDs first when included, in a stable order."""
    sources: List[Tuple[str, str]] = list(chart.crds) if include_crds else []
    sources += sorted(chart.manifests.items())
    objects = [RenderedObject(template, body, _hook(body)) for template, text in sources for body in _documents(template, text)]
    return place(objects, namespace)


def place(objects: List[RenderedObject], namespace: str) -> List[RenderedObject]:
    """Check every object is named; give each namespaced one without a namespace ``namespace``."""
    scopes = _crd_scopes(o.body for o in objects)
    for obj in objects:
        metadata = obj.body.setdefault("metadata", {})
        if not isinstance(metadata, dict) or not metadata.get("name"):
            raise RenderFailed("%s renders a %s without metadata.name" % (obj.template, obj.body.get("kind")))
        if not metadata.get("namespace") and _namespaced(obj.body, scopes):
            metadata["namespace"] = namespace
    return objects


def _documents(template: str, text: str) -> Iterable[Dict[str, Any]]:
    try:
        documents = list(yaml.load_all(text, Loader=_KubernetesLoader))  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        raise RenderFailed("%s does not render valid YAML: %s" % (template, str(exc).splitlines()[0])) from None
    return flatten(template, documents)


def flatten(template: str, documents: Iterable[Any]) -> Iterable[Dict[str, Any]]:
    """Documents -> objects: empty ones skipped, ``…List`` objects replaced by their items."""
    pending = [_normalised(d) for d in documents if d]
    while pending:
        document = pending.pop(0)
        if not isinstance(document, dict):
            raise RenderFailed("%s renders a YAML document that is not an object" % template)
        if not isinstance(document.get("apiVersion"), str) or not isinstance(document.get("kind"), str):
            raise RenderFailed("%s renders an object without apiVersion and kind" % template)
        if document["kind"].endswith("List") and isinstance(document.get("items"), list):
            pending[:0] = [item for item in document["items"] if item]
            continue
        if document["apiVersion"].startswith("core/"):  # Normalize: the core group is written without a name
            document["apiVersion"] = document["apiVersion"][len("core/"):]
        yield document


def _normalised(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _normalised(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _hook(body: Dict[str, Any]) -> Optional[str]:
    annotations = (body.get("metadata") or {}).get("annotations") if isinstance(body.get("metadata"), dict) else None
    hook = annotations.get(HOOK_ANNOTATION) if isinstance(annotations, dict) else None
    return str(hook) if hook else None


def _crd_scopes(bodies: Iterable[Dict[str, Any]]) -> Dict[Tuple[str, str], str]:
    """(group, kind) -> Namespaced|Cluster, from the CRDs the chart itself ships."""
    scopes = {}
    for body in bodies:
        if body.get("kind") != "CustomResourceDefinition":
            continue
        spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
        names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
        if isinstance(spec.get("group"), str) and isinstance(names.get("kind"), str):
            scopes[(spec["group"], names["kind"])] = str(spec.get("scope", "Namespaced"))
    return scopes


def _namespaced(body: Dict[str, Any], scopes: Dict[Tuple[str, str], str]) -> bool:
    kind = body["kind"]
    group = body["apiVersion"].rsplit("/", 1)[0] if "/" in body["apiVersion"] else ""
    if (group, kind) in scopes:
        return scopes[(group, kind)] == "Namespaced"
    return kind not in CLUSTER_SCOPED_KINDS and not kind.startswith("Cluster")
