"""EncryptedStorageClass: every volume it provisions is encrypted with the customer managed key the
EBS CSI driver was granted; a class naming any other key, or no key, fails at construction."""
from __future__ import annotations

from typing import Any, Dict, List

import pulumi_kubernetes as k8s
import pytest

from sahab.components.aws.cluster import Cluster, ClusterArgs
from sahab.components.aws.encryption_keys import EncryptionKeys, EncryptionKeysArgs
from sahab.components.kubernetes.storage import EncryptedStorageClass, EncryptedStorageClassArgs, EncryptedVolumes
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources

ADMIN = "arn:aws:iam::111122223333:role/platform-admin"
LITERAL_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000001"
CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
KEY = "aws:kms/key:Key"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def _platform(**overrides: Any) -> None:
    """The keys, the cluster granting its EBS CSI driver the `volumes` key, and the class on that key."""
    keys = EncryptionKeys("ml", EncryptionKeysArgs(admin_role_arn=ADMIN, data_classes=["cluster-secrets", "logs", "volumes"]))
    cluster = Cluster("ml", ClusterArgs(
        subnet_ids=["subnet-0a", "subnet-0b"], secrets_kms_key_arn=keys.key_arn("cluster-secrets"),
        logs_kms_key_arn=keys.key_arn("logs"), ebs_csi_kms_key_arns=[keys.key_arn("volumes")]))
    values: Dict[str, Any] = dict(provider=k8s.Provider("cluster", kubeconfig="{}"),
                                  volumes=cluster.encrypted_volumes(keys.key_arn("volumes")), class_name="gp3-encrypted")
    values.update(overrides)
    EncryptedStorageClass("volumes", EncryptedStorageClassArgs(**values))


@pytest.fixture(scope="module")
def planned() -> List[Dict[str, Any]]:
    return plan_resources(_platform)


def _key(resources: List[Dict[str, Any]], data_class: str) -> Dict[str, Any]:
    return next(r for r in resources if r["type"] == KEY and r["name"] == "ml-%s" % data_class)


def test_volumes_are_ebs_gp3_encrypted_with_the_volumes_key(planned):
    storage_class = one_of_type(planned, CLASS)
    inputs = storage_class["inputs"]
    assert inputs["provisioner"] == "ebs.csi.aws.com"
    assert inputs["parameters"] == {"type": "gp3", "encrypted": "true", "kmsKeyId": {"$unknown": True},
                                    "csi.storage.k8s.io/fstype": "ext4"}
    # The unknown key ARN is the `volumes` key of the plan, nothing else.
    assert storage_class["propertyDependencies"]["parameters"] == [_key(planned, "volumes")["urn"]]


def test_the_ebs_csi_driver_is_granted_exactly_that_key(planned):
    policy = one_of_type(planned, ROLE_POLICY)
    assert policy["propertyDependencies"]["policy"] == [_key(planned, "volumes")["urn"]]


def test_binding_waits_for_the_pod_volumes_grow_and_are_deleted_with_their_claim(planned):
    inputs = one_of_type(planned, CLASS)["inputs"]
    assert (inputs["volumeBindingMode"], inputs["allowVolumeExpansion"], inputs["reclaimPolicy"]) == (
        "WaitForFirstConsumer", True, "Delete")
    assert inputs["metadata"] == {"name": "gp3-encrypted"}


def test_the_default_class_and_retained_volumes_are_arguments():
    inputs = one_of_type(plan_resources(lambda: _platform(default_class=True, reclaim_policy="Retain")), CLASS)["inputs"]
    assert inputs["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert inputs["reclaimPolicy"] == "Retain"


def _other_key_of_the_program(**overrides: Any) -> None:
    keys = EncryptionKeys("other", EncryptionKeysArgs(admin_role_arn=ADMIN, data_classes=["artifacts", "volumes"]))
    cluster = Cluster("ml", ClusterArgs(subnet_ids=["subnet-0a", "subnet-0b"], secrets_kms_key_arn=LITERAL_KEY,
                                        logs_kms_key_arn=LITERAL_KEY, ebs_csi_kms_key_arns=[keys.key_arn("volumes")]))
    cluster.encrypted_volumes(keys.key_arn("artifacts"))


def test_a_key_the_driver_was_not_granted_fails_before_any_volume_could():
    _, error = attempt_plan(_other_key_of_the_program)
    assert isinstance(error, ComponentInputError)
    assert str(error) == ("Cluster: the EBS CSI driver may not use KMS key (a key made in this program); pass the same key "
                          "in ClusterArgs.ebs_csi_kms_key_arns so its role is granted it")


@pytest.mark.parametrize("overrides, message", [
    ({"volumes": {"provisioner": "ebs.csi.aws.com", "parameters": {"encrypted": "true"}}},
     "EncryptedStorageClass: volumes must be the EncryptedVolumes of the cloud's cluster component "
     "(e.g. sahab.components.aws.Cluster(...).encrypted_volumes(key_arn)); got dict"),
    ({"volumes": EncryptedVolumes("ebs.csi.aws.com", {"type": "gp3", "encrypted": "true"}, key="kmsKeyId")},
     "EncryptedStorageClass: volumes.parameters has no 'kmsKeyId': the volumes would be encrypted with the provider's "
     "default key, not a customer managed key"),
    ({"class_name": "GP3_Encrypted"},
     "EncryptedStorageClass: class_name 'GP3_Encrypted' must be a Kubernetes object name (lowercase letters, digits, '-' and '.')"),
    ({"reclaim_policy": "Recycle"}, "EncryptedStorageClass: reclaim_policy 'Recycle' is not allowed; choose one of: Delete, Retain"),
    ({"default_class": "yes"}, "EncryptedStorageClass: default_class must be True or False, got 'yes'"),
    ({"provider": None},
     "EncryptedStorageClass: provider must be the pulumi_kubernetes.Provider of the target cluster (made from the cluster's "
     "kubeconfig); got NoneType. sahab never deploys to the ambient kubeconfig context"),
])
def test_bad_input_fails_before_the_class_registers(overrides, message):
    resources, error = attempt_plan(lambda: _platform(**overrides))
    assert isinstance(error, ComponentInputError) and str(error) == message
    assert not [r for r in resources if r["type"] in (CLASS, "sahab:kubernetes:EncryptedStorageClass")]
