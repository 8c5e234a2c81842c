"""Split the Kubernetes manifests into shards whose checkov findings equal one whole scan's.

Why a whole scan is super-linear
--------------------------------
checkov 3.3.30 builds one graph of every object it scans and links objects with edge builders
that ignore namespaces: ``LabelSelectorEdgeBuilder`` compares every labelled object with every
object that has a selector, ``NetworkPolicyEdgeBuilder`` every NetworkPolicy with every Pod. Both
loop over all vertices (O(n²) comparisons), and when label values repeat across namespaces
(``app: web`` in each of 250 namespaces) they also *create* O(n²) edges: 437,000 edges for 1,000
manifests, ~11 million for 5,000. Building them, copying them into rustworkx and evaluating the
graph checks over them is where the time and memory go.

What a shard must contain
-------------------------
Resource checks (``CKV_K8S_*``, ``CKV_SAHAB_*``) read one object: any partition gives the same
results for them. Only graph checks read edges, and in checkov 3.3.30 the Kubernetes graph
checks are

- ``CKV2_K8S_1``..``5``: a RoleBinding/ClusterRoleBinding and the Role/ClusterRole it is linked
  to by ``KeywordEdgeBuilder`` (roleRef name and kind, across namespaces). All four RBAC kinds
  go to one group, scanned together.
- ``CKV2_K8S_6``: a Pod passes when *some* NetworkPolicy in the scan is linked to it, in any
  namespace: ``podSelector`` without ``matchLabels`` links a policy to every Pod;
  ``matchLabels`` links it to Pods whose labels include them (and to Pods without labels).
  A shard therefore gets, as read-only *context*, one NetworkPolicy from elsewhere that covers
  each of its Pods: the first wildcard policy of the plan if there is one (it covers every Pod),
  else for each Pod the first policy whose ``matchLabels`` match. Context objects are scanned
  but their own findings are dropped (they are reported by their home shard). Policies checkov
  could link in another way (``spec.selector``, a non-mapping ``podSelector``/``matchLabels``)
  are context of every shard.

One more subtlety: checkov collects edges per vertex *name* (``Kind.namespace.name``), so two
objects with the same id share edges. Objects are grouped by (namespace, name), so duplicates
always land in the same shard, and a context policy is never a duplicate of a shard's object.

If the external checks directory holds graph checks of its own (YAML/JSON), sharding is off:
sahab cannot know what they connect.

Shard boundaries are content-defined (a cut after a group whose name hashes to 0 mod 4 once the
shard holds ``target`` objects, or a forced cut at ``2 × target``), so adding a namespace
changes one shard, and the others keep their cache entries.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from .manifests import POD_TEMPLATE_KINDS, Manifest

DEFAULT_TARGET = 48
_LINE_KEYS = ("__startline__", "__endline__")


@dataclass
class Shard:
    members: List[Manifest] = field(default_factory=list)
    context: List[Manifest] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.members)


def _strip(mapping: Any) -> Any:
    if isinstance(mapping, dict):
        return {k: v for k, v in mapping.items() if k not in _LINE_KEYS}
    return mapping


def _policy_class(manifest: Manifest) -> Tuple[str, Optional[Dict[str, Any]]]:
    """How checkov 3.3.30 links this NetworkPolicy to Pods.

    Returns ("none", None): to no Pod; ("wildcard", None): to every Pod; ("labels", labels):
    to Pods whose labels include ``labels`` and to Pods without labels; ("odd", None): anything
    else (kept as context everywhere).
    """
    spec = manifest.document.get("spec", {})
    if spec is None:
        return "none", None
    if not isinstance(spec, dict):
        return "odd", None
    if spec.get("selector"):
        return "odd", None  # LabelSelectorEdgeBuilder would read spec.selector.matchLabels
    selector = spec.get("podSelector")
    if selector is None:
        return "none", None
    if not isinstance(selector, dict):
        return ("odd", None) if selector else ("none", None)
    # In checkov's parsed YAML every mapping carries line markers, so even ``{}`` is truthy.
    labels = _strip(selector.get("matchLabels"))
    if not labels:
        return "wildcard", None
    if not isinstance(labels, dict):
        return "odd", None
    for value in labels.values():
        try:
            hash(value)
        except TypeError:
            return "odd", None
    return "labels", labels


_NO_LABELS = object()


def _pod_labels(manifest: Manifest) -> List[Any]:
    """Labels of each Pod vertex checkov makes from this object (``_NO_LABELS`` when absent).

    Over-approximates on purpose: an extra Pod only adds a context policy that covers it.
    """
    document = manifest.document
    if manifest.kind == "Pod":
        metadata = document.get("metadata")
        labels = metadata.get("labels") if isinstance(metadata, dict) else None
        return [_NO_LABELS if labels is None else labels]
    if manifest.kind in POD_TEMPLATE_KINDS:
        spec = document.get("spec")
        template = spec.get("template") if isinstance(spec, dict) else None
        if isinstance(template, dict):
            metadata = template.get("metadata")
            labels = metadata.get("labels") if isinstance(metadata, dict) else None
            return [_NO_LABELS if labels is None else labels]
    return []


def _matches(policy_labels: Dict[str, Any], pod_labels: Any) -> bool:
    if pod_labels is _NO_LABELS:
        return True
    if not isinstance(pod_labels, dict):
        # checkov compares with ``in``/``len`` on whatever it is; keep it as context to be safe
        return True
    pod_labels = _strip(pod_labels)
    if len(policy_labels) > len(pod_labels):
        return False
    return all(key in pod_labels and pod_labels[key] == value for key, value in policy_labels.items())


class _PolicyIndex:
    def __init__(self, manifests: Sequence[Manifest]) -> None:
        self.wildcard: Optional[Manifest] = None
        self.odd: List[Manifest] = []
        self.labelled: List[Tuple[Manifest, Dict[str, Any]]] = []
        self.by_pair: Dict[Tuple[str, Any], List[int]] = {}
        for manifest in manifests:
            if manifest.kind != "NetworkPolicy":
                continue
            kind, labels = _policy_class(manifest)
            if kind == "wildcard" and self.wildcard is None:
                self.wildcard = manifest
            elif kind == "odd":
                self.odd.append(manifest)
            elif kind == "labels":
                index = len(self.labelled)
                self.labelled.append((manifest, labels))
                for pair in labels.items():
                    self.by_pair.setdefault(pair, []).append(index)

    def cover(self, pod_labels: Any) -> Optional[Manifest]:
        """One policy linked to a Pod with these labels, or None."""
        if self.wildcard is not None:
            return self.wildcard
        if not self.labelled:
            return None
        if pod_labels is _NO_LABELS or not isinstance(pod_labels, dict):
            return self.labelled[0][0]
        candidates: Set[int] = set()
        for pair in _strip(pod_labels).items():
            try:
                candidates.update(self.by_pair.get(pair, ()))
            except TypeError:
                continue
        for index in sorted(candidates):
            manifest, labels = self.labelled[index]
            if _matches(labels, pod_labels):
                return manifest
        return None


def _cut_here(group_key: Tuple[str, ...]) -> bool:
    digest = hashlib.sha256("\x00".join(group_key).encode("utf-8")).digest()
    return digest[0] % 4 == 0


def plan_shards(manifests: Sequence[Manifest], target: int = DEFAULT_TARGET) -> List[Shard]:
    """Partition ``manifests`` into shards, each with the context its graph checks need."""
    target = max(1, int(target))
    groups: Dict[Tuple[str, ...], List[Manifest]] = {}
    for manifest in sorted(manifests, key=lambda m: (m.group_key, m.urn)):
        groups.setdefault(manifest.group_key, []).append(manifest)
    shards: List[Shard] = []
    current = Shard()
    for key in sorted(groups):
        current.members.extend(groups[key])
        if current.size >= 2 * target or (current.size >= target and _cut_here(key)):
            shards.append(current)
            current = Shard()
    if current.members:
        shards.append(current)

    index = _PolicyIndex(manifests)
    for shard in shards:
        home = {id(m) for m in shard.members}
        context: Dict[int, Manifest] = {}
        for policy in index.odd:
            if id(policy) not in home:
                context[id(policy)] = policy
        for manifest in shard.members:
            for labels in _pod_labels(manifest):
                cover = index.cover(labels)
                if cover is not None and id(cover) not in home:
                    context[id(cover)] = cover
        shard.context = sorted(context.values(), key=lambda m: m.urn)
    return shards


def single_shard(manifests: Iterable[Manifest]) -> List[Shard]:
    members = list(manifests)
    return [Shard(members=members)] if members else []
