"""What checkov scans: Kubernetes manifests built from the plan, and the project's CI and Docker files.

Kubernetes manifests
--------------------
Every managed ``kubernetes:*`` resource of the plan (``custom`` true, ``mode`` create, not a
``…Patch`` kind, not a provider) becomes one YAML file whose content is the resource's inputs:
``apiVersion``, ``kind``, ``metadata``, ``spec``… Components (``yaml.ConfigFile``, ``helm``
charts) are skipped: their children are in the plan as resources of their own, and opaque ones
(``yaml/v2``, ``helm/v4``) are reported as unchecked by the gate, not here.

Two gaps in the inputs are filled the way Pulumi fills them at deploy time:

- ``metadata.name`` missing (Pulumi auto-naming): the logical name. Pulumi appends a random
  suffix at deploy; no checkov check reads the name, but checkov drops an object without one.
- ``metadata.namespace`` missing on a namespaced kind whose explicit provider sets ``namespace``:
  that namespace (what the provider applies). Otherwise left out, as Pulumi would.

Markers:

- ``{"$unknown": true}`` in a *scalar* position (an image, a flag, a label value, a name) becomes
  ``sahab-unknown-<10 hex digits>``, unique per resource and path. It is a non-empty string that
  equals no literal a check compares with (``true``, ``false``, a number, ``latest``, a registry,
  another unknown), so a check either fails on it ("not the safe value") or passes ("not the
  dangerous value"). Either way the result is not trusted: when checkov reports that a check read
  (``evaluated_keys``) a path at or under an unknown one, sahab turns the result, failed *or*
  passed, into a ``deferred`` finding (see :mod:`sahab.gate.checkov.engine`). A *failed* check
  that reports no evaluated keys is deferred when the object has an unknown under a key such
  checks read (``SENSITIVE_KEYS``: security contexts, host access, service accounts, volumes,
  pod labels and selectors, probes, resources, RBAC rules); unknown images, ports, commands,
  environment values, names and annotations do not defer it. A *passed* check without
  evaluated keys stays a pass (most checks that do not apply pass without reading anything).
- ``{"$unknown": true}`` in a *structural* position (``spec``, ``containers``, ``securityContext``,
  ``volumes``, an element of ``containers``…; see ``STRUCTURAL_KEYS``): a string there is not
  what checkov expects (it crashes on some) and no placeholder of the right shape is neutral, so
  the object is not given to checkov at all; it gets one ``deferred`` finding
  (``CKV_SAHAB_UNKNOWN``) naming the unknown paths.
- ``{"$secret": true}``: ``sahab-secret-redacted``. A whole ``data``/``stringData`` map that is
  secret becomes ``{}`` (checkov has no check on their content); any other structural secret
  is handled like a structural unknown.
- ``$asset``/``$archive``/``$resource`` markers: ``sahab-asset`` etc.

Project files
-------------
CI pipelines under ``pipelines/`` (plus the conventional ``.github/workflows/`` and
``.gitlab-ci.yml`` at the project root): a YAML file with top-level ``on`` and ``jobs`` is GitHub
Actions, one named ``*.gitlab-ci.yml`` or with ``stages``/jobs with ``script`` is GitLab CI.
checkov only recognises them by location and name, so each is staged as
``files/gha/<n>/.github/workflows/<name>`` or ``files/gitlab/<n>/.gitlab-ci.yml``. Dockerfiles
(``Dockerfile``, ``Dockerfile.*``, ``*.Dockerfile``) anywhere in the project except ``.venv``,
``.tools``, ``node_modules``, ``.git`` and other hidden or cache folders, staged as
``files/docker/<n>/<name>``. Findings on them carry ``urn = "file:<path in the project>"``.
checkov skips a workflow that is not valid YAML without a word, so sahab parses each CI file
first (any tag allowed) and reports one that does not parse as ``unchecked``
(``CKV_SAHAB_PARSE``). Project files are untrusted input (sahab.inputs.files): a symlink out of the
project, a symlink loop, a FIFO or device, a file over 4 MiB and a CI file over sahab's YAML limits
(an alias bomb, deep nesting) are never read or handed to checkov, and are reported the same way.
``sahab gate`` reads them (:func:`read_project_files`) before the program runs, and checkov scans
those bytes: a program that renames or rewrites them while it is planned changes nothing
(:mod:`sahab.gate.snapshot`).
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import yaml

from ...components.regions import AZURE_UAE_LOCATIONS
from ...inputs.files import RefusedFile, read_project_file
from ...inputs.safe_yaml import LimitedComposer, YamlLimitError, construct_within_limits

try:  # libyaml's emitter: ~10x faster for thousands of manifests
    _Dumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Dumper = yaml.SafeDumper

UNKNOWN_PREFIX = "sahab-unknown-"
SECRET_PLACEHOLDER = "sahab-secret-redacted"
RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})
# checkov builds a Pod vertex from the template of these kinds (kubernetes_utils.SUPPORTED_POD_CONTAINERS_TYPES)
POD_TEMPLATE_KINDS = frozenset({"Deployment", "DeploymentConfig", "DaemonSet", "Job", "ReplicaSet",
                                "ReplicationController", "StatefulSet"})
NAMESPACED_KINDS = frozenset({
    "Pod", "PodTemplate", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController",
    "Job", "CronJob", "Service", "ConfigMap", "Secret", "ServiceAccount", "Role", "RoleBinding",
    "NetworkPolicy", "Ingress", "PersistentVolumeClaim", "HorizontalPodAutoscaler",
    "PodDisruptionBudget", "ResourceQuota", "LimitRange", "Endpoints", "EndpointSlice", "Lease",
})
# Keys whose value is an object or a list in the Kubernetes API: a string there is malformed.
STRUCTURAL_KEYS = frozenset({
    "spec", "template", "metadata", "labels", "annotations", "selector", "matchLabels",
    "matchExpressions", "podSelector", "namespaceSelector", "containers", "initContainers",
    "ephemeralContainers", "volumes", "volumeMounts", "securityContext", "resources", "limits",
    "requests", "env", "envFrom", "valueFrom", "secretKeyRef", "configMapKeyRef", "fieldRef",
    "ports", "capabilities", "add", "drop", "seLinuxOptions", "seccompProfile", "appArmorProfile",
    "tolerations", "affinity", "nodeAffinity", "podAffinity", "podAntiAffinity", "nodeSelector",
    "hostPath", "jobTemplate", "rules", "subjects", "roleRef", "ingress", "egress", "from", "to",
    "ipBlock", "data", "stringData", "binaryData", "livenessProbe", "readinessProbe", "startupProbe",
    "httpGet", "exec", "tcpSocket", "grpc", "strategy", "rollingUpdate", "updateStrategy",
    "topologySpreadConstraints", "imagePullSecrets", "dnsConfig", "items", "hostAliases",
    "persistentVolumeClaim", "secret", "configMap", "emptyDir", "projected", "sources", "lifecycle",
    "tls", "backend", "defaultBackend", "paths", "http", "webhooks", "clientConfig", "subsets",
    "addresses", "volumeClaimTemplates", "windowsOptions", "sysctls", "csi", "nfs",
    "aggregationRule", "clusterRoleSelectors", "apiVersion", "kind",
})
# What checkov's checks without evaluated keys read (security contexts, host access, service
# accounts, volumes, pod labels and selectors, probes, resources, RBAC rules): an unknown value
# under one of these keys defers such a check's failure. Unknown images, ports, commands,
# environment values, names and annotations do not.
SENSITIVE_KEYS = frozenset({
    "securityContext", "runAsUser", "runAsNonRoot", "runAsGroup", "fsGroup", "privileged",
    "allowPrivilegeEscalation", "readOnlyRootFilesystem", "capabilities", "seccompProfile",
    "seLinuxOptions", "appArmorProfile", "procMount", "hostNetwork", "hostPID", "hostIPC", "hostPort",
    "automountServiceAccountToken", "serviceAccountName", "serviceAccount", "volumes", "hostPath",
    "labels", "matchLabels", "podSelector", "resources", "livenessProbe", "readinessProbe", "rules",
    "subjects", "roleRef", "verbs", "tolerations",
})
_SKIP_DIRS = frozenset({".venv", "venv", ".tools", "node_modules", ".git", "__pycache__", ".tox",
                        ".mypy_cache", ".pytest_cache", "build", "dist", ".eggs"})
_DOCKERFILE = re.compile(r"^(Dockerfile(\..+)?|.+\.[Dd]ockerfile)$")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")

Path_ = Tuple[Any, ...]


@dataclass
class Manifest:
    """One Kubernetes object for checkov, and where it came from."""

    urn: str
    resource_type: str
    kind: str
    namespace: str
    name: str
    rel_path: str                  # path inside the scan folder, e.g. "k8s/Deployment-web-1a2b3c4d5e.yaml"
    document: Dict[str, Any]
    text: str
    unknown_paths: Tuple[str, ...]  # "/"-joined paths of scalar unknowns (checkov's evaluated-key syntax)
    sensitive_unknowns: Tuple[str, ...]  # those that checks without evaluated keys may read

    @property
    def group_key(self) -> Tuple[str, str, str]:
        """Objects that must be scanned together: RBAC as one group, else one namespace + name."""
        if self.kind in RBAC_KINDS:
            return ("~rbac", "", "")
        return ("ns", self.namespace, self.name)


@dataclass
class Deferred:
    """An object checkov is not given: the reason, and the paths that caused it."""

    urn: str
    resource_type: str
    paths: Tuple[str, ...]
    reason: str


@dataclass
class ProjectFile:
    """A CI pipeline or Dockerfile of the project, staged where checkov recognises it."""

    source: str        # path relative to the project folder
    rel_path: str      # staged path inside the scan folder
    framework: str     # github_actions | gitlab_ci | dockerfile
    content: bytes


@dataclass
class Inputs:
    manifests: List[Manifest] = field(default_factory=list)
    deferred: List[Deferred] = field(default_factory=list)
    files: List[ProjectFile] = field(default_factory=list)
    acr_registries: Tuple[str, ...] = ()
    unparseable: List[str] = field(default_factory=list)  # CI files that are not YAML (checkov skips them silently)
    refused: List[Tuple[str, str]] = field(default_factory=list)  # (path, why): project files sahab did not read


class _TolerantLoader(LimitedComposer, yaml.SafeLoader):
    """Safe YAML that accepts any tag (GitLab's ``!reference``): only the syntax is judged."""


_TolerantLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


class _Structural(Exception):
    def __init__(self, paths: List[str], reason: str) -> None:
        super().__init__(reason)
        self.paths = paths
        self.reason = reason


def _is_marker(value: Any) -> Optional[str]:
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value.keys()
        if isinstance(key, str) and key in ("$unknown", "$secret", "$asset", "$archive", "$resource"):
            return key
    return None


def _placeholder(urn: str, path: Path_) -> str:
    digest = hashlib.sha256(("%s#%s" % (urn, "/".join(str(p) for p in path))).encode("utf-8")).hexdigest()
    return UNKNOWN_PREFIX + digest[:10]


def _structural(parent_key: Any, in_list_of: Any) -> bool:
    if in_list_of is not None:
        return in_list_of in STRUCTURAL_KEYS and in_list_of not in ("add", "drop", "args", "command")
    return parent_key in STRUCTURAL_KEYS


class _Cleaner:
    def __init__(self, urn: str, kind: str) -> None:
        self.urn = urn
        self.kind = kind
        self.unknowns: List[Path_] = []
        self.structural: List[str] = []
        self.reason = "unknown"

    def clean(self, value: Any, path: Path_, key: Any, list_key: Any) -> Any:
        marker = _is_marker(value)
        if marker == "$unknown":
            if _structural(key, list_key) or not path:
                self.structural.append(_slash(path))
                return None
            self.unknowns.append(path)
            return _placeholder(self.urn, path)
        if marker == "$secret":
            if key in ("data", "stringData", "binaryData") and len(path) == 1:
                return {}
            if _structural(key, list_key):
                self.structural.append(_slash(path))
                self.reason = "secret"
                return None
            return SECRET_PLACEHOLDER
        if marker is not None:
            return "sahab-" + marker[1:]
        if isinstance(value, dict):
            return {k: self.clean(v, path + (k,), k, None) for k, v in value.items()}
        if isinstance(value, list):
            return [self.clean(v, path + (i,), key, key) for i, v in enumerate(value)]
        return value


def _sensitive(kind: str, path: Path_) -> bool:
    """Whether a check that reports no evaluated keys may have read this path."""
    if path[:2] == ("metadata", "labels"):
        return kind == "Pod"  # a Pod's own labels decide its NetworkPolicy (CKV2_K8S_6)
    return any(part in SENSITIVE_KEYS for part in path if isinstance(part, str))


def _slash(path: Path_) -> str:
    return "/".join(str(part) for part in path)


def _logical_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _file_name(kind: str, name: str, urn: str) -> str:
    digest = hashlib.sha256(urn.encode("utf-8")).hexdigest()[:10]
    stem = _SAFE.sub("_", "%s-%s" % (kind, name))[:80]
    return "k8s/%s-%s.yaml" % (stem, digest)


def _provider_namespaces(resources: Sequence[Dict[str, Any]]) -> Dict[str, str]:
    namespaces = {}
    for resource in resources:
        if resource.get("type") == "pulumi:providers:kubernetes":
            namespace = (resource.get("inputs") or {}).get("namespace")
            if isinstance(namespace, str) and namespace:
                namespaces[resource["urn"]] = namespace
    return namespaces


def is_scannable(resource: Dict[str, Any]) -> bool:
    rtype = resource.get("type") or ""
    if not rtype.startswith("kubernetes:") or not resource.get("custom") or resource.get("opaque"):
        return False
    if resource.get("mode", "create") != "create" or rtype.endswith("Patch"):
        return False
    inputs = resource.get("inputs")
    return isinstance(inputs, dict) and "kind" in inputs and "apiVersion" in inputs


def build_manifests(plan: Dict[str, Any]) -> Tuple[List[Manifest], List[Deferred]]:
    resources = plan.get("resources") or []
    provider_ns = _provider_namespaces(resources)
    manifests: List[Manifest] = []
    deferred: List[Deferred] = []
    for resource in resources:
        if not is_scannable(resource):
            continue
        urn = resource["urn"]
        inputs = resource["inputs"]
        kind = inputs.get("kind") if isinstance(inputs.get("kind"), str) else ""
        cleaner = _Cleaner(urn, kind)
        document = cleaner.clean(inputs, (), None, None)
        if cleaner.structural or not kind:
            deferred.append(Deferred(urn, resource["type"], tuple(cleaner.structural) or ("kind",), cleaner.reason))
            continue
        metadata = document.get("metadata")
        if not isinstance(metadata, dict):
            metadata = {}
            document["metadata"] = metadata
        if not metadata.get("name"):
            metadata["name"] = _logical_name(urn)
        if "namespace" not in metadata and kind in NAMESPACED_KINDS and resource.get("provider") in provider_ns:
            metadata["namespace"] = provider_ns[resource["provider"]]
        name = str(metadata.get("name"))
        namespace = metadata.get("namespace")
        namespace = namespace if isinstance(namespace, str) else ("" if namespace is None else str(namespace))
        text = yaml.dump(document, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True)
        unknowns = tuple(_slash(path) for path in cleaner.unknowns)
        sensitive = tuple(_slash(path) for path in cleaner.unknowns if _sensitive(kind, path))
        manifests.append(Manifest(urn, resource["type"], kind, namespace, name, _file_name(kind, name, urn),
                                  document, text, unknowns, sensitive))
    return manifests, deferred


def acr_registries(plan: Dict[str, Any], uae_locations: Iterable[str] = AZURE_UAE_LOCATIONS) -> Tuple[str, ...]:
    """Login servers of the Azure Container Registries the plan creates in the UAE.

    A registry counts when its effective location is a UAE region, its name is known before
    deploy, and no geo-replica (``containerregistry:Replication``) of it lies outside the UAE.
    """
    allowed = {loc.lower() for loc in uae_locations}
    in_uae: Set[str] = set()
    replicated_out: Set[str] = set()
    for resource in plan.get("resources") or []:
        rtype = resource.get("type") or ""
        if not rtype.startswith("azure-native:containerregistry"):
            continue
        inputs = resource.get("inputs") or {}
        name = inputs.get("registryName")
        if not isinstance(name, str):
            continue
        location = str(resource.get("region") or inputs.get("location") or "").lower().replace(" ", "")
        if rtype.endswith(":Registry") and location in allowed:
            in_uae.add(name.lower())
        elif rtype.endswith(":Replication") and location not in allowed:
            replicated_out.add(name.lower())
    return tuple(sorted("%s.azurecr.io" % name for name in in_uae - replicated_out))


def _walk(root: Path) -> Iterable[Path]:
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not (d.startswith(".") and d != ".github"))
        for name in sorted(files):
            yield Path(current) / name


