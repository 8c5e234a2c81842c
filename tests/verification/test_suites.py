"""The suites under verify/ (every one, the node suites too): each test proves named controls, on named hosts.

A test without a ``controls`` marker, or citing a rule the gate does not have, would be evidence
of nothing; a host test in a module without a ``ROLE`` would let testinfra fall back to checking
the verifying machine itself. The runner refuses both at run time too (plugin, conftest).
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import sahab.verify
from sahab.gate.rules import load_bundle
from sahab.verification.inventory import ROLES


def _suites():
    return [importlib.import_module("sahab.verify." + m.name) for m in pkgutil.iter_modules(sahab.verify.__path__)
            if m.name.startswith("test_")]


def _tests(module):
    return [(name, fn) for name, fn in vars(module).items() if name.startswith("test_") and inspect.isfunction(fn)]


def test_the_runner_pod_and_endpoint_suites_are_there():
    names = {m.__name__.rsplit(".", 1)[1] for m in _suites()}
    assert {"test_ci_runner_pods", "test_platform_endpoints"} <= names


@pytest.mark.parametrize("module", _suites(), ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_every_test_cites_rules_the_gate_has_or_a_control_by_name(module):
    bundle = load_bundle()
    rule_ids = {rule.rule_id for rule in bundle.rules}
    controls = {control for rule in bundle.rules for control in rule.controls}
    assert _tests(module)
    for name, fn in _tests(module):
        cited = [arg for mark in getattr(fn, "pytestmark", []) if mark.name == "controls" for arg in mark.args]
        assert cited, "%s.%s has no @pytest.mark.controls" % (module.__name__, name)
        unknown = [c for c in cited if c not in rule_ids and c not in controls]
        assert unknown == [], "%s.%s cites %s" % (module.__name__, name, unknown)


@pytest.mark.parametrize("module", _suites(), ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_host_tests_run_on_the_hosts_of_one_role(module):
    uses_host = [name for name, fn in _tests(module) if "host" in inspect.signature(fn).parameters]
    if uses_host:
        assert getattr(module, "ROLE", None) in ROLES, "%s uses host but declares no ROLE" % module.__name__
