"""Multi-language components constructed offline by their Node.js implementation (issue 16).

The programs are written as the packages' READMEs write them (``eks.Cluster("ml")``,
``awsx.ec2.Vpc("vpc")``), with the packages' Python SDKs (:mod:`node_projects`). The npm releases
are installed once into ``.tools/test-cache/node-components`` (the first run needs the npm
registry). awsx built from source through the plugin path: test_planner_awsx_plugin.py.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from node_projects import CACHE
from node_projects import children as _children
from node_projects import gate as _gate
from node_projects import python_project as _project
from planner_helpers import assert_valid, resource

EKS_URN = "urn:pulumi:dev::eks-cluster::eks:index:Cluster::ml"


@pytest.fixture(scope="module")
def cache():
    patch = pytest.MonkeyPatch()
    patch.setenv("SAHAB_CACHE_DIR", str(CACHE))
    yield CACHE
    patch.undo()


@pytest.fixture(scope="module")
def eks_project(tmp_path_factory, cache) -> Path:
    return _project(tmp_path_factory, "eks_cluster")


@pytest.fixture(scope="module")
def eks_plan(eks_project) -> Dict[str, Any]:
    from sahab.planner import plan_project

    return plan_project(eks_project, "dev")


@pytest.fixture(scope="module")
def awsx_project(tmp_path_factory, cache) -> Path:
    return _project(tmp_path_factory, "awsx_vpc")


# -- pulumi-eks: constructed ----------------------------------------------------------------

def test_eks_cluster_is_expanded_by_its_node_implementation(eks_plan):
    assert_valid(eks_plan)
    component = resource(eks_plan, "eks:index:Cluster", "ml")
    assert component["opaque"] is False
    expanded = component["expanded"]
    assert (expanded["by"], expanded["package"], expanded["version"]) == ("node-mocks", "@pulumi/eks", "2.8.1")
    assert expanded["versions"]["@pulumi/eks"] == "2.8.1" and expanded["versions"]["@pulumi/aws"].startswith("6.")
    assert expanded["lockDigest"].startswith("sha256:")
    children = {(item["type"], item["name"]) for item in _children(eks_plan, EKS_URN)}
    assert {
        ("aws:eks/cluster:Cluster", "ml-eksCluster"),
        ("aws:ec2/securityGroup:SecurityGroup", "ml-eksClusterSecurityGroup"),
        ("aws:ec2/securityGroup:SecurityGroup", "ml-nodeSecurityGroup"),
        ("aws:iam/role:Role", "ml-eksRole-role"),
        ("aws:iam/role:Role", "ml-instanceRole-role"),
        ("aws:iam/instanceProfile:InstanceProfile", "ml-instanceProfile"),
        # eks 2.x's default node group: a launch configuration and the CloudFormation stack of its ASG
        ("aws:ec2/launchConfiguration:LaunchConfiguration", "ml-nodeLaunchConfiguration"),
        ("aws:cloudformation/stack:Stack", "ml-nodes"),
    } <= children


def test_children_have_real_providers_regions_inputs_and_the_program_line(eks_plan):
    cluster = resource(eks_plan, "aws:eks/cluster:Cluster", "ml-eksCluster")
    assert cluster["urn"] == "urn:pulumi:dev::eks-cluster::eks:index:Cluster$aws:eks/cluster:Cluster::ml-eksCluster"
    assert cluster["parent"] == EKS_URN
    # The default aws provider of the npm SDK's version, built from the stack's aws:region, as the engine makes it.
    assert cluster["provider"].startswith("urn:pulumi:dev::eks-cluster::pulumi:providers:aws::default_6_")
    assert (cluster["region"], cluster["regionSource"]) == ("me-central-1", "provider")
    assert cluster["source"] == {"file": "__main__.py", "line": 5}
    assert "endpointPublicAccess" not in cluster["inputs"].get("vpcConfig", {})  # eks 2.x leaves AWS's default: public
    assert "roleArn" in cluster["unknowns"]  # the role's ARN is unknown in a preview, as the engine shows it
    for child in _children(eks_plan, EKS_URN):
        assert child["source"] == {"file": "__main__.py", "line": 5}, child["urn"]


def test_the_plan_is_byte_identical_across_runs(eks_project, eks_plan):
    from sahab.planner import plan_project
    from sahab.planner.document import dumps

    assert dumps(plan_project(eks_project, "dev")) == dumps(eks_plan)


HAND_WRITTEN = '''
import pulumi_aws as aws
role = aws.iam.Role("role", assume_role_policy="{}")
aws.eks.Cluster("ml-eksCluster", role_arn=role.arn,
                vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=["subnet-1", "subnet-2"]))
'''


def test_gate_reports_on_the_children_what_it_reports_on_hand_written_equivalents(eks_project, tmp_path):
    from program_projects import write_project

    constructed = json.loads(_gate(eks_project).stdout)
    hand = json.loads(_gate(write_project(tmp_path / "hand", HAND_WRITTEN, name="eks-cluster")).stdout)

    def cluster_rules(report: Dict[str, Any]) -> set:
        return {f["rule_id"] for f in report["findings"] if f.get("resource_type") == "aws:eks/cluster:Cluster"}

    assert "SAHAB-NET-002" in cluster_rules(constructed)  # the public API endpoint default
    assert cluster_rules(constructed) == cluster_rules(hand)
    public = next(f for f in constructed["findings"] if f["rule_id"] == "SAHAB-NET-002")
    assert (public["status"], public["file"], public["line"]) == ("violation", "__main__.py", 5)
    assert public["urn"].endswith("eks:index:Cluster$aws:eks/cluster:Cluster::ml-eksCluster")
    assert not [f for f in constructed["findings"] if f["rule_id"] == "SAHAB-PLN-001"]  # nothing left unchecked


# -- pulumi-awsx: not on npm, and no plugin installed here ------------------------------------

def test_awsx_vpc_stays_unchecked_with_the_reason(awsx_project, tmp_path, monkeypatch):
    from sahab.planner import plan_project

    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))  # whatever this machine has installed
    doc = plan_project(awsx_project, "dev")
    assert_valid(doc)
    vpc = resource(doc, "awsx:ec2:Vpc", "vpc")
    assert vpc["opaque"] is True
    assert vpc["expanded"] == {
        "by": None, "package": "@pulumi/awsx", "version": "3.8.0",
        "reason": "the provider plugin that implements awsx:ec2:Vpc (pulumi-resource-awsx v3.8.0) is not installed, and "
                  "@pulumi/awsx@3.8.0 on npm is a generated SDK without it: install the plugin "
                  "(pulumi plugin install resource awsx 3.8.0)",
    }
    assert _children(doc, vpc["urn"]) == []
    report = json.loads(_gate(awsx_project).stdout)
    unchecked = [f for f in report["findings"] if f["rule_id"] == "SAHAB-PLN-001"]
    assert [(f["urn"], f["status"]) for f in unchecked] == [(vpc["urn"], "unchecked")]
    assert vpc["expanded"]["reason"] in unchecked[0]["message"]  # the gate says why it was not expanded


# -- failures -------------------------------------------------------------------------------

def test_node_missing_or_too_old_is_exit_2_naming_what_to_install(eks_project, tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "node").write_text("#!/bin/sh\necho v16.20.0\n")
    (fake / "node").chmod(0o755)
    env = dict(os.environ, SAHAB_CACHE_DIR=str(CACHE), PATH="%s:%s" % (fake, os.environ["PATH"]))
    result = subprocess.run([sys.executable, "-m", "sahab.cli", "plan", str(eks_project), "--stack", "dev"],
                            capture_output=True, text=True, env=env, timeout=300, check=False)
    assert result.returncode == 2, result.stderr
    assert "Node.js, which is %s is 16.20.0" % (fake / "node") in result.stderr
    assert "install nodejs (>= 18) and npm" in result.stderr
    assert "Traceback" not in result.stderr


def test_npm_install_failing_leaves_the_component_unchecked_with_the_reason(eks_project, tmp_path, monkeypatch):
    from sahab.planner import plan_project

    monkeypatch.setenv("SAHAB_CACHE_DIR", str(tmp_path / "cold"))
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")  # nothing listens: every fetch fails
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))
    doc = plan_project(eks_project, "dev")
    component = resource(doc, "eks:index:Cluster", "ml")
    assert component["opaque"] is True
    assert component["expanded"]["by"] is None
    assert component["expanded"]["reason"].startswith("npm install in %s failed: " % (tmp_path / "cold" / "node-components" / "@pulumi+eks@2.8.1"))
    assert _children(doc, component["urn"]) == []


def test_which_releases_carry_their_implementation():
    from sahab.planner.node_components.packages import Release, release_for

    release = release_for("eks:index:Cluster", "2.8.1")
    assert isinstance(release, Release) and (release.spec, release.entry) == ("@pulumi/eks@2.8.1", "@pulumi/eks/cmd/provider")
    assert release.on_npm
    assert [release_for("eks:index:Cluster", version).on_npm for version in ("2.9.9", "3.0.0", "4.1.0")] == [True, False, False]
    assert [release_for("awsx:ec2:Vpc", version).on_npm for version in ("1.0.0", "3.8.0")] == [False, False]
    assert release_for("eks:index:Cluster", "") == (
        "the program's eks SDK sent no usable version (''), so the matching @pulumi/eks release is unknown")


# == the installed provider plugin (round 2) =====================================================
# Multi-language components constructed by the provider plugin Pulumi installed (issue 16, round 2).
#
# There is no real ``pulumi-resource-eks``/``-awsx`` binary here (get.pulumi.com and GitHub releases
# are unreachable), but the provider pulumi-eks 2.x ships on npm (``cmd/provider``) *is* a provider
# plugin: Node's ``provider.main`` serves ``pulumirpc.ResourceProvider`` and prints its port. So a
# test Pulumi home gets ``plugins/resource-eks-v2.8.1/pulumi-resource-eks``, a shell launcher that
# runs it with ``node`` (as Pulumi's own Node plugin launcher does), and the plan must match the npm
# path's. The home is ``$HOME/.pulumi`` (Pulumi's default), which the sandbox hides: the plugin is
# reached only through the folder the planner binds for it. The failure launchers are shell scripts.

PROVIDER = CACHE / "node-components" / "@pulumi+eks@2.8.1" / "node_modules" / "@pulumi" / "eks" / "cmd" / "provider"
LAUNCHER = '#!/bin/sh\n# Like Pulumi\'s Node plugin launcher: the provider program, with the engine address.\nexec node %s "$@"\n'
PLUGIN_FACTS = {"by": "plugin", "package": "eks", "version": "2.8.1", "plugin": "pulumi-resource-eks"}


def _install(home: Path, name: str, version: str, script: str) -> Path:
    """``script`` as ``pulumi-resource-<name>`` in ``home``'s plugin folder for ``version``."""
    folder = home / ".pulumi" / "plugins" / ("resource-%s-v%s" % (name, version))
    folder.mkdir(parents=True)
    executable = folder / ("pulumi-resource-%s" % name)
    executable.write_text(script, encoding="utf-8")
    executable.chmod(0o755)
    return executable


