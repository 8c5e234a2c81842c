"""The base of the Kubernetes components: an explicit cluster provider, checked up front.

A Kubernetes object on Pulumi's default provider lands in whatever cluster the ambient
kubeconfig points at; sahab's components take the provider of the cluster they belong to
(made from the cloud cluster's outputs) and refuse to run without one.
"""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from ..base import SahabComponent
from ..validation import ComponentInputError


def require_provider(component: str, provider: object) -> k8s.Provider:
    if not isinstance(provider, k8s.Provider):
        raise ComponentInputError(
            "%s: provider must be the pulumi_kubernetes.Provider of the target cluster (made from the "
            "cluster's kubeconfig); got %s. sahab never deploys to the ambient kubeconfig context"
            % (component, type(provider).__name__)
        )
    return provider


class KubernetesComponent(SahabComponent):
    """A sahab Kubernetes component: every child on the cluster's provider, under the component."""

    provider: k8s.Provider

    def __init__(self, type_token: str, name: str, provider: k8s.Provider,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token, name, provider=require_provider(type_token.split(":")[-1], provider),
                         provider_key="kubernetes", opts=opts)
