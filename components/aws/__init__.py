"""AWS components for the UAE MLOps platform, pinned to me-central-1 (pulumi-aws v7).

Every component takes a :class:`UaeProvider` (or creates one), refuses a non-UAE region before
registering anything, and hands the provider to every child.
"""
from .artifact_store import ArtifactStore, ArtifactStoreArgs
from .audit_trail import AuditTrail, AuditTrailArgs
from .base import AwsComponent
from .catalogue import UAE_AWS_REGION, UAE_AWS_REGIONS, RegionCatalogue, load_catalogue
from .ci_identity import CiIdentity, CiIdentityArgs, GithubBinding, GitlabBinding
from .cluster import Cluster, ClusterArgs
from .encryption_keys import EncryptionKeys, EncryptionKeysArgs
from .gpu_training_pool import GpuTrainingPool, GpuTrainingPoolArgs
from .image_registry import ImageRegistry, ImageRegistryArgs
from .inference_pool import InferencePool, InferencePoolArgs
from .network import Network, NetworkArgs
from .node_pool import NodeTaint
from .online_store_cache import OnlineStoreCache, OnlineStoreCacheArgs
from .platform_secrets import GeneratedSecret, PlatformSecrets, PlatformSecretsArgs
from .provider import UaeProvider
from .registry_database import RegistryDatabase, RegistryDatabaseArgs
from .secret_store import SecretsManagerStore, SecretsManagerStoreArgs
from .workload_role import BucketPrefixAccess, SecretsRead, WorkloadRole, WorkloadRoleArgs

__all__ = [
    "ArtifactStore", "ArtifactStoreArgs", "AuditTrail", "AuditTrailArgs", "AwsComponent", "BucketPrefixAccess", "CiIdentity", "CiIdentityArgs",
    "Cluster", "ClusterArgs", "EncryptionKeys", "EncryptionKeysArgs", "GeneratedSecret", "GithubBinding",
    "GitlabBinding", "GpuTrainingPool", "GpuTrainingPoolArgs", "ImageRegistry", "ImageRegistryArgs", "InferencePool",
    "InferencePoolArgs", "Network", "NetworkArgs", "NodeTaint", "OnlineStoreCache", "OnlineStoreCacheArgs", "PlatformSecrets", "PlatformSecretsArgs",
    "RegionCatalogue", "RegistryDatabase", "RegistryDatabaseArgs", "SecretsManagerStore", "SecretsManagerStoreArgs",
    "SecretsRead", "UAE_AWS_REGION", "UAE_AWS_REGIONS", "UaeProvider", "WorkloadRole", "WorkloadRoleArgs",
    "load_catalogue",
]