def _ci_kind(path: Path, content: bytes) -> Optional[str]:
    """github_actions, gitlab_ci, None (not CI), or "unparseable"."""
    try:
        data = construct_within_limits(_TolerantLoader(content))
    except YamlLimitError as exc:  # checkov would walk it next: an alias bomb or deep nesting never reaches it
        raise RefusedFile("is over sahab's YAML limits: it %s" % exc) from None
    except yaml.YAMLError:
        return "unparseable"
    if path.name.endswith((".gitlab-ci.yml", ".gitlab-ci.yaml")):
        return "gitlab_ci"
    if not isinstance(data, dict):
        return None
    if ("on" in data or True in data) and isinstance(data.get("jobs"), dict):
        return "github_actions"
    if "stages" in data or any(isinstance(v, dict) and "script" in v for v in data.values()):
        return "gitlab_ci"
    return None


def collect_project_files(project_dir: Path, unparseable: Optional[List[str]] = None,
                          refused: Optional[List[Tuple[str, str]]] = None) -> List[ProjectFile]:
    """The project's CI files and Dockerfiles; CI files that are not YAML go to ``unparseable``, files
    sahab will not read (:func:`sahab.inputs.files.read_project_file`) to ``refused`` with the reason."""
    project_dir = Path(project_dir)
    found: List[ProjectFile] = []
    candidates: List[Path] = []
    pipelines = project_dir / "pipelines"
    if pipelines.is_dir():
        candidates.extend(p for p in _walk(pipelines) if p.suffix in (".yml", ".yaml"))
    workflows = project_dir / ".github" / "workflows"
    if workflows.is_dir():
        candidates.extend(sorted(p for p in workflows.iterdir() if p.suffix in (".yml", ".yaml") and not p.is_dir()))
    for name in (".gitlab-ci.yml", ".gitlab-ci.yaml"):
        if os.path.lexists(project_dir / name):
            candidates.append(project_dir / name)
    counters = {"github_actions": 0, "gitlab_ci": 0, "dockerfile": 0}
    seen: Set[Path] = set()
    for path in candidates:
        if path in seen:
            continue
        seen.add(path)
        try:
            content = read_project_file(project_dir, path)
            kind = _ci_kind(path, content)
        except RefusedFile as exc:
            if refused is not None:
                refused.append((path.relative_to(project_dir).as_posix(), exc.reason))
            continue
        if kind == "unparseable":
            if unparseable is not None:
                unparseable.append(path.relative_to(project_dir).as_posix())
            continue
        if kind is None:
            continue
        index = counters[kind]
        counters[kind] += 1
        if kind == "github_actions":
            staged = "files/gha/%d/.github/workflows/%s" % (index, path.name)
        else:
            staged = "files/gitlab/%d/.gitlab-ci.yml" % index
        found.append(ProjectFile(path.relative_to(project_dir).as_posix(), staged, kind, content))
    for path in _walk(project_dir):
        if _DOCKERFILE.match(path.name) and not path.is_dir():
            try:
                content = read_project_file(project_dir, path)
            except RefusedFile as exc:
                if refused is not None:
                    refused.append((path.relative_to(project_dir).as_posix(), exc.reason))
                continue
            index = counters["dockerfile"]
            counters["dockerfile"] += 1
            found.append(ProjectFile(path.relative_to(project_dir).as_posix(),
                                     "files/docker/%d/%s" % (index, path.name), "dockerfile", content))
    return found


