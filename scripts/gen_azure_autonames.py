"""Generate src/sahab/planner/harness/azure_autonames.json: which property azure-native auto-names, and how.

The provider decides a type's auto-naming when it generates its metadata (pulumi-azure-native
provider/pkg/resources/resources.go, ``AutoNamer.AutoName``, ported below as :func:`strategy`):
the path parameter that ends the type's API path is auto-named; ``uuid`` if its format is uuid
or it is ``roleAssignmentName``/``roleDefinitionId``; ``random`` for ``endpointName``,
``customDomainName``, a path with no ``Microsoft.`` namespace, or one path parameter after the
last namespace; ``copy`` otherwise (a child resource: the logical name as it is). The paths are
in the provider's versions/v3.yaml (``ResourceUri`` per default resource); the repository keeps
a reduced copy (``Module: {Resource: ResourceUri}``). Run with:

    .venv/bin/python scripts/gen_azure_autonames.py scripts/data/azure-native-v3-resourceuris.yaml <commit>

(or with the full versions/v3.yaml) and commit the changed data file. Every entry is checked
against the installed SDK (the planner pins it): the type must exist, take every path parameter
as an input (else its API version's path differs from the file's) and the auto-named one as an
optional input (the generator makes it optional), else the entry is dropped and the planner
leaves the name unknown.
A parameter whose name ends in ``Id``/``Guid`` is dropped too: v3.yaml does not carry the
parameter's format, and such a parameter may be formatted uuid (the provider then uses ``uuid``).
"""
from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import pulumi
import yaml

TARGET = Path(__file__).resolve().parents[1] / "src" / "sahab" / "planner" / "harness" / "azure_autonames.json"
REPOSITORY = "pulumi/pulumi-azure-native"
RULE = "provider/pkg/resources/resources.go AutoNamer.AutoName at 1b99ef0b634254a11e6182e278313b0542176bc2"
UUID_NAMES = ("roleAssignmentName", "roleDefinitionId")
RANDOM_NAMES = ("endpointName", "customDomainName")
MAYBE_UUID = re.compile(r"(Id|ID|Guid|GUID)$")
PARAMETER = re.compile(r"\{([^{}]+)\}")


def strategy(path: str, param: str) -> Optional[str]:
    """``AutoNamer.AutoName`` for a parameter whose format is not uuid (the caller drops those it cannot tell)."""
    if not path.endswith("{%s}" % param):
        return None
    if param in UUID_NAMES:
        return "uuid"
    if param in RANDOM_NAMES:
        return "random"
    parts = path.lower().split("microsoft.")
    if len(parts) == 1 or parts[-1].count("{") == 1:
        return "random"
    return "copy"


def last_parameter(path: str) -> Optional[str]:
    match = re.search(r"\{([^{}]+)\}$", path)
    return match.group(1) if match else None


def wire_name(param: str) -> str:
    """The SDK input a path parameter becomes (``{VaultName}`` -> ``vaultName``)."""
    return param[:1].lower() + param[1:]


def sdk_inputs(module: str, resource: str) -> Optional[Dict[str, bool]]:
    """Wire name -> required, for the resource's args class in the installed SDK (None: no such resource).

    The args class is looked up in the resource's own module: where a nested input type has the
    same name (network ``VirtualNetworkArgs``), the resource's is ``<Resource>InitArgs``.
    """
    try:
        mod = importlib.import_module("pulumi_azure_native." + module)
    except ImportError:
        return None
    cls = getattr(mod, resource, None)
    if not (isinstance(cls, type) and issubclass(cls, pulumi.CustomResource)):
        return None
    home = sys.modules[cls.__module__]
    args = getattr(home, resource + "InitArgs", None) or getattr(home, resource + "Args", None)
    if not isinstance(args, type):
        return None
    params = inspect.signature(args.__init__).parameters
    inputs = {}
    for attr_name, attr in vars(args).items():
        wire = getattr(getattr(attr, "fget", None), "_pulumi_name", None)
        if wire and attr_name in params:
            inputs[wire] = params[attr_name].default is inspect.Parameter.empty
    return inputs


def generate(tree: Dict[str, Dict[str, Union[str, Dict[str, str]]]]) -> Tuple[Dict[str, List[str]], List[str]]:
    """Token -> [property, strategy] for the resources of a v3.yaml tree (full or reduced), and why others were dropped."""
    types: Dict[str, List[str]] = {}
    dropped: List[str] = []
    for module_name, resources in sorted(tree.items()):
        module = module_name.lower()
        for resource, entry in sorted((resources or {}).items()):
            if not resource[:1].isupper():
                continue  # a function (getX, listX), not a resource
            token = "azure-native:%s:%s" % (module, resource)
            path = entry if isinstance(entry, str) else entry.get("ResourceUri", "")
            param = last_parameter(path)
            if param is None:
                dropped.append("%s: path ends in a fixed segment (not auto-named)" % token)
                continue
            if MAYBE_UUID.search(param) and param not in UUID_NAMES:
                dropped.append("%s: {%s} may be formatted uuid; its format is not in v3.yaml" % (token, param))
                continue
            inputs = sdk_inputs(module, resource)
            if inputs is None:
                dropped.append("%s: not in the SDK" % token)
                continue
            absent = [p for p in map(wire_name, PARAMETER.findall(path)) if p != "subscriptionId" and p not in inputs]
            if absent:
                dropped.append("%s: the SDK's path differs (no input %s)" % (token, ", ".join(absent)))
                continue
            prop = wire_name(param)
            if inputs[prop]:
                dropped.append("%s: the SDK requires the input %r" % (token, prop))
                continue
            kind = strategy(path, param)
            assert kind is not None
            types[token] = [prop, kind]
    return types, dropped


def render(document: Dict[str, Any]) -> str:
    """JSON with one type per line: compact (the planner ships it) and still reviewable as a diff."""
    entries = ["%s:%s" % (json.dumps(token), json.dumps(rule, separators=(",", ":"))) for token, rule in sorted(document["types"].items())]
    return '{"source": %s,\n"types": {\n%s\n}}\n' % (json.dumps(document["source"], sort_keys=True), ",\n".join(entries))


def main(argv: List[str]) -> int:
    if len(argv) != 3:
        print("usage: gen_azure_autonames.py V3_YAML COMMIT", file=sys.stderr)
        return 2
    source, commit = Path(argv[1]), argv[2]
    tree = yaml.safe_load(source.read_text(encoding="utf-8"))
    types, dropped = generate(tree)
    document = {
        "source": {
            "repository": REPOSITORY,
            "commit": commit,
            "file": "versions/v3.yaml",
            "input": source.name,
            "rule": RULE,
            "sdk": "pulumi-azure-native " + version("pulumi-azure-native"),
        },
        "types": types,
    }
    TARGET.write_text(render(document), encoding="utf-8")
    print("%d types written to %s; %d dropped:" % (len(types), TARGET, len(dropped)))
    for line in dropped:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
