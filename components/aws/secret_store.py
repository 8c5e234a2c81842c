"""What the External Secrets Operator needs on AWS to fill one namespace's secrets, and nothing more.

Why: each namespace gets its own ``SecretStore``, authenticating as its own ServiceAccount
(``external-secrets-store``), whose IRSA role (:class:`.WorkloadRole`) may read exactly the
secrets that namespace needs: MLflow's namespace cannot read the CI runners' secrets, and no
``ClusterSecretStore`` can read everything. The operator mints that account's token and trades
it at STS itself (``auth.jwt``); the pods that consume the secrets need no AWS identity at all.

:attr:`SecretsManagerStore.binding` is the cloud-neutral
:class:`~sahab.components.kubernetes.secrets.SecretStoreBinding` that
:func:`~sahab.components.kubernetes.secrets.secret_store` turns into the store (ESO API
``external-secrets.io/v1``, provider shape of external-secrets v2.9.0,
``apis/externalsecrets/v1/secretstore_aws_types.go``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Sequence

import pulumi

from ..kubernetes.secrets import SecretStoreBinding
from ..validation import require_name
from .arguments import require_kms_key_arn
from .base import AwsComponent
from .catalogue import UAE_AWS_REGION
from .provider import UaeProvider, resolve_provider
from .workload_role import (
    SecretsRead, WorkloadRole, WorkloadRoleArgs, require_cluster_oidc, require_secret_arns, require_service_account,
)

COMPONENT = "SecretsManagerStore"
TYPE_TOKEN = "sahab:aws:SecretsManagerStore"
STORE_SERVICE_ACCOUNT = "external-secrets-store"


@dataclass(kw_only=True)
class SecretsManagerStoreArgs:
    """The namespace, exactly the secrets it may read (and their key), and the cluster's OIDC
    provider (``Cluster.oidc_provider_arn``, ``Cluster.oidc_issuer_url``)."""

    namespace: str
    secret_arns: Sequence[pulumi.Input[str]]
    kms_key_arn: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    service_account: str = STORE_SERVICE_ACCOUNT
    permissions_boundary_arn: Optional[pulumi.Input[str]] = None
    tags: Mapping[str, str] = field(default_factory=dict)
    provider: Optional[UaeProvider] = None
    region: str = UAE_AWS_REGION


def secrets_manager_provider(service_account: str, region: str = UAE_AWS_REGION) -> Dict[str, Any]:
    """The store's ``spec.provider``: Secrets Manager in ``region``, authenticated with the
    ServiceAccount's token (ESO reads the role from its ``eks.amazonaws.com/role-arn`` annotation)."""
    return {"aws": {
        "service": "SecretsManager",
        "region": region,
        "auth": {"jwt": {"serviceAccountRef": {"name": service_account}}},
    }}


def _validate(name: str, args: SecretsManagerStoreArgs) -> None:
    resolve_provider(COMPONENT, args.provider, args.region)
    require_name(COMPONENT, name)
    require_service_account(COMPONENT, args.namespace, args.service_account)
    require_cluster_oidc(COMPONENT, args.oidc_provider_arn, args.oidc_issuer_url)
    require_secret_arns(COMPONENT, "secret_arns", args.secret_arns)
    require_kms_key_arn(COMPONENT, "kms_key_arn", args.kms_key_arn, allow_alias=False)


class SecretsManagerStore(AwsComponent):
    """The store's IRSA role, allowed to read exactly ``secret_arns``, and its binding."""

    role_arn: pulumi.Output[str]
    binding: SecretStoreBinding

    def __init__(self, name: str, args: SecretsManagerStoreArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, region=args.region, opts=opts)
        role = WorkloadRole(name, WorkloadRoleArgs(
            namespace=args.namespace,
            service_account=args.service_account,
            oidc_provider_arn=args.oidc_provider_arn,
            oidc_issuer_url=args.oidc_issuer_url,
            grants=[SecretsRead(list(args.secret_arns), args.kms_key_arn)],
            description="sahab SecretsManagerStore %s: External Secrets store of namespace %s" % (name, args.namespace),
            permissions_boundary_arn=args.permissions_boundary_arn,
            tags=args.tags,
            provider=self.provider,
            region=args.region,
        ), opts=pulumi.ResourceOptions(parent=self))
        self.role_arn = role.role_arn
        self.binding = SecretStoreBinding(secrets_manager_provider(args.service_account, args.region), role.binding)
        self.register_outputs({"role_arn": self.role_arn})
