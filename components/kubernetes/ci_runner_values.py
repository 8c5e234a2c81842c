"""The chart values and job-pod templates of :class:`~.ci_runners.CiRunners`, as plain data.

Pure functions of the component's arguments, so the plan shows them and the tests read them.

* ARC (``gha-runner-scale-set-controller`` and ``gha-runner-scale-set`` **0.14.2**, read from
  actions/actions-runner-controller at tag ``gha-runner-scale-set-0.14.2``, commit 9bb16ae4,
  2026-05-22): the controller watches the runner namespace only; the scale set names a
  pre-created credential Secret (``githubConfigSecret: <name>``) and the controller's account
  explicitly (no ``lookup``), uses ``kubernetes`` container mode with sahab's own runner
  ServiceAccount (``template.spec.serviceAccountName``: the chart then writes no Role; sahab writes
  it, :data:`ARC_KUBERNETES_MODE_RULES`), and mounts the job-pod template the container hook
  merges into every job pod (``ACTIONS_RUNNER_CONTAINER_HOOK_TEMPLATE``,
  actions/runner-container-hooks ``packages/k8s/src/k8s/utils.ts``).
* In ``dind`` mode the chart's own dind container pulls ``docker:dind`` from Docker Hub (its
  ``_helpers.tpl`` hard-codes it), so sahab writes the whole pod template instead (container mode
  left empty), with the daemon image from the in-region registry.
* gitlab-runner: values and ``config.toml`` follow GitLab's documentation (``gitlabUrl``,
  ``runners.secret``, ``rbac.rules``, ``[runners.kubernetes]``). **The chart's source at the
  pinned version was not available offline**; these values are not rendered nor reviewed.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence

from .ci_forges import DockerInDocker, GithubRunners, GitlabRunners, RbacRule
from .images import Image
from .workload import Resources

# The actions-runner image's user and the docker group its dind setup uses (ARC chart _helpers.tpl).
RUNNER_UID = 1001
DOCKER_GROUP_GID = "123"
# The controller image's USER (actions-runner-controller Dockerfile: distroless static nonroot).
CONTROLLER_UID = 65532
# The gitlab-runner image's user and group, the chart's own defaults.
GITLAB_RUNNER_UID = 100
GITLAB_RUNNER_FS_GROUP = 65533
CI_ROLE_LABEL = "sahab.io/ci-role"
RUNNER_POD_LABELS = {CI_ROLE_LABEL: "runner"}
JOB_POD_LABELS = {CI_ROLE_LABEL: "job"}
CONTROLLER_SERVICE_ACCOUNT = "gha-rs-controller"
HOOK_TEMPLATE_DIR = "/home/runner/hook-template"
HOOK_TEMPLATE_FILE = "job-pod.json"
HOOK_TEMPLATE_VOLUME = "hook-template"

# ARC's kubernetes-mode runner Role (gha-runner-scale-set 0.14.2 templates/kube_mode_role.yaml),
# written by sahab: the container hook creates the job pod, execs into it, reads its logs, runs
# container steps as Jobs and keeps job variables in Secrets.
ARC_KUBERNETES_MODE_RULES = (
    RbacRule([""], ["pods"], ["get", "list", "create", "delete"]),
    RbacRule([""], ["pods/exec"], ["get", "create"]),
    RbacRule([""], ["pods/log"], ["get", "list", "watch"]),
    RbacRule(["batch"], ["jobs"], ["get", "list", "create", "delete"]),
    RbacRule([""], ["secrets"], ["get", "list", "create", "delete"]),
)


def pull_policy(image: Image) -> str:
    """A digest is the content itself; a tag is re-resolved at every start (workload.secure_container)."""
    return "IfNotPresent" if image.digest else "Always"


def _chart_tag(image: Image) -> str:
    return "%s@%s" % (image.tag, image.digest) if image.digest else str(image.tag)


def restricted_pod(user: int) -> Dict[str, Any]:
    return {"runAsNonRoot": True, "runAsUser": user, "runAsGroup": user, "fsGroup": user,
            "seccompProfile": {"type": "RuntimeDefault"}}


def restricted_container(*, read_only_root: bool) -> Dict[str, Any]:
    return {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "privileged": False,
            "readOnlyRootFilesystem": read_only_root, "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}}


# -- GitHub: ARC --------------------------------------------------------------------------------

def controller_values(forge: GithubRunners, runner_namespace: str, resources: Resources) -> Dict[str, Any]:
    """The controller: mirrored image, one watched namespace (namespaced Roles), restricted pod."""
    image = forge.controller_image
    return {
        "image": {"repository": "%s/%s" % (image.registry, image.repository), "tag": _chart_tag(image),
                  "pullPolicy": pull_policy(image)},
        "serviceAccount": {"create": True, "name": CONTROLLER_SERVICE_ACCOUNT},
        "flags": {"watchSingleNamespace": runner_namespace, "logFormat": "json", "logLevel": "info"},
        "podSecurityContext": restricted_pod(CONTROLLER_UID),
        "securityContext": restricted_container(read_only_root=True),
        "resources": resources.values(),
    }


def hook_template(job_service_account: str, job_resources: Resources) -> Dict[str, Any]:
    """What the container hook merges into every job pod: its labels (the network policies select
    them), a ServiceAccount without an API token, the restricted pod context, and the job
    container's (``$job``) restricted context and resources."""
    return {
        "metadata": {"labels": dict(JOB_POD_LABELS)},
        "spec": {
            "serviceAccountName": job_service_account,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": restricted_pod(RUNNER_UID),
            "containers": [{"name": "$job", "securityContext": restricted_container(read_only_root=False),
                            "resources": job_resources.values()}],
        },
    }


