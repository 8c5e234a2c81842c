"""The readable summary of a plan: one row per resource (type, name, region) and totals."""
from __future__ import annotations

from collections import Counter
from typing import Any, Dict

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .escape import plain


def render_plan(document: Dict[str, Any], console: Console) -> None:
    # The title is a line of its own, never wrapped: wrapped at the table's width, a long project
    # name could put a line starting "PASS" in the log.
    console.print(plain("Plan for %s/%s" % (document["project"], document["stack"])), style="italic", markup=False,
                  highlight=False, emoji=False, soft_wrap=True)
    table = Table()
    table.add_column("Type", overflow="fold")
    table.add_column("Name", overflow="fold")
    table.add_column("Region")
    for resource in document["resources"]:
        region = resource["region"]
        style = "yellow" if region == "unknown" else None
        marks = " (opaque)" if resource["opaque"] else ""
        table.add_row(Text(plain(resource["type"])), Text(plain(resource["name"]) + marks), Text(plain(region)), style=style)
    console.print(table)
    console.print(plain(summary_line(document)), markup=False, highlight=False, emoji=False, soft_wrap=True)
    for diagnostic in document["diagnostics"]:
        console.print(plain("[%s] %s" % (diagnostic["severity"], diagnostic["message"])), markup=False, highlight=False, emoji=False,
                      soft_wrap=True)


def summary_line(document: Dict[str, Any]) -> str:
    resources = document["resources"]
    regions = Counter(resource["region"] for resource in resources)
    unknowns = sum(len(resource["unknowns"]) for resource in resources)
    partials = sum(len(resource.get("partials", ())) for resource in resources)
    speculative = sum(1 for resource in resources if resource.get("speculative"))
    secrets = sum(len(resource["secrets"]) for resource in resources)
    by_region = ", ".join("%s: %d" % (region, count) for region, count in sorted(regions.items()))
    return "%d resources (%s); %d unknown values (%d partly known); %d speculative resources; %d secret values redacted" % (
        len(resources), by_region or "none", unknowns, partials, speculative, secrets)
