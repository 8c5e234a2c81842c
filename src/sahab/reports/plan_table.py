"""The readable summary of a plan: one row per resource (type, name, region) and totals."""
from __future__ import annotations

from collections import Counter
from typing import Any, Dict

from rich.console import Console
from rich.table import Table


def render_plan(document: Dict[str, Any], console: Console) -> None:
    table = Table(title="Plan for %s/%s" % (document["project"], document["stack"]), title_justify="left")
    table.add_column("Type", overflow="fold")
    table.add_column("Name", overflow="fold")
    table.add_column("Region")
    for resource in document["resources"]:
        region = resource["region"]
        style = "yellow" if region == "unknown" else None
        marks = " (opaque)" if resource["opaque"] else ""
        table.add_row(resource["type"], resource["name"] + marks, region, style=style)
    console.print(table)
    console.print(summary_line(document))
    for diagnostic in document["diagnostics"]:
        console.print("[%s] %s" % (diagnostic["severity"], diagnostic["message"]), markup=False, highlight=False)


def summary_line(document: Dict[str, Any]) -> str:
    resources = document["resources"]
    regions = Counter(resource["region"] for resource in resources)
    unknowns = sum(len(resource["unknowns"]) for resource in resources)
    secrets = sum(len(resource["secrets"]) for resource in resources)
    by_region = ", ".join("%s: %d" % (region, count) for region, count in sorted(regions.items()))
    return "%d resources (%s); %d unknown values; %d secret values redacted" % (
        len(resources), by_region or "none", unknowns, secrets)
