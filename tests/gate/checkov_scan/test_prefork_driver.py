"""The pre-forking checkov driver that `sahab gate` starts before planning."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sahab.gate.checkov.background import prestarted_driver, start_checkov
from sahab.gate.checkov.engine import identities, scan
from sahab.gate.checkov.manifests import build_inputs
from sahab.gate.checkov.runner import PreforkDriver, interpreter_of
from sahab.gate.engines.base import EngineError
from sahab.tools.checkov import checkov_executable


@pytest.fixture
def privileged_plan(k8s):
    container = {"name": "w", "image": "nginx:1", "securityContext": {"privileged": True}}
    return {"resources": [k8s["deployment"]("web", "apps", {"app": "web"}, [container], name="web")]}


def test_a_prestarted_driver_scans_exactly_like_a_fresh_one(checkov_available, privileged_plan, tmp_path: Path):
    inputs = build_inputs(privileged_plan, None)
    fresh = scan(inputs, use_cache=False, scratch=tmp_path / "fresh")
    with prestarted_driver() as driver:
        assert driver is not None
        warm = scan(inputs, use_cache=False, scratch=tmp_path / "warm", driver=driver)
        assert driver.process.poll() == 0  # it served its one batch and left
    assert warm.mode == fresh.mode == "prefork"
    assert ("CKV_K8S_16", "Deployment.apps.web", "/" + inputs.manifests[0].rel_path) in identities(warm.records)
    assert identities(warm.records) == identities(fresh.records)


def test_the_background_scan_returns_the_findings_of_a_direct_run(checkov_available, privileged_plan, tmp_path: Path):
    future = start_checkov(privileged_plan, None, use_cache=False)
    findings = future.result(timeout=300)
    privileged = [f for f in findings if f.rule_id == "CKV_K8S_16"]
    assert [(f.urn, f.enforcement, f.status) for f in privileged] == \
        [(privileged_plan["resources"][0]["urn"], "mandatory", "violation")]


def test_an_unused_driver_is_ended(checkov_available):
    with prestarted_driver() as driver:
        assert driver is not None and driver.process.poll() is None
    assert driver.process.poll() is not None


def test_without_jobs_the_driver_ends_quietly(checkov_available):
    interpreter = interpreter_of(checkov_executable())
    assert interpreter is not None
    driver = PreforkDriver(interpreter)
    stdout, stderr = driver.process.communicate(b"", timeout=120)
    assert (driver.process.returncode, stdout) == (0, b"")


def test_no_driver_is_started_when_checkov_is_off_or_runs_per_process(checkov_available, monkeypatch):
    with prestarted_driver(False) as driver:
        assert driver is None
    monkeypatch.setenv("SAHAB_CHECKOV_MODE", "cli")
    with prestarted_driver(True) as driver:
        assert driver is None


def test_a_missing_checkov_leaves_the_error_to_the_scan(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("SAHAB_CHECKOV", str(tmp_path / "no-checkov"))
    with prestarted_driver(True) as driver:
        assert driver is None


def test_an_interpreter_that_cannot_start_is_an_engine_error(tmp_path: Path):
    with pytest.raises(EngineError, match="cannot start checkov's interpreter .*no-python") as caught:
        PreforkDriver(tmp_path / "no-python")
    assert caught.value.exit_code == 3


def test_a_driver_whose_checkov_cannot_be_imported_is_an_engine_error(checkov_available, privileged_plan,
                                                                       tmp_path: Path):
    # sahab's own interpreter has no checkov: the driver dies on its import, before any job
    driver = PreforkDriver(Path(sys.executable))
    with pytest.raises(EngineError, match="checkov failed to start") as caught:
        scan(build_inputs(privileged_plan, None), use_cache=False, scratch=tmp_path, driver=driver)
    assert "No module named 'checkov'" in (caught.value.details or "")
