"""What ``sahab verify`` checks: hosts per role and platform endpoints, from flags, a file or stack outputs.

An inventory is the same mapping wherever it comes from::

    hosts:                      # role -> testinfra host specs
      gpu-training: ["ssh://ubuntu@10.20.1.5"]
      inference: ["ssh://ubuntu@10.20.2.7"]
      ci-runner: ["kubectl://runner-0?namespace=ci&container=runner"]
    endpoints:                  # what the platform promises about each URL
      - {name: mlflow, url: "https://mlflow.ml.internal", tls: true, auth: true}

``pulumi stack output --json`` carries it as the outputs :data:`HOSTS_OUTPUT` and
:data:`ENDPOINTS_OUTPUT`. A promise (``tls``, ``auth``, ``private``) is never inferred from a URL:
an ``http://`` URL does not excuse TLS, it fails the TLS check when ``tls`` is true.

A role's entry may also be a :class:`HostSelector` instead of a spec: what a stack knows at plan
time (a node pool's labels, the runner pods' namespace and labels), which ``sahab verify`` turns
into hosts with ``kubectl`` when it runs (:mod:`.kube`). A spec's ``host_root`` query parameter
names where the host's root file system is mounted (``/host`` in a node-debug pod): every check
then runs under ``chroot`` there (:mod:`.host_root`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import parse_qs, urlsplit

from ..components.validation import require_labels
from ..components.errors import ComponentInputError
from ..errors import UsageError

ROLES = ("gpu-training", "inference", "ci-runner")
SCHEMES = ("ssh", "paramiko", "kubectl")
HOSTS_OUTPUT = "verifyHosts"
ENDPOINTS_OUTPUT = "verifyEndpoints"
_ENDPOINT_KEYS = {"name", "url", "tls", "auth", "private", "auth_probe", "ca_bundle"}
_PROMISES = ("tls", "auth", "private")
HOST_ROOT = "host_root"  # the spec's query parameter naming the host's root (testinfra ignores it)
_SELECTOR_KEYS = {"nodes": {"nodes", "namespace", "image"}, "pods": {"pods", "namespace", "container"}}
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")  # a namespace or container name (RFC 1123 label)
_ROOT = re.compile(r"^(/[A-Za-z0-9._-]+)+$")
DEBUG_NAMESPACE = "default"  # where `kubectl debug node/...` puts its pod unless told otherwise


@dataclass(frozen=True)
class HostSelector:
    """Hosts found when ``sahab verify`` runs: the nodes with ``labels`` (each read through a node-debug
    pod in ``namespace``, running ``image``), or the running pods with ``labels`` in ``namespace``."""

    kind: str  # "nodes" or "pods"
    labels: Tuple[Tuple[str, str], ...]
    namespace: str
    container: Optional[str] = None  # pods: the container the checks run in
    image: Optional[str] = None      # nodes: the debug pod's image (a shell, chroot, sleep), from the cluster's registry

    def label_selector(self) -> str:
        """``kubectl -l`` syntax: ``key=value,...``."""
        return ",".join("%s=%s" % pair for pair in self.labels)

    def describe(self) -> str:
        return "%s with %s in namespace %s" % (self.kind, self.label_selector(), self.namespace) if self.kind == "pods" \
            else "nodes with %s" % self.label_selector()

    def to_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {self.kind: dict(self.labels), "namespace": self.namespace}
        if self.container is not None:
            data["container"] = self.container
        if self.image is not None:
            data["image"] = self.image
        return data


@dataclass(frozen=True)
class Endpoint:
    """A platform URL and what the stack promises about it (each promise is one test)."""

    name: str
    url: str
    tls: bool
    auth: bool
    private: bool = True
    auth_probe: str = "/"          # a path that must refuse an anonymous request
    ca_bundle: Optional[str] = None  # PEM file the TLS check verifies the server against

    def to_json(self) -> Dict[str, Any]:
        return {"name": self.name, "url": self.url, "tls": self.tls, "auth": self.auth, "private": self.private,
                "auth_probe": self.auth_probe, "ca_bundle": self.ca_bundle}


@dataclass(frozen=True)
class Inventory:
    """Host specs per role (in :data:`ROLES`) and the endpoints, checked as :func:`parse_inventory` reads them."""

    hosts: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)
    endpoints: Tuple[Endpoint, ...] = ()
    ssh_config: Optional[str] = None
    ssh_identity_file: Optional[str] = None
    selectors: Mapping[str, Tuple[HostSelector, ...]] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not self.endpoints and not any(self.hosts.values()) and not any(self.selectors.values())

    def host_roots(self) -> Dict[str, str]:
        """testinfra's id of each host (``scheme://netloc``) whose spec names a ``host_root``, to that root."""
        return {host_id(spec): root for specs in self.hosts.values() for spec in specs
                for root in [spec_host_root(spec)] if root is not None}

    def merged(self, other: "Inventory") -> "Inventory":
        """This inventory with ``other``'s hosts and endpoints added (``--hosts`` on top of a file)."""
        hosts = {role: tuple(dict.fromkeys(self.hosts.get(role, ()) + other.hosts.get(role, ()))) for role in ROLES}
        selectors = {role: tuple(dict.fromkeys(self.selectors.get(role, ()) + other.selectors.get(role, ()))) for role in ROLES}
        names = {e.name for e in self.endpoints}
        for endpoint in other.endpoints:
            if endpoint.name in names:
                raise UsageError("endpoint %r is named twice" % endpoint.name, "give each endpoint one entry")
        merged = {r: h for r, h in hosts.items() if h}
        _check_host_roots(merged, "the merged inventory")
        return Inventory(merged, self.endpoints + other.endpoints,
                         other.ssh_config or self.ssh_config, other.ssh_identity_file or self.ssh_identity_file,
                         {r: s for r, s in selectors.items() if s})

    def with_hosts(self, found: Mapping[str, Sequence[str]]) -> "Inventory":
        """This inventory with hosts a selector resolved to added (its selectors stay, for the record)."""
        found_inventory = Inventory({role: tuple(specs) for role, specs in found.items() if specs})
        return Inventory(self.merged(found_inventory).hosts, self.endpoints, self.ssh_config, self.ssh_identity_file,
                         self.selectors)

    def to_json(self) -> Dict[str, Any]:
        roles = [role for role in ROLES if self.hosts.get(role) or self.selectors.get(role)]
        return {"hosts": {role: list(self.hosts.get(role, ())) + [s.to_json() for s in self.selectors.get(role, ())]
                          for role in roles},
                "endpoints": [e.to_json() for e in self.endpoints],
                "ssh_config": self.ssh_config, "ssh_identity_file": self.ssh_identity_file}


