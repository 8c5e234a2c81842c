"""The planning monitor: records a plan instead of deploying, with preview semantics.

It runs in sahab's own process and answers the program over a Unix socket (:mod:`sahab.planner.monitor_server`),
or in-process as the mock engine's monitor (:mod:`sahab.testing`). It replaces the stock
``MockMonitor`` behaviour where that behaviour misleads a plan:
resources are captured from the raw registration request (parent, provider, dependencies and
the wire values with their secret and unknown markers); outputs follow preview semantics (only
inputs echoed where the type declares an output of the same shape, the rest unknown); resource
references are not advertised, because programs that pass resources as inputs otherwise fail at
random with "attached to a different loop"; invokes are answered by :mod:`.invokes`.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.mocks import MockMonitor, Mocks
from pulumi.runtime.proto import resource_pb2

from ...errors import ConfigError
from . import autonames, introspection, invokes, providers, wire
from .catalog import TypeCatalog, fill_mode
from .partial import TOKENS, Tokens
from .sources import SourceLocator

STACK_TYPE = "pulumi:pulumi:Stack"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
PROVIDER_PREFIX = providers.PROVIDER_PREFIX
# Packages whose default provider places resources by a config key (the rest have no region).
REGIONAL_PACKAGES = {"aws": "region", "azure-native": "location", "azure": "location", "gcp": "region"}


class NoMocks(Mocks):
    """The monitor answers everything itself; reaching these is a planner bug."""

    def call(self, args):  # type: ignore[override]
        raise RuntimeError("sahab planner: unexpected call to Mocks.call for %s" % args.token)

    def new_resource(self, args):  # type: ignore[override]
        raise RuntimeError("sahab planner: unexpected call to Mocks.new_resource for %s" % args.typ)


class Capture:
    """Everything the program registered, already redacted, plus what the planner noticed."""

    def __init__(self) -> None:
        self.resources: List[Dict[str, Any]] = []
        self.diagnostics: List[Dict[str, Any]] = []
        self.stack_urn: Optional[str] = None
        self.outputs: Dict[str, Any] = {}
        self.refused: Optional[str] = None  # why the monitor refused what the program sent: the plan fails
        self._noted: set = set()
        self._lock = threading.Lock()

    def add_resource(self, record: Dict[str, Any]) -> int:
        with self._lock:
            self.resources.append(record)
            return len(self.resources)

    def mark_speculative(self, urns: Sequence[str]) -> None:
        """Mark ``"speculative": true`` on the resources registered during a stand-in run (``urns``)
        and on their descendants (a component built on stand-ins registers its children in the
        same run or later): a real preview would not show them yet."""
        marked = set(urns)
        if not marked:
            return
        parents = {record["urn"]: record.get("parent") for record in self.resources}
        for record in self.resources:
            urn: Optional[str] = record["urn"]
            seen = 0
            while urn is not None and seen <= len(parents):
                if urn in marked:
                    record["speculative"] = True
                    break
                urn = parents.get(urn)
                seen += 1

    def note(self, severity: str, message: str, urn: Optional[str] = None) -> None:
        key = (severity, message, urn)
        with self._lock:
            if key in self._noted:
                return
            self._noted.add(key)
            entry: Dict[str, Any] = {"severity": severity, "message": message}
            if urn:
                entry["urn"] = urn
            self.diagnostics.append(entry)


class PlanMonitor(MockMonitor):
    """Captures registrations into a :class:`Capture` and answers with preview semantics."""

    def __init__(
        self,
        capture: Capture,
        config: Dict[str, str],
        stack_references: Dict[str, Dict[str, Any]],
        progress: Optional[Callable[[int], None]] = None,
        sources: Optional[SourceLocator] = None,
        secret_keys: Tuple[str, ...] = (),
        *,
        project: str,
        stack: str,
        catalog: Optional[TypeCatalog] = None,
        tokens: Tokens = TOKENS,
    ) -> None:
        super().__init__(NoMocks())
        self.capture = capture
        self.project = project
        self.stack = stack
        self.catalog = catalog if catalog is not None else TypeCatalog()
        self.tokens = tokens
        self.sources = sources
        self.config = config
        self.stack_references = stack_references
        self.progress = progress
        self.provider_regions: Dict[str, Optional[str]] = {}
        self.secret_keys = frozenset(secret_keys)
        self._default_providers: Dict[Tuple[str, str], str] = {}
        self._default_lock = threading.Lock()
        self.autonamer = autonames.Autonamer(config, capture.note)
        # Constructs remote components with their Node.js implementation (sahab.planner.node_components);
        # None in sahab.testing and wherever no expander is set: such components stay opaque.
        self.expander: Optional[Any] = None
        self._constructing: Dict[str, Dict[str, Any]] = {}  # component URN -> its record, while constructed
        self._constructed_by: Dict[str, str] = {}  # URN -> the component whose implementation registered it

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return wire.make_urn(self.stack, self.project, parent, type_, name)

    # -- features -------------------------------------------------------------------------

    def SupportsFeature(self, request):  # noqa: N802 - gRPC method name
        has_support = request.id not in ("outputValues", "resourceReferences")
        return type("SupportsFeatureResponse", (object,), {"hasSupport": has_support})

    def GetDeploymentInfo(self, request):  # noqa: N802
        info = super().GetDeploymentInfo(request)
        features = [
            f for f in info.supportedFeatures
            if f != getattr(resource_pb2, "RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES", -1)
        ]
        return resource_pb2.DeploymentInfo(supportedFeatures=features)

    # -- resources ------------------------------------------------------------------------

    def RegisterResource(self, request):  # noqa: N802
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            self.capture.stack_urn = urn
            return resource_pb2.RegisterResourceResponse(urn=urn)
        if urn in self._constructing:  # the implementation registers the component the program registered
            return resource_pb2.RegisterResourceResponse(urn=urn)
        raw_inputs = json_format.MessageToDict(request.object)
        autonamed = self.autonamer.fill(urn, request, raw_inputs, self.catalog.inputs(request.type))
        record = self._record(urn, request, raw_inputs, mode="create", autonamed=autonamed)
        resource_id = request.importId or ""
        state = self._construct(urn, request, record) if request.remote else None
        outputs = state if state is not None else self._outputs(urn, request.type, raw_inputs, bool(request.remote))
        outputs = _mark_secret_outputs(outputs, getattr(request, "additionalSecretOutputs", None))
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, {})
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=_struct(outputs))

    def ReadResource(self, request):  # noqa: N802
        urn = self.make_urn(request.parent, request.type, request.name)
        raw_inputs = json_format.MessageToDict(request.properties)
        self._record(urn, request, raw_inputs, mode="read")
        outputs = self._outputs(urn, request.type, raw_inputs, False)
        outputs = _mark_secret_outputs(outputs, getattr(request, "additionalSecretOutputs", None))
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, request.id, {})
        return resource_pb2.ReadResourceResponse(urn=urn, properties=_struct(outputs))

    def RegisterResourceOutputs(self, request):  # noqa: N802
        """The stack's outputs, as the engine stores them (secrets redacted); other components' are not kept."""
        if request.urn and request.urn == self.capture.stack_urn:
            self.capture.outputs = wire.Redactor(self.tokens).convert(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)

    def _construct(self, urn: str, request: Any, record: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """The component's outputs from its implementation, whose children register meanwhile; None if not constructed."""
        if self.expander is None or not self.expander.handles(request.type):
            return None
        self._constructing[urn] = record
        try:
            outcome = self.expander.expand(request)
        finally:
            del self._constructing[urn]
        record["expanded"] = dict(outcome.expanded)
        if outcome.expanded.get("by") is not None:
            record["expanded"]["objects"] = sum(1 for by in self._constructed_by.values() if by == urn)
        if outcome.expanded.get("by") is None:
            self.capture.note("warning", "%s was not expanded: %s" % (request.type, outcome.expanded["reason"]), urn)
        return outcome.state

    def _record(self, urn: str, request: Any, raw_inputs: Dict[str, Any], mode: str,
                autonamed: Sequence[str] = ()) -> Dict[str, Any]:
        redactor = wire.Redactor(self.tokens)
        inputs = redactor.convert(raw_inputs)
        record: Dict[str, Any] = {
            "urn": urn,
            "type": request.type,
            "name": request.name,
            "mode": mode,
            "custom": bool(getattr(request, "custom", True)) if mode == "create" else True,
            "remote": bool(getattr(request, "remote", False)),
            "parent": request.parent or None,
            "provider": request.provider or self._default_provider(request, mode) or None,
            "providers": dict(getattr(request, "providers", {}) or {}),
            "inputs": inputs,
            "unknowns": redactor.unknowns,
            "partials": redactor.partials,
            "secrets": redactor.secrets,
            "dependencies": sorted(set(getattr(request, "dependencies", []) or [])),
            "propertyDependencies": _property_dependencies(request),
            "options": _options(request),
        }
        autonamed_paths = self.autonamer.paths(inputs, list(autonamed))
        if autonamed_paths:
            record["autonamed"] = autonamed_paths
        source = self.sources.locate(request) if self.sources is not None else None
        parent = record["parent"] or ""
        component = parent if parent in self._constructing else self._constructed_by.get(parent)
        if component is not None:  # registered by a component's implementation: located at the program's line
            self._constructed_by[urn] = component
            source = self._constructing.get(component, {}).get("source")
        if source is not None:
            record["source"] = source
        if request.type.startswith(PROVIDER_PREFIX):
            self.provider_regions[urn] = invokes.region_of_provider_inputs(inputs)
        count = self.capture.add_resource(record)
        if self.progress is not None:
            self.progress(count)
        return record

    def _default_provider(self, request: Any, mode: str) -> Optional[str]:
        """The reference to the default provider the engine would give this resource, registered on first use.

        Only custom resources get one (a component has no provider); ``pulumi:*`` types use the
        engine's built-in provider; a package the stack lists in ``pulumi:disable-default-providers``
        gets none (the plan shows ``provider: null``, which the gate refuses).
        """
        if mode == "create" and (not request.custom or request.remote):
            return None
        package = request.type.split(":", 1)[0]
        if package == "pulumi" or providers.disabled(package, self.config):
            return None
        key = (package, getattr(request, "version", "") or "")
        with self._default_lock:
            reference = self._default_providers.get(key)
            if reference is None:
                reference = self._register_default_provider(*key)
                self._default_providers[key] = reference
        return reference

    def _register_default_provider(self, package: str, version: str) -> str:
        provider_type = providers.PROVIDER_PREFIX + package
        urn = self.make_urn("", provider_type, providers.default_name(version))
        raw = {key: ({wire.SIG_KEY: wire.SECRET_SIG, "value": value}
                     if package + ":" + key in self.secret_keys else value)
               for key, value in providers.package_config(package, self.config).items()}
        if version:
            raw["version"] = version
        redactor = wire.Redactor(self.tokens)
        inputs = redactor.convert(raw)
        region = invokes.region_of_provider_inputs(inputs)
        self.provider_regions[urn] = region
        if region is None and package in REGIONAL_PACKAGES:
            self.capture.note("warning", "the stack sets no %s:%s: resources on the default %s provider are placed "
                              "in the region taken from the deploy environment, unknown to the plan"
                              % (package, REGIONAL_PACKAGES[package], package), urn)
        self.capture.add_resource({
            "urn": urn, "type": provider_type, "name": urn.rsplit("::", 1)[-1], "mode": "create", "custom": True,
            "remote": False, "parent": self.capture.stack_urn, "provider": None, "providers": {}, "inputs": inputs,
            "unknowns": redactor.unknowns, "secrets": redactor.secrets, "dependencies": [],
            "propertyDependencies": {}, "options": {},
        })
        return urn + "::" + wire.UNKNOWN_SENTINEL

    def _outputs(self, urn: str, type_: str, raw_inputs: Dict[str, Any], remote: bool) -> Dict[str, Any]:
        if type_ == STACK_REFERENCE_TYPE:
            return self._stack_reference_outputs(urn, raw_inputs)
        if type_.startswith(PROVIDER_PREFIX):
            return dict(raw_inputs)
        declared = self.catalog.outputs(type_)
        if declared is None:
            return dict(raw_inputs)
        catalog, fill = self.catalog, fill_mode(type_)
        return {
            key: catalog.fill_unknowns(declared[key], value, wire.UNKNOWN_SENTINEL, fill)
            for key, value in raw_inputs.items()
            if key in declared and (_is_opaque_wire(value) or catalog.same_shape(declared[key], value))
        }

    def _stack_reference_outputs(self, urn: str, raw_inputs: Dict[str, Any]) -> Dict[str, Any]:
        name = raw_inputs.get("name")
        if isinstance(name, str) and name in self.stack_references:
            reference = self.stack_references[name]
            outputs = reference.get("outputs", {})
            secret_names = sorted(reference.get("secretOutputNames", []))
            wire_outputs = {
                key: ({wire.SIG_KEY: wire.SECRET_SIG, "value": value} if key in secret_names else value)
                for key, value in outputs.items()
            }
            return {"name": name, "outputs": wire_outputs, "secretOutputNames": secret_names}
        self.capture.note(
            "warning",
            "stack reference %r has no outputs file entry; its outputs are unknown "
            "(pass them with --stack-outputs FILE)" % (name,),
            urn,
        )
        return {"name": name} if isinstance(name, str) else {}

    # -- invokes --------------------------------------------------------------------------

    def Invoke(self, request):  # noqa: N802
        if request.tok == "pulumi:pulumi:getResource":
            return super().Invoke(request)
        args = json_format.MessageToDict(request.args)
        output_form = introspection.take_output_form(args)
        try:
            answer = invokes.answer(request.tok, args, self._invoke_region(request, args), output_form, self.catalog)
        except ConfigError as exc:  # the program handed the planner something it refuses (a YAML bomb)
            self.capture.refused = exc.message
            raise
        if answer.note:
            self.capture.note("warning", answer.note)
        if answer.value is None:
            response = resource_pb2.ResourceInvokeResponse()
            if "unknown" in resource_pb2.ResourceInvokeResponse.DESCRIPTOR.fields_by_name:
                response.unknown = True
            return response
        return resource_pb2.ResourceInvokeResponse(**{"return": _struct(answer.value)})

    def Call(self, request):  # noqa: N802 - a method of a (component) resource, e.g. getKubeconfig
        from pulumi.runtime.proto import provider_pb2

        self.capture.note("warning", "method %s is not run by the planner; its result is unknown" % request.tok)
        return provider_pb2.CallResponse(**{"return": _struct({"result": wire.UNKNOWN_SENTINEL})})

    def _invoke_region(self, request: Any, args: Dict[str, Any]) -> str:
        own = args.get("region")  # pulumi-aws v7: a lookup may name its own region
        if isinstance(own, str) and own and own != wire.UNKNOWN_SENTINEL:
            return own
        provider_urn = request.provider.rsplit("::", 1)[0] if request.provider else ""
        region = self.provider_regions.get(provider_urn) if provider_urn else None
        if region:
            return region
        package = request.tok.split(":")[0]
        return self.config.get(package + ":region") or self.config.get(package + ":location") or invokes.UNKNOWN_REGION