@pytest.fixture()
def home(tmp_path, monkeypatch, cache) -> Path:
    """A user home whose ``.pulumi`` holds the plugins (no PULUMI_HOME: the CLI's default place)."""
    folder = tmp_path / "home"
    (folder / ".pulumi").mkdir(parents=True)
    (folder / ".pulumi" / "credentials.json").write_text('{"accessTokens": {"https://api.pulumi.com": "pul-secret"}}')
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.delenv("PULUMI_HOME", raising=False)
    return folder


def _plan(project: Path, **options: Any) -> Dict[str, Any]:
    from sahab.planner import plan_project

    return plan_project(project, "dev", **options)


def _without_expanded(doc: Dict[str, Any]) -> Dict[str, Any]:
    resources = [{key: value for key, value in item.items() if key != "expanded"} for item in doc["resources"]]
    return {**doc, "resources": resources}


def _below(doc: Dict[str, Any]) -> List[Dict[str, Any]]:
    return sorted(_children(doc, EKS_URN), key=lambda item: item["urn"])


# -- the plugin path ------------------------------------------------------------------------

def test_installed_plugin_constructs_the_same_children_as_the_npm_release(eks_project, eks_plan, home):
    executable = _install(home, "eks", "2.8.1", LAUNCHER % PROVIDER)
    doc = _plan(eks_project)
    assert_valid(doc)
    component = resource(doc, "eks:index:Cluster", "ml")
    assert component["opaque"] is False
    npm = resource(eks_plan, "eks:index:Cluster", "ml")
    assert npm["expanded"]["by"] == "node-mocks"  # planned before the plugin was installed
    assert component["expanded"] == {**PLUGIN_FACTS, "objects": npm["expanded"]["objects"],
                                     "executableDigest": "sha256:" + hashlib.sha256(executable.read_bytes()).hexdigest()}
    assert component["expanded"]["objects"] >= 20
    # Parity: every child, with its type, name, provider, region, inputs, unknowns and program line...
    assert _below(doc) == _below(eks_plan)
    # ...and the whole plan but the component's `expanded` (the state returned to the program included).
    assert _without_expanded(doc) == _without_expanded(eks_plan)


