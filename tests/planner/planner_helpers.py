"""Helpers for the planner tests (imported as a module): fixture programs, plans, lookups, the CLI.

Planning a program costs a child process (1-3 s), so every test module plans each program
once (module-scoped fixtures) and asserts many things about that one plan.
"""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

PROGRAMS = Path(__file__).resolve().parents[1] / "fixtures" / "programs"
SCHEMA = Path(__file__).resolve().parents[2] / "src" / "sahab" / "planner" / "plan.schema.json"
CLI = [sys.executable, "-c", "from sahab.cli import main; main()"]

UNKNOWN = {"$unknown": True}
SECRET = {"$secret": True}


def unknown_of(doc: Dict[str, Any], type_: str, name: str, output: str) -> Dict[str, Any]:
    """The marker of an unknown that is output ``output`` of the plan's resource ``type_``/``name``."""
    urn = next(r["urn"] for r in doc["resources"] if r["type"] == type_ and r["name"] == name)
    return {"$unknown": True, "of": {"urn": urn, "output": output}}


def program(name: str) -> Path:
    return PROGRAMS / name


def plan(name: str, stack: str = "dev", **kwargs: Any) -> Dict[str, Any]:
    """Plan a fixture program in-process (the program itself still runs in a child)."""
    from sahab.planner import plan_project

    return plan_project(program(name), stack, **kwargs)


def run_cli(args: Sequence[str], cwd: Optional[Path] = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``sahab ARGS`` as a user runs it: a fresh process, text output captured."""
    return subprocess.run(CLI + list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def run_cli_many(commands: Iterable[Sequence[str]]) -> List[subprocess.CompletedProcess]:
    """Several CLI runs at once (each is mostly a waiting parent and a busy child)."""
    commands = list(commands)
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(run_cli, commands))


def resource(document: Dict[str, Any], type_: str, name: str) -> Dict[str, Any]:
    matches = [r for r in document["resources"] if r["type"] == type_ and r["name"] == name]
    assert len(matches) == 1, "expected one %s %r, found %d" % (type_, name, len(matches))
    return matches[0]


def resources_of(document: Dict[str, Any], type_: str) -> List[Dict[str, Any]]:
    return [r for r in document["resources"] if r["type"] == type_]


def urn(document: Dict[str, Any], qualified_type: str, name: str) -> str:
    return "urn:pulumi:%s::%s::%s::%s" % (document["stack"], document["project"], qualified_type, name)


def default_provider_urn(document: Dict[str, Any], package: str) -> str:
    """The URN the engine gives the package's default provider: ``default_<installed SDK version>``."""
    from importlib.metadata import version

    name = "default_" + version("pulumi-" + package).replace(".", "_").replace("-", "_")
    return urn(document, "pulumi:providers:" + package, name)


def warnings(document: Dict[str, Any]) -> List[str]:
    return [d["message"] for d in document["diagnostics"] if d["severity"] == "warning"]


def assert_valid(document: Dict[str, Any]) -> None:
    """The document satisfies the published plan schema, and survives a JSON round trip."""
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    assert json.loads(json.dumps(document)) == document


def chosen_inputs(found: Dict[str, Any]) -> Dict[str, Any]:
    """A resource's top-level inputs without those its provider auto-names (listed in ``autonamed``)."""
    return {key: value for key, value in found["inputs"].items() if key not in found.get("autonamed", ())}
