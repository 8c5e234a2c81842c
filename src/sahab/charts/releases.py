"""What a Helm release or chart in the plan asks Helm to install, read from its inputs.

``kubernetes:helm.sh/v3:Release`` and ``kubernetes:helm.sh/v4:Chart`` both name a chart, a
version, a repository, a release name, a namespace and values. They differ in what reaches the
cluster: a Release installs like ``helm install`` and runs the chart's hooks; a v4 Chart drops
hook objects (pulumi-kubernetes, ``helm.v4.Chart`` ``include_hooks``: "By default, Helm hook
resources ... are omitted"). Test hooks run only on ``helm test``, never on an install.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
CHART_TYPE = "kubernetes:helm.sh/v4:Chart"
HELM_TYPES = frozenset({RELEASE_TYPE, CHART_TYPE})
MARKER_KEYS = frozenset({"$unknown", "$secret"})


def is_helm(resource: Mapping[str, Any]) -> bool:
    return resource.get("type") in HELM_TYPES


def is_marker(value: Any) -> bool:
    """An unknown or secret marker of the plan (``{"$unknown": true}``, ``{"$secret": true}``)."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in MARKER_KEYS


def values_digest(values: Any) -> str:
    """``sha256:<hex>`` of the values exactly as the plan shows them (markers included).

    Canonical JSON: keys sorted, no whitespace (``separators=(",", ":")``), UTF-8, non-ASCII
    characters kept as they are. A reviewer copies it from the gate's message into sahab.yaml.
    """
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class HelmInstall:
    """One Release or v4 Chart of the plan, as Helm would be asked to install it.

    ``release_name`` and ``namespace`` are strings, or a marker when unknown before deploy;
    ``blocker`` says why the inputs alone make an offline rendering impossible.
    """

    urn: str
    resource_type: str
    reference: str            # the `chart` input: a name, repo/name alias, oci:// URL or local path
    chart: str                # the chart's name: the last segment of the reference
    version: Optional[str]
    repository: Optional[str]
    release_name: Any
    namespace: Any
    values: Any
    runs_hooks: bool
    skip_crds: bool
    resource_prefix: str = ""     # objects are named "<prefix>:<namespace>/<name>" ("" for no prefix)
    skip_await: bool = False      # a v4 Chart's skipAwait: its objects get pulumi.com/skipAwait
    blocker: Optional[str] = None

    @property
    def values_digest(self) -> str:
        return values_digest(self.values)

    @property
    def kind(self) -> str:
        return "release" if self.resource_type == RELEASE_TYPE else "chart"

    def describe(self) -> str:
        """``chart kuberay-operator 1.7.0 from https://…``: how messages name it."""
        text = "chart %s %s" % (self.chart, self.version or "(no version pinned)")
        return text + (" from %s" % self.repository if self.repository else "")


def helm_install(resource: Mapping[str, Any], provider_namespace: Any = None) -> HelmInstall:
    """Read a helm resource's inputs; ``provider_namespace`` is its provider's ``namespace``."""
    inputs: Dict[str, Any] = resource.get("inputs") or {}
    is_release = resource["type"] == RELEASE_TYPE
    reference = inputs.get("chart")
    version = inputs.get("version")
    repository_opts = inputs.get("repositoryOpts")
    repository = repository_opts.get("repo") if isinstance(repository_opts, dict) else None
    blocker = _blocker(inputs, is_release)
    if not isinstance(reference, str) or not reference:
        reference = "(unknown)"
    elif reference.startswith("oci://"):
        repository = reference.rsplit("/", 1)[0]
    namespace = inputs.get("namespace")
    if namespace is None or namespace == "":
        namespace = provider_namespace if provider_namespace not in (None, "") else "default"
    name = inputs.get("name")
    if name is None or name == "":
        # A Release without a name is auto-named by Pulumi (a random suffix): unknown before
        # deploy. A v4 Chart's release name defaults to the resource name.
        name = {"$unknown": True} if is_release else resource.get("name")
    # helm/v4 chart.go: resourcePrefix defaults to the Chart's resource name; "" means none.
    prefix = inputs.get("resourcePrefix") if not is_release and "resourcePrefix" in inputs else resource.get("name")
    return HelmInstall(
        urn=resource["urn"],
        resource_type=resource["type"],
        reference=reference,
        chart=reference.rstrip("/").rsplit("/", 1)[-1],
        version=version if isinstance(version, str) and version else None,
        repository=repository if isinstance(repository, str) and repository else None,
        release_name=name,
        namespace=namespace,
        values=inputs.get("values") if "values" in inputs else {},
        runs_hooks=is_release,
        skip_crds=inputs.get("skipCrds") is True,
        resource_prefix=prefix if isinstance(prefix, str) else "",
        skip_await=not is_release and inputs.get("skipAwait") is True,
        blocker=blocker,
    )


def _blocker(inputs: Mapping[str, Any], is_release: bool) -> Optional[str]:
    """Why the inputs alone make an honest offline rendering impossible, if they do."""
    if not isinstance(inputs.get("chart"), str) or not inputs.get("chart"):
        return "its chart is not known before deploy"
    if is_marker(inputs.get("version")):
        return "its chart version is not known before deploy"
    values = inputs.get("values")
    if is_marker(values):
        return "its values are %s as a whole" % ("secret" if "$secret" in values else "unknown before deploy")
    if values is not None and not isinstance(values, dict):
        return "its values are not a mapping"
    if not is_release and (is_marker(inputs.get("resourcePrefix")) or is_marker(inputs.get("skipAwait"))):
        return "its resourcePrefix or skipAwait is not known before deploy"
    if inputs.get("valueYamlFiles"):
        return "it reads values files (valueYamlFiles), which are not rendered offline"
    post_renderer = inputs.get("postrender" if is_release else "postRenderer")
    if post_renderer:
        return "a post-renderer changes its objects at install, which is not run offline"
    return None
