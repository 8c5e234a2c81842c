"""Cloud-neutral Kubernetes components of the platform: they run on EKS and AKS alike.

Cloud identity arrives as a :class:`WorkloadIdentityBinding` made by the cloud's components;
every workload lives in a :class:`ZeroTrustNamespace` and is built by :mod:`.workload`'s secure
defaults; third-party operators are pinned Helm releases (:mod:`.charts`).
"""
from .charts import ChartRef
from .identity import WorkloadIdentityBinding
from .images import Image
from .namespace import Allow, NamespaceQuota, PodSecurityException, Port, ZeroTrustNamespace, ZeroTrustNamespaceArgs
from .secrets import RemoteRef, SecretStoreBinding
from .workload import Resources

__all__ = [
    "Allow", "ChartRef", "Image", "NamespaceQuota", "PodSecurityException", "Port", "RemoteRef", "Resources",
    "SecretStoreBinding", "WorkloadIdentityBinding", "ZeroTrustNamespace", "ZeroTrustNamespaceArgs",
]
