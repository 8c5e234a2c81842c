"""Shared wiring of the verification suites: the ``controls`` marker, the inventory, and hosts per role.

* ``--sahab-inventory FILE``: the inventory ``sahab verify`` writes (JSON, docs/verify.md#inventory).
* A module with ``ROLE = "<role>"`` gets testinfra's ``host`` fixture parametrised with that role's
  hosts only. A role with no hosts skips its tests with that reason: never a pass, and never the
  local machine (testinfra's fallback when no host is named).
* The ``endpoint`` fixture is parametrised with the inventory's endpoints (none: skipped, with reason).
* A host whose spec names ``host_root`` (a node-debug pod: the node's root at ``/host``) is checked
  under ``chroot`` there: ``host`` is wrapped (:mod:`sahab.verification.host_root`).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import pytest

from sahab.verification.host_root import rooted
from sahab.verification.inventory import ROLES, Inventory, parse_inventory

_NO_HOSTS = "the inventory names no %s hosts (docs/verify.md#inventory)"
_NONE_FOUND = "no %s host was found when sahab verify resolved %s (docs/verify.md#host-selectors)"
_NO_ENDPOINTS = "the inventory names no endpoints (docs/verify.md#inventory)"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--sahab-inventory", dest="sahab_inventory", metavar="FILE",
                     help="sahab verify's inventory (JSON): hosts per role and endpoints.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "controls(*rule_ids): the Rego rule ids that prove this control at plan time")
    if getattr(config.option, "hosts", None):  # testinfra's --hosts would put every role's checks on every host
        raise pytest.UsageError("pass hosts per role with --sahab-inventory (sahab verify --hosts ROLE=SPEC), not --hosts")


def _inventory(config: pytest.Config) -> Inventory:
    cached: Optional[Inventory] = getattr(config, "_sahab_inventory", None)
    if cached is None:
        path = config.getoption("sahab_inventory")
        data = json.loads(Path(path).read_text()) if path else {}
        cached = parse_inventory(data, "inventory %s" % path, "run the suites with sahab verify")
        config._sahab_inventory = cached  # type: ignore[attr-defined]
    return cached


@pytest.fixture(scope="module")
def host(_testinfra_host, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """testinfra's host, under ``chroot`` at its spec's ``host_root`` when it names one (one wrapper per host)."""
    root = _inventory(request.config).host_roots().get(_testinfra_host.backend.get_pytest_id())
    if root is None:
        return _testinfra_host
    cache = request.config.__dict__.setdefault("_sahab_rooted_hosts", {})
    key = _testinfra_host.backend.get_pytest_id()
    if key not in cache:
        cache[key] = rooted(_testinfra_host, root)
    return cache[key]


@pytest.fixture(scope="module", autouse=True)
def _host_reachable(request: pytest.FixtureRequest) -> None:
    """Reach each host once before its checks: an unreachable host is an error with the transport's reason,
    not a run of failures that look like findings."""
    if "_testinfra_host" not in request.fixturenames:
        return
    host = request.getfixturevalue("host")
    try:
        probe = host.run("true")
    except Exception as exc:  # noqa: BLE001 - testinfra raises (CommandResult,) when the transport fails (ssh exit 255)
        probe = exc.args[0] if exc.args and hasattr(exc.args[0], "stderr") else None
        if probe is None:
            pytest.fail("cannot reach %s: %s: %s" % (host.backend.get_pytest_id(), type(exc).__name__, exc), pytrace=False)
    if probe.rc != 0:
        reason = (probe.stderr.strip().splitlines() or ["exit %d" % probe.rc])[-1]
        pytest.fail("cannot reach %s: %s" % (host.backend.get_pytest_id(), reason), pytrace=False)


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Before testinfra's own hook: give each role's module its hosts (testinfra reads ``testinfra_hosts``)."""
    role = getattr(metafunc.module, "ROLE", None)
    if "_testinfra_host" in metafunc.fixturenames:
        if role not in ROLES:  # testinfra would fall back to the local machine: never verify that instead
            raise pytest.UsageError("%s uses the host fixture but its ROLE is %r, not one of %s"
                                    % (metafunc.module.__name__, role, ", ".join(ROLES)))
        metafunc.module.testinfra_hosts = list(_inventory(metafunc.config).hosts.get(role, ()))
    if "endpoint" in metafunc.fixturenames:
        endpoints = _inventory(metafunc.config).endpoints
        metafunc.parametrize("endpoint", endpoints, ids=[e.name for e in endpoints])


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    """An empty parameter set skips with pytest's generic reason: put ours first, naming what is missing."""
    inventory = _inventory(config)
    for item in items:
        role = getattr(getattr(item, "module", None), "ROLE", None)
        if role is not None and not inventory.hosts.get(role):
            selectors = inventory.selectors.get(role, ())
            reason = _NONE_FOUND % (role, "; ".join(s.describe() for s in selectors)) if selectors else _NO_HOSTS % role
            item.add_marker(pytest.mark.skip(reason=reason), append=False)
        elif "endpoint" in item.fixturenames and not inventory.endpoints:
            item.add_marker(pytest.mark.skip(reason=_NO_ENDPOINTS), append=False)

