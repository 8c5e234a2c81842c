"""What ``pulumi preview/up`` hands a stack policy, in the plan document's shape.

A CrossGuard stack policy receives ``StackValidationArgs.resources``: ``PolicyResource`` objects
with the resource's properties, its provider (``PolicyProviderResource``), parent, dependencies
and property dependencies. sahab's rules read the plan document (docs/plan-format.md), so this
module rebuilds that document from them. Nothing is re-implemented: values go back to their wire
form (``pulumi_policy.deserialize.serialize_properties``) and through the planner's own
:class:`~sahab.planner.harness.wire.Redactor` (unknown and secret markers, their paths, whole
numbers as integers), and regions come from :func:`sahab.planner.document.effective_region`.

How the engine's request arrives (pulumi-policy 1.21.0, ``_PolicyAnalyzerServicer.AnalyzeStack``):

- unknown values (preview) stay as Pulumi's sentinel strings inside proxies that raise
  ``UnknownValueError`` on access; the adapter reads the raw values behind the proxies;
- secrets arrive in the secret envelope, but the SDK's deserializer drops the envelope, so a
  policy sees the plain value and cannot tell it was secret. :func:`keep_secrets` (installed by
  the pack program) makes the SDK keep them as ``pulumi_policy.Secret`` wrappers, which the
  adapter turns into ``{"$secret": true}``: a secret never reaches a rule or a message;
- ``parent``, ``dependencies`` and ``property_dependencies`` hold only resources that are in the
  request; the parent URN is also in ``opts.parent``, which the adapter falls back to;
- there is no ``custom`` flag: a resource with a provider is custom, one without is a component;
- providers are attached to each resource; every distinct one becomes a ``pulumi:providers:…``
  resource of its own (unless the request already lists it), Pulumi's *default* providers
  (``default`` / ``default_<version>``) included, as in a plan from ``sahab plan``: a resource
  on one points at it and takes its region from it.
"""
from __future__ import annotations

import contextlib
import hashlib
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from pulumi_policy import proxy as _proxy
from pulumi_policy import secret as _secret
from pulumi_policy.deserialize import serialize_properties

from ..planner.document import effective_region, plan_document, stack_and_project
from ..planner.harness.wire import UNKNOWN_SENTINEL, Redactor

STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"
# Every unknown sentinel the policy SDK knows (the engine sends the string one; the others are
# accepted so that no unknown is ever read as a value).
_UNKNOWN_SENTINELS = frozenset(
    getattr(_proxy, name) for name in dir(_proxy) if name.startswith("UNKNOWN_") and name.endswith("_VALUE")
)


def adapt_stack(resources: Sequence[Any]) -> Dict[str, Any]:
    """A plan document (``sahab.dev/plan/v1``) for the resources of one stack analysis.

    ``config``, ``outputs`` and ``diagnostics`` are empty: a policy pack gets the stack's config
    only as decrypted environment values without saying which keys are secret, and no outputs.
    """
    adapted = adapt_resources(resources)
    stack_urn = _stack_urn(resources)
    stack, project = stack_and_project(stack_urn or (adapted[0]["urn"] if adapted else "")) or ("unknown", "unknown")
    return plan_document(project=project, stack=stack, stack_urn=stack_urn, config={}, resources=adapted, outputs={},
                         diagnostics=[])


def adapt_resources(resources: Sequence[Any]) -> List[Dict[str, Any]]:
    """``PolicyResource`` objects -> plan resources, providers included, sorted by URN."""
    listed = [r for r in resources if r.resource_type != STACK_TYPE]
    stack_urn = _stack_urn(resources)
    converted = {r.urn: _convert(r.props) for r in listed}

    # Every provider, by URN: those the request lists, then those only attached to a resource.
    providers: Dict[str, Dict[str, Any]] = {}
    for r in listed:
        if r.resource_type.startswith(PROVIDER_PREFIX):
            providers[r.urn] = {"inputs": converted[r.urn][0]}
    attached: Dict[str, Any] = {}
    for r in listed:
        p = getattr(r, "provider", None)
        if p is not None and p.urn not in providers and p.urn not in attached:
            attached[p.urn] = p
    extra = {urn: _convert(p.props) for urn, p in attached.items()}
    providers.update({urn: {"inputs": values[0]} for urn, values in extra.items()})

    out = [_resource(r, converted[r.urn], providers, stack_urn) for r in listed]
    out += [_provider_resource(p, extra[urn], stack_urn) for urn, p in attached.items()]
    return sorted(out, key=lambda resource: resource["urn"])


