"""Pod-spec helpers shared by sahab's checkov checks (this module defines no check).

checkov puts each external-checks folder on ``sys.path`` while it loads the checks, so the
checks import this module by its plain name.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

TEMPLATE_KINDS = ("Deployment", "DeploymentConfig", "DaemonSet", "Job", "ReplicaSet", "ReplicationController", "StatefulSet")
WORKLOAD_KINDS = ("Pod", "PodTemplate", "CronJob") + TEMPLATE_KINDS
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def pod_spec(conf: Dict[str, Any]) -> Tuple[Optional[Dict[str, Any]], str]:
    """The pod spec inside ``conf`` and its path (checkov's evaluated-key syntax)."""
    kind = conf.get("kind")
    if kind == "Pod":
        path = ["spec"]
    elif kind == "PodTemplate":
        path = ["template", "spec"]
    elif kind == "CronJob":
        path = ["spec", "jobTemplate", "spec", "template", "spec"]
    else:
        path = ["spec", "template", "spec"]
    node: Any = conf
    for key in path:
        if not isinstance(node, dict):
            return None, "/".join(path)
        node = node.get(key)
    return (node if isinstance(node, dict) else None), "/".join(path)

