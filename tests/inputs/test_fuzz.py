"""Property-based fuzzing (hypothesis) of names, sahab.yaml values, waivers and stack outputs.

Properties: every report of a run whose names are arbitrary text is valid in its format and shows
them as data (tests/inputs/names.py); every configuration, waiver or stack-outputs document is
either read into well-typed values or refused with one ConfigError line naming the file, never
another exception (exit 3) and never a loosely read value. Bounded to run in seconds.
"""
from __future__ import annotations

import datetime
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from names import check_every_format, hostile_result
from sahab.errors import ConfigError
from sahab.gate.config import GateConfig, load_gate_config
from sahab.gate.waivers import load_waivers
from sahab.inputs.safe_yaml import parse_yaml
from sahab.planner import load_stack_outputs

FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
FRAGMENTS = ["\n", "\r\n", "PASS", "FAIL", "\x1b[", "[bold]", "[/]", "<!--", "-->", "<", ">", "&", "|", "`", "``", "*",
             "_", "[", "](1)", "\\", "%0A", "::", ",", ":", "$", "~", "\x00", "\ufffe", "\u2028", "\u202e", "\ud800",
             "]]>", "&#0;", ":x:", " ", "\t", "#", "!"]
NAMES = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(st.characters(), max_size=6)), max_size=8).map("".join)


@FAST
@given(NAMES)
def test_any_name_is_data_in_every_report(name):
    check_every_format(hostile_result(name))


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**12), st.floats(allow_nan=True),
                    st.sampled_from(["true", "false", "yes", "no", "2027-01-01", "2027-13-45", "SAHAB-*", "opa", "embedded",
                                     "high", "", " ", "http://[::1", "CKV_K8S_16", "~", "null"]),
                    st.text(max_size=8), st.dates())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.text(max_size=6), inner, max_size=3)), max_leaves=6)
GATE_KEYS = ["engine", "opa", "enforcement", "checkov", "waivers", "fail_on_deferred", "reviewed_charts", "rules",
             "skip_rules", "severity_threshold", "soft_fail", "baseline", "policies", "bogus"]


@FAST
@given(st.dictionaries(st.sampled_from(GATE_KEYS), VALUES, max_size=4))
def test_any_sahab_yaml_is_read_well_typed_or_refused_in_one_line(tmp_path_factory, section):
    root = tmp_path_factory.mktemp("cfg")
    (root / "sahab.yaml").write_text(yaml.safe_dump({"gate": section}, allow_unicode=True))
    try:
        config = load_gate_config(root)
    except ConfigError as exc:
        line = exc.one_line()
        assert len(line.splitlines()) == 1 and line.startswith(str(root / "sahab.yaml"))
        return
    assert isinstance(config, GateConfig)
    for flag in (config.soft_fail, config.fail_on_deferred, config.checkov_enabled):
        assert flag is True or flag is False
    assert config.engine in ("embedded", "opa")
    assert all(isinstance(key, str) and isinstance(value, str) for key, value in config.enforcement.items())
    assert all(isinstance(pattern, str) and pattern.strip() for pattern in config.rules + config.skip_rules)
    assert config.checkov_mandatory is None or all(isinstance(item, str) for item in config.checkov_mandatory)
    assert all(isinstance(value, str) or (key == "timeout" and isinstance(value, (int, float)))
               for key, value in config.opa.items())
    for path in (config.waivers, config.baseline):
        assert path is None or isinstance(path, Path)


WAIVER_FIELDS = ["rule", "urn", "reason", "approver", "expires", "scope", "extra"]
WAIVER_VALUES = st.one_of(SCALARS, st.sampled_from(["SAHAB-NET-001", "CKV_K8S_16", "urn:pulumi:*", "2099-12-31", "all"]),
                          NAMES, VALUES)


@FAST
@given(st.lists(st.dictionaries(st.sampled_from(WAIVER_FIELDS), WAIVER_VALUES, max_size=7), min_size=1, max_size=3))
def test_any_waiver_is_read_well_typed_or_refused_in_one_line(tmp_path_factory, entries):
    path = tmp_path_factory.mktemp("waivers") / "waivers.yaml"
    path.write_text(yaml.safe_dump({"waivers": entries}, allow_unicode=True))
    try:
        waivers = load_waivers(path, today=datetime.date(2026, 12, 3))
    except ConfigError as exc:
        line = exc.one_line()
        assert len(line.splitlines()) == 1 and "waivers.yaml" in line
        return
    for waiver in waivers:
        assert all(isinstance(value, str) for value in (waiver.rule, waiver.urn, waiver.reason, waiver.approver))
        assert type(waiver.expires) is datetime.date and waiver.expires >= datetime.date(2026, 12, 3)


OUTPUT_ENTRIES = st.one_of(
    VALUES,
    st.fixed_dictionaries({"outputs": VALUES}, optional={"secretOutputNames": st.one_of(VALUES, st.lists(st.text(max_size=4))),
                                                         "x": VALUES}),
    st.fixed_dictionaries({"outputs": st.dictionaries(st.sampled_from(["a", "b", "pw"]), SCALARS)},
                          optional={"secretOutputNames": st.lists(st.sampled_from(["a", "b", "pw", "PW", "p"]))}))


@FAST
@given(st.one_of(VALUES, st.dictionaries(st.text(max_size=8), OUTPUT_ENTRIES, max_size=3)))
def test_any_stack_outputs_file_keeps_secrets_secret_or_is_refused(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("outputs") / "outputs.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    try:
        references = load_stack_outputs(path)
    except ConfigError as exc:
        assert len(exc.one_line().splitlines()) == 1 and str(path) in exc.one_line()
        return
    for reference in references.values():
        assert isinstance(reference["outputs"], dict) and all(isinstance(key, str) for key in reference["outputs"])
        names = reference["secretOutputNames"]
        assert isinstance(names, list) and all(isinstance(name, str) and name in reference["outputs"] for name in names)
        if isinstance(document, dict):  # a name listed as secret in the file is secret in what the program gets
            for stack, entry in document.items():
                if isinstance(entry, dict) and isinstance(entry.get("secretOutputNames"), list) and references.get(stack) is reference:
                    assert set(entry["secretOutputNames"]) == set(names)


@FAST
@given(st.lists(st.one_of(st.sampled_from(["&a ", "*a", "[", "]", "{", "}", ": ", "- ", "\n", "  ", "!!python/object ",
                                           "!!binary ", "<<: ", "? ", "'", '"', "\t", "#", "---\n", "&b [*a, *a]"]),
                          st.text(max_size=4)), max_size=30).map("".join))
def test_any_text_is_parsed_or_refused_as_one_line(text):
    try:
        parse_yaml(text, "f.yaml", "fix f.yaml")
    except ConfigError as exc:
        assert len(exc.one_line().splitlines()) == 1 and exc.one_line().startswith("f.yaml ")