def stack_fingerprint(resources: Sequence[Any]) -> str:
    """A digest of everything :func:`adapt_stack` reads, several times cheaper than adapting.

    pulumi-policy deserializes the whole request again for every policy, so each policy gets new
    objects with the same content; the pack adapts and evaluates once per distinct digest.
    """
    digest = hashlib.sha256()
    for r in resources:
        p = getattr(r, "provider", None)
        opts = getattr(r, "opts", None)
        digest.update(repr((
            r.resource_type, r.urn, r.name, _plain(r.props),
            (p.resource_type, p.urn, p.name, _plain(p.props)) if p is not None else None,
            _parent_urn(r),
            [d.urn for d in (getattr(r, "dependencies", None) or [])],
            sorted((k, [d.urn for d in v]) for k, v in (getattr(r, "property_dependencies", None) or {}).items()),
            _options(opts),
        )).encode("utf-8"))
    return digest.hexdigest()


# -- secrets ------------------------------------------------------------------------------------

_KEEPS_SECRETS = "_sahab_keeps_secrets"


def keep_secrets() -> None:
    """Make pulumi-policy keep secrets as ``Secret`` wrappers instead of plain values.

    pulumi-policy 1.21.0 (pinned) deserializes every request with
    ``pulumi_policy.policy.deserialize_properties(props)``, which unwraps secrets. This swaps in
    the same function with ``proxy_secrets=True``: values read through ``props`` are unchanged
    (the proxy unwraps them on access), and the adapter can see which ones were secret. Only the
    pack program calls it (it affects the whole process); tests use :func:`secrets_kept`.
    """
    import pulumi_policy.policy as policy_module

    current = getattr(policy_module, "deserialize_properties", None)
    if current is None:  # pragma: no cover - guards an SDK upgrade
        raise RuntimeError("pulumi_policy.policy.deserialize_properties is gone; sahab's CrossGuard pack "
                           "needs pulumi-policy==1.21.0 to tell secrets from plain values")
    if getattr(current, _KEEPS_SECRETS, False):
        return

    def deserialize_keeping_secrets(props: Dict[str, Any], proxy_secrets: bool = True) -> Dict[str, Any]:
        return current(props, proxy_secrets=True)

    setattr(deserialize_keeping_secrets, _KEEPS_SECRETS, current)
    policy_module.deserialize_properties = deserialize_keeping_secrets


@contextlib.contextmanager
def secrets_kept() -> Iterator[None]:
    """:func:`keep_secrets` for the duration of a ``with`` block (tests)."""
    import pulumi_policy.policy as policy_module

    before = policy_module.deserialize_properties
    keep_secrets()
    try:
        yield
    finally:
        policy_module.deserialize_properties = before


# -- one resource -------------------------------------------------------------------------------

def _convert(props: Any) -> Tuple[Dict[str, Any], List[str], List[str]]:
    """Properties -> (inputs with markers, unknown paths, secret paths), like the planner."""
    wire = _canonical_unknowns(serialize_properties(props if props is not None else {}))
    redactor = Redactor()
    inputs = redactor.convert(dict(wire))
    return inputs, sorted(set(redactor.unknowns)), sorted(set(redactor.secrets))


_PROXIES = (_proxy._DictProxy, _proxy._ListProxy, _secret._DictSecretsProxy, _secret._ListSecretsProxy)