def test_plugin_path_plans_are_byte_identical(eks_project, home):
    from sahab.planner.document import dumps

    _install(home, "eks", "2.8.1", LAUNCHER % PROVIDER)
    assert dumps(_plan(eks_project)) == dumps(_plan(eks_project))


def test_gate_on_the_plugin_path_reports_the_public_endpoint_at_the_program_line(eks_project, home):
    _install(home, "eks", "2.8.1", LAUNCHER % PROVIDER)
    report = json.loads(_gate(eks_project).stdout)
    public = [f for f in report["findings"] if f["rule_id"] == "SAHAB-NET-002"]
    assert [(f["status"], f["file"], f["line"]) for f in public] == [("violation", "__main__.py", 5)]
    assert not [f for f in report["findings"] if f["rule_id"] == "SAHAB-PLN-001"]


def test_a_plugin_of_another_version_is_not_used(eks_project, home):
    _install(home, "eks", "2.8.0", "#!/bin/sh\necho 'sahab test: the 2.8.0 plugin ran' >&2\nexit 7\n")
    component = resource(_plan(eks_project), "eks:index:Cluster", "ml")
    assert component["expanded"]["by"] == "node-mocks"  # the npm release of the SDK's own version


def test_a_partially_installed_plugin_is_not_used(eks_project, home):
    executable = _install(home, "eks", "2.8.1", "#!/bin/sh\nexit 7\n")
    (executable.parent.parent / "resource-eks-v2.8.1.partial").write_text("")
    assert resource(_plan(eks_project), "eks:index:Cluster", "ml")["expanded"]["by"] == "node-mocks"


