"""sahab verify's inventory: hosts per role and endpoints from a file, stack outputs or --hosts, checked strictly."""
from __future__ import annotations

import json

import pytest

from sahab.errors import UsageError
from sahab.verification.inventory import (Endpoint, inventory_from_flags, inventory_from_stack_outputs,
                                          load_inventory_file, parse_inventory)
from sahab.verification.run import collect_inventory

MLFLOW = {"name": "mlflow", "url": "https://mlflow.ml.internal", "tls": True, "auth": True,
          "auth_probe": "/api/2.0/mlflow/experiments/search"}


def test_a_yaml_file_gives_hosts_per_role_and_endpoints_with_their_promises(tmp_path):
    path = tmp_path / "inventory.yaml"
    path.write_text("hosts:\n  gpu-training: [ssh://ubuntu@10.20.1.5, ssh://ubuntu@10.20.1.6]\n"
                    "  ci-runner: ['kubectl://runner-0?namespace=ci&container=runner']\n"
                    "endpoints:\n  - {name: serving, url: 'http://10.20.3.4:8080', tls: false, auth: true}\n"
                    "ssh_config: ./ssh_config\n")
    inventory = load_inventory_file(path)
    assert inventory.hosts == {"gpu-training": ("ssh://ubuntu@10.20.1.5", "ssh://ubuntu@10.20.1.6"),
                               "ci-runner": ("kubectl://runner-0?namespace=ci&container=runner",)}
    assert inventory.endpoints == (Endpoint("serving", "http://10.20.3.4:8080", tls=False, auth=True, private=True),)
    assert inventory.ssh_config == "./ssh_config"


def test_stack_outputs_carry_the_inventory_as_verify_hosts_and_verify_endpoints(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"clusterName": "ml", "verifyHosts": {"inference": ["ssh://ec2-user@10.20.2.7"]},
                                "verifyEndpoints": [MLFLOW]}))
    inventory = inventory_from_stack_outputs(path)
    assert inventory.hosts == {"inference": ("ssh://ec2-user@10.20.2.7",)}
    assert inventory.endpoints[0].auth_probe == "/api/2.0/mlflow/experiments/search"


@pytest.mark.parametrize("outputs, message", [
    ({"clusterName": "ml"}, "has neither verifyHosts nor verifyEndpoints"),
    ({"verifyHosts": "[secret]"}, "output verifyHosts is a secret, so its value is hidden"),
    ({"verifyHosts": {"gpu": ["ssh://a"]}}, "names unknown role 'gpu'"),
])
def test_stack_outputs_that_cannot_be_verified_are_refused(tmp_path, outputs, message):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    with pytest.raises(UsageError) as raised:
        inventory_from_stack_outputs(path)
    assert message in raised.value.message and raised.value.exit_code == 2


@pytest.mark.parametrize("data, message", [
    ({"hosts": {"inference": ["10.0.0.5"]}}, "host spec '10.0.0.5' has no ssh://, paramiko:// or kubectl:// scheme"),
    ({"hosts": {"inference": ["local://"]}}, "has no ssh://, paramiko:// or kubectl:// scheme"),
    ({"hosts": {"inference": ["ssh://root:hunter2@10.0.0.5"]}}, "a host spec for 10.0.0.5 holds a password"),
    ({"hosts": {"inference": "ssh://a"}}, "hosts.inference is not a list"),
    ({"hosts": {"ci-runner": ["ssh://a,ssh://b"]}}, "holds a comma"),
    ({"endpoints": [{"name": "m", "url": "https://m", "auth": True}]}, "endpoints[0] has no tls"),
    ({"endpoints": [{"name": "m", "url": "https://m", "tls": "yes", "auth": True}]}, "tls is 'yes', not true or false"),
    ({"endpoints": [{"name": "m", "url": "ftp://m", "tls": True, "auth": True}]}, "is not an http:// or https:// URL"),
    ({"endpoints": [{"name": "m", "url": "https://u:p@m", "tls": True, "auth": True}]}, "url holds credentials"),
    ({"endpoints": [MLFLOW, MLFLOW]}, "names endpoint 'mlflow' twice"),
    ({"endpoints": [dict(MLFLOW, port=1)]}, "has unknown key 'port'"),
    ({"nodes": []}, "has unknown key 'nodes'"),
])
def test_a_bad_inventory_is_one_line_naming_what_is_wrong(data, message):
    with pytest.raises(UsageError) as raised:
        parse_inventory(data, "inventory inv.yaml", "fix it")
    assert message in raised.value.message
    assert "hunter2" not in raised.value.one_line()


def test_hosts_flags_name_a_role_and_add_to_a_file(tmp_path):
    path = tmp_path / "inv.json"
    path.write_text(json.dumps({"hosts": {"inference": ["ssh://a"]}, "endpoints": [MLFLOW]}))
    inventory = collect_inventory("dev", hosts=("inference=ssh://b,ssh://a", "ci-runner=kubectl://p"), inventory_file=path)
    assert inventory.hosts == {"inference": ("ssh://a", "ssh://b"), "ci-runner": ("kubectl://p",)}
    assert [e.name for e in inventory.endpoints] == ["mlflow"]
    with pytest.raises(UsageError, match="has no ROLE="):
        inventory_from_flags(["ssh://a"])


def test_without_any_inventory_the_stack_outputs_come_from_pulumi(tmp_path, monkeypatch):
    """`pulumi stack output --json --stack NAME` in the project; a pulumi that fails is exit 2 with its last line."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pulumi"
    fake.write_text("#!/bin/sh\n[ \"$*\" = 'stack output --json --stack prod' ] || { echo \"error: no stack named '$5'\" >&2; exit 255; }\n"
                    "echo '{\"verifyHosts\": {\"inference\": [\"ssh://ec2-user@10.20.2.7\"]}}'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:/usr/bin:/bin" % bin_dir)
    inventory = collect_inventory("prod", project_dir=tmp_path, scratch=tmp_path)
    assert inventory.hosts == {"inference": ("ssh://ec2-user@10.20.2.7",)}
    with pytest.raises(UsageError) as raised:
        collect_inventory("qa", project_dir=tmp_path, scratch=tmp_path)
    assert raised.value.message == "`pulumi stack output --json --stack qa` failed: error: no stack named 'qa'"
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(UsageError, match="pulumi is not on PATH"):
        collect_inventory("prod", project_dir=tmp_path, scratch=tmp_path)