def parse_inventory(data: Any, source: str, fix: str) -> Inventory:
    """Check an inventory mapping; a UsageError (exit 2) names ``source``, the key and ``fix`` otherwise."""
    if not isinstance(data, dict):
        raise UsageError("%s is not a mapping of hosts and endpoints" % source, fix)
    unknown = sorted(set(data) - {"hosts", "endpoints", "ssh_config", "ssh_identity_file"})
    if unknown:
        raise UsageError("%s has unknown key %r" % (source, unknown[0]), "use hosts, endpoints, ssh_config, ssh_identity_file")
    hosts, selectors = _parse_hosts(data.get("hosts") or {}, source)
    endpoints = tuple(_parse_endpoint(item, "%s endpoints[%d]" % (source, index))
                      for index, item in enumerate(_list(data.get("endpoints") or [], "%s endpoints" % source)))
    names = [e.name for e in endpoints]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UsageError("%s names endpoint %r twice" % (source, duplicates[0]), "give each endpoint one entry")
    return Inventory(hosts, endpoints, _optional_text(data, "ssh_config", source), _optional_text(data, "ssh_identity_file", source),
                     selectors)


def load_inventory_file(path: Path) -> Inventory:
    """An inventory file (YAML, or JSON when it ends in ``.json``)."""
    from ..inputs.safe_yaml import load_json_or_yaml

    fix = "see docs/verify.md#inventory"
    return parse_inventory(load_json_or_yaml(path, "inventory", fix), "inventory %s" % path, fix)


def inventory_from_stack_outputs(path: Path) -> Inventory:
    """The inventory in a ``pulumi stack output --json`` file: outputs :data:`HOSTS_OUTPUT` and :data:`ENDPOINTS_OUTPUT`."""
    from ..inputs.safe_yaml import load_json_or_yaml

    fix = "export %s and %s from the stack (docs/verify.md#stack-outputs)" % (HOSTS_OUTPUT, ENDPOINTS_OUTPUT)
    outputs = load_json_or_yaml(path, "stack outputs", fix)
    source = "stack outputs %s" % path
    if not isinstance(outputs, dict):
        raise UsageError("%s is not a mapping of output names to values" % source, "write it with `pulumi stack output --json`")
    for name in (HOSTS_OUTPUT, ENDPOINTS_OUTPUT):
        if outputs.get(name) == "[secret]":
            raise UsageError("%s: output %s is a secret, so its value is hidden" % (source, name),
                             "export it as a plain output (host names and URLs are not secrets)")
    if HOSTS_OUTPUT not in outputs and ENDPOINTS_OUTPUT not in outputs:
        raise UsageError("%s has neither %s nor %s" % (source, HOSTS_OUTPUT, ENDPOINTS_OUTPUT), fix)
    return parse_inventory({"hosts": outputs.get(HOSTS_OUTPUT), "endpoints": outputs.get(ENDPOINTS_OUTPUT)}, source, fix)