# -- what the plugin gets -----------------------------------------------------------------------

SPY = """#!/bin/sh
# Says what it could reach, then fails so that its last line is the plan's reason.
env | grep -q aws-secret-value && e=leaked || e=clean
token=$(cat "$HOME/.pulumi/credentials.json" 2>/dev/null) && c="read:$token" || c=hidden
( : > "$HOME/written" ) 2>/dev/null && w=writable || w=read-only
python3 -I -S -c "import socket; socket.create_connection(('1.1.1.1', 53), timeout=3)" 2>/dev/null && n=online || n=offline
echo "seen: env=$e credentials=$c home=$w network=$n" >&2
exit 3
"""


def test_the_plugin_runs_without_credentials_network_or_a_writable_home(eks_project, home, monkeypatch):
    from sahab.planner import sandbox

    if not sandbox.namespaces().read_only:
        pytest.fail("this system cannot lock the filesystem; the isolation this test checks is not available here")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-value")
    _install(home, "eks", "2.8.1", SPY)
    reason = _not_expanded(eks_project)["reason"]
    assert reason.endswith("(its last output: seen: env=clean credentials=hidden home=read-only network=offline)"), reason
    assert not (home / "written").exists()


# -- failures: the component stays unchecked with the reason --------------------------------------

def _not_expanded(project: Path, **options: Any) -> Dict[str, Any]:
    doc = _plan(project, **options)
    component = resource(doc, "eks:index:Cluster", "ml")
    assert component["opaque"] is True and component["expanded"]["by"] is None
    assert _children(doc, EKS_URN) == []
    return component["expanded"]


def test_a_plugin_that_crashes_before_its_port(eks_project, home):
    _install(home, "eks", "2.8.1", "#!/bin/sh\necho 'Error: cannot load the provider schema' >&2\nexit 3\n")
    expanded = _not_expanded(eks_project)
    assert expanded["reason"] == (
        "constructing eks:index:Cluster with pulumi-resource-eks v2.8.1 failed: pulumi-resource-eks exited with code 3 "
        "before printing its port (its last output: Error: cannot load the provider schema)")
    assert {key: expanded[key] for key in ("package", "version", "plugin")} == {
        "package": "eks", "version": "2.8.1", "plugin": "pulumi-resource-eks"}


