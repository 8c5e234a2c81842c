"""The embedded engine (regorus) against OPA's documented semantics, builtin by builtin.

Every builtin a module under policies/ calls must have at least one case here
(``test_every_builtin_the_bundle_calls_has_a_case``): a rule that starts using a new builtin
fails that test until someone writes down what OPA answers and checks regorus agrees.

To add a case, append ``Case(builtin, expression, expected)`` to CASES. ``expression`` is Rego,
evaluated as ``__x := <expression>`` in a rule body; ``expected`` is the JSON value OPA gives
(sets as sorted lists), ``UNDEFINED``, or ``ERROR`` (OPA with ``strict-builtin-errors``, which
the OPA backend always sends). Expected values come from the OPA policy reference
(https://www.openpolicyagent.org/docs/policy-reference), not from running regorus.
"""
from __future__ import annotations

from typing import Any, List, NamedTuple

import pytest

from sahab.gate.builtins import builtins_called
from sahab.gate.engines.base import EngineError
from sahab.gate.engines.embedded import EmbeddedEngine
from sahab.gate.rules import load_bundle

from real_opa import RealOpaEngine

UNDEFINED = object()
ERROR = object()
LANGUAGE = "(language)"  # cases for language behaviour the rules rely on, not a builtin


class Case(NamedTuple):
    builtin: str
    expression: str
    expected: Any


