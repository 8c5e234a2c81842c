"""Construct a remote component of a supported package with its provider's own implementation.

Called by the planning monitor when the program registers such a component
(:meth:`..harness.monitor.PlanMonitor.RegisterResource`). The provider is started as a Pulumi
provider plugin in the program's sandbox (:mod:`.provider_process`) and sent the engine's own
``ConstructRequest`` (the component's type, name, parent, inputs as the Python SDK sent them,
unknowns included, providers, config, ``dryRun``); it registers the children over gRPC with the
same monitor (:mod:`.grpc_monitor`), so one implementation of the preview rules records them.

Two sources, tried in this order: the plugin Pulumi installed for the SDK's exact version
(:mod:`.plugins`; what ``pulumi preview`` runs: ``{"by": "plugin", ...}``), else the npm release
of that version when it ships the implementation (:mod:`.npm_cache`; ``{"by": "node-mocks",
...versions}``). Neither: ``{"by": null, "reason": ...}`` and the component stays opaque,
reported unchecked.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence

from google.protobuf import json_format

from ...errors import UsageError
from ...expansion import NODE_MOCKS, PLUGIN, not_expanded
from ..harness.catalog import TypeCatalog
from ..harness.wire import SECRET_SIG, SIG_KEY
from . import npm_cache, packages, plugins
from .describing import Handler, describing
from .provider_process import ProviderError, ProviderProcess

MIN_NODE = (18, 0, 0)
NODE_HINT = "install nodejs (>= 18) and npm, or put `node` on PATH"


class Outcome(NamedTuple):
    """The component's outputs as its implementation returned them (None: not constructed), and ``expanded``."""

    state: Optional[Dict[str, Any]]
    expanded: Dict[str, Any]


