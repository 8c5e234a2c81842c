"""Print policies/lib/node_bootstrap.rego, the renders SAHAB-NOD-001 and SAHAB-NOD-002 accept, from the templates.

Regenerate after changing a template or the AKS settings:
``python -m sahab.components.node_bootstrap > policies/lib/node_bootstrap.rego``
(tests/components/test_node_bootstrap.py fails while the checked-in file is stale).
"""
from __future__ import annotations

import json
import math
import sys
from typing import Any, Dict

from . import library_aks_renders, library_renders

HEADER = """# METADATA
# title: sahab's node bootstrap renders
# description: >-
#   Every node bootstrap sahab.components.node_bootstrap can render. `renders`: the AL2023 user
#   data documents (MIME multi-part: NodeConfig part and hardening shell part), by name;
#   SAHAB-NOD-001 accepts a node group's user data only when it decodes to one of these.
#   `aks_renders`: the AKS agent pool settings (aks_node_configuration, as a plan carries them),
#   by SSH mode; SAHAB-NOD-002 accepts an AKS pool only when it carries one of these. Generated
#   from components/node_bootstrap by `python -m sahab.components.node_bootstrap`; do not edit.
package sahab.lib.node_bootstrap

import rego.v1

"""


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def check_aks_renders(renders: Dict[str, Dict[str, Any]]) -> None:
    """SAHAB-NOD-002 judges each property on its own, which equals "one of the renders" only when the
    renders are every combination of their properties' values: refuse to generate anything else."""
    properties = {tuple(sorted(render)) for render in renders.values()}
    if len(properties) != 1:
        raise ValueError("the AKS renders set different properties: %s" % sorted(properties))
    names = sorted(next(iter(properties)))
    values = {name: {_json(render[name]) for render in renders.values()} for name in names}
    combinations = {tuple(_json(render[name]) for name in names) for render in renders.values()}
    if len(combinations) != math.prod(len(v) for v in values.values()):
        raise ValueError("the AKS renders are not every combination of their properties' values, "
                         "so SAHAB-NOD-002's property-by-property check would accept a mix of two renders")


def rego_module() -> str:
    """The generated Rego module (raw strings: the templates hold no backquote; JSON is Rego)."""
    entries = []
    for name, text in sorted(library_renders().items()):
        if "`" in text:
            raise ValueError("a node bootstrap template holds a backquote, which a Rego raw string cannot carry")
        entries.append('\t"%s": `%s`,\n' % (name, text))
    aks = library_aks_renders()
    check_aks_renders(aks)
    aks_entries = ['\t"%s": %s,\n' % (name, _json(render)) for name, render in sorted(aks.items())]
    return (HEADER + "renders := {\n" + "".join(entries) + "}\n\n"
            + "aks_renders := {\n" + "".join(aks_entries) + "}\n")


if __name__ == "__main__":
    sys.stdout.write(rego_module())