def _runner_container(forge: GithubRunners, resources: Resources, *, env: List[Dict[str, str]],
                      mounts: List[Dict[str, Any]]) -> Dict[str, Any]:
    image = forge.runner_image
    return {
        "name": "runner", "image": image.reference, "imagePullPolicy": pull_policy(image),
        "command": ["/home/runner/run.sh"], "env": env, "volumeMounts": mounts,
        "resources": resources.values(),
        # The runner writes its just-in-time configuration and diagnostics under /home/runner.
        "securityContext": {**restricted_container(read_only_root=False), "runAsUser": RUNNER_UID,
                            "runAsGroup": RUNNER_UID},
    }


def _kubernetes_mode(forge: GithubRunners, runner_service_account: str, resources: Resources,
                     hook_config_map: str, work_volume_size: str, storage_class: str) -> Dict[str, Any]:
    return {
        "containerMode": {"type": "kubernetes", "kubernetesModeWorkVolumeClaim": {
            "accessModes": ["ReadWriteOnce"], "storageClassName": storage_class,
            "resources": {"requests": {"storage": work_volume_size}}}},
        "template": {"metadata": {"labels": dict(RUNNER_POD_LABELS)}, "spec": {
            "serviceAccountName": runner_service_account,
            # The container hook calls the Kubernetes API (ARC_KUBERNETES_MODE_RULES).
            "automountServiceAccountToken": True,
            "enableServiceLinks": False,
            "securityContext": restricted_pod(RUNNER_UID),
            "containers": [_runner_container(
                forge, resources,
                env=[{"name": "ACTIONS_RUNNER_CONTAINER_HOOK_TEMPLATE",
                      "value": "%s/%s" % (HOOK_TEMPLATE_DIR, HOOK_TEMPLATE_FILE)}],
                mounts=[{"name": HOOK_TEMPLATE_VOLUME, "mountPath": HOOK_TEMPLATE_DIR, "readOnly": True}])],
            "volumes": [{"name": HOOK_TEMPLATE_VOLUME, "configMap": {"name": hook_config_map}}],
        }},
    }


