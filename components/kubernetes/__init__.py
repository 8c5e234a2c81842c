"""Cloud-neutral Kubernetes components of the platform: they run on EKS and AKS alike.

Cloud identity arrives as a :class:`WorkloadIdentityBinding` made by the cloud's components;
every workload lives in a :class:`ZeroTrustNamespace` and is built by :mod:`.workload`'s secure
defaults; third-party operators are pinned Helm releases (:mod:`.charts`); secrets come from the
cloud's store through the External Secrets Operator (:mod:`.secrets`, :class:`SecretSync`).
"""
from .charts import ChartRef
from .gpu import GpuEnablement, GpuEnablementArgs
from .identity import WorkloadIdentityBinding
from .images import Image
from .mlflow_server import MlflowServer
from .model_registry import ModelRegistry, ModelRegistryArgs, RegistryUser
from .namespace import Allow, NamespaceQuota, PodSecurityException, Port, ZeroTrustNamespace, ZeroTrustNamespaceArgs
from .rollout_strategy import Analysis, BlueGreen, Canary, Pause, PrometheusAnalysis, PrometheusEndpoint, SetWeight
from .rollouts import RolloutsController, RolloutsControllerArgs
from .secret_sync import SecretSync, SecretSyncArgs
from .secrets import RemoteRef, SecretStoreBinding
from .serving import ModelServing, ModelServingArgs, metrics_scrape_allow, require_model_uri
from .training import GpuPool, TrainingJob, TrainingJobArgs, TrainingOperator, TrainingOperatorArgs, TrainingQueue
from .workload import Resources

__all__ = [
    "Allow", "Analysis", "BlueGreen", "Canary", "ChartRef", "GpuEnablement", "GpuEnablementArgs", "GpuPool", "Image",
    "MlflowServer", "ModelRegistry", "ModelRegistryArgs", "ModelServing", "ModelServingArgs", "NamespaceQuota", "Pause",
    "PodSecurityException", "Port", "PrometheusAnalysis", "PrometheusEndpoint", "RegistryUser", "RemoteRef", "Resources",
    "RolloutsController", "RolloutsControllerArgs", "SecretStoreBinding", "SecretSync", "SecretSyncArgs", "SetWeight",
    "TrainingJob", "TrainingJobArgs", "TrainingOperator", "TrainingOperatorArgs", "TrainingQueue",
    "WorkloadIdentityBinding", "ZeroTrustNamespace", "ZeroTrustNamespaceArgs", "metrics_scrape_allow", "require_model_uri",
]