def _mark_secret_outputs(outputs: Dict[str, Any], names: Any) -> Dict[str, Any]:
    """Apply ``additionalSecretOutputs`` as the engine does: those outputs come back secret.

    A name without a value is an unknown in preview; it is returned as a secret unknown, so that
    what the program derives from it stays secret (as ``pulumi preview`` keeps it).
    """
    names = [n for n in (names or []) if n not in ("id", "urn")]
    if not names:
        return outputs
    marked = dict(outputs)
    for key in names:
        value = marked.get(key, wire.UNKNOWN_SENTINEL)
        if isinstance(value, dict) and value.get(wire.SIG_KEY) == wire.SECRET_SIG:
            continue
        marked[key] = {wire.SIG_KEY: wire.SECRET_SIG, "value": value}
    return marked


def _is_opaque_wire(value: Any) -> bool:
    return value == wire.UNKNOWN_SENTINEL or (isinstance(value, dict) and wire.SIG_KEY in value)


def _struct(values: Dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def _property_dependencies(request: Any) -> Dict[str, List[str]]:
    deps = getattr(request, "propertyDependencies", None)
    if not deps:
        return {}
    return {key: sorted(set(value.urns)) for key, value in deps.items() if value.urns}


def _options(request: Any) -> Dict[str, Any]:
    options: Dict[str, Any] = {}
    for field in ("protect", "retainOnDelete", "deleteBeforeReplace"):
        value = getattr(request, field, None)
        if value:
            options[field] = bool(value)
    for field in ("ignoreChanges", "additionalSecretOutputs", "replaceOnChanges"):
        value = list(getattr(request, field, []) or [])
        if value:
            options[field] = sorted(value)
    read_id = getattr(request, "id", "") if isinstance(request, resource_pb2.ReadResourceRequest) else ""
    if read_id:
        options["id"] = wire.unknown_marker() if read_id == wire.UNKNOWN_SENTINEL else read_id
    import_id = getattr(request, "importId", "")
    if import_id:
        options["importId"] = import_id
    return options
