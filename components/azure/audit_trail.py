"""Azure's audit trail: the Activity Log and the platform's resource logs, kept immutable in the UAE.

Why: an audit trail is only evidence if the people it records cannot rewrite it, and audit
records are personal data that stay in the UAE. The subscription's Activity Log and the resource
logs of the targets it is given (Key Vault ``AuditEvent``, blob ``StorageRead/Write/Delete``, AKS
``kube-audit``, PostgreSQL ``PostgreSQLLogs``) go to two destinations in the component's location:

- a dedicated storage account built like the artifact store (the ``logs`` key through its
  identity, Entra-only, no public network access, TLS 1.2+, a private endpoint) with account-level
  version immutability: a time-based retention policy that every container inherits (Azure
  Monitor creates its own ``insights-*`` containers), in state ``Locked`` (the retention can then
  only grow; no one can delete a record before it ends). Its firewall lets Azure's trusted services
  (Azure Monitor) deliver; protected append writes are on, because diagnostic logs are append
  blobs (existing blocks stay immutable);
- a Log Analytics workspace for queries, linked to a dedicated Log Analytics cluster that
  encrypts with the same ``logs`` key (Log Analytics has customer-managed keys only on dedicated
  clusters; ``log_analytics=False`` leaves the workspace out rather than keep logs under a
  Microsoft key). Local (shared key) auth is off; ingestion over public networks is off, and so
  is query unless ``public_query``.

The gate's SAHAB-AUD-001/002 check the same properties on any program.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence

import pulumi
import pulumi_azure_native as azure_native

from ..validation import ComponentInputError, is_whole, require_choice, require_name
from .arguments import DEFAULT_LOCATION, compact_name, require_location, require_storage_sku
from .artifact_store import default_sku
from .base import AzureComponent
from .encryption_keys import CustomerManagedKey, require_customer_managed_key
from .private_link import PrivateLink, private_endpoint, require_private_link
from .provider import UaeAzureProvider, UaeResourceGroup, resolve_placement
from .references import require_resource_id
from .storage_account import private_storage_account, versioned_blob_service

__all__ = ["ACTIVITY_LOG_CATEGORIES", "AuditTarget", "AuditTrail", "AuditTrailArgs", "TARGET_KINDS"]

COMPONENT = "AuditTrail"
TYPE_TOKEN = "sahab:azure:AuditTrail"
# Storage account names are 3-24 lowercase letters and digits; Pulumi appends 8.
_NAME_LIMIT = 16
_TARGET_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")

# The Activity Log's categories (the subscription diagnostic setting's schema): all by default.
ACTIVITY_LOG_CATEGORIES = (
    "Administrative", "Security", "ServiceHealth", "Alert", "Recommendation", "Policy", "Autoscale", "ResourceHealth",
)

# Target kind -> the ARM type its ID must have, the sub-resource its logs come from, default categories.
# kube-audit holds every API server request; kube-audit-admin is its subset without get/list, so
# both together would store the admin events twice (pass categories=["kube-audit-admin"] to save cost).
TARGET_KINDS: Mapping[str, Mapping[str, object]] = {
    "key_vault": {"type": "Microsoft.KeyVault/vaults", "sub_resource": "", "categories": ("AuditEvent",)},
    "storage": {"type": "Microsoft.Storage/storageAccounts", "sub_resource": "/blobServices/default",
                "categories": ("StorageRead", "StorageWrite", "StorageDelete")},
    "aks": {"type": "Microsoft.ContainerService/managedClusters", "sub_resource": "", "categories": ("kube-audit",)},
    "postgresql": {"type": "Microsoft.DBforPostgreSQL/flexibleServers", "sub_resource": "", "categories": ("PostgreSQLLogs",)},
}

# Azure's longest time-based retention (146,000 days); the smallest dedicated-cluster commitment tier.
MAX_RETENTION_DAYS = 146000
MIN_CLUSTER_CAPACITY_GB = 100
IMMUTABILITY_STATES = ("Locked", "Unlocked")
SOFT_DELETE_DAYS = 30


@dataclass(frozen=True)
class AuditTarget:
    """A resource whose logs the trail collects: ``kind`` is one of :data:`TARGET_KINDS`,
    ``resource_id`` its ARM ID (e.g. ``KeyVault.vault_id``, ``ArtifactStore.account_id``,
    ``Cluster.cluster_id``, ``RegistryDatabase.server_id``); ``categories`` None means the kind's
    audit categories. The resource must be in the trail's location (Azure sends resource logs only
    to a storage account in the resource's region)."""

    name: str
    kind: str
    resource_id: pulumi.Input[str]
    categories: Optional[Sequence[str]] = None


