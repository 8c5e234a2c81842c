"""Azure components for the UAE MLOps platform, pinned to uaenorth / uaecentral (pulumi-azure-native 3.x).

Every component takes a :class:`UaeAzureProvider` (or creates one) and a :class:`UaeResourceGroup`
(or creates one), refuses a non-UAE location, zones where the location has none and redundancy
that leaves the UAE pair before registering anything, and hands the provider to every child.
"""
from .arguments import (
    DEFAULT_LOCATION, STORAGE_SKUS, paired_location, require_geo_redundancy, require_location, require_replica_locations,
    require_storage_sku, require_uuid, require_zone_redundancy, require_zones, zones_of,
)
from .artifact_store import ArtifactStore, ArtifactStoreArgs
from .audit_trail import AuditTarget, AuditTrail, AuditTrailArgs
from .base import AzureComponent
from .ci_identity import CiIdentity, CiIdentityArgs, GithubBinding, GitlabBinding
from .cluster import Cluster, ClusterArgs
from .encryption_keys import CustomerManagedKey, EncryptionKeys, EncryptionKeysArgs
from .gpu_catalogue import GpuCatalogue, GpuSize, load_gpu_catalogue
from .gpu_training_pool import GpuTrainingPool, GpuTrainingPoolArgs
from .image_registry import ImageRegistry, ImageRegistryArgs
from .inference_pool import InferencePool, InferencePoolArgs
from .key_vault import KeyVault, KeyVaultArgs
from .network import Network, NetworkArgs
from .node_pool import NodeTaint
from .platform_secrets import PlatformSecrets, PlatformSecretsArgs
from .private_link import PrivateLink
from .provider import UaeAzureProvider, UaeResourceGroup, resolve_placement
from .registry_database import EntraAdmin, RegistryDatabase, RegistryDatabaseArgs
from .secret_store import KeyVaultStore, KeyVaultStoreArgs
from .workload_identity import RoleGrant, WorkloadIdentity, WorkloadIdentityArgs

__all__ = [
    "ArtifactStore", "ArtifactStoreArgs", "AzureComponent", "CustomerManagedKey", "DEFAULT_LOCATION", "EncryptionKeys",
    "EncryptionKeysArgs", "ImageRegistry", "ImageRegistryArgs", "KeyVault", "KeyVaultArgs", "Network", "NetworkArgs",
    "PrivateLink", "STORAGE_SKUS", "UaeAzureProvider", "UaeResourceGroup", "paired_location",
    "require_geo_redundancy", "require_location", "require_replica_locations", "require_storage_sku",
    "require_uuid", "require_zone_redundancy", "require_zones", "resolve_placement", "zones_of",
    # compute, database and CI identity
    "CiIdentity", "CiIdentityArgs", "Cluster", "ClusterArgs", "EntraAdmin", "GithubBinding", "GitlabBinding", "GpuCatalogue",
    "GpuSize", "GpuTrainingPool", "GpuTrainingPoolArgs", "InferencePool", "InferencePoolArgs", "NodeTaint", "RegistryDatabase",
    "RegistryDatabaseArgs", "RoleGrant", "WorkloadIdentity", "WorkloadIdentityArgs", "load_gpu_catalogue",
    # audit trail
    "AuditTarget", "AuditTrail", "AuditTrailArgs",
    # secrets for the Kubernetes platform services
    "KeyVaultStore", "KeyVaultStoreArgs", "PlatformSecrets", "PlatformSecretsArgs",
]
