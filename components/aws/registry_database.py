"""PostgreSQL for the model registry (MLflow's backend store), private and encrypted.

Why each default:

* No password anywhere in the program or state: RDS generates the master password and keeps it
  in Secrets Manager, encrypted with ``master_user_secret_kms_key_arn`` (the ``secrets`` class of
  :class:`.EncryptionKeys`): Secrets Manager, not RDS, calls KMS for that secret, so the storage
  key (usable only through RDS) would refuse it. Applications should use IAM database
  authentication, which is switched on.
* Storage, snapshots and Performance Insights are encrypted with the caller's key (required,
  in the UAE); ``rds.force_ssl = 1`` refuses unencrypted connections.
* Private subnets only, ``publicly_accessible = false``, and a security group that opens 5432 to
  the given security groups / private VPC CIDRs only — never ``0.0.0.0/0``.
* Backups (7 days by default, at least 1), tags copied to snapshots, a final snapshot on delete.
* ``production=True`` (the default) forces deletion protection and Multi-AZ. A non-production
  database may turn them off; the plan then shows ``deletionProtection: false`` /
  ``multiAz: false`` and a ``sahab:exception`` tag.
* The engine version is pinned (default 16.4), so automatic minor upgrades are off: upgrades are
  a reviewed change of ``engine_version``, not drift between code and the database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

from ..validation import ComponentInputError, input_list, known_length, require_name
from .base import AwsComponent
from .catalogue import UAE_AWS_REGION
from .arguments import require_kms_key_arn
from .private_ingress import private_ingress, require_sources
from .provider import UaeProvider, resolve_provider

COMPONENT = "RegistryDatabase"
TYPE_TOKEN = "sahab:aws:RegistryDatabase"
POSTGRES_PORT = 5432
DEFAULT_ENGINE_VERSION = "16.4"
_ENGINE_VERSION = re.compile(r"^(?P<major>\d{2})\.\d+$")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(kw_only=True)
class RegistryDatabaseArgs:
    """Where the database lives and who may connect.

    ``allowed_security_group_ids`` (e.g. the cluster security group) and/or
    ``allowed_cidr_blocks`` (private VPC ranges) are the only sources allowed on port 5432.
    """

    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    kms_key_arn: pulumi.Input[str]
    master_user_secret_kms_key_arn: pulumi.Input[str]
    allowed_security_group_ids: Sequence[pulumi.Input[str]] = ()
    allowed_cidr_blocks: Sequence[str] = ()
    production: bool = True
    deletion_protection: bool = True
    multi_az: bool = True
    engine_version: str = DEFAULT_ENGINE_VERSION
    instance_class: str = "db.m6g.large"
    allocated_storage_gib: int = 50
    max_allocated_storage_gib: int = 200
    backup_retention_days: int = 7
    db_name: str = "mlflow"
    master_username: str = "registry_admin"
    performance_insights_retention_days: int = 7
    tags: Mapping[str, str] = field(default_factory=dict)
    provider: Optional[UaeProvider] = None
    region: str = UAE_AWS_REGION


def _validate(name: str, args: RegistryDatabaseArgs) -> str:
    """Every check before anything is registered; returns the PostgreSQL major version."""
    resolve_provider(COMPONENT, args.provider, args.region)
    require_name(COMPONENT, name)
    if not args.vpc_id:
        raise ComponentInputError("%s: vpc_id is required (the VPC of the private subnets)" % COMPONENT)
    subnet_count = known_length(args.subnet_ids)
    if subnet_count is not None and subnet_count < 2:
        raise ComponentInputError(
            "%s: subnet_ids needs private subnets in at least two availability zones, got %d" % (COMPONENT, subnet_count)
        )
    require_kms_key_arn(COMPONENT, "kms_key_arn", args.kms_key_arn, allow_alias=False)
    require_kms_key_arn(COMPONENT, "master_user_secret_kms_key_arn", args.master_user_secret_kms_key_arn, allow_alias=False)
    if args.production:
        if not args.deletion_protection:
            raise ComponentInputError(
                "%s: a production database keeps deletion_protection=True; "
                "pass production=False to turn it off outside production" % COMPONENT
            )
        if not args.multi_az:
            raise ComponentInputError(
                "%s: a production database keeps multi_az=True; pass production=False for a single-AZ database"
                % COMPONENT
            )
    require_sources(COMPONENT, args.allowed_security_group_ids, args.allowed_cidr_blocks)
    match = _ENGINE_VERSION.match(args.engine_version or "")
    if match is None or int(match.group("major")) < 13:
        raise ComponentInputError(
            "%s: engine_version %r must be a pinned PostgreSQL version (13 or later) such as %r"
            % (COMPONENT, args.engine_version, DEFAULT_ENGINE_VERSION)
        )
    if not 1 <= args.backup_retention_days <= 35:
        raise ComponentInputError(
            "%s: backup_retention_days must be between 1 and 35, got %d" % (COMPONENT, args.backup_retention_days)
        )
    if not 20 <= args.allocated_storage_gib <= args.max_allocated_storage_gib:
        raise ComponentInputError(
            "%s: allocated_storage_gib (%d) must be >= 20 and <= max_allocated_storage_gib (%d)"
            % (COMPONENT, args.allocated_storage_gib, args.max_allocated_storage_gib)
        )
    for argument in ("db_name", "master_username"):
        value = getattr(args, argument)
        if not isinstance(value, str) or not _IDENTIFIER.match(value):
            raise ComponentInputError(
                "%s: %s %r must start with a letter and use lowercase letters, digits or underscores" % (COMPONENT, argument, value)
            )
    if args.performance_insights_retention_days not in (7, 31, 62, 93, 186, 372, 731):
        raise ComponentInputError(
            "%s: performance_insights_retention_days must be 7, 31 (a month) or a multiple of 31 up to 731"
            % COMPONENT
        )
    return match.group("major")


class RegistryDatabase(AwsComponent):
    """An RDS PostgreSQL instance for the model registry, pinned to the UAE."""

    endpoint: pulumi.Output[str]
    address: pulumi.Output[str]
    port: pulumi.Output[int]
    db_name: pulumi.Output[str]
    master_user_secret_arn: pulumi.Output[Optional[str]]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: RegistryDatabaseArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        major = _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, region=args.region, opts=opts)
        tags = {**dict(args.tags), "sahab:component": COMPONENT}

        subnet_group = aws.rds.SubnetGroup(
            name,
            description="sahab RegistryDatabase %s: private subnets" % name,
            subnet_ids=input_list(args.subnet_ids),
            tags=tags,
            opts=self.child_opts(),
        )
        parameter_group = aws.rds.ParameterGroup(
            name,
            family="postgres%s" % major,
            description="sahab RegistryDatabase %s: TLS only, connection logging" % name,
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1"),
                aws.rds.ParameterGroupParameterArgs(name="log_connections", value="1"),
                aws.rds.ParameterGroupParameterArgs(name="log_disconnections", value="1"),
            ],
            tags=tags,
            opts=self.child_opts(),
        )
        security_group = private_ingress(
            self, "%s-db" % name, service="PostgreSQL",
            description="sahab RegistryDatabase %s: PostgreSQL from allowed sources only" % name,
            vpc_id=args.vpc_id, port=POSTGRES_PORT, security_group_ids=args.allowed_security_group_ids,
            cidr_blocks=args.allowed_cidr_blocks, tags=tags)

        exceptions: List[str] = []
        if not args.deletion_protection:
            exceptions.append("deletion-protection-off")
        if not args.multi_az:
            exceptions.append("single-az")
        instance_tags = dict(tags)
        if exceptions:
            instance_tags["sahab:exception"] = ",".join(exceptions)

        self.instance = aws.rds.Instance(
            name,
            engine="postgres",
            engine_version=args.engine_version,
            auto_minor_version_upgrade=False,
            allow_major_version_upgrade=False,
            instance_class=args.instance_class,
            db_name=args.db_name,
            username=args.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.master_user_secret_kms_key_arn,
            iam_database_authentication_enabled=True,
            port=POSTGRES_PORT,
            storage_type="gp3",
            allocated_storage=args.allocated_storage_gib,
            max_allocated_storage=args.max_allocated_storage_gib,
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            publicly_accessible=False,
            parameter_group_name=parameter_group.name,
            multi_az=args.multi_az,
            deletion_protection=args.deletion_protection,
            backup_retention_period=args.backup_retention_days,
            copy_tags_to_snapshot=True,
            skip_final_snapshot=False,
            final_snapshot_identifier="final-%s" % re.sub("-+", "-", name),
            delete_automated_backups=False,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=args.kms_key_arn,
            performance_insights_retention_period=args.performance_insights_retention_days,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            tags=instance_tags,
            opts=self.child_opts(),
        )

        self.endpoint = self.instance.endpoint
        self.address = self.instance.address
        self.port = self.instance.port
        self.db_name = self.instance.db_name
        self.master_user_secret_arn = self.instance.master_user_secrets.apply(
            lambda secrets: secrets[0].secret_arn if secrets else None)
        self.security_group_id = security_group.id
        self.register_outputs({
            "endpoint": self.endpoint,
            "address": self.address,
            "port": self.port,
            "db_name": self.db_name,
            "master_user_secret_arn": self.master_user_secret_arn,
            "security_group_id": self.security_group_id,
        })
