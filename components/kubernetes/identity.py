"""How a pod gets its cloud identity: a plain binding object made by the cloud's components.

The Kubernetes components are cloud-neutral. They never create cloud roles; they receive a
:class:`WorkloadIdentityBinding` from the cloud side (an IRSA role on AWS, a federated identity
credential on Azure) and create the ServiceAccount and pod labels it names. The cloud side has
already bound its trust to exactly ``namespace``/``service_account``, so the Kubernetes side
refuses a binding made for another namespace or account: the pod would silently get no access,
or worse, borrow another workload's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import pulumi

from ..validation import ComponentInputError

IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
AZURE_CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
AZURE_USE_LABEL = "azure.workload.identity/use"


@dataclass(frozen=True)
class WorkloadIdentityBinding:
    """A cloud identity bound to one ServiceAccount in one namespace.

    ``service_account_annotations`` go on the ServiceAccount (IRSA's role ARN, Azure's client
    id); ``pod_labels`` on the pods that use it (Azure's webhook only injects tokens into pods
    labelled ``azure.workload.identity/use: "true"``).
    """

    cloud: str
    namespace: str
    service_account: str
    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    description: str = ""

    @classmethod
    def aws_irsa(cls, namespace: str, service_account: str, role_arn: pulumi.Input[str],
                 description: str = "") -> "WorkloadIdentityBinding":
        return cls("aws", namespace, service_account, {IRSA_ROLE_ANNOTATION: role_arn}, {}, description)

    @classmethod
    def azure_workload_identity(cls, namespace: str, service_account: str, client_id: pulumi.Input[str],
                                description: str = "") -> "WorkloadIdentityBinding":
        return cls("azure", namespace, service_account, {AZURE_CLIENT_ID_ANNOTATION: client_id},
                   {AZURE_USE_LABEL: "true"}, description)


def require_binding(component: str, argument: str, binding: object, namespace: str,
                    service_account: str) -> WorkloadIdentityBinding:
    """The binding must be one and must name exactly the namespace and account the component uses."""
    if not isinstance(binding, WorkloadIdentityBinding):
        raise ComponentInputError(
            "%s: %s must be a WorkloadIdentityBinding made by the cloud's components (e.g. "
            "sahab.components.aws.WorkloadRole(...).binding); got %s" % (component, argument, type(binding).__name__)
        )
    if (binding.namespace, binding.service_account) != (namespace, service_account):
        raise ComponentInputError(
            "%s: %s is bound to %s/%s but the workload runs as %s/%s; create the cloud identity for "
            "namespace %r and service account %r"
            % (component, argument, binding.namespace, binding.service_account, namespace, service_account,
               namespace, service_account)
        )
    return binding