@dataclass
class AuditTrailArgs:
    """``key`` (``EncryptionKeys.key("logs")``) and ``private_link`` (``network.private_link("blob")``) are required.

    ``retention_days``: how long no one can delete or overwrite a record (time-based retention,
    1 to 146,000 days); ``immutability_state`` "Locked" (the default; irreversible) or "Unlocked"
    (see docs/components-azure.md: Azure documents that a policy is created unlocked and locked
    afterwards). ``cluster_capacity_gb``: the dedicated cluster's daily commitment tier.
    """

    key: CustomerManagedKey
    private_link: PrivateLink
    targets: Sequence[AuditTarget] = ()
    retention_days: int = 365
    immutability_state: str = "Locked"
    activity_log_categories: Sequence[str] = ACTIVITY_LOG_CATEGORIES
    log_analytics: bool = True
    cluster_capacity_gb: int = MIN_CLUSTER_CAPACITY_GB
    workspace_retention_days: int = 365
    public_query: bool = False
    sku: Optional[str] = None
    location: str = DEFAULT_LOCATION
    provider: Optional[UaeAzureProvider] = None
    resource_group: Optional[UaeResourceGroup] = None


def _require_bool(argument: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ComponentInputError("%s: %s must be True or False, got %r" % (COMPONENT, argument, value))


def _require_range(argument: str, value: object, low: int, high: int, unit: str) -> None:
    if not is_whole(value) or not low <= value <= high:  # type: ignore[operator]
        raise ComponentInputError("%s: %s must be a whole number of %s from %d to %d, got %r" % (COMPONENT, argument, unit, low, high, value))


def _require_categories(argument: str, categories: object, allowed: Optional[Sequence[str]] = None) -> List[str]:
    if isinstance(categories, str) or not isinstance(categories, (list, tuple)) or not categories:
        raise ComponentInputError("%s: %s must be a non-empty list of log categories, got %r" % (COMPONENT, argument, categories))
    for category in categories:
        if not isinstance(category, str) or not category.strip():
            raise ComponentInputError("%s: %s entry %r must be a log category name" % (COMPONENT, argument, category))
        if allowed is not None:
            require_choice(COMPONENT, "%s entry" % argument, category, allowed)
    if len(set(categories)) != len(categories):
        raise ComponentInputError("%s: %s %s lists a category twice" % (COMPONENT, argument, list(categories)))
    return list(categories)


def _validate_target(target: object, seen: set) -> None:
    if not isinstance(target, AuditTarget):
        raise ComponentInputError("%s: targets entries must be AuditTarget(name, kind, resource_id), got %r" % (COMPONENT, target))
    if not isinstance(target.name, str) or not _TARGET_NAME.match(target.name):
        raise ComponentInputError(
            "%s: target name %r must be 1-40 lowercase letters, digits or dashes, starting and ending with a letter or digit"
            % (COMPONENT, target.name))
    if target.name in seen:
        raise ComponentInputError("%s: target name %r is used twice; give each target its own name" % (COMPONENT, target.name))
    seen.add(target.name)
    if target.kind not in TARGET_KINDS:
        raise ComponentInputError("%s: target %r kind %r is not one sahab audits; choose one of: %s"
                                  % (COMPONENT, target.name, target.kind, ", ".join(TARGET_KINDS)))
    require_resource_id(COMPONENT, "target %r resource_id" % target.name, target.resource_id, str(TARGET_KINDS[target.kind]["type"]))
    if target.categories is not None:
        _require_categories("target %r categories" % target.name, target.categories)


def _validate(name: str, args: AuditTrailArgs) -> str:
    resolve_placement(COMPONENT, args.provider, args.location, args.resource_group)
    require_name(COMPONENT, name)
    compact_name(COMPONENT, name, _NAME_LIMIT)
    location = require_location(COMPONENT, args.location)
    key = require_customer_managed_key(COMPONENT, "key", args.key, location, "logs")
    if key.data_class != "logs":
        raise ComponentInputError(
            "%s: key is the %r key; audit records use their own data class, EncryptionKeys.key('logs')" % (COMPONENT, key.data_class))
    require_private_link(COMPONENT, args.private_link)
    sku = require_storage_sku(COMPONENT, location, args.sku or default_sku(location))
    _require_range("retention_days", args.retention_days, 1, MAX_RETENTION_DAYS, "days")
    if args.immutability_state not in IMMUTABILITY_STATES:
        raise ComponentInputError("%s: immutability_state %r is not allowed; choose Locked (the default) or Unlocked"
                                  % (COMPONENT, args.immutability_state))
    _require_categories("activity_log_categories", args.activity_log_categories, ACTIVITY_LOG_CATEGORIES)
    _require_bool("log_analytics", args.log_analytics)
    _require_bool("public_query", args.public_query)
    if not is_whole(args.cluster_capacity_gb) or args.cluster_capacity_gb < MIN_CLUSTER_CAPACITY_GB:
        raise ComponentInputError(
            "%s: cluster_capacity_gb must be a dedicated cluster commitment tier, a whole number of GB per day of at least %d, got %r"
            % (COMPONENT, MIN_CLUSTER_CAPACITY_GB, args.cluster_capacity_gb))
    _require_range("workspace_retention_days", args.workspace_retention_days, 30, 730, "days")
    seen: set = set()
    for target in args.targets:
        _validate_target(target, seen)
    return sku


class AuditTrail(AzureComponent):
    """Activity Log and resource logs into a locked immutable account and a CMK Log Analytics workspace."""

    account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]
    workspace_id: Optional[pulumi.Output[str]]
    cluster_id: Optional[pulumi.Output[str]]
    activity_log_setting_id: pulumi.Output[str]
    diagnostic_setting_ids: Dict[str, pulumi.Output[str]]
    sku: str

    def __init__(self, name: str, args: AuditTrailArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        self.sku = _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, location=args.location,
                         resource_group=args.resource_group, opts=opts)
        key = args.key
        account = private_storage_account(
            self, compact_name(COMPONENT, name, _NAME_LIMIT), key=key, sku=self.sku, bypass="AzureServices",
            immutability=azure_native.storage.ImmutableStorageAccountArgs(
                enabled=True,
                immutability_policy=azure_native.storage.AccountImmutabilityPolicyPropertiesArgs(
                    immutability_period_since_creation_in_days=args.retention_days,
                    state=args.immutability_state,
                    allow_protected_append_writes=True,
                ),
            ),
        )
        blob_service = versioned_blob_service(self, name, account, SOFT_DELETE_DAYS)
        private_endpoint(self, "%s-blob" % name, target_id=account.id, group_id="blob", link=args.private_link)
        ready: List[pulumi.Resource] = [blob_service]
        self.workspace_id = self.cluster_id = None
        if args.log_analytics:
            workspace, cluster, link = self._log_analytics(name, args)
            self.workspace_id, self.cluster_id = workspace.id, cluster.id
            ready.append(link)
        destinations = dict(storage_account_id=account.id, workspace_id=self.workspace_id)
        activity_log = azure_native.monitor.SubscriptionDiagnosticSetting(
            "%s-activity-log" % name,
            name="sahab-%s-activity-log" % name,
            logs=[azure_native.monitor.SubscriptionLogSettingsArgs(category=c, enabled=True) for c in args.activity_log_categories],
            **destinations,
            opts=self.child_opts(depends_on=ready),
        )
        self.diagnostic_setting_ids = {}
        for target in args.targets:
            kind = TARGET_KINDS[target.kind]
            categories = list(target.categories) if target.categories is not None else list(kind["categories"])  # type: ignore[call-overload]
            setting = azure_native.monitor.DiagnosticSetting(
                "%s-%s" % (name, target.name),
                name="sahab-%s-audit" % name,
                resource_uri=pulumi.Output.concat(target.resource_id, str(kind["sub_resource"])),
                logs=[azure_native.monitor.DiagnosticsLogSettingsArgs(category=c, enabled=True) for c in categories],
                **destinations,
                opts=self.child_opts(depends_on=ready),
            )
            self.diagnostic_setting_ids[target.name] = setting.id
        self.account_id = account.id
        self.account_name = account.name
        self.activity_log_setting_id = activity_log.id
        self.register_outputs({"account_id": self.account_id, "account_name": self.account_name,
                               "workspace_id": self.workspace_id, "cluster_id": self.cluster_id,
                               "activity_log_setting_id": self.activity_log_setting_id,
                               "diagnostic_setting_ids": self.diagnostic_setting_ids})

    def _log_analytics(self, name: str, args: AuditTrailArgs):
        """A dedicated cluster with the ``logs`` key, a workspace, and the link between them."""
        key = args.key
        cluster = azure_native.operationalinsights.Cluster(
            name,
            resource_group_name=self.resource_group_name,
            location=self.location,
            identity=azure_native.operationalinsights.ManagedServiceIdentityArgs(
                type="UserAssigned", user_assigned_identities=[key.identity_id]),
            key_vault_properties=azure_native.operationalinsights.KeyVaultPropertiesArgs(
                key_name=key.key_name, key_vault_uri=key.vault_uri),
            sku=azure_native.operationalinsights.ClusterSkuArgs(name="CapacityReservation", capacity=args.cluster_capacity_gb),
            billing_type="Cluster",
            opts=self.child_opts(depends_on=[key.grant] if key.grant is not None else []),
        )
        query = "Enabled" if args.public_query else "Disabled"
        workspace = azure_native.operationalinsights.Workspace(
            name,
            resource_group_name=self.resource_group_name,
            location=self.location,
            sku=azure_native.operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=args.workspace_retention_days,
            features=azure_native.operationalinsights.WorkspaceFeaturesArgs(
                disable_local_auth=True, enable_log_access_using_only_resource_permissions=True),
            public_network_access_for_ingestion="Disabled",
            public_network_access_for_query=query,
            opts=self.child_opts(),
        )
        link = azure_native.operationalinsights.LinkedService(
            name,
            resource_group_name=self.resource_group_name,
            workspace_name=workspace.name,
            linked_service_name="cluster",
            write_access_resource_id=cluster.id,
            opts=self.child_opts(),
        )
        return workspace, cluster, link
