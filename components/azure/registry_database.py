"""PostgreSQL Flexible Server for the model registry (MLflow's backend store), private and encrypted.

Why each default:

* Private access only: the server is injected into a delegated subnet and resolved through a
  private DNS zone (``network.publicNetworkAccess: Disabled``); it has no public endpoint.
* Entra ID authentication only (``passwordAuth: Disabled``): no password exists in the program,
  the state or the plan. ``entra_admin`` (a group, ideally) becomes the server's Entra admin;
  applications log in with their workload identity.
* Data (and backups) encrypted with the ``database`` customer-managed key of
  :class:`.EncryptionKeys`, through that key's own user-assigned identity (the only identity
  allowed to use the key).
* TLS enforced: ``require_secure_transport = on`` and ``ssl_min_protocol_version = TLSv1.2``.
* ``production=True`` (the default) keeps high availability: ``ZoneRedundant`` in uaenorth,
  ``SameZone`` in uaecentral (no zones there). A non-production server may pass
  ``high_availability="Disabled"``.
* Geo-redundant backups are off by default; on, they go to the location's pair, which sahab
  allows only inside the UAE, and need a ``database`` key made by an EncryptionKeys in the pair
  (``geo_backup_key``; Azure wants the geo-backup key in the backup's region).
* The major version is pinned (default 16); Azure applies minor versions in maintenance.
* The registry's database (``database_name``, default ``mlflow``) is created with the server.
  MLflow logs in as its own workload identity: :meth:`RegistryDatabase.add_entra_login` makes that
  identity's service principal an Entra administrator of the server (the role MLflow creates its
  tables with, as the RDS master user does on AWS), and the registry presents an Entra token as
  its password (:class:`~sahab.components.kubernetes.EntraTokenLogin`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple

import pulumi
import pulumi_azure_native as azure_native

from ..regions import canonical_region
from ..validation import ComponentInputError, require_choice, require_name
from .arguments import DEFAULT_LOCATION, require_geo_redundancy, require_uuid, require_zone_redundancy, zones_of
from .base import AzureComponent
from .encryption_keys import CustomerManagedKey, require_customer_managed_key
from .provider import UaeAzureProvider, UaeResourceGroup, resolve_placement
from .references import require_resource_id

COMPONENT = "RegistryDatabase"
TYPE_TOKEN = "sahab:azure:RegistryDatabase"
POSTGRES_VERSIONS: Tuple[str, ...] = ("13", "14", "15", "16", "17")
HA_MODES: Tuple[str, ...] = ("ZoneRedundant", "SameZone", "Disabled")
PRINCIPAL_TYPES: Tuple[str, ...] = ("Group", "User", "ServicePrincipal")
SKU_TIERS: Tuple[str, ...] = ("GeneralPurpose", "MemoryOptimized")  # Burstable has no HA
TLS_SETTINGS: Mapping[str, str] = {"require_secure_transport": "on", "ssl_min_protocol_version": "TLSv1.2"}
_SKU = re.compile(r"^Standard_[A-Za-z0-9_]+$")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_LOGIN = re.compile(r"^[a-z][a-z0-9_]{2,62}$")  # an identity name that is also a plain PostgreSQL role name


@dataclass(frozen=True)
class EntraAdmin:
    """The server's Entra ID administrator: an object ID and its display name (a group, ideally)."""

    object_id: str
    principal_name: str
    principal_type: str = "Group"


@dataclass(kw_only=True)
class RegistryDatabaseArgs:
    """The delegated subnet and private DNS zone, the ``database`` key, and the Entra tenant and admin."""

    delegated_subnet_id: pulumi.Input[str]
    private_dns_zone_id: pulumi.Input[str]
    key: CustomerManagedKey
    tenant_id: pulumi.Input[str]
    entra_admin: EntraAdmin
    production: bool = True
    high_availability: Optional[str] = None  # None: ZoneRedundant where zones exist, else SameZone
    version: str = "16"
    sku_name: str = "Standard_D2ds_v5"
    sku_tier: str = "GeneralPurpose"
    storage_size_gb: int = 128
    backup_retention_days: int = 7
    geo_redundant_backup: bool = False
    geo_backup_key: Optional[CustomerManagedKey] = None
    database_name: str = "mlflow"
    tags: Mapping[str, str] = field(default_factory=dict)
    location: str = DEFAULT_LOCATION
    provider: Optional[UaeAzureProvider] = None
    resource_group: Optional[UaeResourceGroup] = None


