"""Customer-managed Key Vault keys, one per data class, each usable only by its own identity.

Why: one key per data class keeps a mistake (a wrong role, a disabled key) to one kind of data.
Every key rotates on a rotation policy (a new version at least yearly; a version expires after
``expiry_days``, Azure notifies 30 days before), is not exportable, and lives in an RBAC-mode
:class:`KeyVault`. Each data class whose service takes a user-assigned identity (storage, ACR,
PostgreSQL, the audit trail) gets one holding *Key Vault Crypto Service Encryption User* on that
one key only: the service encrypts through that identity, and nothing else can use the key. The
two classes whose service brings its own identity get none here (an identity no service uses
would only be a spare key holder): ``disks`` (the disk encryption set's system-assigned identity)
and ``cluster-secrets`` (the AKS control plane's identity); :class:`.Cluster` grants those on
the one key each.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import pulumi
import pulumi_azure_native as azure_native

from ..validation import ComponentInputError, require_name, require_non_empty
from .base import AzureComponent
from .key_vault import KeyVault
from .roles import assign_role

COMPONENT = "EncryptionKeys"
TYPE_TOKEN = "sahab:azure:EncryptionKeys"

# Data class -> (what it encrypts, key operations the service performs, whether the key comes with
# a user-assigned identity for the service).
DATA_CLASSES: Dict[str, Dict[str, object]] = {
    "artifacts": {"description": "datasets and model artifacts (Blob storage)", "ops": ["wrapKey", "unwrapKey"], "identity": True},
    "images": {"description": "container images (ACR)", "ops": ["wrapKey", "unwrapKey"], "identity": True},
    "database": {"description": "model registry database (PostgreSQL flexible server)", "ops": ["wrapKey", "unwrapKey"],
                 "identity": True},
    "disks": {"description": "node OS and data disks (disk encryption set)", "ops": ["wrapKey", "unwrapKey"], "identity": False},
    # AKS KMS etcd encryption calls encrypt/decrypt on the key, not wrap/unwrap.
    "cluster-secrets": {"description": "Kubernetes secrets in etcd (AKS KMS)", "ops": ["encrypt", "decrypt"], "identity": False},
    "logs": {"description": "audit records (immutable Blob storage, Log Analytics dedicated cluster)", "ops": ["wrapKey", "unwrapKey"],
             "identity": True},
}
KEY_SIZE = 3072


@dataclass(frozen=True)
class CustomerManagedKey:
    """A key and the identity allowed to use it, as a service component needs them.

    ``key_uri`` is versionless, so services that support it follow rotation; ``grant`` is the role
    assignment a service must wait for (``depends_on``) before it first uses the key. The identity
    fields and ``grant`` are None for a class whose service brings its own identity.
    """

    data_class: str
    key_id: pulumi.Input[str]
    key_name: pulumi.Input[str]
    key_uri: pulumi.Input[str]
    key_uri_with_version: pulumi.Input[str]
    vault_id: pulumi.Input[str]
    vault_uri: pulumi.Input[str]
    identity_id: Optional[pulumi.Input[str]]
    identity_client_id: Optional[pulumi.Input[str]]
    identity_principal_id: Optional[pulumi.Input[str]]
    location: str
    grant: Optional[pulumi.Resource] = None


@dataclass
class EncryptionKeysArgs:
    """``vault`` (a sahab :class:`KeyVault`) is required; the keys and identities go in its group."""

    vault: KeyVault
    data_classes: Sequence[str] = field(default_factory=lambda: list(DATA_CLASSES))
    rotation_days: int = 365
    expiry_days: int = 730


def _validate(name: str, args: EncryptionKeysArgs) -> None:
    if not isinstance(args.vault, KeyVault):
        raise ComponentInputError("%s: vault must be a sahab azure KeyVault, got %s" % (COMPONENT, type(args.vault).__name__))
    require_name(COMPONENT, name)
    classes = list(args.data_classes)
    require_non_empty(COMPONENT, "data_classes", classes)
    for data_class in classes:
        if data_class not in DATA_CLASSES:
            raise ComponentInputError(
                "%s: data class %r is unknown; choose from: %s" % (COMPONENT, data_class, ", ".join(DATA_CLASSES))
            )
    if len(set(classes)) != len(classes):
        raise ComponentInputError("%s: data_classes %s lists a class twice" % (COMPONENT, classes))
    for argument, value, low, high in (("rotation_days", args.rotation_days, 28, 365), ("expiry_days", args.expiry_days, 28, 3650)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ComponentInputError("%s: %s must be a whole number from %d to %d, got %r" % (COMPONENT, argument, low, high, value))
    # Key Vault refuses a rotation that would come after the version expired (and wants a week's margin).
    if args.rotation_days > args.expiry_days - 7:
        raise ComponentInputError(
            "%s: rotation_days (%d) must be at least 7 days shorter than expiry_days (%d), so a new version exists before the old one expires"
            % (COMPONENT, args.rotation_days, args.expiry_days)
        )


class EncryptionKeys(AzureComponent):
    """One rotating key per data class, and a user-assigned identity for each class that takes one."""

    keys: Dict[str, CustomerManagedKey]

    def __init__(self, name: str, args: EncryptionKeysArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        _validate(name, args)
        vault = args.vault
        super().__init__(TYPE_TOKEN, name, provider=vault.provider, location=vault.location,
                         resource_group=vault.resource_group, opts=opts)
        hsm = vault.sku == "premium"
        self.keys = {}
        for data_class in args.data_classes:
            ops: List[str] = list(DATA_CLASSES[data_class]["ops"])  # type: ignore[call-overload]
            key = azure_native.keyvault.Key(
                "%s-%s" % (name, data_class),
                resource_group_name=vault.resource_group_name,
                vault_name=vault.vault_name,
                properties=azure_native.keyvault.KeyPropertiesArgs(
                    kty="RSA-HSM" if hsm else "RSA",
                    key_size=KEY_SIZE,
                    key_ops=ops,
                    attributes=azure_native.keyvault.KeyAttributesArgs(enabled=True, exportable=False),
                    rotation_policy=azure_native.keyvault.RotationPolicyArgs(
                        attributes=azure_native.keyvault.KeyRotationPolicyAttributesArgs(expiry_time="P%dD" % args.expiry_days),
                        lifetime_actions=[
                            azure_native.keyvault.LifetimeActionArgs(
                                action=azure_native.keyvault.ActionArgs(type="rotate"),
                                trigger=azure_native.keyvault.TriggerArgs(time_after_create="P%dD" % args.rotation_days),
                            ),
                            azure_native.keyvault.LifetimeActionArgs(
                                action=azure_native.keyvault.ActionArgs(type="notify"),
                                trigger=azure_native.keyvault.TriggerArgs(time_before_expiry="P30D"),
                            ),
                        ],
                    ),
                ),
                opts=self.child_opts(),
            )
            holder: Dict[str, object] = dict(identity_id=None, identity_client_id=None, identity_principal_id=None, grant=None)
            if DATA_CLASSES[data_class]["identity"]:
                identity = azure_native.managedidentity.UserAssignedIdentity(
                    "%s-%s" % (name, data_class),
                    resource_group_name=self.resource_group_name,
                    location=self.location,
                    opts=self.child_opts(),
                )
                grant = assign_role("%s-%s" % (name, data_class), principal_id=identity.principal_id,
                                    role="Key Vault Crypto Service Encryption User", scope=key.id, opts=self.child_opts())
                holder = dict(identity_id=identity.id, identity_client_id=identity.client_id,
                              identity_principal_id=identity.principal_id, grant=grant)
            self.keys[data_class] = CustomerManagedKey(
                data_class=data_class, key_id=key.id, key_name=key.name, key_uri=key.key_uri,
                key_uri_with_version=key.key_uri_with_version, vault_id=vault.vault_id, vault_uri=vault.vault_uri,
                location=self.location, **holder,  # type: ignore[arg-type]
            )
        self.register_outputs({"key_ids": {c: k.key_id for c, k in self.keys.items()}})

    def key(self, data_class: str) -> CustomerManagedKey:
        """The key of ``data_class``, e.g. ``keys.key("artifacts")`` for an ArtifactStore."""
        if data_class not in self.keys:
            raise ComponentInputError(
                "%s: no key for data class %r; this component has: %s" % (COMPONENT, data_class, ", ".join(self.keys))
            )
        return self.keys[data_class]


def require_customer_managed_key(component: str, argument: str, value: object, location: str,
                                 data_class: Optional[str] = None) -> CustomerManagedKey:
    """A key argument: a :class:`CustomerManagedKey` in the component's own location (Azure
    requires the vault of a CMK in the region of the resource it encrypts)."""
    if not isinstance(value, CustomerManagedKey):
        raise ComponentInputError(
            "%s: %s is required (a CustomerManagedKey, e.g. EncryptionKeys.key(%r)), got %r"
            % (component, argument, data_class or "artifacts", value)
        )
    if value.location != location:
        raise ComponentInputError(
            "%s: %s is a key in %s but the component is in %s; use a key vault in %s" % (component, argument, value.location, location, location)
        )
    if value.identity_id is None and (data_class is None or DATA_CLASSES[data_class]["identity"]):
        raise ComponentInputError(
            "%s: %s is the %r key, which comes without an identity for the service to encrypt through; pass "
            "EncryptionKeys.key(%r)" % (component, argument, value.data_class, data_class or "artifacts"))
    return value
