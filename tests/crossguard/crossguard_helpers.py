"""Build what the Pulumi engine sends a policy pack (``AnalyzeStackRequest``) from a plan document,
and run a policy list through pulumi-policy's own analyzer servicer.

The request is built the way the engine marshals it (pulumi ``analyzer_plugin.go``,
``MarshalOptions{KeepUnknowns, KeepSecrets}``): unknowns as the unknown sentinel string, secrets
in the secret envelope, numbers as protobuf doubles, the provider as an
``AnalyzerProviderResource``, the parent both as ``parent`` and ``options.parent``, and the root
``pulumi:pulumi:Stack`` resource listed like any other.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

from sahab import __version__
from sahab.crossguard import PACK_NAME, secrets_kept
from sahab.planner.document import effective_region
from sahab.planner.harness.wire import (ARCHIVE_SIG, ASSET_SIG, SECRET_SIG, SIG_KEY, UNKNOWN_SENTINEL)

SECRET_PLAINTEXT = "s3cr3t-value-the-plan-never-had"


def to_wire(value: Any, path: str, unknowns: Set[str]) -> Any:
    """A plan input (with markers) -> its wire form."""
    if isinstance(value, dict):
        if value.get("$unknown") is True:  # partial values and origins are the offline planner's own
            return UNKNOWN_SENTINEL
        if value.get("$secret") is True and len(value) == 1:
            return {SIG_KEY: SECRET_SIG, "value": UNKNOWN_SENTINEL if path in unknowns else SECRET_PLAINTEXT}
        if "$asset" in value and len(value) == 1:
            return dict(value["$asset"], **{SIG_KEY: ASSET_SIG})
        if "$archive" in value and len(value) == 1:
            return dict(value["$archive"], **{SIG_KEY: ARCHIVE_SIG})
        return {k: to_wire(v, _join(path, k), unknowns) for k, v in value.items()}
    if isinstance(value, list):
        return [to_wire(v, _join(path, str(i)), unknowns) for i, v in enumerate(value)]
    return value


def as_the_engine_sees_it(value: Any) -> Any:
    """A plan value with every unknown plain: under `pulumi up` a callback on an unknown does not run,
    so the engine has no partial values (`$partial`, `$json`) and no origins (`of`)."""
    if isinstance(value, dict):
        if value.get("$unknown") is True:
            return {"$unknown": True}
        return {k: as_the_engine_sees_it(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_the_engine_sees_it(v) for v in value]
    return value


def as_the_engine_plans_it(plan: Mapping[str, Any]) -> Dict[str, Any]:
    """The plan with what only the offline planner records taken out (partial values, auto-name marks)."""
    resources = [
        dict({k: v for k, v in r.items() if k not in ("partials", "autonamed", "speculative")},
             inputs=as_the_engine_sees_it(r["inputs"]))
        for r in plan["resources"]
    ]
    return dict(plan, resources=resources)


def _join(path: str, key: str) -> str:
    return key if not path else path + "." + key


def struct_of(inputs: Mapping[str, Any], unknowns: Iterable[str] = ()) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(to_wire(dict(inputs), "", set(unknowns)))
    return struct


def provider_message(provider: Mapping[str, Any]) -> analyzer_pb2.AnalyzerProviderResource:
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider["type"], urn=provider["urn"], name=provider["name"],
        properties=struct_of(provider["inputs"], provider.get("unknowns", ())))


def default_provider(plan: Mapping[str, Any], package: str) -> Dict[str, Any]:
    """The provider the engine creates for a resource without an explicit one: named
    ``default_<version>``, configured from the stack's ``<package>:*`` config keys."""
    prefix = package + ":"
    return {
        "type": "pulumi:providers:" + package, "name": "default_7_0_0",
        "urn": "urn:pulumi:%s::%s::pulumi:providers:%s::default_7_0_0" % (plan["stack"], plan["project"], package),
        "inputs": {k[len(prefix):]: v for k, v in plan.get("config", {}).items() if k.startswith(prefix)},
    }


def use_default_provider(plan: Dict[str, Any], resource: Dict[str, Any]) -> None:
    """Move a resource onto Pulumi's default provider as ``sahab plan`` records it: the provider
    resource in the plan (once), the resource pointing at it; then :func:`refresh_regions`."""
    default = default_provider(plan, resource["type"].split(":")[0])
    if default["urn"] not in {r["urn"] for r in plan["resources"]}:
        plan["resources"].append({
            "urn": default["urn"], "type": default["type"], "name": default["name"], "mode": "create", "custom": True,
            "opaque": False, "parent": plan.get("stackUrn"), "provider": None, "region": "unknown", "regionSource": "none",
            "inputs": default["inputs"], "unknowns": [], "secrets": [], "dependencies": [], "propertyDependencies": {},
            "options": {}})
        plan["resources"].sort(key=lambda r: r["urn"])
    resource["provider"] = default["urn"]


