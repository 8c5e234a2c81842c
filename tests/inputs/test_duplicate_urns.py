"""Two resources with one URN are refused as ``pulumi preview`` refuses them: exit 2, both registrations named."""
from __future__ import annotations

import json
from pathlib import Path

from hostile import assert_refused, write_project

DUPLICATES = '''import pulumi
import pulumi_aws as aws

uae = aws.Provider("uae", region="me-central-1")
aws.s3.Bucket("data", region="me-central-1", opts=pulumi.ResourceOptions(provider=uae))


class Site(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("acme:web:Site", name, None, opts)
        aws.s3.Bucket("data", region="me-central-1", opts=pulumi.ResourceOptions(parent=self, provider=uae))


Site("a")  # a child named like a top-level resource: another parent, another URN
aws.s3.Bucket("data", region="eu-west-1", opts=pulumi.ResourceOptions(provider=uae))
'''
URN = "urn:pulumi:dev::hostile::aws:s3/bucket:Bucket::data"
MESSAGE = ("duplicate resource URN %s: registered at __main__.py:5 and again at __main__.py:15 (give each resource a "
           "unique name (or a different parent), as `pulumi preview` requires)" % URN)


def test_plan_and_gate_refuse_a_duplicate_urn_naming_both_lines(sahab_cli, tmp_path: Path):
    root = write_project(tmp_path / "p", program=DUPLICATES)
    out = tmp_path / "plan.json"
    assert_refused(sahab_cli(["plan", str(root), "--stack", "dev", "--out", str(out)], timeout=180), MESSAGE)
    assert not out.exists()
    assert_refused(sahab_cli(["gate", str(root), "--stack", "dev", "--no-checkov"], timeout=180), MESSAGE)


def test_a_child_may_share_a_name_under_another_parent(sahab_cli, tmp_path: Path):
    root = write_project(tmp_path / "p", program=DUPLICATES.rsplit("\n", 2)[0] + "\n")
    result = sahab_cli(["plan", str(root), "--stack", "dev", "--format", "json"], timeout=180)
    assert result.returncode == 0, result.stderr
    urns = [r["urn"] for r in json.loads(result.stdout)["resources"] if r["name"] == "data"]
    assert len(urns) == len(set(urns)) == 2


def test_a_saved_plan_with_a_duplicate_urn_is_refused(sahab_cli, project: Path, saved_plan: Path, tmp_path: Path):
    document = json.loads(saved_plan.read_text())
    bucket = next(r for r in document["resources"] if r["type"] == "aws:s3/bucket:Bucket")
    twin = dict(bucket, inputs=dict(bucket["inputs"], region="me-central-1"), source={"file": "__main__.py", "line": 9})
    document["resources"].append(twin)
    edited = tmp_path / "plan.json"
    edited.write_text(json.dumps(document))
    result = sahab_cli(["gate", str(project), "--plan", str(edited), "--no-checkov"], timeout=120)
    assert_refused(result, "duplicate resource URN %s: registered at __main__.py:5 and again at __main__.py:9" % bucket["urn"])