def _plain(value: Any) -> Any:
    """Deserialized properties as plain, comparable data (proxies opened, secrets as markers)."""
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return value
    if kind is dict:
        return {key: _plain(item) for key, item in value.items()}
    if kind is list:
        return [_plain(item) for item in value]
    if isinstance(value, _PROXIES):
        return _plain(value["__target"])
    if isinstance(value, _secret.Secret):  # rules see only the marker: the value stays out of the digest
        return ("$secret", isinstance(value.value, str) and value.value in _UNKNOWN_SENTINELS)
    return serialize_properties(value)  # assets and archives -> their wire form


def _canonical_unknowns(value: Any) -> Any:
    if isinstance(value, str):
        return UNKNOWN_SENTINEL if value in _UNKNOWN_SENTINELS else value
    if isinstance(value, list):
        return [_canonical_unknowns(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _canonical_unknowns(item) for key, item in value.items()}
    return value


def _resource(r: Any, converted: Tuple[Dict[str, Any], List[str], List[str]],
              providers: Mapping[str, Dict[str, Any]], stack_urn: Optional[str]) -> Dict[str, Any]:
    inputs, unknowns, secrets = converted
    provider = getattr(r, "provider", None)
    is_provider = r.resource_type.startswith(PROVIDER_PREFIX)
    provider_urn = provider.urn if provider is not None else None
    region, source = effective_region({"inputs": inputs}, [providers[provider_urn]] if provider_urn in providers else [])
    return {
        "urn": r.urn,
        "type": r.resource_type,
        "name": r.name,
        "mode": "create",
        "custom": is_provider or provider is not None,
        "opaque": False,
        "parent": _parent_urn(r) or (stack_urn if is_provider else None),
        "provider": provider_urn,
        "region": region,
        "regionSource": source,
        "inputs": inputs,
        "unknowns": unknowns,
        "secrets": secrets,
        "dependencies": sorted({d.urn for d in (getattr(r, "dependencies", None) or [])}),
        "propertyDependencies": {
            key: sorted({d.urn for d in deps})
            for key, deps in sorted((getattr(r, "property_dependencies", None) or {}).items()) if deps
        },
        "options": _options(getattr(r, "opts", None)),
    }


def _provider_resource(p: Any, converted: Tuple[Dict[str, Any], List[str], List[str]],
                       stack_urn: Optional[str]) -> Dict[str, Any]:
    inputs, unknowns, secrets = converted
    region, source = effective_region({"inputs": inputs}, [])
    return {
        "urn": p.urn, "type": p.resource_type, "name": p.name, "mode": "create", "custom": True,
        "opaque": False, "parent": stack_urn, "provider": None, "region": region, "regionSource": source,
        "inputs": inputs, "unknowns": unknowns, "secrets": secrets,
        "dependencies": [], "propertyDependencies": {}, "options": {},
    }


def _parent_urn(r: Any) -> Optional[str]:
    parent = getattr(r, "parent", None)
    if parent is not None:
        return parent.urn
    opts = getattr(r, "opts", None)
    return (getattr(opts, "parent", None) or None) if opts is not None else None


def _options(opts: Any) -> Dict[str, Any]:
    """The resource options the plan shows that the policy SDK carries (no retainOnDelete,
    replaceOnChanges or importId: the analyzer protocol does not send them)."""
    if opts is None:
        return {}
    options: Dict[str, Any] = {}
    if getattr(opts, "protect", False):
        options["protect"] = True
    if getattr(opts, "delete_before_replace", None):
        options["deleteBeforeReplace"] = True
    for field, key in (("ignore_changes", "ignoreChanges"), ("additional_secret_outputs", "additionalSecretOutputs")):
        values = list(getattr(opts, field, None) or [])
        if values:
            options[key] = sorted(values)
    return options


# -- the stack ----------------------------------------------------------------------------------

def _urn_type(urn: str) -> str:
    parts = urn.split("::")
    return parts[2].split("$")[-1] if len(parts) >= 4 else ""


def _stack_urn(resources: Sequence[Any]) -> Optional[str]:
    for r in resources:
        if r.resource_type == STACK_TYPE:
            return r.urn
    for r in resources:
        parent = _parent_urn(r)
        if parent and _urn_type(parent) == STACK_TYPE:
            return parent
    return None