def plan_to_request(plan: Mapping[str, Any], *, include_stack: bool = True) -> analyzer_pb2.AnalyzeStackRequest:
    """A custom resource whose plan ``provider`` is null (Pulumi's default provider) gets the
    default provider the engine would attach (see :func:`default_provider`)."""
    by_urn = {r["urn"]: r for r in plan["resources"]}
    messages: List[analyzer_pb2.AnalyzerResource] = []
    if include_stack and plan.get("stackUrn"):
        messages.append(analyzer_pb2.AnalyzerResource(
            type="pulumi:pulumi:Stack", urn=plan["stackUrn"], name="%s-%s" % (plan["project"], plan["stack"]),
            properties=struct_pb2.Struct()))
    for r in plan["resources"]:
        options = r.get("options", {})
        message = analyzer_pb2.AnalyzerResource(
            type=r["type"], urn=r["urn"], name=r["name"],
            properties=struct_of(r["inputs"], r["unknowns"]),
            parent=r["parent"] or "",
            dependencies=r["dependencies"],
            propertyDependencies={k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v)
                                  for k, v in r["propertyDependencies"].items()},
            options=analyzer_pb2.AnalyzerResourceOptions(
                parent=r["parent"] or "",
                protect=bool(options.get("protect")),
                ignoreChanges=options.get("ignoreChanges", []),
                deleteBeforeReplace=bool(options.get("deleteBeforeReplace")),
                deleteBeforeReplaceDefined="deleteBeforeReplace" in options,
                additionalSecretOutputs=options.get("additionalSecretOutputs", []),
            ),
        )
        attached = None
        if r["provider"]:
            attached = by_urn[r["provider"]]
        elif r["custom"] and not r["type"].startswith("pulumi:providers:"):
            attached = default_provider(plan, r["type"].split(":")[0])
        if attached is not None:
            message.provider.CopyFrom(provider_message(attached))
        messages.append(message)
    return analyzer_pb2.AnalyzeStackRequest(resources=messages)


def servicer(policies: List[Any]) -> _PolicyAnalyzerServicer:
    return _PolicyAnalyzerServicer(PACK_NAME, __version__, policies, EnforcementLevel.MANDATORY)


def analyze(policies: List[Any], request: analyzer_pb2.AnalyzeStackRequest,
            config: Optional[Mapping[str, Mapping[str, Any]]] = None) -> analyzer_pb2.AnalyzeResponse:
    """Run ``AnalyzeStack`` exactly as the pack process would (secrets kept, see keep_secrets)."""
    service = servicer(policies)
    if config:
        request_config = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, values in config.items():
            entry = request_config.policyConfig[name]
            properties = {k: v for k, v in values.items() if k != "enforcementLevel"}
            if properties:
                entry.properties.update(properties)
            entry.enforcementLevel = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY}[
                values.get("enforcementLevel", "mandatory")]
        service.Configure(request_config, None)
    with secrets_kept():
        return service.AnalyzeStack(request, None)


def violations(response: analyzer_pb2.AnalyzeResponse, policies: List[Any],
               urns: Optional[Set[str]] = None) -> Set[Tuple[str, str, str]]:
    """(policy name, URN, message) of each per-resource diagnostic, without the SDK's
    "<description>\\n" prefix; only on ``urns`` when given."""
    descriptions = {p.name: p.description for p in policies}
    found = set()
    for d in response.diagnostics:
        if not d.urn or (urns is not None and d.urn not in urns):
            continue
        prefix = descriptions[d.policyName] + "\n"
        assert d.message.startswith(prefix), d.message
        found.add((d.policyName, d.urn, d.message[len(prefix):]))
    return found


# -- plan mutations ---------------------------------------------------------------------------

def find(plan: Mapping[str, Any], type_token: str, name: Optional[str] = None) -> Dict[str, Any]:
    for r in plan["resources"]:
        if r["type"] == type_token and (name is None or r["name"] == name):
            return r
    raise LookupError("%s %s not in the plan" % (type_token, name))


def set_input(plan: Dict[str, Any], resource: Dict[str, Any], key: str, value: Any) -> None:
    """Set an input and keep the plan's region fields, unknowns and secrets consistent."""
    resource["inputs"][key] = value
    resource["unknowns"] = sorted({p for p in resource["unknowns"] if p != key and not p.startswith(key + ".")}
                                  | ({key} if value == {"$unknown": True} else set()))
    resource["secrets"] = sorted({p for p in resource["secrets"] if p != key}
                                 | ({key} if value == {"$secret": True} else set()))
    refresh_regions(plan)


def refresh_regions(plan: Dict[str, Any]) -> None:
    by_urn = {r["urn"]: r for r in plan["resources"]}
    for r in plan["resources"]:
        if not r["custom"]:
            continue
        providers = [by_urn[r["provider"]]] if r["provider"] in by_urn else []
        r["region"], r["regionSource"] = effective_region(r, providers)


def remove(plan: Dict[str, Any], resource: Dict[str, Any]) -> None:
    urn = resource["urn"]
    plan["resources"] = [r for r in plan["resources"] if r["urn"] != urn]
    for r in plan["resources"]:
        r["dependencies"] = [d for d in r["dependencies"] if d != urn]
        r["propertyDependencies"] = {k: [d for d in v if d != urn] for k, v in r["propertyDependencies"].items()}
        r["propertyDependencies"] = {k: v for k, v in r["propertyDependencies"].items() if v}


def clone(plan: Mapping[str, Any]) -> Dict[str, Any]:
    return copy.deepcopy(dict(plan))
