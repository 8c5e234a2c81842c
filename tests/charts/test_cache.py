"""Where the chart cache is, what it may hold, and the digest reviewers copy."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from chart_helpers import NAME, VERSION, children, expanded, release_program, the_release
from sahab.charts.cache import ENV_VAR, cache_dir
from sahab.charts.releases import values_digest


def test_the_cache_folder_is_the_flag_else_the_environment_else_the_users_cache(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "from-env"))
    assert cache_dir(tmp_path / "from-flag") == tmp_path / "from-flag"
    assert cache_dir() == tmp_path / "from-env"
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "sahab" / "charts"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "sahab" / "charts"


def test_an_oci_chart_is_looked_up_by_its_last_path_segment_and_pulled_from_its_url(tmp_path: Path):
    program = release_program(chart="oci://ghcr.io/example/charts/%s" % NAME)
    release = the_release(expanded(program, tmp_path))
    assert release["expanded"] == {
        "by": None, "chart": NAME, "version": VERSION, "repository": "oci://ghcr.io/example/charts",
        "valuesDigest": release["expanded"]["valuesDigest"],
        "reason": "sahab-demo-0.3.1.tgz is not in the chart cache %s: fill it with "
                  "`helm pull oci://ghcr.io/example/charts/sahab-demo --version 0.3.1 -d %s`" % (tmp_path, tmp_path)}


def test_a_chart_name_that_would_leave_the_cache_folder_is_refused(tmp_path: Path):
    release = the_release(expanded(release_program(version="../../etc"), tmp_path))
    assert release["expanded"]["reason"] == "chart 'sahab-demo' version '../../etc' cannot name a file in the chart cache"
    assert children(expanded(release_program(version="../../etc"), tmp_path)) == {}


def test_the_values_digest_is_sha256_of_canonical_json_markers_included():
    values = {"b": [1, {"$secret": True}], "a": {"z": "é", "y": {"$unknown": True}}}
    canonical = '{"a":{"y":{"$unknown":true},"z":"é"},"b":[1,{"$secret":true}]}'
    assert json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False) == canonical
    assert values_digest(values) == "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert values_digest({"a": 1, "b": 2}) == values_digest({"b": 2, "a": 1})
    assert values_digest({"a": 1}) != values_digest({"a": 2})


@pytest.mark.parametrize("values", [{}, {"replicas": 3, "image": {"tag": "1.4.3"}}])
def test_the_plan_records_the_digest_of_the_planned_values(cache: Path, values):
    release = the_release(expanded(release_program(values), cache))
    assert release["inputs"]["values"] == values
    assert release["expanded"]["valuesDigest"] == "sha256:" + hashlib.sha256(
        json.dumps(values, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
