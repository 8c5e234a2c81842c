"""SDK input types are dicts whose fields may shadow dict methods: the planner must still read them.

``aws.cloudtrail.TrailEventSelectorDataResourceArgs`` has a ``values`` field; a partial value
(an ARN built from a deploy-time output) inside it once stopped the planner ("'list' object is
not callable", exit 3) because it called ``value.values()`` on the input type.
"""
from __future__ import annotations

from program_projects import write_project

from sahab.planner import plan_project

PROGRAM = '''
import pulumi
import pulumi_aws as aws

provider = aws.Provider("uae", region="me-central-1")
opts = pulumi.ResourceOptions(provider=provider)
bucket = aws.s3.Bucket("artifacts", opts=opts)
aws.cloudtrail.Trail("audit", s3_bucket_name="audit-logs", event_selectors=[aws.cloudtrail.TrailEventSelectorArgs(
    read_write_type="All", include_management_events=True,
    data_resources=[aws.cloudtrail.TrailEventSelectorDataResourceArgs(
        type="AWS::S3::Object", values=[bucket.arn.apply(lambda arn: arn + "/")])])], opts=opts)
'''


def test_an_input_type_with_a_values_field_holding_a_partial_value_is_planned(tmp_path):
    plan = plan_project(write_project(tmp_path / "project", PROGRAM), "dev")
    (trail,) = [r for r in plan["resources"] if r["type"] == "aws:cloudtrail/trail:Trail"]
    (selector,) = trail["inputs"]["eventSelectors"]
    (resource,) = selector["dataResources"]
    assert resource["type"] == "AWS::S3::Object"
    (value,) = resource["values"]
    assert value["$unknown"] is True  # the bucket ARN is only known at deploy; never invented
    bucket = next(r for r in plan["resources"] if r["type"] == "aws:s3/bucket:Bucket")
    assert bucket["urn"] in trail["propertyDependencies"]["eventSelectors"]