def _validate(name: str, args: RegistryDatabaseArgs) -> str:
    """Every check before anything is registered; returns the high-availability mode."""
    resolve_placement(COMPONENT, args.provider, args.location, args.resource_group)
    location = canonical_region(args.location)
    require_name(COMPONENT, name)
    require_resource_id(COMPONENT, "delegated_subnet_id", args.delegated_subnet_id, "Microsoft.Network/virtualNetworks")
    require_resource_id(COMPONENT, "private_dns_zone_id", args.private_dns_zone_id, "Microsoft.Network/privateDnsZones")
    require_customer_managed_key(COMPONENT, "key", args.key, location, "database")
    require_uuid(COMPONENT, "tenant_id", args.tenant_id)
    admin = args.entra_admin
    if not isinstance(admin, EntraAdmin):
        raise ComponentInputError("%s: entra_admin must be an EntraAdmin(object_id, principal_name), got %r" % (COMPONENT, admin))
    require_uuid(COMPONENT, "entra_admin.object_id", admin.object_id)
    if not isinstance(admin.principal_name, str) or not admin.principal_name.strip():
        raise ComponentInputError("%s: entra_admin.principal_name must not be empty" % COMPONENT)
    require_choice(COMPONENT, "entra_admin.principal_type", admin.principal_type, PRINCIPAL_TYPES)
    require_choice(COMPONENT, "version", args.version, POSTGRES_VERSIONS)
    if not isinstance(args.database_name, str) or not _IDENTIFIER.match(args.database_name):
        raise ComponentInputError("%s: database_name %r must start with a lowercase letter and use lowercase letters, "
                                  "digits or underscores (up to 63)" % (COMPONENT, args.database_name))
    require_choice(COMPONENT, "sku_tier", args.sku_tier, SKU_TIERS)
    if not isinstance(args.sku_name, str) or not _SKU.match(args.sku_name):
        raise ComponentInputError("%s: sku_name %r is not a server size such as 'Standard_D2ds_v5'" % (COMPONENT, args.sku_name))
    if not 32 <= args.storage_size_gb <= 32768:
        raise ComponentInputError("%s: storage_size_gb must be between 32 and 32768, got %d" % (COMPONENT, args.storage_size_gb))
    if not 7 <= args.backup_retention_days <= 35:
        raise ComponentInputError(
            "%s: backup_retention_days must be between 7 and 35, got %d" % (COMPONENT, args.backup_retention_days))

    mode = args.high_availability
    if mode is None:
        mode = "ZoneRedundant" if zones_of(location) else "SameZone"
    require_choice(COMPONENT, "high_availability", mode, HA_MODES)
    require_zone_redundancy(COMPONENT, "high_availability ZoneRedundant", location, mode == "ZoneRedundant")
    if args.production and mode == "Disabled":
        raise ComponentInputError(
            "%s: a production database keeps high availability; pass production=False to run without it" % COMPONENT)

    if args.geo_redundant_backup:
        pair = require_geo_redundancy(COMPONENT, "geo_redundant_backup", location)
        geo = args.geo_backup_key
        if isinstance(geo, CustomerManagedKey) and geo.location != pair:
            raise ComponentInputError(
                "%s: geo_backup_key is a key in %s; geo-backups of a server in %s go to %s, so their key must be in a vault in %s"
                % (COMPONENT, geo.location, location, pair, pair))
        require_customer_managed_key(COMPONENT, "geo_backup_key", geo, pair, "database")
    elif args.geo_backup_key is not None:
        raise ComponentInputError(
            "%s: geo_backup_key is set but geo_redundant_backup is off; pass geo_redundant_backup=True or leave it out" % COMPONENT)
    return mode