def inventory_from_flags(hosts: Sequence[str]) -> Inventory:
    """``--hosts ROLE=SPEC[,SPEC...]`` (repeatable) as an inventory."""
    by_role: Dict[str, List[str]] = {}
    for flag in hosts:
        role, sep, specs = flag.partition("=")
        if not sep or not specs.strip():
            raise UsageError("--hosts %r has no ROLE=" % flag, "write --hosts ROLE=SPEC[,SPEC], ROLE one of %s" % ", ".join(ROLES))
        by_role.setdefault(role.strip(), []).extend(s.strip() for s in specs.split(",") if s.strip())
    return parse_inventory({"hosts": by_role}, "--hosts", "write --hosts ROLE=SPEC[,SPEC]")


def _parse_hosts(data: Any, source: str) -> Tuple[Dict[str, Tuple[str, ...]], Dict[str, Tuple[HostSelector, ...]]]:
    if not isinstance(data, dict):
        raise UsageError("%s hosts is not a mapping of role to host specs" % source, "roles: %s" % ", ".join(ROLES))
    hosts, selectors = {}, {}
    for role, entries in data.items():
        if role not in ROLES:
            raise UsageError("%s names unknown role %r" % (source, role), "roles: %s" % ", ".join(ROLES))
        where = "%s hosts.%s" % (source, role)
        items = _list(entries, where)
        specs = tuple(_check_spec(item, where) for item in items if not isinstance(item, dict))
        found = tuple(_parse_selector(item, "%s[%d]" % (where, index)) for index, item in enumerate(items) if isinstance(item, dict))
        if specs:
            hosts[role] = tuple(dict.fromkeys(specs))
        if found:
            selectors[role] = tuple(dict.fromkeys(found))
    _check_host_roots(hosts, source)
    return hosts, selectors


def _parse_selector(item: Dict[str, Any], where: str) -> HostSelector:
    """``{nodes: {LABEL: VALUE}, namespace?, image?}`` or ``{pods: {LABEL: VALUE}, namespace, container?}``."""
    kinds = [kind for kind in _SELECTOR_KEYS if kind in item]
    if len(kinds) != 1:
        raise UsageError("%s is a mapping but names neither nodes nor pods (or both)" % where,
                         "write {nodes: {LABEL: VALUE}} or {pods: {LABEL: VALUE}, namespace: NS} (docs/verify.md#inventory)")
    kind = kinds[0]
    unknown = sorted(set(item) - _SELECTOR_KEYS[kind])
    if unknown:
        raise UsageError("%s has unknown key %r" % (where, unknown[0]), "keys: %s" % ", ".join(sorted(_SELECTOR_KEYS[kind])))
    labels = item[kind]
    if not isinstance(labels, dict) or not labels:
        raise UsageError("%s %s is not a non-empty mapping of labels" % (where, kind),
                         "name the labels that select them, e.g. {sahab.io/pool: inference}")
    try:
        require_labels(where, labels)
    except ComponentInputError as exc:
        raise UsageError(str(exc), "use Kubernetes label keys and values") from None
    namespace = item.get("namespace", DEBUG_NAMESPACE if kind == "nodes" else None)
    if namespace is None:
        raise UsageError("%s has no namespace" % where, "name the namespace the pods run in")
    for key in ("namespace", "container"):
        value = namespace if key == "namespace" else item.get(key)
        if value is not None and (not isinstance(value, str) or not _NAME.match(value)):
            raise UsageError("%s %s %r is not a Kubernetes name" % (where, key, value), "use lower-case letters, digits and -")
    image = item.get("image")
    if kind == "nodes" and image is None:
        raise UsageError("%s names no image for the node-debug pods" % where,
                         "give image: an image with a shell, chroot and sleep (busybox) from the cluster's registry")
    if image is not None and (not isinstance(image, str) or not image or any(c.isspace() for c in image)):
        raise UsageError("%s image %r is not an image reference" % (where, image), "write REGISTRY/REPOSITORY:TAG or @DIGEST")
    return HostSelector(kind, tuple(sorted((str(k), str(v)) for k, v in labels.items())), namespace, item.get("container"), image)


def host_id(spec: str) -> str:
    """testinfra's id of a host (its ``get_pytest_id``): ``scheme://netloc``, no query."""
    parts = urlsplit(spec)
    return "%s://%s" % (parts.scheme, parts.netloc)


