"""The checkov step without checkov: manifests, project files, shards, finding mapping, failures.

Failure handling runs a fake ``checkov`` (a shell script named by ``SAHAB_CHECKOV``): a crash,
output that is not JSON, a timeout or a check that failed to load is an EngineError, never an
empty result; a good report is cached.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from sahab.gate.checkov.engine import Record, ScanOutcome, run_checkov, to_findings
from sahab.gate.checkov.manifests import (SECRET_PLACEHOLDER, UNKNOWN_PREFIX, Inputs, acr_registries, build_manifests,
                                          collect_project_files)
from sahab.gate.checkov.shards import _PolicyIndex, _pod_labels, plan_shards
from sahab.gate.engines.base import EngineError


# -- manifests ---------------------------------------------------------------------------------

def _plan(resources: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {"resources": resources}


def test_only_managed_kubernetes_objects_become_manifests(k8s):
    provider = {"urn": "urn:pulumi:dev::p::pulumi:providers:kubernetes::c", "type": "pulumi:providers:kubernetes",
                "custom": True, "mode": "create", "inputs": {"namespace": "apps", "kubeconfig": {"$secret": True}}}
    keep = k8s["deployment"]("web", "apps", {"app": "web"}, [{"name": "w", "image": "nginx:1"}])
    keep_no_ns = k8s["resource"]("ConfigMap", "v1", "settings", {"data": {"a": "b"}},
                                 provider=provider["urn"], parent_type="kubernetes:yaml:ConfigFile")
    component = {"urn": "urn:pulumi:dev::p::kubernetes:yaml:ConfigFile::m", "type": "kubernetes:yaml:ConfigFile",
                 "custom": False, "inputs": {}}
    opaque = {"urn": "urn:pulumi:dev::p::kubernetes:helm.sh/v4:Chart::c", "type": "kubernetes:helm.sh/v4:Chart",
              "custom": False, "opaque": True, "inputs": {"chart": "x"}}
    read = dict(k8s["resource"]("Namespace", "v1", "existing", {"metadata": {"name": "kube-system"}}), mode="read")
    patch = k8s["resource"]("DeploymentPatch", "apps/v1", "patch", {"metadata": {"name": "web"}})
    manifests, deferred = build_manifests(_plan([provider, keep, keep_no_ns, component, opaque, read, patch]))
    assert [m.urn for m in manifests] == [keep["urn"], keep_no_ns["urn"]] and not deferred
    web, settings = manifests
    assert web.name == "web" and web.document["metadata"]["name"] == "web"  # auto-name: the logical name
    assert settings.namespace == "apps"  # the explicit provider's namespace
    assert yaml.safe_load(web.text) == web.document
    assert web.rel_path.startswith("k8s/Deployment-web-") and web.rel_path != settings.rel_path


def test_markers_become_placeholders_or_defer_the_object(k8s):
    deployment = k8s["deployment"]("api", "apps", {"app": "api", "ver": {"$unknown": True}}, [{
        "name": "api", "image": {"$unknown": True},
        "env": [{"name": "TOKEN", "value": {"$secret": True}}],
        "securityContext": {"privileged": {"$unknown": True}}}])
    secret = k8s["resource"]("Secret", "v1", "creds", {"metadata": {"name": "creds"}, "stringData": {"$secret": True}})
    shapeless = k8s["deployment"]("shapeless", "apps", {"app": "x"}, [{"name": "x", "image": "a:1",
                                                                       "securityContext": {"$unknown": True}}])
    manifests, deferred = build_manifests(_plan([deployment, secret, shapeless]))
    api, creds = manifests
    container = api.document["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].startswith(UNKNOWN_PREFIX) and container["securityContext"]["privileged"].startswith(UNKNOWN_PREFIX)
    assert container["image"] != container["securityContext"]["privileged"]  # unknowns never equal each other
    assert container["env"][0]["value"] == SECRET_PLACEHOLDER
    assert set(api.unknown_paths) == {"metadata/labels/ver", "spec/selector/matchLabels/ver",
                                      "spec/template/metadata/labels/ver", "spec/template/spec/containers/0/image",
                                      "spec/template/spec/containers/0/securityContext/privileged"}
    assert "spec/template/spec/containers/0/image" not in api.sensitive_unknowns
    assert "spec/template/spec/containers/0/securityContext/privileged" in api.sensitive_unknowns
    assert creds.document["stringData"] == {}
    assert [(d.urn, d.paths) for d in deferred] == [(shapeless["urn"], ("spec/template/spec/containers/0/securityContext",))]


def test_acr_residency_comes_from_the_plan():
    def acr(rtype, name, location):
        return {"type": "azure-native:containerregistry:" + rtype, "region": location,
                "inputs": {"registryName": name, "location": location}}
    plan = _plan([acr("Registry", "uaereg", "uaenorth"), acr("Registry", "eureg", "westeurope"),
                  acr("Registry", "copied", "uaecentral"), acr("Replication", "copied", "westeurope"),
                  acr("Replication", "uaereg", "uaecentral")])
    assert acr_registries(plan) == ("uaereg.azurecr.io",)


def test_project_files_are_found_and_staged_where_checkov_looks(tmp_path: Path):
    (tmp_path / "pipelines" / "ci").mkdir(parents=True)
    (tmp_path / "pipelines" / "ci" / "deploy.yaml").write_text("on: push\njobs:\n  a:\n    runs-on: x\n    steps: []\n")
    (tmp_path / "pipelines" / "ci" / "train.yml").write_text("stages: [t]\ntrain:\n  script: [make]\n")
    (tmp_path / "pipelines" / "main.gitlab-ci.yml").write_text("include: !reference [.base, x]\n")
    (tmp_path / "pipelines" / "broken.yml").write_text("on: push\njobs: {a: [\n")
    (tmp_path / "pipelines" / "values.yaml").write_text("replicas: 2\n")
    (tmp_path / "pipelines" / "__init__.py").write_text("")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "pr.yml").write_text("on: [pull_request]\njobs: {}\n")
    for folder in ("app", ".venv/x", ".tools/y", "node_modules/z", ".git/w"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "app" / "gpu.Dockerfile").write_text("FROM scratch\n")
    unparseable: List[str] = []
    files = {f.source: (f.framework, f.rel_path) for f in collect_project_files(tmp_path, unparseable)}
    assert unparseable == ["pipelines/broken.yml"]
    assert files == {
        "pipelines/ci/deploy.yaml": ("github_actions", "files/gha/0/.github/workflows/deploy.yaml"),
        "pipelines/main.gitlab-ci.yml": ("gitlab_ci", "files/gitlab/0/.gitlab-ci.yml"),
        "pipelines/ci/train.yml": ("gitlab_ci", "files/gitlab/1/.gitlab-ci.yml"),
        ".github/workflows/pr.yml": ("github_actions", "files/gha/1/.github/workflows/pr.yml"),
        "app/Dockerfile": ("dockerfile", "files/docker/0/Dockerfile"),
        "app/gpu.Dockerfile": ("dockerfile", "files/docker/1/gpu.Dockerfile"),
    }


# -- shards ------------------------------------------------------------------------------------

def _policy(k8s, ns: str, pod_selector: Any, **spec: Any) -> Dict[str, Any]:
    body = {"podSelector": pod_selector} if pod_selector is not None else {}
    body.update(spec)
    return k8s["resource"]("NetworkPolicy", "networking.k8s.io/v1", ns + "-np",
                           {"metadata": {"name": "np", "namespace": ns}, "spec": body})


def _web(k8s, ns: str, labels: Dict[str, str]) -> Dict[str, Any]:
    return k8s["deployment"](ns + "-web", ns, labels, [{"name": "w", "image": "a:1"}], name="web")


def _shards(resources, target=2):
    manifests, _ = build_manifests(_plan(resources))
    return plan_shards(manifests, target)


def test_a_wildcard_policy_is_the_only_context_needed(k8s):
    resources = [_policy(k8s, "a", {})] + [_web(k8s, "ns%d" % i, {"app": "web"}) for i in range(6)]
    shards = _shards(resources)
    assert len(shards) >= 3
    for shard in shards:
        home = {m.urn for m in shard.members}
        expected = [] if resources[0]["urn"] in home else ["a-np"]
        assert [m.urn.rsplit("::", 1)[-1] for m in shard.context] == expected


def test_label_policies_are_brought_to_the_pods_they_cover(k8s):
    resources = [_policy(k8s, "a", {"matchLabels": {"app": "api"}}), _policy(k8s, "b", {"matchLabels": {"tier": "x"}}),
                 _policy(k8s, "c", None), _policy(k8s, "z", {"matchLabels": {"app": "api"}}, selector={"matchLabels": {"q": "1"}})]
    resources += [_web(k8s, "m1", {"app": "api", "tier": "y"}), _web(k8s, "m2", {"app": "web", "tier": "x"}),
                  _web(k8s, "m3", {"app": "web"}),
                  k8s["resource"]("Pod", "v1", "bare", {"metadata": {"name": "bare", "namespace": "m4"},
                                                        "spec": {"containers": []}})]
    manifests, _ = build_manifests(_plan(resources))
    index = _PolicyIndex(manifests)
    by_name = {m.urn.rsplit("::", 1)[-1]: m for m in manifests}

    def cover(name):
        (labels,) = _pod_labels(by_name[name])
        found = index.cover(labels)
        return found.urn.rsplit("::", 1)[-1] if found is not None else None

    assert cover("m1-web") == "a-np"        # app=api
    assert cover("m2-web") == "b-np"        # tier=x
    assert cover("m3-web") is None          # nothing covers app=web
    assert cover("bare") == "a-np"          # no labels: checkov links any labelled policy to it
    assert [m.urn.rsplit("::", 1)[-1] for m in index.odd] == ["z-np"]  # spec.selector: odd
    for shard in plan_shards(manifests, 1):
        names = {m.urn.rsplit("::", 1)[-1] for m in shard.members}
        context = {m.urn.rsplit("::", 1)[-1] for m in shard.context}
        assert "z-np" in context | names and not context & names
        for name in names & {"m1-web", "m2-web", "bare"}:
            assert cover(name) in context | names


def test_rbac_and_duplicate_ids_stay_together_and_cuts_are_stable(k8s):
    rbac = [k8s["resource"](kind, "rbac.authorization.k8s.io/v1", "r%d" % i,
                            {"metadata": {"name": "r", "namespace": "ns%d" % i}})
            for i, kind in enumerate(["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"])]
    dups = [k8s["deployment"]("dup-%d" % i, "d", {"app": "d%d" % i}, [], name="dup") for i in range(3)]
    many = [_web(k8s, "ns%03d" % i, {"app": "web"}) for i in range(60)]
    shards = _shards(rbac + dups + many, target=4)
    homes = {m.urn: n for n, shard in enumerate(shards) for m in shard.members}
    assert len({homes[r["urn"]] for r in rbac}) == 1 and len({homes[d["urn"]] for d in dups}) == 1
    assert all(shard.size <= 8 for shard in shards)
    more = _shards(rbac + dups + many + [_web(k8s, "ns999", {"app": "web"})], target=4)
    unchanged = sum(1 for a, b in zip(shards, more) if [m.urn for m in a.members] == [m.urn for m in b.members])
    assert unchanged >= len(shards) - 1


# -- findings ----------------------------------------------------------------------------------

def _record(manifest, check_id, passed=False, keys=(), severity=None):
    raw = {"check_id": check_id, "check_name": "name of " + check_id, "resource": "Deployment.apps.api",
           "file_path": "/" + manifest.rel_path, "severity": severity, "guideline": None,
           "evaluated_keys": list(keys), "check_type": "kubernetes"}
    return Record(raw, passed, manifest=manifest)


def test_findings_carry_enforcement_severity_and_deferral(k8s):
    deployment = k8s["deployment"]("api", "apps", {"app": "api"}, [{
        "name": "api", "image": {"$unknown": True}, "securityContext": {"runAsUser": {"$unknown": True}}}])
    manifests, _ = build_manifests(_plan([deployment]))
    (api,) = manifests
    image_key = "spec/template/spec/containers/[0]/image"
    records = [
        _record(api, "CKV_K8S_16", severity="CRITICAL",                     # a plain violation
                keys=["spec/template/spec/containers/[0]/securityContext/privileged"]),
        _record(api, "CKV_K8S_14", keys=[image_key]),                       # read the unknown image
        _record(api, "CKV_K8S_15", keys=[image_key], passed=True),          # passed on it: still deferred
        _record(api, "CKV_K8S_22", passed=True, keys=["spec/template/spec/containers/[0]/securityContext/readOnlyRootFilesystem"]),
        _record(api, "CKV_K8S_23"),                                         # no keys, runAsUser unknown
        _record(api, "CKV_K8S_8", keys=["spec/template/spec/containers/[0]/livenessProbe"]),
    ]
    outcome = ScanOutcome(records, [], 1, 1, 0, "cli")
    inputs = Inputs(manifests=manifests)
    found = {f.rule_id: f for f in to_findings(outcome, inputs)}
    assert set(found) == {"CKV_K8S_16", "CKV_K8S_14", "CKV_K8S_15", "CKV_K8S_23", "CKV_K8S_8"}
    assert (found["CKV_K8S_16"].status, found["CKV_K8S_16"].severity, found["CKV_K8S_16"].enforcement) == \
        ("violation", "critical", "mandatory")
    assert found["CKV_K8S_14"].status == "deferred" and found["CKV_K8S_14"].severity == "high"  # curated severity
    assert found["CKV_K8S_15"].status == "deferred" and "cannot be decided" in found["CKV_K8S_15"].message
    assert found["CKV_K8S_23"].status == "deferred"
    assert (found["CKV_K8S_8"].status, found["CKV_K8S_8"].severity, found["CKV_K8S_8"].enforcement) == \
        ("violation", "medium", "advisory")
    assert found["CKV_K8S_8"].urn == deployment["urn"] and found["CKV_K8S_8"].resource_type == deployment["type"]


# -- failures and the cache (a fake checkov) -----------------------------------------------------

GOOD_REPORT = {"check_type": "kubernetes", "results": {"failed_checks": [{
    "check_id": "CKV_K8S_16", "check_name": "Container should not be privileged", "resource": "Deployment.apps.web",
    "file_path": "/%s", "guideline": "https://example.invalid/g", "severity": None, "file_line_range": [1, 9],
    "check_result": {"result": "FAILED", "evaluated_keys": []}}]},
    "summary": {"passed": 3, "failed": 1, "skipped": 0, "parsing_errors": 0, "resource_count": 2,
                "checkov_version": "3.3.30"}}


@pytest.fixture
def fake_checkov(tmp_path: Path, monkeypatch):
    script = tmp_path / "checkov"
    counter = tmp_path / "calls"

    def install(body: str) -> Path:
        script.write_text("#!/bin/sh\necho x >> %s\n%s\n" % (counter, body))
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setenv("SAHAB_CHECKOV", str(script))
        return counter

    return install


@pytest.fixture
def web_plan(k8s):
    return _plan([k8s["deployment"]("web", "apps", {"app": "web"}, [{"name": "w", "image": "nginx:1"}], name="web")])


@pytest.mark.parametrize("body, message", [
    ("echo 'Traceback: boom' >&2; exit 2", "exited with 2"),
    ("echo 'this is not json'; exit 1", "wrote no JSON"),
    ("echo '{\"results\": 3}'; exit 0", "unexpected checkov output"),
    ("sleep 5", "timed out"),
    ("echo \"Cannot load external check 'x'\" >&2; echo '{\"passed\": 0, \"failed\": 0}'; exit 0", "could not load"),
])
def test_a_checkov_failure_is_an_engine_error(fake_checkov, web_plan, tmp_path, body, message):
    fake_checkov(body)
    with pytest.raises(EngineError, match=message) as caught:
        run_checkov(web_plan, None, cache_dir=tmp_path / "cache", timeout=1.5)
    assert caught.value.exit_code == 3


def test_reports_are_mapped_and_cached(fake_checkov, web_plan, tmp_path):
    manifests, _ = build_manifests(web_plan)
    report = json.loads(json.dumps(GOOD_REPORT).replace("/%s", "/" + manifests[0].rel_path))
    (tmp_path / "report.json").write_text(json.dumps(report))
    counter = fake_checkov("cat %s; exit 1" % (tmp_path / "report.json"))
    first = run_checkov(web_plan, None, cache_dir=tmp_path / "cache")
    second = run_checkov(web_plan, None, cache_dir=tmp_path / "cache")
    assert first == second and len(counter.read_text().split()) == 1
    (finding,) = first
    assert (finding.rule_id, finding.urn, finding.enforcement, finding.severity, finding.remediation) == (
        "CKV_K8S_16", web_plan["resources"][0]["urn"], "mandatory", "critical", "https://example.invalid/g")
    assert not os.environ.get("SAHAB_CHECKOV_MODE")
