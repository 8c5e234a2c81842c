"""The AKS cluster for the platform: private, Entra-only, encrypted with the customer's key, pinned.

Why each default:

* Private cluster: the API server has only a private endpoint (``enablePrivateCluster``, no public
  FQDN, ``publicNetworkAccess: Disabled``) and is injected into its own subnet (API Server VNet
  Integration, ``api_server_subnet_id``, delegated to ``Microsoft.ContainerService/managedClusters``);
  ``az aks command invoke`` (run command) is off.
* Kubernetes Secrets in etcd are envelope-encrypted with the ``cluster-secrets`` key (Key Vault
  KMS, ``keyVaultNetworkAccess: Private``; AKS reaches a private vault only with API Server VNet
  Integration). AKS's KMS plugin takes a versioned key ID: after the key rotates, the next
  ``pulumi up`` moves the cluster to the new version.
* Entra ID for every login: ``aadProfile.managed`` with Azure RBAC for Kubernetes authorization,
  ``disableLocalAccounts`` (no static admin kubeconfig exists); admins are the Entra groups in
  ``admin_group_object_ids``.
* Workload identity and the OIDC issuer are on, so pods get Entra tokens for their own managed
  identity (:class:`.WorkloadIdentity`) and never node credentials.
* Network policy (Cilium by default) on Azure CNI overlay; nodes never get public IPs.
* OS and data disks are encrypted with the ``disks`` customer-managed key of
  :class:`.EncryptionKeys` through a disk encryption set (``rotationToLatestKeyVersionEnabled``,
  so it follows the key's rotation). The set's own identity (Azure creates disk encryption sets
  with a system-assigned identity) is granted "Key Vault Crypto Service Encryption User" on that
  one key only. The vault must let trusted Azure services through when its public access is off.
* The Kubernetes minor version is pinned in code (patch releases apply through the ``patch``
  upgrade channel; node OS images through ``NodeImage``); a new minor is a reviewed diff.
* The control plane runs as a user-assigned identity (KMS refuses a system-assigned one) that is
  granted, before the cluster exists: Network Contributor on the node and API server subnets,
  Reader on the disk encryption set, Key Vault Crypto User on the ``cluster-secrets`` key only, and
  Key Vault Contributor on that key's vault (AKS creates its own private endpoint to a private
  vault; in an RBAC-mode vault this role manages the vault but reads no key or secret). The node
  resource group is read-only.
* The system pool runs only critical add-ons (``CriticalAddonsOnly=true:NoSchedule``); workloads go
  to GpuTrainingPool / InferencePool. It carries the node bootstrap's AKS settings like the user
  pools (:func:`~..node_bootstrap.aks_node_configuration`, ``system_bootstrap``; SAHAB-NOD-002):
  SSH off by default, no unsafe sysctls, swap off.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence, Tuple

import pulumi
import pulumi_azure_native as azure_native

from ..kubernetes.storage import EncryptedVolumes
from ..node_bootstrap import NodeBootstrap, aks_node_configuration
from ..regions import canonical_region
from ..validation import ComponentInputError, require_choice, require_name, require_size_range
from .arguments import DEFAULT_LOCATION, require_uuid, require_zones, zones_of
from .base import AzureComponent
from .gpu_catalogue import is_gpu_size_name
from .encryption_keys import CustomerManagedKey, require_customer_managed_key
from .provider import UaeAzureProvider, UaeResourceGroup, resolve_placement
from .references import require_resource_id
from .roles import assign_role

COMPONENT = "Cluster"
TYPE_TOKEN = "sahab:azure:Cluster"
DEFAULT_KUBERNETES_VERSION = "1.33"
NETWORK_POLICIES: Tuple[str, ...] = ("cilium", "azure", "calico")
OUTBOUND_TYPES: Tuple[str, ...] = ("loadBalancer", "userDefinedRouting", "managedNATGateway", "userAssignedNATGateway")
SKU_TIERS: Tuple[str, ...] = ("Free", "Standard", "Premium")
SYSTEM_TAINT = "CriticalAddonsOnly=true:NoSchedule"
# The Azure Disk CSI driver (an AKS default add-on) and the SKUs a volume may take
# (kubernetes-sigs/azuredisk-csi-driver docs/driver-parameters.md).
AZURE_DISK_CSI_PROVISIONER = "disk.csi.azure.com"
DISK_SKUS = ("Premium_LRS", "Premium_ZRS", "StandardSSD_LRS", "StandardSSD_ZRS")
_VERSION = re.compile(r"^1\.\d{2}$")
_VM_SIZE = re.compile(r"^Standard_[A-Za-z0-9_]+$", re.IGNORECASE)


@dataclass(kw_only=True)
class ClusterArgs:
    """The node and API server subnets, the ``disks`` and ``cluster-secrets`` keys of EncryptionKeys and
    the Entra admin groups.

    ``zones=None`` spreads the system pool over every zone of the location (none in uaecentral).
    ``system_bootstrap`` is the system pool's node bootstrap (SSH disabled by default; see
    docs/node-bootstrap.md).
    """

    subnet_id: pulumi.Input[str]
    api_server_subnet_id: pulumi.Input[str]
    disk_key: CustomerManagedKey
    secrets_key: CustomerManagedKey
    admin_group_object_ids: Sequence[str]
    tenant_id: Optional[str] = None
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    cluster_name: Optional[str] = None
    system_vm_size: str = "Standard_D4ds_v5"
    system_min_count: int = 2
    system_max_count: int = 3
    zones: Optional[Sequence[str]] = None
    system_bootstrap: NodeBootstrap = field(default_factory=NodeBootstrap)
    network_policy: str = "cilium"
    outbound_type: str = "loadBalancer"
    pod_cidr: str = "10.244.0.0/16"
    service_cidr: str = "10.0.0.0/16"
    dns_service_ip: str = "10.0.0.10"
    sku_tier: str = "Standard"
    tags: Mapping[str, str] = field(default_factory=dict)
    location: str = DEFAULT_LOCATION
    provider: Optional[UaeAzureProvider] = None
    resource_group: Optional[UaeResourceGroup] = None


def _validate(name: str, args: ClusterArgs) -> Tuple[str, Tuple[str, ...]]:
    """Every check before anything is registered; returns the AKS cluster name and the zones."""
    resolve_placement(COMPONENT, args.provider, args.location, args.resource_group)
    require_name(COMPONENT, name)
    cluster_name = require_name(COMPONENT, args.cluster_name) if args.cluster_name is not None else name
    require_resource_id(COMPONENT, "subnet_id", args.subnet_id, "Microsoft.Network/virtualNetworks")
    require_resource_id(COMPONENT, "api_server_subnet_id", args.api_server_subnet_id, "Microsoft.Network/virtualNetworks")
    require_customer_managed_key(COMPONENT, "disk_key", args.disk_key, canonical_region(args.location), "disks")
    require_customer_managed_key(COMPONENT, "secrets_key", args.secrets_key, canonical_region(args.location), "cluster-secrets")
    if not args.admin_group_object_ids:
        raise ComponentInputError(
            "%s: admin_group_object_ids must name at least one Entra ID group (local accounts are disabled, "
            "so nobody else could administer the cluster)" % COMPONENT)
    for index, group in enumerate(args.admin_group_object_ids):
        require_uuid(COMPONENT, "admin_group_object_ids[%d]" % index, group)
    if args.tenant_id is not None:
        require_uuid(COMPONENT, "tenant_id", args.tenant_id)
    if not isinstance(args.kubernetes_version, str) or not _VERSION.match(args.kubernetes_version):
        raise ComponentInputError(
            "%s: kubernetes_version %r must be a pinned minor version such as %r"
            % (COMPONENT, args.kubernetes_version, DEFAULT_KUBERNETES_VERSION))
    if not isinstance(args.system_vm_size, str) or not _VM_SIZE.match(args.system_vm_size) or is_gpu_size_name(args.system_vm_size):
        raise ComponentInputError(
            "%s: system_vm_size %r must be a CPU VM size such as 'Standard_D4ds_v5'" % (COMPONENT, args.system_vm_size))
    require_size_range(COMPONENT, args.system_min_count, args.system_max_count, allow_zero=False,
                       names=("system_min_count", "system_max_count"))
    if not isinstance(args.system_bootstrap, NodeBootstrap):
        raise ComponentInputError(
            "%s: system_bootstrap must be a NodeBootstrap(ssh=...), got %r" % (COMPONENT, args.system_bootstrap))
    args.system_bootstrap.validate(COMPONENT)
    require_choice(COMPONENT, "network_policy", args.network_policy, NETWORK_POLICIES)
    require_choice(COMPONENT, "outbound_type", args.outbound_type, OUTBOUND_TYPES)
    require_choice(COMPONENT, "sku_tier", args.sku_tier, SKU_TIERS)
    _validate_cidrs(args)
    location = canonical_region(args.location)
    zones = zones_of(location) if args.zones is None else require_zones(COMPONENT, location, args.zones)
    return cluster_name, zones


def _validate_cidrs(args: ClusterArgs) -> None:
    networks = {}
    for argument in ("pod_cidr", "service_cidr"):
        value = getattr(args, argument)
        try:
            networks[argument] = ipaddress.ip_network(value, strict=True)
        except (TypeError, ValueError):
            raise ComponentInputError("%s: %s %r is not a CIDR block" % (COMPONENT, argument, value)) from None
        if not networks[argument].is_private:
            raise ComponentInputError("%s: %s %s must be a private range" % (COMPONENT, argument, value))
    if networks["pod_cidr"].overlaps(networks["service_cidr"]):
        raise ComponentInputError("%s: pod_cidr %s overlaps service_cidr %s" % (COMPONENT, args.pod_cidr, args.service_cidr))
    try:
        dns = ipaddress.ip_address(args.dns_service_ip)
    except (TypeError, ValueError):
        dns = None
    if dns is None or dns not in networks["service_cidr"]:
        raise ComponentInputError(
            "%s: dns_service_ip %r must be an address inside service_cidr %s" % (COMPONENT, args.dns_service_ip, args.service_cidr))


class Cluster(AzureComponent):
    """A private AKS cluster with Entra ID RBAC, workload identity and customer-managed disk keys."""

    cluster_name: pulumi.Output[str]
    cluster_id: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    private_fqdn: pulumi.Output[str]
    disk_encryption_set_id: pulumi.Output[str]
    control_plane_identity_id: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        cluster_name, zones = _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, location=args.location,
                         resource_group=args.resource_group, opts=opts)
        tags = {**dict(args.tags), "sahab:component": COMPONENT}

        self.control_plane_identity = azure_native.managedidentity.UserAssignedIdentity(
            "%s-control-plane" % name, resource_group_name=self.resource_group_name, location=self.location,
            tags=tags, opts=self.child_opts())
        control_plane = self.control_plane_identity.principal_id
        grants = [
            assign_role("%s-control-plane-%s" % (name, label), principal_id=control_plane, role=role, scope=scope,
                        opts=self.child_opts())
            for label, role, scope in (
                ("subnet", "Network Contributor", args.subnet_id),
                ("apiserver-subnet", "Network Contributor", args.api_server_subnet_id),
                ("secrets-key", "Key Vault Crypto User", args.secrets_key.key_id),
                ("secrets-vault", "Key Vault Contributor", args.secrets_key.vault_id),
            )
        ]

        self.disk_encryption_set = azure_native.compute.DiskEncryptionSet(
            "%s-disks" % name,
            resource_group_name=self.resource_group_name,
            location=self.location,
            encryption_type="EncryptionAtRestWithCustomerKey",
            active_key=azure_native.compute.KeyForDiskEncryptionSetArgs(
                # A disk encryption set needs the versioned key URL; it then follows rotations.
                key_url=args.disk_key.key_uri_with_version,
                source_vault=azure_native.compute.SourceVaultArgs(id=args.disk_key.vault_id)),
            rotation_to_latest_key_version_enabled=True,
            identity=azure_native.compute.EncryptionSetIdentityArgs(type="SystemAssigned"),
            tags=tags,
            opts=self.child_opts(),
        )
        key_grant = assign_role("%s-disks-key" % name,
                                principal_id=self.disk_encryption_set.identity.apply(lambda i: i.principal_id if i else None),
                                role="Key Vault Crypto Service Encryption User", scope=args.disk_key.key_id,
                                opts=self.child_opts())

        # "Ensure your AKS cluster identity has read permission of DiskEncryptionSet" (AKS BYOK docs).
        grants.append(assign_role("%s-control-plane-disks" % name, principal_id=control_plane, role="Reader",
                                  scope=self.disk_encryption_set.id, opts=self.child_opts()))
        grants.append(key_grant)

        network_policy = args.network_policy
        self.managed_cluster = azure_native.containerservice.ManagedCluster(
            name,
            resource_name_=cluster_name,
            resource_group_name=self.resource_group_name,
            location=self.location,
            kubernetes_version=args.kubernetes_version,
            dns_prefix=cluster_name,
            sku=azure_native.containerservice.ManagedClusterSKUArgs(name="Base", tier=args.sku_tier),
            identity=azure_native.containerservice.ManagedClusterIdentityArgs(
                type="UserAssigned", user_assigned_identities=[self.control_plane_identity.id]),
            enable_rbac=True,
            disable_local_accounts=True,
            aad_profile=azure_native.containerservice.ManagedClusterAADProfileArgs(
                managed=True, enable_azure_rbac=True, admin_group_object_ids=list(args.admin_group_object_ids),
                tenant_id=args.tenant_id),
            api_server_access_profile=azure_native.containerservice.ManagedClusterAPIServerAccessProfileArgs(
                enable_private_cluster=True, private_dns_zone="system", enable_private_cluster_public_fqdn=False,
                disable_run_command=True, enable_vnet_integration=True, subnet_id=args.api_server_subnet_id),
            public_network_access="Disabled",
            oidc_issuer_profile=azure_native.containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=azure_native.containerservice.ManagedClusterSecurityProfileArgs(
                workload_identity=azure_native.containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(enabled=True),
                azure_key_vault_kms=azure_native.containerservice.AzureKeyVaultKmsArgs(
                    enabled=True, key_id=args.secrets_key.key_uri_with_version, key_vault_network_access="Private",
                    key_vault_resource_id=args.secrets_key.vault_id),
                image_cleaner=azure_native.containerservice.ManagedClusterSecurityProfileImageCleanerArgs(
                    enabled=True, interval_hours=48)),
            disk_encryption_set_id=self.disk_encryption_set.id,
            network_profile=azure_native.containerservice.ContainerServiceNetworkProfileArgs(
                network_plugin="azure", network_plugin_mode="overlay", network_policy=network_policy,
                network_dataplane="cilium" if network_policy == "cilium" else "azure",
                outbound_type=args.outbound_type, pod_cidr=args.pod_cidr, service_cidr=args.service_cidr,
                dns_service_ip=args.dns_service_ip),
            auto_upgrade_profile=azure_native.containerservice.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel="patch", node_os_upgrade_channel="NodeImage"),
            node_resource_group_profile=azure_native.containerservice.ManagedClusterNodeResourceGroupProfileArgs(
                restriction_level="ReadOnly"),
            agent_pool_profiles=[azure_native.containerservice.ManagedClusterAgentPoolProfileArgs(
                name="system",
                mode="System",
                os_type="Linux",
                # Ubuntu like the pools: the NVIDIA GPU operator refuses a cluster of mixed node OSes.
                os_sku="Ubuntu",
                vm_size=args.system_vm_size,
                count=args.system_min_count,
                enable_auto_scaling=True,
                min_count=args.system_min_count,
                max_count=args.system_max_count,
                availability_zones=list(zones) or None,
                vnet_subnet_id=args.subnet_id,
                enable_node_public_ip=False,
                enable_encryption_at_host=True,
                os_disk_type="Managed",
                node_taints=[SYSTEM_TAINT],
                **aks_node_configuration(args.system_bootstrap),
            )],
            tags=tags,
            # The autoscaler owns the system pool's current count.
            opts=self.child_opts(depends_on=grants, ignore_changes=["agentPoolProfiles[0].count"]),
        )

        self.cluster_name = self.managed_cluster.name
        self.cluster_id = self.managed_cluster.id
        self.oidc_issuer_url = self.managed_cluster.oidc_issuer_profile.apply(lambda p: p.issuer_url if p else None)
        self.private_fqdn = self.managed_cluster.private_fqdn
        self.disk_encryption_set_id = self.disk_encryption_set.id
        self.control_plane_identity_id = self.control_plane_identity.id
        self.register_outputs({
            "cluster_name": self.cluster_name,
            "cluster_id": self.cluster_id,
            "oidc_issuer_url": self.oidc_issuer_url,
            "private_fqdn": self.private_fqdn,
            "disk_encryption_set_id": self.disk_encryption_set_id,
            "control_plane_identity_id": self.control_plane_identity_id,
        })

    def encrypted_volumes(self, sku: str = "Premium_LRS") -> EncryptedVolumes:
        """Volumes the Azure Disk CSI driver creates encrypted with the ``disks`` customer managed
        key, through the cluster's own disk encryption set (which the control plane identity may
        read), for an :class:`~sahab.components.kubernetes.storage.EncryptedStorageClass`."""
        require_choice(COMPONENT, "sku", sku, DISK_SKUS)
        return EncryptedVolumes(
            provisioner=AZURE_DISK_CSI_PROVISIONER,
            parameters={"skuName": sku, "diskEncryptionSetID": self.disk_encryption_set_id},
            key="diskEncryptionSetID",
            description="Azure managed disks (%s) encrypted with the disks customer managed key" % sku)