def _dind_mode(forge: GithubRunners, runner_service_account: str, resources: Resources,
               dind: DockerInDocker) -> Dict[str, Any]:
    """ARC's dind pod (chart _helpers.tpl, Kubernetes >= 1.29: the daemon as a sidecar), written out
    so the daemon's image is the in-region one. The daemon is privileged: that is what dind is."""
    runner = forge.runner_image
    work = {"name": "work", "mountPath": "/home/runner/_work"}
    sock = {"name": "dind-sock", "mountPath": "/var/run"}
    return {
        "template": {"metadata": {"labels": dict(RUNNER_POD_LABELS)}, "spec": {
            "serviceAccountName": runner_service_account,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "initContainers": [
                {"name": "init-dind-externals", "image": runner.reference, "imagePullPolicy": pull_policy(runner),
                 "command": ["cp"], "args": ["-r", "/home/runner/externals/.", "/home/runner/tmpDir/"],
                 "volumeMounts": [{"name": "dind-externals", "mountPath": "/home/runner/tmpDir"}],
                 "resources": resources.values(),
                 "securityContext": {**restricted_container(read_only_root=True), "runAsUser": RUNNER_UID}},
                {"name": "dind", "image": dind.image.reference, "imagePullPolicy": pull_policy(dind.image),
                 "restartPolicy": "Always",
                 "args": ["dockerd", "--host=unix:///var/run/docker.sock", "--group=$(DOCKER_GROUP_GID)"],
                 "env": [{"name": "DOCKER_GROUP_GID", "value": DOCKER_GROUP_GID}],
                 "securityContext": {"privileged": True},
                 "startupProbe": {"exec": {"command": ["docker", "info"]}, "initialDelaySeconds": 0,
                                  "failureThreshold": 24, "periodSeconds": 5},
                 "resources": dind.resources.values(),
                 "volumeMounts": [work, sock, {"name": "dind-externals", "mountPath": "/home/runner/externals"}]},
            ],
            "containers": [_runner_container(
                forge, resources,
                env=[{"name": "DOCKER_HOST", "value": "unix:///var/run/docker.sock"},
                     {"name": "RUNNER_WAIT_FOR_DOCKER_IN_SECONDS", "value": "120"}],
                mounts=[work, sock])],
            "volumes": [{"name": name, "emptyDir": {}} for name in ("work", "dind-sock", "dind-externals")],
        }},
    }


def scale_set_values(forge: GithubRunners, *, credential_secret: str, controller_namespace: str,
                     runner_service_account: str, min_runners: int, max_runners: int, runner_resources: Resources,
                     listener_resources: Resources, hook_config_map: str, work_volume_size: str,
                     storage_class: str, docker_in_docker: Optional[DockerInDocker]) -> Dict[str, Any]:
    values: Dict[str, Any] = {
        "githubConfigUrl": forge.config_url,
        "githubConfigSecret": credential_secret,
        "runnerScaleSetName": forge.scale_set_name,
        "minRunners": min_runners,
        "maxRunners": max_runners,
        "controllerServiceAccount": {"namespace": controller_namespace, "name": CONTROLLER_SERVICE_ACCOUNT},
        # The listener runs in the controller's namespace, from the controller's image.
        "listenerTemplate": {"spec": {
            "securityContext": restricted_pod(CONTROLLER_UID),
            "containers": [{"name": "listener", "securityContext": restricted_container(read_only_root=True),
                            "resources": listener_resources.values()}],
        }},
    }
    if forge.runner_group is not None:
        values["runnerGroup"] = forge.runner_group
    if docker_in_docker is None:
        values.update(_kubernetes_mode(forge, runner_service_account, runner_resources, hook_config_map,
                                       work_volume_size, storage_class))
    else:
        values.update(_dind_mode(forge, runner_service_account, runner_resources, docker_in_docker))
    return values


# -- GitLab ---------------------------------------------------------------------------------------

