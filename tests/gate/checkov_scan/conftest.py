"""Helpers for the checkov tests: plan resources for Kubernetes objects, and checkov availability."""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import pytest

from sahab.errors import UsageError
from sahab.tools.checkov import checkov_executable


def k8s_resource(kind: str, api_version: str, logical: str, inputs: Dict[str, Any], *,
                 provider: Optional[str] = None, parent_type: str = "") -> Dict[str, Any]:
    """A plan resource as the planner writes it for a pulumi-kubernetes object."""
    group = api_version if "/" in api_version else "core/" + api_version
    rtype = "kubernetes:%s:%s" % (group, kind)
    urn = "urn:pulumi:dev::checkov-test::%s%s::%s" % (parent_type + "$" if parent_type else "", rtype, logical)
    body = dict(inputs)
    body.update({"apiVersion": api_version, "kind": kind})
    return {"urn": urn, "type": rtype, "name": logical, "custom": True, "mode": "create", "opaque": False,
            "provider": provider, "inputs": body, "unknowns": [], "secrets": []}


def pod_template(labels: Dict[str, str], containers: list, **spec: Any) -> Dict[str, Any]:
    body = {"containers": containers}
    body.update(spec)
    return {"metadata": {"labels": labels}, "spec": body}


def deployment(logical: str, namespace: str, labels: Dict[str, str], containers: list, *, name: Optional[str] = None,
               **spec: Any) -> Dict[str, Any]:
    metadata = {"namespace": namespace, "labels": dict(labels)}
    if name is not None:
        metadata["name"] = name
    return k8s_resource("Deployment", "apps/v1", logical, {
        "metadata": metadata,
        "spec": {"replicas": 1, "selector": {"matchLabels": dict(labels)}, "template": pod_template(labels, containers, **spec)},
    })


@pytest.fixture(scope="session")
def checkov_available() -> None:
    try:
        checkov_executable()
    except UsageError:
        pytest.skip("checkov is not installed (run ./bootstrap)")


@pytest.fixture(scope="session")
def k8s() -> Dict[str, Callable[..., Dict[str, Any]]]:
    return {"resource": k8s_resource, "deployment": deployment, "pod_template": pod_template}
