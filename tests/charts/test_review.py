"""SAHAB-PLN-002: a release whose chart was not rendered is unchecked, unless a current review matches it exactly."""
from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from chart_helpers import NAME, REPO, VERSION, expanded, release_program, the_release
from sahab.errors import ConfigError
from sahab.gate.config import load_gate_config
from sahab.gate.rules import load_bundle
from sahab.gate.run import gate_plan

TODAY = datetime.date(2027, 1, 15)
REVIEW = """\
gate:
  reviewed_charts:
    - chart: {chart}
      repository: {repository}
      version: "{version}"
      values_digest: {digest}
      reviewer: Jane Doe <jane@example.org>
      reviewed: 2026-12-01
      expires: {expires}
      notes: operator only; its RBAC was read line by line
"""


@pytest.fixture(scope="module")
def bundle():
    return load_bundle()


@pytest.fixture
def unrendered(tmp_path: Path):
    """A plan whose release names a chart that is not in the (empty) chart cache."""
    return {"project": "test", "stack": "test", "resources": expanded(release_program({"replicas": 3}), tmp_path / "empty")}


def _config(tmp_path: Path, **fields):
    entry = {"chart": NAME, "repository": REPO, "version": VERSION, "expires": "2027-06-01",
             "digest": "sha256:" + "0" * 64, **fields}
    (tmp_path / "sahab.yaml").write_text(REVIEW.format(**entry))
    return load_gate_config(tmp_path).with_overrides(checkov_enabled=False)


def _pln002(plan, config, bundle):
    result = gate_plan(plan, config, bundle=bundle, today=TODAY)
    (finding,) = [f for f in result.findings if f.rule_id == "SAHAB-PLN-002"]
    return finding, result


def test_an_unrendered_release_is_unchecked_and_blocks_naming_chart_version_and_digest(unrendered, tmp_path, bundle):
    config = load_gate_config(tmp_path).with_overrides(checkov_enabled=False)
    finding, result = _pln002(unrendered, config, bundle)
    digest = the_release(unrendered["resources"])["expanded"]["valuesDigest"]
    assert (finding.status, finding.enforcement, finding.severity, finding.engine) == ("unchecked", "mandatory", "high", "sahab")
    assert finding.urn == the_release(unrendered["resources"])["urn"]
    assert finding.message == (
        "helm release ray installs chart sahab-demo 0.3.1 from %s, which was not rendered: sahab-demo-0.3.1.tgz is not "
        "in the chart cache %s: fill it with `helm pull sahab-demo --repo %s --version 0.3.1 -d %s`. Its objects were "
        "not checked; values digest %s; no review in sahab.yaml gate.reviewed_charts names this chart and repository"
        % (REPO, tmp_path / "empty", REPO, tmp_path / "empty", digest))
    assert finding.title == "Helm releases are rendered and checked"
    assert result.exit_code == 1 and "SAHAB-PLN-002" in result.rules_evaluated


def test_a_current_review_of_exactly_this_release_makes_it_advisory(unrendered, tmp_path, bundle):
    digest = the_release(unrendered["resources"])["expanded"]["valuesDigest"]
    finding, result = _pln002(unrendered, _config(tmp_path, digest=digest), bundle)
    assert (finding.status, finding.enforcement, finding.blocks) == ("unchecked", "advisory", False)
    assert finding.message.endswith("reviewed by Jane Doe <jane@example.org> on 2026-12-01, valid until 2027-06-01")
    assert result.exit_code == 0


@pytest.mark.parametrize("change, why", [
    ({"version": "0.3.0"}, "the review by Jane Doe <jane@example.org> covers version 0.3.0, not 0.3.1"),
    ({"digest": "sha256:" + "a" * 64}, "the review by Jane Doe <jane@example.org> covers values sha256:%s, but the "
                                       "values changed to {digest}" % ("a" * 64)),
    ({"expires": "2027-01-14"}, "the review by Jane Doe <jane@example.org> expired on 2027-01-14"),
    ({"repository": "https://charts.example.org/fork"},
     "no review in sahab.yaml gate.reviewed_charts names this chart and repository"),
])
def test_a_review_of_another_version_values_or_repository_or_an_expired_one_does_not_apply(
        unrendered, tmp_path, bundle, change, why):
    digest = the_release(unrendered["resources"])["expanded"]["valuesDigest"]
    finding, result = _pln002(unrendered, _config(tmp_path, **{"digest": digest, **change}), bundle)
    assert (finding.enforcement, finding.blocks, result.exit_code) == ("mandatory", True, 1)
    assert finding.message.endswith("; " + why.format(digest=digest))


