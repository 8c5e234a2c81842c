"""Self-hosted CI runners for the ML pipelines: GitHub Actions (ARC scale sets) or GitLab.

:class:`CiRunners` installs the runners of one forge (:class:`~.ci_forges.GithubRunners` or
:class:`~.ci_forges.GitlabRunners`) in their own :class:`ZeroTrustNamespace`:

* **Ephemeral and unprivileged.** ARC runners take one job and are deleted; GitLab's Kubernetes
  executor makes one pod per job. Jobs run in separate *job pods* (``kubernetes`` container mode;
  ARC's container hook, GitLab's executor) that are restricted: non-root, no privilege escalation,
  no capabilities, RuntimeDefault seccomp, requests and limits, and a ServiceAccount with no API
  token. ``dind`` (a privileged Docker daemon) only when :class:`DockerInDocker` is passed: the
  namespace then enforces ``privileged`` under a declared exception that the gate reports
  (SAHAB-WKL-004), audit and warn stay ``restricted``.
* **Egress is exactly the arguments**: the forge's networks, the in-region registry's and the
  cloud's endpoints (STS, KMS; S3 through its gateway prefix list) on 443, on Azure Entra ID's
  public token endpoint (``identity_provider_cidrs``: it has no private endpoint), DNS, and the
  Kubernetes API for the runner pods only (the job pods do not call it).
* **Credentials only by reference**: the forge credential is copied from the cloud's secret store
  by the External Secrets Operator into the namespace (a GitHub App preferred; a PAT only when
  asked for; GitLab's ``glrt-`` token, never a registration token). The kind is labelled on the
  namespace (``sahab.io/ci-forge-credential``).
* **No cloud identity on the pods.** A job reaches AWS with its forge's OIDC token, exchanged at
  STS for the :class:`~sahab.components.aws.CiIdentity` role that trusts exactly that repository
  and environment (or project and branch); the runner and job ServiceAccounts carry no IRSA role,
  so a job of one repository can never borrow another's deploy rights (docs/decisions.md).
* **RBAC explicit.** ARC's kubernetes-mode Role is written by sahab (the chart's is switched off);
  the ARC controller watches the runner namespace only (namespaced Roles); gitlab-runner gets
  :data:`~.ci_forges.GITLAB_RUNNER_RULES` (never the chart's empty default, which grants all).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pulumi
import pulumi_kubernetes as k8s

from ..validation import ComponentInputError, DNS_LABEL, require_cidrs, require_choice, require_non_empty, require_whole
from .base import KubernetesComponent, require_provider
from .charts import ChartRef, helm_release
from .ci_forges import DockerInDocker, Forge, GithubRunners, GitlabRunners, RbacRule, credential_kind, validate_forge
from .ci_runner_values import (
    ARC_KUBERNETES_MODE_RULES, HOOK_TEMPLATE_FILE, RUNNER_POD_LABELS, controller_values, gitlab_values, hook_template,
    scale_set_values,
)
from .images import require_image
from .namespace import (
    DEFAULT_PSA_VERSION, Allow, NamespaceQuota, PodSecurityException, Port, ZeroTrustNamespace, ZeroTrustNamespaceArgs,
    api_server_egress,
)
from .namespace import validate as validate_namespace
from .secrets import ESO_CONTROLLER, RemoteRef, SecretStoreBinding, ServiceAccountRef, external_secret, secret_store
from .workload import Resources, cpu_quantity, memory_quantity

COMPONENT = "CiRunners"
TYPE_TOKEN = "sahab:kubernetes:CiRunners"
ARC_CHARTS = "oci://ghcr.io/actions/actions-runner-controller-charts"
ARC_CONTROLLER_CHART = ChartRef(ARC_CHARTS, "gha-runner-scale-set-controller", "0.14.2")
ARC_SCALE_SET_CHART = ChartRef(ARC_CHARTS, "gha-runner-scale-set", "0.14.2")
# Chart 0.86.0 ships GitLab Runner 18.9.0 (appVersion); its published archive was reviewed
# (docs/chart-reviews.md), so the manager and helper images should be v18.9.0 builds.
GITLAB_RUNNER_CHART = ChartRef("https://charts.gitlab.io", "gitlab-runner", "0.86.0")
CONTAINER_MODES = ("kubernetes", "dind")
HTTPS = 443
CREDENTIAL_SECRET = "forge-credential"
CREDENTIAL_LABEL = "sahab.io/ci-forge-credential"
RUNNER_SERVICE_ACCOUNT = "ci-runner"
JOB_SERVICE_ACCOUNT = "ci-job"
HOOK_CONFIG_MAP = "ci-job-pod-template"
# A runner slot is a runner pod and its job pod; during a rollout old and new run side by side.
QUOTA_HEADROOM = 2


@dataclass(kw_only=True)
class CiRunnersArgs:
    """``forge``: which runners. ``secret_store``: the cloud side's binding for the runner
    namespace's ``SecretStore`` (it must be allowed to read the forge credential only).
    ``api_server_cidrs``: the private networks of the cluster's API endpoint; ``forge_cidrs``: the
    forge's networks (e.g. GitHub's ``api``/``web``/``actions`` ranges of its meta API), reached on
    443; ``registry_cidrs`` and ``cloud_endpoint_cidrs``: the private networks of the in-region
    registry's and of STS/KMS's interface endpoints; ``s3_cidrs``: the S3 gateway prefix list's
    entries (an Output, known at deploy); ``identity_provider_cidrs``: the public networks of a
    token service without a private endpoint (Entra ID, where an Azure job exchanges its forge
    OIDC token; empty on AWS, where STS is in ``cloud_endpoint_cidrs``). ``min_runners``/``max_runners``: idle runners kept and
    the most jobs at once (GitLab: ``concurrent``)."""

    provider: k8s.Provider
    forge: Forge
    secret_store: SecretStoreBinding
    api_server_cidrs: Sequence[str]
    forge_cidrs: Sequence[str]
    registry_cidrs: Sequence[str]
    cloud_endpoint_cidrs: Sequence[str]
    s3_cidrs: Optional[pulumi.Output] = None
    identity_provider_cidrs: Sequence[str] = ()
    api_server_port: int = 443
    namespace: str = "ci-runners"
    controller_namespace: str = "arc-system"
    min_runners: int = 0
    max_runners: int = 4
    container_mode: str = "kubernetes"
    docker_in_docker: Optional[DockerInDocker] = None
    runner_resources: Resources = field(default_factory=lambda: Resources("250m", "512Mi", "1", "2Gi"))
    job_resources: Resources = field(default_factory=lambda: Resources("1", "2Gi", "4", "8Gi"))
    controller_resources: Resources = field(default_factory=lambda: Resources("100m", "128Mi", "500m", "512Mi"))
    work_volume_size: str = "20Gi"
    storage_class: str = "gp3-encrypted"
    secret_store_name: str = "aws-secrets"
    eso_controller: ServiceAccountRef = ESO_CONTROLLER
    controller_chart: ChartRef = ARC_CONTROLLER_CHART
    scale_set_chart: ChartRef = ARC_SCALE_SET_CHART
    gitlab_chart: ChartRef = GITLAB_RUNNER_CHART
    pod_security_version: str = DEFAULT_PSA_VERSION


def _https(name: str, cidrs: Sequence[str], pods: Optional[Dict[str, str]] = None) -> List[Allow]:
    return [Allow("%s-%d" % (name, index), ports=[Port(HTTPS)], cidr=cidr, pods=dict(pods or {}))
            for index, cidr in enumerate(cidrs)]


def _slot(args: CiRunnersArgs) -> Tuple[Any, int]:
    """CPU and memory limits of one runner slot (runner, job and, with dind, the daemon)."""
    parts = [args.runner_resources, args.job_resources]
    if args.docker_in_docker is not None:
        parts.append(args.docker_in_docker.resources)
    return sum(cpu_quantity(r.cpu_limit) for r in parts), sum(memory_quantity(r.memory_limit) for r in parts)


def _runner_namespace_args(args: CiRunnersArgs) -> ZeroTrustNamespaceArgs:
    """Egress exactly the arguments; the API server for the runner pods only (jobs have no token)."""
    api_server = [replace(allow, pods=dict(RUNNER_POD_LABELS))
                  for allow in api_server_egress(COMPONENT, args.api_server_cidrs, args.api_server_port)]
    egress = api_server + _https("forge", args.forge_cidrs) + _https("registry", args.registry_cidrs)
    egress += _https("cloud-endpoints", args.cloud_endpoint_cidrs) + _https("identity-provider", args.identity_provider_cidrs)
    if args.s3_cidrs is not None:
        egress.append(Allow("s3", ports=[Port(HTTPS)], cidrs=args.s3_cidrs))
    cpu, memory = _slot(args)
    slots = args.max_runners + 1  # the GitLab manager or a runner replaced while its job pod ends
    dind = args.docker_in_docker
    return ZeroTrustNamespaceArgs(
        provider=args.provider, namespace=args.namespace, egress=egress,
        quota=NamespaceQuota(cpu="%dm" % (cpu * 1000 * slots * QUOTA_HEADROOM),
                             memory=str(memory * slots * QUOTA_HEADROOM), pods=slots * 2 * QUOTA_HEADROOM),
        pod_security=PodSecurityException("privileged", dind.reason) if dind is not None else None,
        pod_security_version=args.pod_security_version,
        labels={CREDENTIAL_LABEL: credential_kind(args.forge)},
    )


def _controller_namespace_args(args: CiRunnersArgs) -> ZeroTrustNamespaceArgs:
    """ARC's controller and the scale set's listener: the API server and the forge, nothing else."""
    egress = api_server_egress(COMPONENT, args.api_server_cidrs, args.api_server_port) + _https("forge", args.forge_cidrs)
    return ZeroTrustNamespaceArgs(
        provider=args.provider, namespace=args.controller_namespace, egress=egress,
        quota=NamespaceQuota(cpu="4", memory="4Gi", pods=10), pod_security_version=args.pod_security_version)


def _validate_network(args: CiRunnersArgs) -> None:
    api_server_egress(COMPONENT, args.api_server_cidrs, args.api_server_port)
    require_non_empty(COMPONENT, "forge_cidrs", args.forge_cidrs)
    require_cidrs(COMPONENT, "forge_cidrs", list(args.forge_cidrs), private_only=False)
    for argument in ("registry_cidrs", "cloud_endpoint_cidrs"):
        require_non_empty(COMPONENT, argument, getattr(args, argument))
        require_cidrs(COMPONENT, argument, list(getattr(args, argument)), private_only=True)
    require_cidrs(COMPONENT, "identity_provider_cidrs", list(args.identity_provider_cidrs), private_only=False)
    if args.s3_cidrs is not None and not isinstance(args.s3_cidrs, pulumi.Output):
        raise ComponentInputError(
            "%s: s3_cidrs is the S3 gateway prefix list's entries, known at deploy (an Output); give literal "
            "networks in cloud_endpoint_cidrs" % COMPONENT)


def _validate_mode(args: CiRunnersArgs) -> None:
    require_choice(COMPONENT, "container_mode", args.container_mode, CONTAINER_MODES)
    dind = args.docker_in_docker
    if args.container_mode == "dind" and dind is None:
        raise ComponentInputError(
            "%s: container_mode 'dind' runs a privileged Docker daemon beside every runner; pass "
            "docker_in_docker=DockerInDocker(image=..., reason=...) so the exception is declared and reported"
            % COMPONENT)
    if dind is not None:
        if args.container_mode != "dind":
            raise ComponentInputError(
                "%s: docker_in_docker is the exception for container_mode 'dind'; drop it or set the mode" % COMPONENT)
        if not isinstance(dind, DockerInDocker):
            raise ComponentInputError("%s: docker_in_docker must be a DockerInDocker, got %r" % (COMPONENT, dind))
        require_image(COMPONENT, "docker_in_docker.image", dind.image)
        dind.resources.validate(COMPONENT, "docker_in_docker.resources")


def _validate_store(args: CiRunnersArgs) -> None:
    binding = args.secret_store
    if not isinstance(binding, SecretStoreBinding):
        raise ComponentInputError(
            "%s: secret_store must be the SecretStoreBinding of the runner namespace's store (e.g. "
            "SecretsManagerStore(...).binding), got %s" % (COMPONENT, type(binding).__name__))
    if binding.identity.namespace != args.namespace:
        raise ComponentInputError(
            "%s: secret_store is bound to namespace %r but the runners run in %r; create the store's identity for %r"
            % (COMPONENT, binding.identity.namespace, args.namespace, args.namespace))
    if not isinstance(args.secret_store_name, str) or not DNS_LABEL.match(args.secret_store_name):
        raise ComponentInputError("%s: secret_store_name %r must be a DNS label" % (COMPONENT, args.secret_store_name))


def validate(args: CiRunnersArgs) -> List[ZeroTrustNamespaceArgs]:
    """Every check before anything registers; returns the namespaces' arguments (runners first)."""
    require_provider(COMPONENT, args.provider)
    forge = validate_forge(COMPONENT, args.forge)
    _validate_store(args)
    _validate_network(args)
    _validate_mode(args)
    require_whole(COMPONENT, "min_runners", args.min_runners, 0)
    require_whole(COMPONENT, "max_runners", args.max_runners, 1)
    if args.min_runners > args.max_runners:
        raise ComponentInputError(
            "%s: min_runners (%d) must not exceed max_runners (%d)" % (COMPONENT, args.min_runners, args.max_runners))
    for argument in ("runner_resources", "job_resources", "controller_resources"):
        resources = getattr(args, argument)
        if not isinstance(resources, Resources):
            raise ComponentInputError("%s: %s must be a Resources, got %r" % (COMPONENT, argument, resources))
        resources.validate(COMPONENT, argument)
    Resources("1", args.work_volume_size, "1", args.work_volume_size).validate(COMPONENT, "work_volume_size")
    if not isinstance(args.storage_class, str) or not DNS_LABEL.match(args.storage_class):
        raise ComponentInputError("%s: storage_class %r must name a StorageClass" % (COMPONENT, args.storage_class))
    charts = ("gitlab_chart",) if isinstance(forge, GitlabRunners) else ("controller_chart", "scale_set_chart")
    for argument in charts:
        getattr(args, argument).validate(COMPONENT, argument)
    namespaces = [_runner_namespace_args(args)]
    if isinstance(forge, GithubRunners):
        if args.controller_namespace == args.namespace:
            raise ComponentInputError(
                "%s: controller_namespace must differ from namespace: the runners' Role reads the Secrets of theirs"
                % COMPONENT)
        namespaces.append(_controller_namespace_args(args))
    for namespace_args in namespaces:
        validate_namespace(namespace_args.namespace or "", namespace_args)
    return namespaces


