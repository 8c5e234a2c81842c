"""Encrypted volumes: the StorageClass the platform's persistent volumes are provisioned from.

The Kubernetes side stays cloud-neutral, as for identities and secret stores: the cloud's cluster
component hands an :class:`EncryptedVolumes` binding (the CSI provisioner and the parameters that
make it encrypt with a customer managed key; on AWS ``Cluster.encrypted_volumes``, which refuses a
key the EBS CSI driver was not granted), and :class:`EncryptedStorageClass` writes the class.
Consumers take the component, not a class name (``MonitoringArgs.storage_class``), so a class that
is renamed or never created is an error at construction, not a PVC stuck ``Pending`` after deploy.

Why each default:

* ``volumeBindingMode: WaitForFirstConsumer``: an EBS volume lives in one zone; the volume is made
  once the pod has a node, so it is never created in a zone its pod cannot run in.
* ``allowVolumeExpansion: true``: a volume grows in place (Prometheus's ``storage_size``).
* ``reclaimPolicy: Delete``: the platform's volumes hold rebuildable data (metrics with a
  retention, Alertmanager silences, CI job scratch space that is created per job; ``Retain``
  would leave one orphaned volume per CI job). Data of record lives in the artifact store and
  the registry database. ``reclaim_policy="Retain"`` keeps released volumes.
* Not the cluster's default class unless ``default_class=True``; with it, a claim that names no
  class still gets an encrypted volume (Kubernetes 1.26+ uses the newest default when several
  classes are marked default).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
import pulumi_kubernetes as k8s

from ..validation import ComponentInputError, require_choice, require_labels
from .base import KubernetesComponent, require_provider

COMPONENT = "EncryptedStorageClass"
TYPE_TOKEN = "sahab:kubernetes:EncryptedStorageClass"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
RECLAIM_POLICIES = ("Delete", "Retain")
EBS_CSI_PROVISIONER = "ebs.csi.aws.com"

_CLASS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_PROVISIONER = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


@dataclass(frozen=True)
class EncryptedVolumes:
    """What the cloud side hands the cluster: a CSI ``provisioner`` and the ``parameters`` that make
    it encrypt every volume with a customer managed key (e.g. EBS: ``encrypted``, ``kmsKeyId``).
    ``key`` names the parameter holding the key reference, so the class can be checked for it."""

    provisioner: str
    parameters: Mapping[str, pulumi.Input[str]]
    key: str
    description: str = ""


@dataclass(kw_only=True)
class EncryptedStorageClassArgs:
    """``volumes`` from the cloud's cluster component; ``class_name`` is the StorageClass's name."""

    provider: k8s.Provider
    volumes: EncryptedVolumes
    class_name: str = "encrypted"
    reclaim_policy: str = "Delete"
    default_class: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)


def validate(args: EncryptedStorageClassArgs) -> None:
    """Every check before anything registers."""
    require_provider(COMPONENT, args.provider)
    volumes = args.volumes
    if not isinstance(volumes, EncryptedVolumes):
        raise ComponentInputError(
            "%s: volumes must be the EncryptedVolumes of the cloud's cluster component "
            "(e.g. sahab.components.aws.Cluster(...).encrypted_volumes(key_arn)); got %s" % (COMPONENT, type(volumes).__name__))
    if not isinstance(volumes.provisioner, str) or not _PROVISIONER.match(volumes.provisioner):
        raise ComponentInputError("%s: volumes.provisioner %r is not a CSI driver name" % (COMPONENT, volumes.provisioner))
    if not isinstance(volumes.parameters, Mapping) or not isinstance(volumes.key, str):
        raise ComponentInputError("%s: volumes.parameters must be a mapping and volumes.key the name of its key parameter" % COMPONENT)
    if volumes.parameters.get(volumes.key) in (None, ""):
        raise ComponentInputError(
            "%s: volumes.parameters has no %r: the volumes would be encrypted with the provider's default key, "
            "not a customer managed key" % (COMPONENT, volumes.key))
    if not isinstance(args.class_name, str) or not _CLASS_NAME.match(args.class_name):
        raise ComponentInputError(
            "%s: class_name %r must be a Kubernetes object name (lowercase letters, digits, '-' and '.')" % (COMPONENT, args.class_name))
    require_choice(COMPONENT, "reclaim_policy", args.reclaim_policy, RECLAIM_POLICIES)
    if not isinstance(args.default_class, bool):
        raise ComponentInputError("%s: default_class must be True or False, got %r" % (COMPONENT, args.default_class))
    require_labels(COMPONENT, args.labels)


class EncryptedStorageClass(KubernetesComponent):
    """One StorageClass whose volumes are encrypted with a customer managed key."""

    class_name: str
    storage_class: k8s.storage.v1.StorageClass

    def __init__(self, name: str, args: EncryptedStorageClassArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        validate(args)
        super().__init__(TYPE_TOKEN, name, args.provider, opts)
        annotations = {DEFAULT_CLASS_ANNOTATION: "true"} if args.default_class else None
        self.class_name = args.class_name
        self.storage_class = k8s.storage.v1.StorageClass(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.class_name, labels=dict(args.labels) or None, annotations=annotations),
            provisioner=args.volumes.provisioner,
            parameters=dict(args.volumes.parameters),
            reclaim_policy=args.reclaim_policy,
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=self.child_opts())
        self.register_outputs({"class_name": args.class_name})
