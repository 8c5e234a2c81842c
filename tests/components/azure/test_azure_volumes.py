"""Cluster.encrypted_volumes on Azure: the Azure Disk CSI class encrypts with the disks CMK through the cluster's own set."""
from __future__ import annotations

import pytest

from test_azure_cluster import cluster
from sahab.components.kubernetes.storage import EncryptedStorageClass, EncryptedStorageClassArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources


def test_the_storage_class_names_the_clusters_disk_encryption_set():
    import pulumi_kubernetes as k8s

    def program():
        made = cluster()
        EncryptedStorageClass("volumes", EncryptedStorageClassArgs(
            provider=k8s.Provider("kube", kubeconfig="{}"), volumes=made.encrypted_volumes(), class_name="managed-csi-encrypted"))

    resources = plan_resources(program)
    storage = one_of_type(resources, "kubernetes:storage.k8s.io/v1:StorageClass")
    assert storage["inputs"]["provisioner"] == "disk.csi.azure.com"
    assert storage["inputs"]["parameters"]["skuName"] == "Premium_LRS"
    des = one_of_type(resources, "azure-native:compute:DiskEncryptionSet")
    assert storage["propertyDependencies"]["parameters"] == [des["urn"]]


def test_an_unknown_disk_sku_is_refused():
    _, error = attempt_plan(lambda: cluster().encrypted_volumes("Ultra"))
    assert isinstance(error, ComponentInputError)
    assert "sku" in str(error) and "Ultra" in str(error) and "Premium_LRS" in str(error)


@pytest.mark.parametrize("sku", ["Premium_ZRS", "StandardSSD_LRS"])
def test_other_managed_disk_skus_are_accepted(sku):
    _, error = attempt_plan(lambda: cluster().encrypted_volumes(sku))
    assert error is None