def _toml(value: Any) -> str:
    """A TOML value: JSON's strings, numbers, booleans and arrays are TOML's."""
    return json.dumps(value)


def _table(name: str, entries: Mapping[str, Any]) -> List[str]:
    return ["    [%s]" % name] + ["      %s = %s" % (_toml(k) if "." in k or "/" in k else k, _toml(v))
                                 for k, v in entries.items()]


def gitlab_config(forge: GitlabRunners, *, namespace: str, job_service_account: str, job_resources: Resources,
                  privileged: bool) -> str:
    """``config.toml``'s ``[[runners]]`` for the Kubernetes executor: jobs in ``namespace`` as a
    token-less ServiceAccount, images only from the job image's registry, restricted pods (the
    seccomp profile through a pod-spec patch), unless ``privileged`` (declared dind)."""
    registry = forge.job_image.registry
    kubernetes: Dict[str, Any] = {
        "namespace": namespace,
        "image": forge.job_image.reference,
        "helper_image": forge.helper_image.reference,
        "allowed_images": ["%s/**/*" % registry],
        "allowed_services": ["%s/**/*" % registry],
        "privileged": privileged,
        "allow_privilege_escalation": privileged,
        "service_account": job_service_account,
        "cpu_request": job_resources.cpu_request, "cpu_limit": job_resources.cpu_limit,
        "memory_request": job_resources.memory_request, "memory_limit": job_resources.memory_limit,
    }
    lines = ["[[runners]]", '  name = "sahab"', '  executor = "kubernetes"', "  [runners.kubernetes]"]
    lines += ["    %s = %s" % (key, _toml(value)) for key, value in kubernetes.items()]
    lines += _table("runners.kubernetes.pod_labels", JOB_POD_LABELS)
    if not privileged:
        lines += _table("runners.kubernetes.pod_security_context", {
            "run_as_non_root": True, "run_as_user": RUNNER_UID, "run_as_group": RUNNER_UID, "fs_group": RUNNER_UID})
    for container in ("build", "helper", "service"):
        lines += _table("runners.kubernetes.%s_container_security_context.capabilities" % container, {"drop": ["ALL"]})
    lines += ["    [[runners.kubernetes.pod_spec]]", '      name = "seccomp-runtime-default"',
              '      patch_type = "strategic"',
              "      patch = %s" % _toml(json.dumps({"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}))]
    lines += ["  [runners.feature_flags]", "    FF_USE_ADVANCED_POD_SPEC_CONFIGURATION = true"]
    return "\n".join(lines) + "\n"


def gitlab_values(forge: GitlabRunners, *, credential_secret: str, namespace: str, job_service_account: str,
                  concurrent: int, manager_resources: Resources, job_resources: Resources,
                  rules: Sequence[RbacRule], privileged: bool) -> Dict[str, Any]:
    manager = forge.manager_image
    return {
        "gitlabUrl": forge.url,
        "concurrent": concurrent,
        "unregisterRunners": True,
        "image": {"registry": manager.registry, "image": manager.repository, "tag": _chart_tag(manager)},
        "imagePullPolicy": pull_policy(manager),
        # Explicit rules in the release's namespace only: empty rules would mean every verb on every core resource.
        "rbac": {"create": True, "clusterWideAccess": False, "rules": [rule.values() for rule in rules]},
        "runners": {"secret": credential_secret,
                    "config": gitlab_config(forge, namespace=namespace, job_service_account=job_service_account,
                                            job_resources=job_resources, privileged=privileged)},
        "podLabels": dict(RUNNER_POD_LABELS),
        "podSecurityContext": {"runAsNonRoot": True, "runAsUser": GITLAB_RUNNER_UID, "fsGroup": GITLAB_RUNNER_FS_GROUP,
                               "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": restricted_container(read_only_root=False),
        "resources": manager_resources.values(),
        "metrics": {"enabled": False},
        "sessionServer": {"enabled": False},
    }