CASES: List[Case] = [
    # strings
    Case("startswith", 'startswith("me-central-1", "me-")', True),
    Case("startswith", 'startswith("pulumi:providers:aws", "pulumi:providers:")', True),
    Case("startswith", 'startswith("abc", "")', True),
    Case("startswith", 'startswith("ab", "abc")', False),
    Case("endswith", 'endswith("bucket.rego", ".rego")', True),
    Case("endswith", 'endswith("abc", "b")', False),
    Case("endswith", 'endswith("abc", "")', True),
    Case("contains", 'contains("eu-west-1 is outside", "eu-west-1")', True),
    Case("contains", 'contains("abc", "")', True),
    Case("contains", 'contains("abc", "x")', False),
    Case("lower", 'lower("Me-Central-1")', "me-central-1"),
    Case("lower", 'lower("ÀÉ")', "àé"),
    Case("upper", 'upper("aes256")', "AES256"),
    Case("upper", 'upper("àé")', "ÀÉ"),
    Case("concat", 'concat(", ", ["a", "b", "c"])', "a, b, c"),
    Case("concat", 'concat(", ", {"uaenorth", "me-central-1", "uaecentral"})', "me-central-1, uaecentral, uaenorth"),
    Case("concat", 'concat("-", [])', ""),
    Case("split", 'split("a,b,,c", ",")', ["a", "b", "", "c"]),
    Case("split", 'split("aws:s3/bucket:Bucket", ":")', ["aws", "s3/bucket", "Bucket"]),
    Case("split", 'split("", ",")', [""]),
    Case("replace", 'replace("a-b-c", "-", "_")', "a_b_c"),
    Case("replace", 'replace("aaa", "a", "")', ""),
    Case("trim", 'trim("..x..", ".")', "x"),
    Case("trim_space", 'trim_space("\\t x \\n")', "x"),
    Case("trim_prefix", 'trim_prefix("pulumi:providers:aws", "pulumi:providers:")', "aws"),
    Case("trim_suffix", 'trim_suffix("key.rego", ".rego")', "key"),
    Case("trim_suffix", 'trim_suffix("key.rego", ".json")', "key.rego"),
    Case("substring", 'substring("abcdef", 1, 3)', "bcd"),
    Case("substring", 'substring("abcdef", 2, -1)', "cdef"),
    Case("indexof", 'indexof("abcb", "b")', 1),
    Case("indexof", 'indexof("abc", "z")', -1),
    Case("strings.any_prefix_match", 'strings.any_prefix_match("arn:aws:iam::1:role/x", ["arn:aws:s3", "arn:aws:iam"])', True),
    Case("strings.any_suffix_match", 'strings.any_suffix_match("api.example.com", [".example.org"])', False),
    Case("format_int", 'format_int(255, 16)', "ff"),
    # sprintf: %v prints strings bare and composite values in Rego syntax
    Case("sprintf", 'sprintf("%s is in region %q", ["bucket", "eu-west-1"])', 'bucket is in region "eu-west-1"'),
    Case("sprintf", 'sprintf("%v/%v/%v/%v", ["a", 1, true, null])', "a/1/true/null"),
    Case("sprintf", 'sprintf("%d of %d", [3, 10])', "3 of 10"),
    Case("sprintf", 'sprintf("%v", [["a", 1]])', '["a", 1]'),
    Case("sprintf", 'sprintf("%v", [{"k": "v"}])', '{"k": "v"}'),
    Case("sprintf", 'sprintf("%v", [{"b", "a"}])', '{"a", "b"}'),
    Case("sprintf", 'sprintf("%v", [1.5])', "1.5"),
    Case("sprintf", 'sprintf("%.2f", [3.14159])', "3.14"),
    Case("sprintf", 'sprintf("%q", ["a\\"b"])', '"a\\"b"'),
    # regex and glob (RE2; match is unanchored unless the pattern anchors)
    Case("regex.match", 'regex.match("^arn:aws:iam::[0-9]+:role/", "arn:aws:iam::123:role/x")', True),
    Case("regex.match", 'regex.match("[0-9]+", "ab1")', True),
    Case("regex.match", 'regex.match("^[0-9]+$", "ab1")', False),
    Case("regex.match", 'regex.match("[", "x")', ERROR),
    Case("regex.replace", 'regex.replace("a1b22", "[0-9]+", "_")', "a_b_"),
    Case("regex.find_n", 'regex.find_n("[0-9]+", "a1b22c333", 2)', ["1", "22"]),
    Case("regex.split", 'regex.split("[,;]", "a,b;c")', ["a", "b", "c"]),
    Case("glob.match", 'glob.match("*.example.com", ["."], "api.example.com")', True),
    Case("glob.match", 'glob.match("*.example.com", ["."], "a.b.example.com")', False),
    # networks
    Case("net.cidr_contains", 'net.cidr_contains("10.0.0.0/16", "10.0.42.7")', True),
    Case("net.cidr_contains", 'net.cidr_contains("10.0.0.0/16", "10.1.0.1")', False),
    Case("net.cidr_contains", 'net.cidr_contains("10.0.0.0/8", "10.1.0.0/16")', True),
    Case("net.cidr_contains", 'net.cidr_contains("0.0.0.0/0", "203.0.113.9")', True),
    Case("net.cidr_contains", 'net.cidr_contains("2001:db8::/32", "2001:db8::1")', True),
    Case("net.cidr_is_valid", 'net.cidr_is_valid("10.0.0.0/33")', False),
    # numbers and aggregates
    Case("count", 'count([1, 2, 3])', 3),
    Case("count", 'count({"a": 1, "b": 2})', 2),
    Case("count", 'count({1, 1, 2})', 2),
    Case("count", 'count("héllo")', 5),
    Case("count", 'count([])', 0),
    Case("sum", 'sum([1, 2, 3.5])', 6.5),
    Case("max", 'max([3, 1, 2])', 3),
    Case("min", 'min({3, 1, 2})', 1),
    Case("abs", 'abs(-2)', 2),
    Case("round", 'round(2.5)', 3),
    Case("ceil", 'ceil(1.2)', 2),
    Case("floor", 'floor(1.8)', 1),
    Case("to_number", 'to_number("10")', 10),
    Case("to_number", 'to_number("1.5")', 1.5),
    Case("to_number", 'to_number("ten")', ERROR),
    Case("to_number", 'to_number(null)', 0),
    Case("to_number", 'to_number(true)', 1),
    Case("to_number", 'to_number(-2.5)', -2.5),
    Case("numbers.range", 'numbers.range(1, 3)', [1, 2, 3]),
    Case("numbers.range", 'numbers.range(3, 1)', [3, 2, 1]),
    Case("units.parse_bytes", 'units.parse_bytes("1KiB")', 1024),
    Case("units.parse_bytes", 'units.parse_bytes("1KB")', 1000),
    # types
    Case("is_object", 'is_object({"a": 1})', True),
    Case("is_object", 'is_object([])', False),
    Case("is_object", 'is_object({"$unknown": true})', True),
    Case("is_string", 'is_string("x")', True),
    Case("is_string", 'is_string(1)', False),
    Case("is_string", 'is_string(null)', False),
    Case("is_number", 'is_number(1.5)', True),
    Case("is_number", 'is_number("1")', False),
    Case("is_number", 'is_number(true)', False),
    Case("is_boolean", 'is_boolean(false)', True),
    Case("is_array", 'is_array([])', True),
    Case("is_array", 'is_array({1})', False),
    Case("is_set", 'is_set(set())', True),
    Case("is_null", 'is_null(null)', True),
    Case("type_name", 'type_name({})', "object"),
    Case("type_name", 'type_name(set())', "set"),
    Case("type_name", 'type_name(null)', "null"),
    # collections
    Case("sort", 'sort(["uaenorth", "me-central-1", "uaecentral"])', ["me-central-1", "uaecentral", "uaenorth"]),
    Case("sort", 'sort({3, 1, 2})', [1, 2, 3]),
    Case("sort", 'sort([1, "a", null, true])', [None, True, 1, "a"]),
    Case("array.concat", 'array.concat([1], [2, 3])', [1, 2, 3]),
    Case("array.concat", 'array.concat([], [])', []),
    Case("array.concat", 'array.concat([[1]], [{"a": 1}])', [[1], {"a": 1}]),
    Case("array.slice", 'array.slice([1, 2, 3, 4], 1, 3)', [2, 3]),
    Case("array.slice", 'array.slice([1, 2, 3], 2, 10)', [3]),
    Case("array.slice", 'array.slice([1, 2, 3], 2, 1)', []),
    Case("array.reverse", 'array.reverse([1, 2, 3])', [3, 2, 1]),
    Case("union", 'union({{1, 2}, {2, 3}})', [1, 2, 3]),
    Case("intersection", 'intersection({{1, 2}, {2, 3}})', [2]),
    # walk: every [path, value] pair under a value, the value itself included (path []).
    Case("walk", '{v | walk({"a": [1, {"b": 2}]}, [_, v]); is_number(v)}', [1, 2]),
    Case("walk", 'count([1 | walk({"a": {"b": 1}}, _)])', 3),
    Case("walk", '{p | walk({"a": {"b": 1}}, [p, 1])}', [["a", "b"]]),
    Case("object.get", 'object.get({"a": 1}, "a", 0)', 1),
    Case("object.get", 'object.get({"a": 1}, "b", "default")', "default"),
    Case("object.get", 'object.get({"a": null}, "a", 1)', None),
    Case("object.get", 'object.get({"a": {"b": {"c": true}}}, ["a", "b", "c"], false)', True),
    Case("object.get", 'object.get({"a": {"b": 1}}, ["a", "x"], "default")', "default"),
    Case("object.get", 'object.get({"a": 1}, ["a", "b"], "default")', "default"),
    Case("object.get", 'object.get({"a": 1}, [], "default")', {"a": 1}),
    Case("object.get", 'object.get({"a": {"b": 1}}, "a.b", "default")', "default"),
    Case("object.get", 'object.get({"vpcConfig": {"endpointPublicAccess": false}}, ["vpcConfig", "endpointPublicAccess"], null)', False),
    Case("object.keys", 'object.keys({"b": 1, "a": 2})', ["a", "b"]),
    Case("object.keys", 'object.keys({})', []),
    Case("object.union", 'object.union({"a": 1, "b": {"c": 1}}, {"b": {"d": 2}})', {"a": 1, "b": {"c": 1, "d": 2}}),
    Case("object.union", 'object.union({"a": 1, "b": 1}, {"a": {"x": 2}})', {"a": {"x": 2}, "b": 1}),
    Case("object.remove", 'object.remove({"a": 1, "b": 2}, ["a"])', {"b": 2}),
    Case("object.remove", 'object.remove({"a": 1, "b": 2}, {"b", "z"})', {"a": 1}),
    Case("object.filter", 'object.filter({"a": 1, "b": 2}, {"a"})', {"a": 1}),
    # encodings
    Case("json.unmarshal", 'json.unmarshal("{\\"tags\\": {\\"env\\": \\"prod\\"}, \\"n\\": [1, true, null]}")',
         {"tags": {"env": "prod"}, "n": [1, True, None]}),
    Case("json.unmarshal", 'json.unmarshal("1.5")', 1.5),
    Case("json.unmarshal", 'json.unmarshal("null")', None),
    Case("json.unmarshal", 'json.unmarshal("{not json")', ERROR),
    Case("json.marshal", 'json.marshal({"b": 1, "a": [1, 2]})', '{"a":[1,2],"b":1}'),
    Case("json.is_valid", 'json.is_valid("{\\"a\\": 1}")', True),
    Case("json.is_valid", 'json.is_valid("{not json")', False),
    Case("base64.encode", 'base64.encode("hi")', "aGk="),
    Case("base64.decode", 'base64.decode("aGk=")', "hi"),
    Case("time.parse_rfc3339_ns", 'time.parse_rfc3339_ns("1970-01-01T00:00:01Z")', 1000000000),
    # language behaviour the rules rely on
    Case(LANGUAGE, '{x | some x in [1, 1, 2]}', [1, 2]),
    Case(LANGUAGE, '[x | some x in [2, 1, 2]]', [2, 1, 2]),
    Case(LANGUAGE, '{k: v | some k, v in {"a": 1, "b": 2}; v > 1}', {"b": 2}),
    # A missing key is undefined. (The key is computed: with a constant key OPA's type checker
    # refuses the whole module, "rego_type_error: undefined ref", where regorus says undefined.)
    Case(LANGUAGE, '{"a": 1}[concat("", ["b"])]', UNDEFINED),
    Case(LANGUAGE, '"x" in {"x", "y"}', True),
    Case(LANGUAGE, '"z" in ["x", "y"]', False),
    Case(LANGUAGE, '{1, 2} | {2, 3}', [1, 2, 3]),
    Case(LANGUAGE, '{1, 2} - {2}', [1]),
    Case(LANGUAGE, '{1, 2} & {2, 3}', [2]),
    Case(LANGUAGE, '{"a": {"$unknown": true}}.a["$unknown"] == true', True),
]