class NodeExpander:
    """Constructs the supported remote components of one plan (:mod:`.packages`), one provider process per source."""

    def __init__(self, scratch: Path, *, project: str, stack: str, organization: str, config: Dict[str, Any],
                 secret_keys: Sequence[str], timeout: float, handlers: Callable[[], Dict[str, Handler]],
                 root_urn: Callable[[], Optional[str]], catalog: TypeCatalog, cache: Optional[Path] = None) -> None:
        self._scratch = scratch
        self._project, self._stack, self._organization = project, stack, organization
        self._config, self._secret_keys = config, list(secret_keys)
        self._timeout = timeout
        self._handlers, self._root_urn, self._catalog = handlers, root_urn, catalog
        self._cache = cache
        self._server: Optional[Any] = None  # the GrpcMonitor, started by the first construct
        self._providers: Dict[str, ProviderProcess] = {}  # command -> its running plugin
        self._lock = threading.Lock()
        self.fatal: Optional[UsageError] = None  # Node.js missing: the plan ends with exit 2

    def handles(self, type_: str) -> bool:
        return packages.is_supported(type_)

    def expand(self, request: Any) -> Outcome:
        """Construct the component ``request`` registers; an unusable ``node`` raises (and is kept in :attr:`fatal`)."""
        release = packages.release_for(request.type, request.version)
        if isinstance(release, str):
            npm = packages.PACKAGES[request.type.split(":", 1)[0]].npm
            return _not_expanded(release, package=npm, version=request.version or None)
        plugin = plugins.find(release.package.package, release.version)
        if plugin is not None:
            facts = {"package": release.package.package, "version": release.version,
                     "plugin": plugin.executable.name, "executableDigest": plugin.digest}
            provider = self._provider([str(plugin.executable)], plugin.name, plugin.folder)
            return self._construct(provider, request, PLUGIN, facts)
        if not release.on_npm:
            return _not_expanded(release.not_installed(request.type), package=release.package.npm, version=release.version)
        node = self._node()
        npm = npm_cache.find_npm(node)
        if npm is None:
            return _not_expanded("npm is not installed beside %s: %s" % (node, NODE_HINT), package=release.package.npm,
                                 version=release.version)
        try:
            installed = npm_cache.install(release, npm, self._cache)
        except npm_cache.InstallError as exc:
            return _not_expanded(str(exc), package=release.package.npm, version=release.version)
        entry = str(installed.folder / "node_modules" / release.entry)
        facts = {"package": release.package.npm, "version": release.version, "versions": installed.versions,
                 "lockDigest": installed.lock_digest}
        return self._construct(self._provider([node, entry], release.spec, None), request, NODE_MOCKS, facts)

    def close(self) -> None:
        for provider in self._providers.values():
            provider.close()
        if self._server is not None:
            self._server.close()

    # -- steps ----------------------------------------------------------------------------

    def _node(self) -> str:
        node = shutil.which("node")
        version = _node_version(node) if node else None
        if node is None or version is None or version < MIN_NODE:
            found = "not found on PATH" if node is None else "%s is %s" % (node, ".".join(map(str, version or ())) or "unusable")
            self.fatal = UsageError("the program uses a multi-language component the planner constructs with Node.js, "
                                    "which is %s" % found, NODE_HINT)
            raise self.fatal
        return node

    def _monitor_address(self) -> str:
        from .grpc_monitor import GrpcMonitor  # grpc is imported only by plans that construct something

        with self._lock:
            if self._server is None:
                self._server = GrpcMonitor(str(self._scratch / "node-monitor.sock"), describing(self._handlers(), self._catalog),
                                           lambda: self._root_urn() or "")
            return self._server.address

    def _provider(self, command: Sequence[str], name: str, folder: Optional[Path]) -> ProviderProcess:
        """The plan's provider process running ``command`` (plugin executable, or node and entry), made on first use."""
        address = self._monitor_address()
        key = "\0".join(command)
        with self._lock:
            if key not in self._providers:
                self._providers[key] = ProviderProcess(command, name, address, self._timeout, folder)
            return self._providers[key]

    def _construct(self, provider: ProviderProcess, request: Any, by: str, facts: Dict[str, Any]) -> Outcome:
        """The component's state and ``expanded`` from ``provider``'s Construct, else the reason it failed."""
        try:
            response = provider.construct(self._construct_request(request, self._monitor_address()))
        except ProviderError as exc:
            # The provider's own error text may echo an input: the plan must not carry a secret one.
            secrets = secret_strings(json_format.MessageToDict(request.object)) + [
                str(self._config[key]) for key in self._secret_keys if key in self._config]
            reason = "constructing %s with %s failed: %s" % (request.type, provider.name, exc)
            return Outcome(None, not_expanded(redact(reason, secrets), **facts))
        return Outcome(json_format.MessageToDict(response.state), {"by": by, **facts})

    def _construct_request(self, request: Any, address: str) -> Any:
        """The engine's ConstructRequest for the component ``request`` registers (pulumi pkg/resource/deploy)."""
        from pulumi.runtime.proto import provider_pb2

        construct = provider_pb2.ConstructRequest(
            project=self._project, stack=self._stack, organization=self._organization,
            dryRun=True, parallel=16, monitorEndpoint=address, type=request.type, name=request.name,
            parent=request.parent, dependencies=list(request.dependencies), protect=bool(request.protect),
            configSecretKeys=self._secret_keys)
        construct.inputs.CopyFrom(request.object)
        for key, value in self._config.items():
            construct.config[key] = value if isinstance(value, str) else _json(value)
        for package, reference in request.providers.items():
            construct.providers[package] = reference
        for key, dependencies in request.propertyDependencies.items():
            construct.inputDependencies[key].urns.extend(dependencies.urns)
        return construct


def secret_strings(value: Any, inside_secret: bool = False) -> List[str]:
    """Every string under a secret envelope of a wire value (what no plan text may show)."""
    if isinstance(value, dict):
        inside = inside_secret or value.get(SIG_KEY) == SECRET_SIG
        return [text for item in value.values() for text in secret_strings(item, inside)]
    if isinstance(value, list):
        return [text for item in value for text in secret_strings(item, inside_secret)]
    if inside_secret and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return [str(value)] if str(value) != SECRET_SIG else []
    return []


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with each secret (the longest first, so one inside another goes whole) as ``[secret]``."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "[secret]")
    return text


def _json(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True)


def _not_expanded(reason: str, *, package: str, version: Optional[str]) -> Outcome:
    return Outcome(None, not_expanded(reason, package=package, **({"version": version} if version else {})))


def _node_version(node: str) -> Optional[tuple]:
    try:
        text = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", text.strip())
    return tuple(int(part) for part in match.groups()) if match else None
