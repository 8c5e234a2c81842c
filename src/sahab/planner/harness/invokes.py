"""Answers for provider functions (invokes) a program calls while it is planned.

No provider runs under the mocks, so every invoke is answered here: a handful of common ones
with values that follow from the plan's own facts (the provider's region, its zones), the rest
with a value shaped like the SDK's declared result type. Anything answered without real facts
is reported as a diagnostic so nobody mistakes it for a real lookup.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from . import wire
from .catalog import TypeCatalog

ACCOUNT_ID = "123456789012"
AZURE_TENANT_ID = "00000000-0000-0000-0000-00000000a001"
AZURE_SUBSCRIPTION_ID = "00000000-0000-0000-0000-00000000a002"
AZURE_CLIENT_ID = "00000000-0000-0000-0000-00000000a003"
AZURE_OBJECT_ID = "00000000-0000-0000-0000-00000000a004"
UNKNOWN_REGION = "unknown"

# Zone facts for the UAE region; other regions get the conventional a/b/c names.
_ZONE_IDS = {"me-central-1": ["mec1-az1", "mec1-az2", "mec1-az3"]}


class InvokeAnswer:
    """What the monitor returns: a value, or ``None`` for "wholly unknown"; plus a note."""

    def __init__(self, value: Optional[Dict[str, Any]], note: Optional[str] = None) -> None:
        self.value = value
        self.note = note


def _zones(region: str) -> List[str]:
    return [region + suffix for suffix in ("a", "b", "c")]


def _aws_hints(token: str, args: Dict[str, Any], region: str) -> Dict[str, Any]:
    hints = _aws_facts(token, args, region)
    if region == UNKNOWN_REGION:
        # What follows from the region is as unknown as the region. A plain (non-output)
        # invoke cannot return unknowns (the SDK's result types check their fields), so these
        # read "unknown", like the plan's own unknown region.
        for key in ("names", "zoneIds", "groupNames"):
            if key in hints:
                hints[key] = [UNKNOWN_REGION for _ in hints[key]]
        for key in ("name", "region", "id", "endpoint", "description"):
            if key in hints and (key == "region" or token.split(":")[-1] in ("getRegion", "getAvailabilityZones")):
                hints[key] = UNKNOWN_REGION
    return hints


def _aws_facts(token: str, args: Dict[str, Any], region: str) -> Dict[str, Any]:
    function = token.split(":")[-1]
    if function == "getCallerIdentity":
        return {
            "accountId": ACCOUNT_ID,
            "arn": "arn:aws:iam::%s:user/sahab-planner" % ACCOUNT_ID,
            "userId": "AIDASAHABPLANNER",
            "id": ACCOUNT_ID,
        }
    if function == "getRegion":
        return {
            "name": region,
            "region": region,
            "id": region,
            "endpoint": "ec2.%s.amazonaws.com" % region,
            "description": region,
        }
    if function == "getAvailabilityZones":
        zones = _zones(region)
        ids = _ZONE_IDS.get(region, [z + "-id" for z in zones])
        excluded = set(args.get("excludeNames") or []) | set(args.get("excludeZoneIds") or [])
        kept = [i for i, (zone, zone_id) in enumerate(zip(zones, ids)) if zone not in excluded and zone_id not in excluded]
        zones, ids = [zones[i] for i in kept], [ids[i] for i in kept]
        return {
            "names": zones,
            "zoneIds": ids,
            "groupNames": [region],
            "id": region,
            "region": region,
        }
    if function == "getPartition":
        return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws",
                "reverseDnsPrefix": "com.amazonaws"}
    if function == "getAmi":
        return {"id": "ami-0123456789abcdef0", "imageId": "ami-0123456789abcdef0",
                "architecture": "x86_64", "name": "mock-ami", "region": region}
    return {}


def _azure_hints(token: str) -> Dict[str, Any]:
    if token.split(":")[-1] in ("getClientConfig", "getClientToken"):
        return {
            "clientId": AZURE_CLIENT_ID,
            "objectId": AZURE_OBJECT_ID,
            "subscriptionId": AZURE_SUBSCRIPTION_ID,
            "tenantId": AZURE_TENANT_ID,
        }
    return {}


_WELL_KNOWN = {
    "aws:index/getCallerIdentity:getCallerIdentity",
    "aws:index/getRegion:getRegion",
    "aws:index/getAvailabilityZones:getAvailabilityZones",
    "aws:index/getPartition:getPartition",
    "aws:ec2/getAmi:getAmi",
    "azure-native:authorization:getClientConfig",
}


_REGIONAL = {
    "aws:index/getRegion:getRegion",
    "aws:index/getAvailabilityZones:getAvailabilityZones",
    "aws:ec2/getAmi:getAmi",
}


# Fields of the well-known answers that the planner invents (no account, no image catalogue
# offline): they look real, so every answer that holds them says so in a diagnostic.
_INVENTED = {
    "aws:index/getCallerIdentity:getCallerIdentity": ("accountId", "arn", "userId", "id"),
    "aws:ec2/getAmi:getAmi": ("id", "imageId", "name", "architecture"),
    "azure-native:authorization:getClientConfig": ("clientId", "objectId", "subscriptionId", "tenantId"),
}


def _invented_fields(token: str, region: str) -> Tuple[str, ...]:
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones" and region not in _ZONE_IDS:
        return ("names", "zoneIds")  # zone facts are kept for the UAE region only
    return _INVENTED.get(token, ())


def answer(token: str, args: Dict[str, Any], region: str, output_form: bool, catalog: TypeCatalog) -> InvokeAnswer:
    """Answer one invoke; ``region`` is the effective region of the provider it goes to; result
    types come from ``catalog`` (described by the program's SDK).

    ``output_form`` (``get_x_output``): a result the planner would have to make up is unknown
    instead, as a preview whose provider has not answered yet; the program's ``apply`` on it is
    skipped rather than run on a placeholder (``json.loads`` of a placeholder secret string). The
    plain form must return a value, so it gets the placeholder, and a diagnostic says so.
    """
    if token == "kubernetes:yaml:decode":
        return _decode_yaml(args)
    if token == "kubernetes:helm:template":
        return InvokeAnswer(
            {"result": []},
            "helm chart %s cannot be rendered offline (it needs the helm binary and the chart); "
            "its resources are not in the plan" % _chart_name(args),
        )
    package = token.split(":")[0]
    hints: Dict[str, Any] = {}
    note = None
    if package == "aws":
        hints = _aws_hints(token, args, region)
        if region == UNKNOWN_REGION and token in _REGIONAL:
            note = "invoke %s goes to a provider whose region is not known before deploy; " \
                   "its region-specific values read 'unknown'" % token
    elif package == "azure-native":
        hints = _azure_hints(token)
    result_type = catalog.invoke_result(token)
    if result_type is None:
        if hints:
            return InvokeAnswer(hints, note)
        return InvokeAnswer(None, "invoke %s is not known to the planner; its result is unknown" % token)
    hint: Callable[[str], Optional[Any]] = _hint(hints, args)
    value = catalog.synthesize_object(result_type, hint)
    if token in _WELL_KNOWN:
        invented = _invented_fields(token, region)
        if invented and not note:
            note = "invoke %s answered with invented values that look real (%s): nothing in the plan may rely " \
                   "on them" % (token, ", ".join(invented))
        return InvokeAnswer(value, note)
    if output_form:
        return InvokeAnswer(None, "invoke %s (output form) is unknown before deploy: the planner does not make up "
                                  "its result, so what the program derives from it is unknown" % token)
    return InvokeAnswer(
        value,
        "invoke %s answered with placeholder values shaped like %s" % (token, result_type.rsplit(".", 1)[-1]),
    )


def _hint(hints: Dict[str, Any], args: Dict[str, Any]) -> Callable[[str], Optional[Any]]:
    """Known answers first; then the invoke's own arguments, which a lookup's result echoes
    (``get_vpc(default=True).default`` is ``True``; ``get_vpc(id=X).id`` is ``X``)."""

    def hint(field: str) -> Optional[Any]:
        if field in hints:
            return hints[field]
        value = args.get(field)
        if value is None or value == wire.UNKNOWN_SENTINEL or isinstance(value, dict) and wire.SIG_KEY in value:
            return None
        return value

    return hint


def _chart_name(args: Dict[str, Any]) -> str:
    import json

    try:
        opts = json.loads(args.get("jsonOpts") or "{}")
    except (TypeError, ValueError):
        return "(unnamed)"
    chart = opts.get("chart") or opts.get("path") or "(unnamed)"
    return "%r%s" % (str(chart), " %s" % opts["version"] if opts.get("version") else "")


def _decode_yaml(args: Dict[str, Any]) -> InvokeAnswer:
    """Parsed in sahab's process, so with the bounded loader: a program's alias bomb is refused."""
    from ...inputs.safe_yaml import parse_yaml_documents

    text = args.get("text") or ""
    documents = parse_yaml_documents(text if isinstance(text, str) else "", "the YAML given to kubernetes:yaml:decode",
                                     "fix the manifest the program decodes")
    return InvokeAnswer({"result": [doc for doc in documents if doc is not None]})


def region_of_provider_inputs(inputs: Dict[str, Any]) -> Optional[str]:
    """The region a provider resource's inputs pin it to, if any (``unknown`` when it is set
    to a value not known before deploy, or a secret: never the configured default then)."""
    for key in ("region", "location"):
        value = inputs.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict) and (wire.UNKNOWN_MARKER_KEY in value or wire.SECRET_MARKER_KEY in value):
            return UNKNOWN_REGION
    return None