def spec_host_root(spec: str) -> Optional[str]:
    """The ``host_root`` a spec names, or None."""
    values = parse_qs(urlsplit(spec).query).get(HOST_ROOT)
    return values[-1] if values else None


def _check_host_roots(hosts: Mapping[str, Tuple[str, ...]], source: str) -> None:
    """One host, one root: testinfra keeps one connection per ``scheme://netloc``, whatever its query says."""
    seen: Dict[str, Optional[str]] = {}
    for specs in hosts.values():
        for spec in specs:
            key, root = host_id(spec), spec_host_root(spec)
            if seen.setdefault(key, root) != root:
                raise UsageError("%s names host %s with two different host_root values" % (source, key),
                                 "give each host one host_root, or none")


def _check_spec(spec: Any, where: str) -> str:
    """A testinfra host spec sahab will pass on: an explicit scheme, no password, no comma."""
    if not isinstance(spec, str) or not spec:
        raise UsageError("%s: a host spec must be a string such as ssh://user@host" % where, "fix the inventory")
    scheme, sep, rest = spec.partition("://")
    if not sep or scheme not in SCHEMES:
        # testinfra would run a spec without a scheme through paramiko, and no host at all locally:
        # the verifying machine's own checks must never stand in for a platform host.
        raise UsageError("%s: host spec %r has no ssh://, paramiko:// or kubectl:// scheme" % (where, spec),
                         "write e.g. ssh://user@10.0.0.5 or kubectl://POD?namespace=NS")
    if "," in spec:
        raise UsageError("%s: host spec %r holds a comma" % (where, spec), "list each host separately")
    userinfo = rest.split("?", 1)[0].rpartition("@")[0]
    if ":" in userinfo:
        raise UsageError("%s: a host spec for %s holds a password" % (where, rest.split("?", 1)[0].rpartition("@")[2]),
                         "use an SSH key (ssh_identity_file) or ssh_config: a password on a command line is visible to other users")
    roots = parse_qs(urlsplit(spec).query).get(HOST_ROOT, [])
    if len(roots) > 1 or (roots and (not _ROOT.match(roots[0]) or "/../" in roots[0] + "/" or "/./" in roots[0] + "/")):
        raise UsageError("%s: host spec %r: host_root must be one absolute folder other than /" % (where, spec),
                         "write host_root=/host (where the node-debug pod mounts the node's root)")
    return spec


def _parse_endpoint(item: Any, where: str) -> Endpoint:
    if not isinstance(item, dict):
        raise UsageError("%s is not a mapping (name, url, tls, auth)" % where, "see docs/verify.md#inventory")
    unknown = sorted(set(item) - _ENDPOINT_KEYS)
    if unknown:
        raise UsageError("%s has unknown key %r" % (where, unknown[0]), "keys: %s" % ", ".join(sorted(_ENDPOINT_KEYS)))
    for key in ("name", "url", "tls", "auth"):
        if key not in item:
            raise UsageError("%s has no %s" % (where, key), "every endpoint states name, url, tls and auth")
    for key in _PROMISES:
        if key in item and not isinstance(item[key], bool):
            raise UsageError("%s %s is %r, not true or false" % (where, key, item[key]), "write %s: true or %s: false" % (key, key))
    name, url = item["name"], item["url"]
    if not isinstance(name, str) or not name:
        raise UsageError("%s name must be a non-empty string" % where, "name the endpoint, e.g. mlflow")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError("%s url %r is not an http:// or https:// URL" % (where, url), "give the endpoint's full URL")
    if parts.password is not None or parts.username is not None:
        raise UsageError("%s url holds credentials" % where, "drop user:password@ from the URL: the auth check must be anonymous")
    probe = item.get("auth_probe", "/")
    if not isinstance(probe, str) or not probe.startswith("/"):
        raise UsageError("%s auth_probe %r is not a path" % (where, probe), "write a path such as /api/2.0/mlflow/experiments/search")
    ca_bundle = item.get("ca_bundle")
    if ca_bundle is not None and (not isinstance(ca_bundle, str) or not ca_bundle):
        raise UsageError("%s ca_bundle must be a file path" % where, "give the PEM file of the CA that signed the endpoint")
    return Endpoint(name, url, item["tls"], item["auth"], item.get("private", True), probe, ca_bundle)


def _list(value: Any, where: str) -> List[Any]:
    if isinstance(value, str) or not isinstance(value, list):
        raise UsageError("%s is not a list" % where, "write a YAML or JSON list")
    return value


def _optional_text(data: Mapping[str, Any], key: str, source: str) -> Optional[str]:
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise UsageError("%s %s must be a file path" % (source, key), "give the path as a string")
    return value