def test_a_rendered_release_needs_no_review(cache, tmp_path, bundle):
    plan = {"project": "test", "stack": "test", "resources": expanded(release_program(), cache)}
    result = gate_plan(plan, load_gate_config(tmp_path).with_overrides(checkov_enabled=False), bundle=bundle, today=TODAY)
    assert [f for f in result.findings if f.rule_id.startswith("SAHAB-PLN")] == []


def test_an_unrendered_v4_chart_is_reported_once_by_pln_002_not_pln_001(tmp_path, bundle):
    plan = {"project": "test", "stack": "test", "resources": expanded(release_program(kind="chart"), tmp_path)}
    assert the_release(plan["resources"])["opaque"] is True
    result = gate_plan(plan, load_gate_config(tmp_path).with_overrides(checkov_enabled=False), bundle=bundle, today=TODAY)
    assert [(f.rule_id, f.status) for f in result.findings if f.rule_id.startswith("SAHAB-PLN")] == [
        ("SAHAB-PLN-002", "unchecked")]


def test_a_plan_without_the_expansion_record_is_still_reported(bundle, tmp_path):
    """A plan from another tool (or sahab.testing) says nothing about rendering: never a pass."""
    from sahab.testing import plan_resources

    plan = {"project": "test", "stack": "test", "resources": plan_resources(release_program())}
    finding, _ = _pln002(plan, load_gate_config(tmp_path).with_overrides(checkov_enabled=False), bundle)
    assert "which was not rendered: the plan does not record that it was rendered (plan it with `sahab plan`)" in finding.message


@pytest.mark.parametrize("entry, error", [
    ({"expires": "2027/06/01"}, "gate.reviewed_charts #1 has expires '2027/06/01', which is not a date (write it as YYYY-MM-DD)"),
    ({"expires": "2027-13-01"}, "gate.reviewed_charts #1 has expires '2027-13-01', which is not a date (write it as YYYY-MM-DD)"),
    ({"digest": "abc"}, "gate.reviewed_charts #1: values_digest 'abc' is not sha256:<64 hex digits> "
                        "(copy it from the SAHAB-PLN-002 message)"),
    ({"expires": "2026-11-30"}, "gate.reviewed_charts #1 expires (2026-11-30) before it was reviewed (2026-12-01) (fix the dates)"),
    ({"repository": "http://charts.example.org"}, "gate.reviewed_charts #1: repository 'http://charts.example.org' is not "
                                                  "an https:// or oci:// chart repository (name the repository the release installs from)"),
])
def test_a_malformed_review_stops_the_gate_naming_the_file_and_the_fix(tmp_path: Path, entry, error):
    with pytest.raises(ConfigError) as raised:
        _config(tmp_path, **entry)
    assert raised.value.one_line() == "%s%s%s" % (tmp_path / "sahab.yaml", " " if error.startswith("is ") else ": ", error)


@pytest.mark.parametrize("text, error", [
    ("gate:\n  reviewed_charts:\n    - chart: x\n", "gate.reviewed_charts #1 lacks repository, version, values_digest, "
     "reviewer, reviewed, expires (each reviewed chart has chart, repository, version, values_digest, reviewer, "
     "reviewed, expires (docs/charts.md))"),
    ("gate:\n  reviewed_charts: {{chart: x}}\n", "gate.reviewed_charts must be a list (each reviewed chart has chart, "
     "repository, version, values_digest, reviewer, reviewed, expires (docs/charts.md))"),
    (REVIEW.replace('"{version}"', "1.7").replace("notes:", "approved: yes\n      notes:"),
     "gate.reviewed_charts #1 has unknown field(s) approved (allowed: chart, repository, version, values_digest, "
     "reviewer, reviewed, expires, notes)"),
    (REVIEW.replace('"{version}"', "1.7"), "gate.reviewed_charts #1: version must be a string, not 1.7 "
     "(quote it in YAML (e.g. version: \"1.10\"))"),
    ("charts:\n  cache: [a]\n", "`charts:` takes only `cache: <folder>` (e.g. charts: {cache: charts-cache} (docs/charts.md))"),
])
def test_missing_keys_wrong_types_and_unknown_fields_are_refused(tmp_path: Path, text, error):
    (tmp_path / "sahab.yaml").write_text(text.format(chart=NAME, repository=REPO, version=VERSION,
                                                     digest="sha256:" + "0" * 64, expires="2027-06-01"))
    with pytest.raises(ConfigError) as raised:
        load_gate_config(tmp_path)
    assert raised.value.one_line() == "%s: %s" % (tmp_path / "sahab.yaml", error)


def test_the_chart_cache_of_sahab_yaml_is_relative_to_it(tmp_path: Path):
    (tmp_path / "sahab.yaml").write_text("charts:\n  cache: vendor/charts\n")
    assert load_gate_config(tmp_path).chart_cache == tmp_path / "vendor" / "charts"
