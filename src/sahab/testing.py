"""Unit-test Pulumi code in-process with the planner's monitor.

``plan_resources(lambda: MyComponent(...))`` runs the callable under the Pulumi mock engine with
the same monitor ``sahab plan`` uses (preview semantics, shaped invokes, secrets redacted) and
returns the registered resources in plan-document form, so a test can assert security
properties on exactly what the gate will see. Each call runs in a fresh context and event loop.
"""
from __future__ import annotations

import asyncio
import contextvars
from typing import Any, Callable, Dict, List, Optional, Tuple

from .planner.document import plan_resources as _to_plan_resources
from .planner.harness import introspection as _introspection
from .planner.harness import monitor as _monitor
from .planner.harness.catalog import TypeCatalog as _TypeCatalog
from .planner.harness.transforms import TransformingMonitor as _TransformingMonitor
from .planner.harness.transforms import Transforms as _Transforms


def plan_resources(program: Callable[[], Any], *, project: str = "test", stack: str = "test",
                   config: Optional[Dict[str, str]] = None) -> List[Dict[str, Any]]:
    """Run ``program`` under the mocks; return its resources (plan format, sorted by URN)."""
    resources, error = attempt_plan(program, project=project, stack=stack, config=config)
    if error is not None:
        raise error
    return resources


def attempt_plan(program: Callable[[], Any], *, project: str = "test", stack: str = "test",
                 config: Optional[Dict[str, str]] = None) -> Tuple[List[Dict[str, Any]], Optional[BaseException]]:
    """Like :func:`plan_resources`, but returns what was registered *and* the error, if any.

    Lets a test prove that bad input fails before any resource is registered.
    """
    capture = _monitor.Capture()
    error = contextvars.Context().run(_run, program, project, stack, dict(config or {}), capture)
    return _to_plan_resources(capture.resources), error


def resources_of_type(resources: List[Dict[str, Any]], type_token: str) -> List[Dict[str, Any]]:
    return [resource for resource in resources if resource["type"] == type_token]


def one_of_type(resources: List[Dict[str, Any]], type_token: str) -> Dict[str, Any]:
    found = resources_of_type(resources, type_token)
    if len(found) != 1:
        raise AssertionError("expected one %s, found %d" % (type_token, len(found)))
    return found[0]


def _run(program: Callable[[], Any], project: str, stack: str, config: Dict[str, str],
         capture: "_monitor.Capture") -> Optional[BaseException]:
    import pulumi
    from pulumi.runtime import mocks, settings
    from pulumi.runtime.stack import run_pulumi_func

    catalog = _TypeCatalog()
    _introspection.install(catalog.declare)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        settings.ROOT.set(None)
        pulumi.runtime.set_all_config(config, [])
        monitor = _monitor.PlanMonitor(capture, config, {}, project=project, stack=stack, catalog=catalog)
        program_side = _TransformingMonitor(monitor, _Transforms(capture.note), project, stack)
        mocks.set_mocks(_monitor.NoMocks(), project=project, stack=stack, preview=True, monitor=program_side)
        # MockSettings keeps the tracked-Output set of the previous run: a run that failed inside an
        # apply leaves tasks of its closed loop there, which would break the next run's wait.
        settings.SETTINGS.outputs = set()
        loop.run_until_complete(run_pulumi_func(program))
    except Exception as exc:  # noqa: BLE001 - handed back to the caller
        return exc
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return None


def assert_pinned_and_contained(resources: List[Dict[str, Any]], component_type: str,
                                region: str = "me-central-1") -> None:
    """Every resource in ``region``, on the one AWS provider, and inside the component.

    The containment half matters to users: ``pulumi destroy`` of a component and policy
    waivers by URN pattern both rely on children being parented to it.
    """
    _assert_pinned_and_contained(resources, component_type, "pulumi:providers:aws", "region", region,
                                 lambda resource: region)


def assert_azure_pinned_and_contained(resources: List[Dict[str, Any]], component_type: str,
                                      location: str = "uaenorth") -> None:
    """The Azure twin of :func:`assert_pinned_and_contained`: one azure-native provider pinned to
    ``location``; every resource on it, inside the component, and in ``location`` (a private DNS
    zone and its links are "global" in ARM, and must say so: they hold names, not data)."""
    _assert_pinned_and_contained(resources, component_type, "pulumi:providers:azure-native", "location", location,
                                 lambda resource: "global" if resource["type"] in _AZURE_GLOBAL_TYPES else location)


_AZURE_GLOBAL_TYPES = frozenset({"azure-native:privatedns:PrivateZone", "azure-native:privatedns:VirtualNetworkLink"})


def _assert_pinned_and_contained(resources: List[Dict[str, Any]], component_type: str, provider_type: str,
                                 pin_input: str, pinned: str, expected_region: Callable[[Dict[str, Any]], str]) -> None:
    component = one_of_type(resources, component_type)
    provider = one_of_type(resources, provider_type)
    assert provider["inputs"][pin_input] == pinned
    by_urn = {r["urn"]: r for r in resources}
    for resource in resources:
        assert resource["region"] == expected_region(resource), resource["urn"]
        if resource is component or resource is provider:
            continue
        assert resource["provider"] == provider["urn"], resource["urn"]
        parent = resource["parent"]
        while parent != component["urn"]:
            assert parent in by_urn, "%s is not inside the component" % resource["urn"]
            parent = by_urn[parent]["parent"]
