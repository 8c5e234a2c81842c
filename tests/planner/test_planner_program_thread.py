"""SDK introspection happens on the program's thread (issue 10, class 4).

``pulumi._utils.lazy_import`` loads a provider module on first attribute access, without a lock.
If the planner read a class's type hints on the monitor's thread, it would load such a module
there while the program uses it, and the program would see it half initialised. The fixture
makes that ordering certain (the module signals when it starts loading and loads slowly); it
failed with ``module 'lazyprov.network' has no attribute 'SecurityGroup'`` before the fix.
"""
from __future__ import annotations

import pulumi
from planner_helpers import plan, resource

from sahab.planner.harness import introspection


def test_a_lazily_loaded_module_is_whole_when_the_program_uses_it():
    doc = plan("lazy_provider")
    group = resource(doc, "lazyprov:network:SecurityGroup", "nodes")
    assert group["inputs"] == {"description": "ml nodes"}
    assert doc["outputs"]["nodeGroup"] == group["urn"]


def test_invoke_result_type_is_described_from_the_call_site():
    """The type a generated SDK passes (``typ=``) is described on the program's thread, once, with the
    output types it reaches, and sent to the monitor before the invoke."""

    @pulumi.output_type
    class GetThingResult:
        def __init__(__self__, *, name: str):
            pulumi.set(__self__, "name", name)

        @property
        @pulumi.getter
        def name(self) -> str:
            return pulumi.get(self, "name")

    sent = []
    introspection.DESCRIBER.reset(sent.append)
    introspection.DESCRIBER.invoke("acme:index/getThing:getThing", GetThingResult)
    introspection.DESCRIBER.invoke("acme:index/getThing:getThing", GetThingResult)
    ref = GetThingResult.__module__ + "." + GetThingResult.__qualname__
    assert sent == [{"invoke": "acme:index/getThing:getThing", "result": {"ref": ref},
                     "types": {ref: {"properties": {"name": "string"}, "required": ["name"]}}}]


def test_output_form_marker_is_taken_out_of_the_arguments():
    args = {"secretId": "db", introspection.OUTPUT_FORM_KEY: introspection.OUTPUT_FORM}
    assert introspection.take_output_form(args) is True
    assert args == {"secretId": "db"}
    assert introspection.take_output_form({"secretId": "db"}) is False
