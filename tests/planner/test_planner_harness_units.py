"""Unit checks of harness pieces whose failure modes the fixture programs only hit indirectly."""
from __future__ import annotations

import os
from typing import Optional

import pytest

from sahab.planner.harness import run, shapes, wire
from sahab.planner.harness.catalog import FILL_ALL, FILL_NONE, FILL_REQUIRED, TypeCatalog, fill_mode


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


def _described(token: str, cls: type) -> TypeCatalog:
    """A catalog holding what the harness sends for ``cls`` (described here, as on the program's thread)."""
    types: dict = {}
    description = shapes.describe_resource(token, cls, types)
    description["types"] = types
    catalog = TypeCatalog()
    catalog.declare(description)
    return catalog


def test_echoed_objects_get_unknowns_only_where_the_provider_always_returns_a_value():
    """Issue 10, class 3 (Terraform-bridged providers): absent optional properties stay absent; required
    outputs (no default in the SDK's output class) the input leaves out are computed: unknown."""
    from pulumi_aws import ec2

    assert fill_mode("aws:ec2/securityGroup:SecurityGroup") == FILL_REQUIRED
    catalog = _described("aws:ec2/securityGroup:SecurityGroup", ec2.SecurityGroup)
    ingress = catalog.outputs("aws:ec2/securityGroup:SecurityGroup")["ingress"]
    rule = {"fromPort": 443, "toPort": 443, "protocol": "tcp", "cidrBlocks": ["10.0.0.0/16"]}
    assert catalog.fill_unknowns(ingress, [rule], "U", FILL_REQUIRED) == [rule]
    assert catalog.fill_unknowns(ingress, [{"cidrBlocks": ["10.0.0.0/16"]}], "U", FILL_REQUIRED) == [
        {"cidrBlocks": ["10.0.0.0/16"], "fromPort": "U", "protocol": "U", "toPort": "U"}]
    # azure-native's preview computes every absent property; Kubernetes echoes as given
    assert "U" in catalog.fill_unknowns(ingress, [rule], "U", FILL_ALL)[0].values()
    assert catalog.fill_unknowns(ingress, [{"cidrBlocks": []}], "U", FILL_NONE) == [{"cidrBlocks": []}]
    assert (fill_mode("azure-native:storage:StorageAccount"), fill_mode("kubernetes:apps/v1:Deployment")) == (
        FILL_ALL, FILL_NONE)
    # wire envelopes are left alone
    envelope = {wire.SIG_KEY: wire.SECRET_SIG, "value": []}
    assert catalog.fill_unknowns(ingress, envelope, "U", FILL_REQUIRED) == envelope


@pytest.mark.parametrize("token, expected", [
    ("aws:ec2/getAmi:getAmi", "GetAmiResult"),
    ("aws:index/getRegion:getRegion", "GetRegionResult"),
    ("azure-native:authorization:getClientConfig", "GetClientConfigResult"),
    ("acme:index/getWidget:getWidget", None),
])
def test_invoke_result_types(token: str, expected: Optional[str]):
    """Without ``typ=`` from the call site, the result type is found by token in the program's SDK."""
    description = shapes.describe_invoke(token, None, {})
    found = description["result"]["ref"].rsplit(".", 1)[-1] if description["result"] else None
    assert found == expected


def test_a_nested_input_of_another_shape_than_the_declared_output_is_unknown():
    # azure-native takes userAssignedIdentities as a list of IDs and returns a map keyed by them
    from pulumi_azure_native import storage

    catalog = _described("azure-native:storage:StorageAccount", storage.StorageAccount)
    declared = catalog.outputs("azure-native:storage:StorageAccount")
    identity = {"type": "UserAssigned", "userAssignedIdentities": ["/subscriptions/s/identities/a"]}
    filled = catalog.fill_unknowns(declared["identity"], identity, "U")
    assert filled == {"type": "UserAssigned", "userAssignedIdentities": "U", "principalId": "U", "tenantId": "U"}
    # the same shape is echoed, and envelopes stay as they are
    as_map = dict(identity, userAssignedIdentities={"/subscriptions/s/identities/a": {}})
    assert catalog.fill_unknowns(declared["identity"], as_map, "U")["userAssignedIdentities"] == {
        "/subscriptions/s/identities/a": {"clientId": "U", "principalId": "U"}}
    secret = {wire.SIG_KEY: wire.SECRET_SIG, "value": ["x"]}
    assert catalog.fill_unknowns(declared["identity"], dict(identity, userAssignedIdentities=secret), "U")[
        "userAssignedIdentities"] == secret