class RegistryDatabase(AzureComponent):
    """A PostgreSQL Flexible Server for the model registry, pinned to the UAE."""

    server_name: pulumi.Output[str]
    fqdn: pulumi.Output[str]
    server_id: pulumi.Output[str]

    def __init__(self, name: str, args: RegistryDatabaseArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        ha_mode = _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, location=args.location,
                         resource_group=args.resource_group, opts=opts)
        tags = {**dict(args.tags), "sahab:component": COMPONENT}
        if ha_mode == "Disabled":
            tags["sahab:exception"] = "no-high-availability"

        geo = args.geo_backup_key if args.geo_redundant_backup else None
        identities: pulumi.Input = pulumi.Output.all(args.key.identity_id, geo.identity_id if geo else None).apply(
            lambda ids: {i: {} for i in ids if i})
        grants = [k.grant for k in (args.key, geo) if k is not None and k.grant is not None]

        self.server = azure_native.dbforpostgresql.Server(
            name,
            resource_group_name=self.resource_group_name,
            location=self.location,
            version=args.version,
            sku=azure_native.dbforpostgresql.SkuArgs(name=args.sku_name, tier=args.sku_tier),
            storage=azure_native.dbforpostgresql.StorageArgs(storage_size_gb=args.storage_size_gb, auto_grow="Enabled"),
            auth_config=azure_native.dbforpostgresql.AuthConfigArgs(
                active_directory_auth="Enabled", password_auth="Disabled", tenant_id=args.tenant_id),
            network=azure_native.dbforpostgresql.NetworkArgs(
                delegated_subnet_resource_id=args.delegated_subnet_id,
                private_dns_zone_arm_resource_id=args.private_dns_zone_id,
                public_network_access="Disabled"),
            identity=azure_native.dbforpostgresql.UserAssignedIdentityArgs(
                type="UserAssigned", user_assigned_identities=identities),
            data_encryption=azure_native.dbforpostgresql.DataEncryptionArgs(
                type="AzureKeyVault",
                primary_key_uri=args.key.key_uri,
                primary_user_assigned_identity_id=args.key.identity_id,
                geo_backup_key_uri=geo.key_uri if geo else None,
                geo_backup_user_assigned_identity_id=geo.identity_id if geo else None),
            high_availability=azure_native.dbforpostgresql.HighAvailabilityArgs(mode=ha_mode),
            backup=azure_native.dbforpostgresql.BackupArgs(
                backup_retention_days=args.backup_retention_days,
                geo_redundant_backup="Enabled" if args.geo_redundant_backup else "Disabled"),
            tags=tags,
            # The key's identity must hold its role before the server first uses the key.
            opts=self.child_opts(depends_on=grants),
        )
        previous: pulumi.Resource = self.server
        for setting, value in TLS_SETTINGS.items():
            # Server parameters are applied one at a time (Azure refuses concurrent updates).
            previous = azure_native.dbforpostgresql.Configuration(
                "%s-%s" % (name, setting.replace("_", "-")),
                resource_group_name=self.resource_group_name,
                server_name=self.server.name,
                configuration_name=setting,
                value=value,
                source="user-override",
                opts=self.child_opts(depends_on=[previous]),
            )
        self._last_administrator: pulumi.Resource = azure_native.dbforpostgresql.Administrator(
            "%s-entra-admin" % name,
            resource_group_name=self.resource_group_name,
            server_name=self.server.name,
            object_id=args.entra_admin.object_id,
            principal_name=args.entra_admin.principal_name,
            principal_type=args.entra_admin.principal_type,
            tenant_id=args.tenant_id,
            opts=self.child_opts(depends_on=[previous]),
        )

        self.database = azure_native.dbforpostgresql.Database(
            "%s-%s" % (name, args.database_name.replace("_", "-")),
            resource_group_name=self.resource_group_name,
            server_name=self.server.name,
            database_name=args.database_name,
            charset="UTF8",
            collation="en_US.utf8",
            opts=self.child_opts(depends_on=[previous]),
        )
        self._name, self._tenant_id = name, args.tenant_id
        self.database_name = args.database_name
        self.server_name = self.server.name
        self.fqdn = self.server.fully_qualified_domain_name
        self.server_id = self.server.id
        self.register_outputs({"server_name": self.server_name, "fqdn": self.fqdn, "server_id": self.server_id})

    def add_entra_login(self, login: str, principal_id: pulumi.Input[str]) -> azure_native.dbforpostgresql.Administrator:
        """Let a managed identity (an application's workload identity) log in as ``login``, an Entra
        administrator of the server: ``login`` must be the identity's name (its service principal's
        display name), which becomes its PostgreSQL role. Applied after the previous administrator
        (Azure refuses concurrent administrator changes)."""
        if not isinstance(login, str) or not _LOGIN.match(login):
            raise ComponentInputError(
                "%s: login %r must be the managed identity's name, 3-63 lowercase letters, digits or underscores "
                "starting with a letter (it is also the PostgreSQL role name)" % (COMPONENT, login))
        self._last_administrator = azure_native.dbforpostgresql.Administrator(
            "%s-login-%s" % (self._name, login.replace("_", "-")),
            resource_group_name=self.resource_group_name,
            server_name=self.server.name,
            object_id=principal_id,
            principal_name=login,
            principal_type="ServicePrincipal",
            tenant_id=self._tenant_id,
            opts=self.child_opts(depends_on=[self._last_administrator]),
        )
        return self._last_administrator