def _credential(forge: Forge) -> Tuple[Dict[str, RemoteRef], Dict[str, str]]:
    """What the ExternalSecret reads and the keys the chart expects in the credential Secret."""
    if isinstance(forge, GitlabRunners):
        return {"token": forge.runner_token}, {"runner-token": "{{ .token }}", "runner-registration-token": ""}
    if forge.app is not None:
        return {"private_key": forge.app.private_key}, {
            "github_app_id": forge.app.app_id, "github_app_installation_id": forge.app.installation_id,
            "github_app_private_key": "{{ .private_key }}"}
    assert forge.token is not None
    return {"token": forge.token}, {"github_token": "{{ .token }}"}


class CiRunners(KubernetesComponent):
    """The runners of one forge in their own zero-trust namespace (and, for GitHub, ARC's
    controller in another), credentials synced by reference, job pods restricted."""

    namespace: str
    releases: List[k8s.helm.v3.Release]

    def __init__(self, name: str, args: CiRunnersArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        namespaces = validate(args)
        super().__init__(TYPE_TOKEN, name, args.provider, opts)
        forge = args.forge
        if isinstance(forge, GithubRunners) and forge.app is None:
            pulumi.log.warn("%s %s: GitHub runners authenticate with a personal access token; prefer a GitHub App"
                            % (COMPONENT, name), resource=self)
        homes = [ZeroTrustNamespace("%s-%s" % (name, namespace_args.namespace), namespace_args,
                                    opts=pulumi.ResourceOptions(parent=self)) for namespace_args in namespaces]
        self.namespace = args.namespace
        in_namespace = self.child_opts(depends_on=[homes[0]])
        store = secret_store("%s-store" % name, args.secret_store_name, args.secret_store, in_namespace,
                             controller=args.eso_controller)
        data, template = _credential(forge)
        credential = external_secret("%s-credential" % name, namespace=args.namespace, store=args.secret_store_name,
                                     target=CREDENTIAL_SECRET, data=data, template=template,
                                     opts=self.child_opts(depends_on=[store]))
        jobs = self._service_account("%s-job-sa" % name, JOB_SERVICE_ACCOUNT, automount=False, opts=in_namespace)
        if isinstance(forge, GithubRunners):
            self.releases = self._github(name, forge, args, homes, [credential, jobs])
        else:
            self.releases = [helm_release(
                name, args.gitlab_chart, release_name="gitlab-runner", namespace=args.namespace,
                values=gitlab_values(forge, credential_secret=CREDENTIAL_SECRET, namespace=args.namespace,
                                     job_service_account=JOB_SERVICE_ACCOUNT, concurrent=args.max_runners,
                                     manager_resources=args.runner_resources, job_resources=args.job_resources,
                                     rules=forge.rbac_rules, privileged=args.docker_in_docker is not None),
                opts=self.child_opts(depends_on=[homes[0], credential, jobs]))]
        self.register_outputs({"namespace": args.namespace, "forge_credential": credential_kind(forge)})

    def _service_account(self, resource_name: str, account: str, *, automount: bool,
                         opts: pulumi.ResourceOptions) -> k8s.core.v1.ServiceAccount:
        return k8s.core.v1.ServiceAccount(
            resource_name, metadata=k8s.meta.v1.ObjectMetaArgs(name=account, namespace=self.namespace),
            automount_service_account_token=automount, opts=opts)

    def _runner_rbac(self, name: str, rules: Sequence[RbacRule], opts: pulumi.ResourceOptions) -> List[pulumi.Resource]:
        """The runner's ServiceAccount and, in kubernetes mode, exactly ARC's Role for the container hook."""
        account = self._service_account("%s-runner-sa" % name, RUNNER_SERVICE_ACCOUNT, automount=bool(rules), opts=opts)
        if not rules:
            return [account]
        metadata = k8s.meta.v1.ObjectMetaArgs(name=RUNNER_SERVICE_ACCOUNT, namespace=self.namespace)
        role = k8s.rbac.v1.Role("%s-runner" % name, metadata=metadata, opts=opts, rules=[
            k8s.rbac.v1.PolicyRuleArgs(api_groups=list(r.api_groups), resources=list(r.resources), verbs=list(r.verbs))
            for r in rules])
        binding = k8s.rbac.v1.RoleBinding(
            "%s-runner" % name, metadata=metadata,
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=RUNNER_SERVICE_ACCOUNT),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=RUNNER_SERVICE_ACCOUNT, namespace=self.namespace)],
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[role, account])))
        return [account, role, binding]

    def _github(self, name: str, forge: GithubRunners, args: CiRunnersArgs, homes: List[ZeroTrustNamespace],
                ready: List[pulumi.Resource]) -> List[k8s.helm.v3.Release]:
        in_namespace = self.child_opts(depends_on=[homes[0]])
        dind = args.docker_in_docker
        ready = ready + self._runner_rbac(name, () if dind else ARC_KUBERNETES_MODE_RULES, in_namespace)
        if dind is None:
            ready.append(k8s.core.v1.ConfigMap(
                "%s-job-pod-template" % name,
                metadata=k8s.meta.v1.ObjectMetaArgs(name=HOOK_CONFIG_MAP, namespace=args.namespace),
                data={HOOK_TEMPLATE_FILE: json.dumps(hook_template(JOB_SERVICE_ACCOUNT, args.job_resources),
                                                     indent=2, sort_keys=True)},
                opts=in_namespace))
        # The controller writes its Roles into the runner namespace, so both namespaces come first.
        controller = helm_release(
            "%s-controller" % name, args.controller_chart, release_name="arc", namespace=args.controller_namespace,
            values=controller_values(forge, args.namespace, args.controller_resources),
            opts=self.child_opts(depends_on=homes))
        scale_set = helm_release(
            name, args.scale_set_chart, release_name=forge.scale_set_name, namespace=args.namespace,
            values=scale_set_values(
                forge, credential_secret=CREDENTIAL_SECRET, controller_namespace=args.controller_namespace,
                runner_service_account=RUNNER_SERVICE_ACCOUNT, min_runners=args.min_runners,
                max_runners=args.max_runners, runner_resources=args.runner_resources,
                listener_resources=args.controller_resources, hook_config_map=HOOK_CONFIG_MAP,
                work_volume_size=args.work_volume_size, storage_class=args.storage_class,
                docker_in_docker=dind),
            opts=self.child_opts(depends_on=[controller, *homes, *ready]))
        return [controller, scale_set]
