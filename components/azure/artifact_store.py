"""A storage account for datasets and model artifacts, reachable only through a private endpoint.

Why: artifacts are the platform's most valuable data. The account encrypts with the artifacts
customer-managed key through that key's user-assigned identity, with a second (infrastructure)
encryption layer; it accepts Entra ID only (shared keys and SAS off), never anonymous reads,
only TLS 1.2+ over HTTPS, and no public network access: its blob endpoint is a private endpoint
in the VNet. Versioning and soft delete keep an overwritten or deleted model recoverable.
Redundancy stays in the UAE: zone-redundant by default in uaenorth, geo-redundant SKUs copy to
the UAE pair only (``require_storage_sku``). Workloads get paths, not containers:
:meth:`ArtifactStore.prefix_grant` grants the account's custom blob role (data actions only)
limited to a path prefix of one container.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Optional, Sequence

import pulumi
import pulumi_azure_native as azure_native

from ..validation import ComponentInputError, require_name, require_non_empty
from .arguments import DEFAULT_LOCATION, compact_name, require_location, require_storage_sku, zones_of
from .base import AzureComponent
from .encryption_keys import CustomerManagedKey, require_customer_managed_key
from .private_link import PrivateLink, private_endpoint, require_private_link
from .provider import UaeAzureProvider, UaeResourceGroup, resolve_placement
from .roles import BlobPrefixRole, blob_prefix_role, require_prefix
from .storage_account import private_storage_account, versioned_blob_service
from .workload_identity import RoleGrant

COMPONENT = "ArtifactStore"
TYPE_TOKEN = "sahab:azure:ArtifactStore"
# Storage account names are 3-24 lowercase letters and digits; Pulumi appends 8.
_NAME_LIMIT = 16
_CONTAINER = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")


@dataclass
class ArtifactStoreArgs:
    """``key`` (``EncryptionKeys.key("artifacts")``) and ``private_link`` (``network.private_link("blob")``) are required.

    ``sku``: None picks Standard_ZRS where the location has zones, else Standard_LRS.
    """

    key: CustomerManagedKey
    private_link: PrivateLink
    containers: Sequence[str] = field(default_factory=lambda: ["datasets", "models"])
    sku: Optional[str] = None
    soft_delete_days: int = 30
    location: str = DEFAULT_LOCATION
    provider: Optional[UaeAzureProvider] = None
    resource_group: Optional[UaeResourceGroup] = None


def default_sku(location: str) -> str:
    return "Standard_ZRS" if zones_of(location) else "Standard_LRS"


def _validate(name: str, args: ArtifactStoreArgs) -> str:
    resolve_placement(COMPONENT, args.provider, args.location, args.resource_group)
    require_name(COMPONENT, name)
    compact_name(COMPONENT, name, _NAME_LIMIT)
    location = require_location(COMPONENT, args.location)
    require_customer_managed_key(COMPONENT, "key", args.key, location, "artifacts")
    require_private_link(COMPONENT, args.private_link)
    sku = require_storage_sku(COMPONENT, location, args.sku or default_sku(location))
    containers = list(args.containers)
    require_non_empty(COMPONENT, "containers", containers)
    for container in containers:
        if not isinstance(container, str) or not _CONTAINER.match(container):
            raise ComponentInputError(
                "%s: container name %r must be 3-63 lowercase letters, digits or single dashes, starting and ending with a letter or digit"
                % (COMPONENT, container)
            )
    if len(set(containers)) != len(containers):
        raise ComponentInputError("%s: containers %s lists a name twice" % (COMPONENT, containers))
    days = args.soft_delete_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise ComponentInputError("%s: soft_delete_days must be a whole number from 1 to 365, got %r" % (COMPONENT, days))
    return sku


class ArtifactStore(AzureComponent):
    """StorageV2 account (CMK, Entra-only, private), versioned containers, a blob private endpoint."""

    account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]
    container_names: Dict[str, pulumi.Output[str]]
    # Each container's ARM ID: the scope of a RoleGrant limited to a path prefix in it.
    container_ids: Dict[str, pulumi.Output[str]]
    sku: str

    def __init__(self, name: str, args: ArtifactStoreArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        self.sku = _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, location=args.location,
                         resource_group=args.resource_group, opts=opts)
        account = private_storage_account(self, compact_name(COMPONENT, name, _NAME_LIMIT), key=args.key, sku=self.sku)
        self._name = name
        self._prefix_roles: Dict[bool, BlobPrefixRole] = {}
        blob_service = versioned_blob_service(self, name, account, args.soft_delete_days)
        self.container_names = {}
        self.container_ids = {}
        for container_name in args.containers:
            container = azure_native.storage.BlobContainer(
                "%s-%s" % (name, container_name),
                resource_group_name=self.resource_group_name,
                account_name=account.name,
                container_name=container_name,
                public_access="None",
                opts=self.child_opts(depends_on=[blob_service]),
            )
            self.container_names[container_name] = container.name
            self.container_ids[container_name] = container.id
        private_endpoint(self, "%s-blob" % name, target_id=account.id, group_id="blob", link=args.private_link)
        self.account_id = account.id
        self.account_name = account.name
        self.register_outputs({"account_id": self.account_id, "account_name": self.account_name,
                               "container_names": self.container_names, "container_ids": self.container_ids})

    def prefix_grant(self, container: str, path_prefix: str, *, read_only: bool) -> RoleGrant:
        """A grant for a WorkloadIdentity or CiIdentity: the account's custom role "sahab blob
        prefix reader" (``read_only``) or "... writer" on ``container``, limited to blobs under
        ``path_prefix`` (ends with ``/``). The role has the data actions of Storage Blob Data
        Reader/Contributor and no management action, so the holder cannot delete or rewrite the
        container or get a user delegation key. Each role is created with its first grant."""
        component = "%s %s" % (COMPONENT, self._name)
        if container not in self.container_ids:
            raise ComponentInputError("%s: prefix_grant container %r is not one of the store's containers (%s)"
                                      % (component, container, ", ".join(sorted(self.container_ids))))
        if not isinstance(read_only, bool):
            raise ComponentInputError("%s: prefix_grant read_only must be True or False, got %r" % (component, read_only))
        require_prefix(component, "prefix_grant path_prefix", path_prefix)
        if read_only not in self._prefix_roles:
            self._prefix_roles[read_only] = blob_prefix_role(
                "%s-blob-prefix-%s" % (self._name, "reader" if read_only else "writer"), account_id=self.account_id,
                account_name=self.account_name, read_only=read_only, opts=self.child_opts())
        return RoleGrant(role=self._prefix_roles[read_only], scope=self.container_ids[container], path_prefix=path_prefix)
