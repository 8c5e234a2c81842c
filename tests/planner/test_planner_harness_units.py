"""Unit checks of harness pieces whose failure modes the fixture programs only hit indirectly."""
from __future__ import annotations

import os
from typing import Optional

import pytest

from sahab.planner.harness import run, shapes, wire


def _raiser(filename: str, exc: BaseException):
    """A function whose frame claims to be in ``filename`` (as a traceback reports it)."""
    namespace = {"exc": exc}
    exec(compile("def fail():\n    raise exc\n", filename, "exec"), namespace)
    return namespace["fail"]


def _caught(function) -> BaseException:
    try:
        function()
    except BaseException as exc:  # noqa: BLE001
        return exc
    raise AssertionError("did not raise")


def test_sdk_wrapped_error_is_traced_to_the_program(tmp_path):
    """The SDK re-raises RPC failures as `raise exn from exn`: the cause is reached via __context__."""
    program_file = str(tmp_path / "__main__.py")
    inner = _caught(_raiser(program_file, ValueError("bad value")))

    def wrap():
        try:
            raise inner
        except ValueError as error:
            outer = ValueError("While processing resource: 'x'\nValueError has risen: bad value")
            raise outer from error

    outer = _caught(wrap)
    outer.__cause__ = outer  # what pulumi.runtime.stack.wait_for_rpcs does
    error = run.classify_error(outer, str(tmp_path))
    assert (error["kind"], error["file"], error["line"], error["message"]) == (
        "program", program_file, 2, "ValueError: bad value")


def test_error_in_the_planners_engine_code_is_a_planner_error(tmp_path):
    harness_file = os.path.join(run.HARNESS_DIR, "monitor.py")
    error = run.classify_error(_caught(_raiser(harness_file, KeyError("urn"))), str(tmp_path))
    assert (error["kind"], error["file"], error["line"]) == ("planner", harness_file, 2)


def test_error_without_program_frames_is_not_the_programs(tmp_path):
    """No frame in the project or the harness: `unplaced` (exit 3), located at the innermost real frame."""
    error = run.classify_error(_caught(_raiser("/elsewhere/sdk.py", RuntimeError("boom"))), str(tmp_path))
    assert (error["kind"], error["file"], error["line"]) == ("unplaced", "/elsewhere/sdk.py", 2)
    assert error["message"] == "RuntimeError: boom"


def test_pseudo_file_frames_are_no_ones(tmp_path, monkeypatch):
    """`<string>` (an eval inside typing) resolves under the working directory, inside the project:
    it must not be blamed; the program line that called it is."""
    monkeypatch.chdir(tmp_path)
    program_file = str(tmp_path / "__main__.py")
    namespace = {"evaluate": _raiser("<string>", NameError("name 'Enviroment' is not defined"))}
    exec(compile("def annotate():\n    evaluate()\n", program_file, "exec"), namespace)
    error = run.classify_error(_caught(namespace["annotate"]), str(tmp_path))
    assert (error["kind"], error["file"], error["line"]) == ("program", program_file, 2)


def test_syntax_error_message_is_not_repeated(tmp_path):
    exc = _caught(lambda: compile("x = (", str(tmp_path / "m.py"), "exec"))
    error = run.classify_error(exc, str(tmp_path))
    assert (error["file"], error["line"]) == (str(tmp_path / "m.py"), 1)
    assert error["message"] == "SyntaxError: '(' was never closed"


def test_redactor_marks_secret_unknowns_as_both():
    redactor = wire.Redactor()
    value = redactor.convert({
        "plain": wire.UNKNOWN_SENTINEL,
        "secretKnown": {wire.SIG_KEY: wire.SECRET_SIG, "value": "hunter2"},
        "secretUnknown": {wire.SIG_KEY: wire.SECRET_SIG, "value": wire.UNKNOWN_SENTINEL},
        "list": [1.0, 2.5, {wire.SIG_KEY: wire.OUTPUT_SIG, "secret": True}],
    })
    assert value == {
        "plain": wire.unknown_marker(),
        "secretKnown": wire.secret_marker(),
        "secretUnknown": wire.secret_marker(),
        "list": [1, 2.5, wire.secret_marker()],
    }
    assert sorted(redactor.unknowns) == ["list.2", "plain", "secretUnknown"]
    assert sorted(redactor.secrets) == ["list.2", "secretKnown", "secretUnknown"]
    assert "hunter2" not in repr(value)


def test_fill_unknowns_completes_declared_output_objects():
    import pulumi_kubernetes as k8s

    declared = shapes.declared_properties(k8s.core.v1.Service)
    filled = shapes.fill_unknowns(declared["metadata"], {"namespace": "apps", "labels": {"a": "b"}}, "U")
    assert filled["namespace"] == "apps" and filled["labels"] == {"a": "b"}
    assert filled["name"] == "U" and filled["uid"] == "U"
    # maps of plain values and wire envelopes are left alone
    assert shapes.fill_unknowns(declared["metadata"], {wire.SIG_KEY: wire.SECRET_SIG, "value": {}}, "U") == {
        wire.SIG_KEY: wire.SECRET_SIG, "value": {}}


@pytest.mark.parametrize("token, expected", [
    ("aws:ec2/getAmi:getAmi", "GetAmiResult"),
    ("aws:index/getRegion:getRegion", "GetRegionResult"),
    ("azure-native:authorization:getClientConfig", "GetClientConfigResult"),
    ("acme:index/getWidget:getWidget", None),
])
def test_invoke_result_types(token: str, expected: Optional[str]):
    found = shapes.invoke_result_type(token)
    assert (found.__name__ if found else None) == expected


def test_a_nested_input_of_another_shape_than_the_declared_output_is_unknown():
    # azure-native takes userAssignedIdentities as a list of IDs and returns a map keyed by them
    from pulumi_azure_native import storage

    declared = shapes.declared_properties(storage.StorageAccount)
    identity = {"type": "UserAssigned", "userAssignedIdentities": ["/subscriptions/s/identities/a"]}
    filled = shapes.fill_unknowns(declared["identity"], identity, "U")
    assert filled == {"type": "UserAssigned", "userAssignedIdentities": "U", "principalId": "U", "tenantId": "U"}
    # the same shape is echoed, and envelopes stay as they are
    as_map = dict(identity, userAssignedIdentities={"/subscriptions/s/identities/a": {}})
    assert shapes.fill_unknowns(declared["identity"], as_map, "U")["userAssignedIdentities"] == {
        "/subscriptions/s/identities/a": {"clientId": "U", "principalId": "U"}}
    secret = {wire.SIG_KEY: wire.SECRET_SIG, "value": ["x"]}
    assert shapes.fill_unknowns(declared["identity"], dict(identity, userAssignedIdentities=secret), "U")[
        "userAssignedIdentities"] == secret