def test_a_plugin_that_prints_no_port(eks_project, home):
    _install(home, "eks", "2.8.1", "#!/bin/sh\necho 'listening on 127.0.0.1:4000'\nsleep 600\n")
    assert _not_expanded(eks_project)["reason"] == (
        "constructing eks:index:Cluster with pulumi-resource-eks v2.8.1 failed: pulumi-resource-eks printed "
        "'listening on 127.0.0.1:4000' where the plugin protocol expects its port")


def _running(marker: str) -> List[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_a_plugin_that_hangs_is_killed_at_the_deadline(eks_project, home, monkeypatch):
    from sahab.planner.node_components import provider_process

    monkeypatch.setattr(provider_process, "START_TIMEOUT", 3.0)
    executable = _install(home, "eks", "2.8.1", "#!/bin/sh\nsleep 600 &\nwait\n")
    # The sandbox runs it from the folder bound for it: the launcher's path there ends as it does here.
    marker = os.path.join("plugin", executable.name)
    seen: List[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.extend(_running(marker))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    try:
        reason = _not_expanded(eks_project)["reason"]
    finally:
        done.set()
        watcher.join()
    assert reason == ("constructing eks:index:Cluster with pulumi-resource-eks v2.8.1 failed: pulumi-resource-eks v2.8.1 "
                      "did not print its port within 3 s")
    assert time.monotonic() - started < 60
    assert seen  # it ran...
    assert [pid for pid in set(seen) if Path("/proc/%d" % pid).exists()] == []  # ...and its tree was killed


def _provider_script(folder: Path, construct: str) -> Path:
    """A Node provider plugin (the real @pulumi/pulumi provider main) whose construct body is ``construct``."""
    script = folder / "provider.js"
    script.write_text(
        "const { createRequire } = require('module');\n"
        "const load = createRequire(%r);\n"
        "load('@pulumi/pulumi').provider.main({ version: '2.8.1', construct: async (name, type) => {\n%s\n} },"
        " process.argv.slice(2));\n" % (str(PROVIDER / "index.js"), construct))
    return script


def test_a_plugin_that_crashes_while_constructing(eks_project, home, tmp_path):
    script = _provider_script(tmp_path, "process.stderr.write('fatal: heap out of memory\\n'); process.exit(9);")
    _install(home, "eks", "2.8.1", LAUNCHER % script)
    assert _not_expanded(eks_project)["reason"] == (
        "constructing eks:index:Cluster with pulumi-resource-eks v2.8.1 failed: pulumi-resource-eks exited with code 9 "
        "(its last output: fatal: heap out of memory)")


def test_a_plugin_that_returns_an_error(eks_project, home, tmp_path):
    script = _provider_script(tmp_path, "throw new Error('eks: subnetIds must name at least two subnets for ' + name);")
    _install(home, "eks", "2.8.1", LAUNCHER % script)
    assert _not_expanded(eks_project)["reason"] == (
        "constructing eks:index:Cluster with pulumi-resource-eks v2.8.1 failed: eks: subnetIds must name at least two "
        "subnets for ml")


# -- awsx: no plugin here -------------------------------------------------------------------------

def test_awsx_plugin_of_another_version_is_not_used(awsx_project, home):
    _install(home, "awsx", "3.7.0", "#!/bin/sh\nexit 7\n")
    vpc = resource(_plan(awsx_project), "awsx:ec2:Vpc", "vpc")
    assert vpc["expanded"]["reason"].endswith("install the plugin (pulumi plugin install resource awsx 3.8.0)")


def test_a_construct_error_never_carries_a_secret_input_into_the_plan():
    from sahab.planner.harness.wire import SECRET_SIG, SIG_KEY
    from sahab.planner.node_components.expander import redact, secret_strings

    inputs = {"name": "ml", "tags": {"owner": {SIG_KEY: SECRET_SIG, "value": "hunter2-token"}},
              "pins": [{SIG_KEY: SECRET_SIG, "value": {"a": "x9-secret", "n": 4242}}]}
    secrets = secret_strings(inputs)
    assert sorted(secrets) == ["4242", "hunter2-token", "x9-secret"]  # "ml" is not secret
    assert redact("bad tag 'hunter2-token' on ml (x9-secret, 4242)", secrets) == "bad tag '[secret]' on ml ([secret], [secret])"