@dataclass(frozen=True)
class ProjectFiles:
    """The project's CI files and Dockerfiles as read at one moment, with those sahab did not scan."""

    files: Tuple[ProjectFile, ...] = ()
    unparseable: Tuple[str, ...] = ()             # CI files that are not YAML
    refused: Tuple[Tuple[str, str], ...] = ()     # (path, why): files sahab did not read


def read_project_files(project_dir: Path) -> ProjectFiles:
    """Read the project's CI files and Dockerfiles into memory now (:func:`collect_project_files`)."""
    unparseable: List[str] = []
    refused: List[Tuple[str, str]] = []
    files = collect_project_files(Path(project_dir), unparseable, refused)
    return ProjectFiles(tuple(files), tuple(unparseable), tuple(refused))


def build_inputs(plan: Dict[str, Any], project_dir: Optional[Path], *,
                 project_files: Optional[ProjectFiles] = None) -> Inputs:
    """checkov's inputs: the plan's Kubernetes manifests and the project's files.

    ``project_files``: the files as read earlier (before the program ran, :mod:`sahab.gate.snapshot`);
    without them they are read from ``project_dir`` now, and a plan alone has none.
    """
    manifests, deferred = build_manifests(plan)
    if project_files is None:
        project_files = read_project_files(project_dir) if project_dir is not None else ProjectFiles()
    return Inputs(manifests, deferred, list(project_files.files), acr_registries(plan), list(project_files.unparseable),
                  list(project_files.refused))
