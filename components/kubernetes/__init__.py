"""Cloud-neutral Kubernetes components of the platform: they run on EKS and AKS alike.

Cloud identity arrives as a :class:`WorkloadIdentityBinding` made by the cloud's components;
every workload lives in a :class:`ZeroTrustNamespace` and is built by :mod:`.workload`'s secure
defaults; third-party operators are pinned Helm releases (:mod:`.charts`); secrets come from the
cloud's store through the External Secrets Operator (:mod:`.secrets`, :class:`SecretSync`).
"""
from .alert_routing import AlertReceiver
from .charts import ChartRef
from .ci_forges import DockerInDocker, GithubApp, GithubRunners, GitlabRunners, RbacRule
from .ci_runners import CiRunners, CiRunnersArgs
from .drift_monitor import DriftMonitor, DriftMonitorArgs, RegistryEndpoint, RetrainTrigger
from .feature_store import FeatureStore, FeatureStoreArgs
from .gpu import GpuEnablement, GpuEnablementArgs
from .identity import WorkloadIdentityBinding
from .images import Image
from .input_logging import InputLogging
from .mlflow_server import MlflowServer
from .model_registry import EntraTokenLogin, ModelRegistry, ModelRegistryArgs, RegistryUser
from .monitoring import Monitoring, MonitoringArgs, QueryClient, ScrapeTarget
from .namespace import Allow, NamespaceQuota, PodSecurityException, Port, ZeroTrustNamespace, ZeroTrustNamespaceArgs
from .platform_alerts import PlatformAlerts
from .rollout_strategy import Analysis, BlueGreen, Canary, Pause, PrometheusAnalysis, PrometheusEndpoint, SetWeight
from .rollouts import RolloutsController, RolloutsControllerArgs
from .secret_sync import SecretSync, SecretSyncArgs
from .secrets import RemoteRef, SecretStoreBinding
from .serving import ModelServing, ModelServingArgs, metrics_scrape_allow, require_model_uri
from .storage import EncryptedStorageClass, EncryptedStorageClassArgs, EncryptedVolumes
from .training import GpuPool, TrainingJob, TrainingJobArgs, TrainingOperator, TrainingOperatorArgs, TrainingQueue
from .workload import Resources

__all__ = [
    "AlertReceiver", "Allow", "Analysis", "BlueGreen", "Canary", "ChartRef", "CiRunners", "CiRunnersArgs", "DockerInDocker",
    "DriftMonitor", "DriftMonitorArgs", "EncryptedStorageClass", "EntraTokenLogin", "EncryptedStorageClassArgs", "EncryptedVolumes",
    "FeatureStore", "FeatureStoreArgs", "GithubApp",
    "GithubRunners", "GitlabRunners", "GpuEnablement", "GpuEnablementArgs", "GpuPool", "Image", "InputLogging",
    "MlflowServer", "ModelRegistry", "ModelRegistryArgs", "ModelServing", "ModelServingArgs", "Monitoring", "MonitoringArgs", "NamespaceQuota", "Pause",
    "PlatformAlerts", "PodSecurityException", "Port", "PrometheusAnalysis", "PrometheusEndpoint", "QueryClient", "RbacRule",
    "RegistryEndpoint", "RegistryUser", "RemoteRef", "Resources", "RetrainTrigger",
    "RolloutsController", "RolloutsControllerArgs", "ScrapeTarget", "SecretStoreBinding", "SecretSync", "SecretSyncArgs", "SetWeight",
    "TrainingJob", "TrainingJobArgs", "TrainingOperator", "TrainingOperatorArgs", "TrainingQueue",
    "WorkloadIdentityBinding", "ZeroTrustNamespace", "ZeroTrustNamespaceArgs", "metrics_scrape_allow", "require_model_uri",
]