def _case_id(case: Case) -> str:
    return "%s: %s" % (case.builtin, case.expression[:60])


def _module() -> str:
    lines = ["package conformance", "", "import rego.v1", ""]
    for index, case in enumerate(CASES):
        lines.append('c_%d := {"v": __x} if {\n\t__x := %s\n}\n' % (index, case.expression))
    return "\n".join(lines)


@pytest.fixture(scope="module")
def engine():
    engine = EmbeddedEngine(timeout=30)
    engine.load({"conformance.rego": _module()})
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def opa_engine():
    """OPA's own evaluator (tests/gate/real_opa.py): the documented answers are checked against it too."""
    engine = RealOpaEngine()
    engine.load({"conformance.rego": _module()})
    yield engine
    engine.close()


def _same(actual: Any, expected: Any) -> bool:
    """JSON equality that keeps booleans apart from numbers (True == 1 in Python)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(map(_same, actual, expected))
    if isinstance(expected, dict):
        return isinstance(actual, dict) and actual.keys() == expected.keys() and all(_same(actual[k], expected[k]) for k in expected)
    if expected is None:
        return actual is None
    if isinstance(expected, (int, float)):
        return isinstance(actual, (int, float)) and actual == expected
    return type(actual) is type(expected) and actual == expected


def _check_case(engine: Any, index: int) -> None:
    case = CASES[index]
    if case.expected is ERROR:
        with pytest.raises(EngineError) as caught:
            engine.query("conformance.c_%d" % index, {})
        assert "could not find function" not in caught.value.message  # it failed, it is not missing
        return
    answer = engine.query("conformance.c_%d" % index, {})
    if case.expected is UNDEFINED:
        assert answer is None, "%s should be undefined, %s gave %r" % (case.expression, engine.name, answer)
        return
    assert isinstance(answer, dict), "%s is undefined in %s; OPA documents %r" % (case.expression, engine.name, case.expected)
    assert _same(answer["v"], case.expected), "%s: OPA documents %r, %s gives %r" % (
        case.expression, case.expected, engine.name, answer["v"])


@pytest.mark.parametrize("index", range(len(CASES)), ids=[_case_id(case) for case in CASES])
def test_regorus_matches_opa(engine, index):
    _check_case(engine, index)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[_case_id(case) for case in CASES])
def test_opa_itself_gives_the_documented_answer(opa_engine, index):
    """The table is written from OPA's documentation; OPA's own evaluator must agree with it."""
    _check_case(opa_engine, index)


def test_every_builtin_the_bundle_calls_has_a_case():
    called = builtins_called(load_bundle().modules)
    covered = {case.builtin for case in CASES}
    missing = sorted(called - covered)
    assert not missing, (
        "policies/ call builtin(s) with no conformance case: %s. Add Case(name, expression, OPA's result) "
        "to CASES in %s" % (", ".join(missing), __file__)
    )


def test_case_table_names_real_builtins(engine):
    """A typo in a case's builtin name would make the coverage check pass vacuously."""
    named = {case.builtin for case in CASES} - {LANGUAGE}
    assert not engine.unsupported_builtins(named)
    for case in CASES:
        if case.builtin != LANGUAGE:
            assert case.builtin + "(" in case.expression, case


def test_embedded_engine_reports_builtins_it_lacks():
    engine = EmbeddedEngine(timeout=30)
    try:
        lacking = engine.unsupported_builtins({"net.cidr_merge", "net.cidr_intersects", "startswith", "net.cidr_contains"})
    finally:
        engine.close()
    assert lacking == {"net.cidr_merge", "net.cidr_intersects"}
